"""One account's night: walk the platform, write WARC and Parquet, account for it in a manifest.

Order of writes, which is what makes a killed run safe to repeat:

1. WARC files, each stored as soon as it is full or at a checkpoint;
2. after each checkpoint's WARC is stored, one items part with the versions pointing into it
   (a part never points into a WARC file that is not stored yet). A checkpoint comes every
   ``checkpoint_items`` versions, or sooner once the versions held hold ``checkpoint_bytes`` of
   text: items parts roll as they fill, so a night holds at most one part's versions whatever
   the history it captures;
3. the runs row;
4. the manifest, last.

Items parts are committed under the account's write lease, after merging with the versions other
runs of the account stored meanwhile (a hot pass during the night, :mod:`.lease`, :mod:`.merge`),
so runs that capture one account at the same time never record one version twice. The same code
makes hot passes and targeted captures (``kind`` ``recent`` or ``targeted``, see
:mod:`archive_lib.capture.recent`): they cover only the recent or the named threads, record no
high-water mark (the next night lists as if they had not run) and leave interrupted runs to the
nightly pass.

A run killed at any point leaves only whole objects. The next run reads the items parts as
state (nothing recorded is recorded again), captures what is missing, and completes the
interrupted run's manifest (see :mod:`archive_lib.capture.recovery`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from archive_lib import PRODUCT, __version__, layout
from archive_lib.capture.lease import DEFAULT_SECONDS, WriteLease, with_lease
from archive_lib.capture.merge import rebase
from archive_lib.capture.recovery import complete_interrupted
from archive_lib.capture.tokens import env_tokens
from archive_lib.capture.versions import Versioner
from archive_lib.clock import Clock, IdFactory, SystemClock, local_day_end, local_day_start
from archive_lib.connectors import connector_class
from archive_lib.connectors.base import (
    CapturePlan,
    Connector,
    Gone,
    HighWater,
    Incomplete,
    MediaArchiver,
    Note,
    QuotaUsed,
    Seen,
    ThreadChecked,
    TokenHealth,
    Trouble,
)
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.policy import HttpPolicy, user_agent
from archive_lib.errors import ArchiveError, AuthError, MissingTokenError, StoreError, TokenExpiredError
from archive_lib.evidence.signing import Signer, timestamp_missing
from archive_lib.logs import SECRETS
from archive_lib.metadata.manifest import build_manifest, completed_run, object_tags, write_manifest
from archive_lib.metadata.runs import check_kind, write_run_row
from archive_lib.metadata.state import KnownState, load_state
from archive_lib.models import Account, MediaFile, RunCounts, RunResult
from archive_lib.storage.base import ObjectStore, StoredObject
from archive_lib.warc.redact import Redactor
from archive_lib.warc.writer import DEFAULT_MAX_BYTES, WarcRecorder

log = logging.getLogger(__name__)

TokenSource = Callable[[Account], "str | None"]
Progress = Callable[[str, dict[str, int]], None]


@dataclass(frozen=True)
class CaptureOptions:
    """Knobs of a night; the defaults suit production."""

    warc_max_bytes: int = DEFAULT_MAX_BYTES
    checkpoint_items: int = 1000  # versions per items part (and WARC flush) at most
    checkpoint_bytes: int = 32 * 1024 * 1024  # text in the versions of one items part, about, at most
    http: HttpPolicy = field(default_factory=HttpPolicy)
    contact: str | None = None  # put in the User-Agent so platform operators can reach us
    operator: str | None = None  # the organisation, named in every WARC file's warcinfo
    recheck_days: int | None = None  # overrides the inventory's re-check window
    lease_seconds: float = DEFAULT_SECONDS  # one slot of the account's write lease (see .lease)
    signer: Signer | None = None  # signs (and timestamps) the manifests; None: unsigned


def capture_account(
    account: Account,
    store: ObjectStore,
    run_date: dt.date,
    *,
    tokens: TokenSource = env_tokens,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    options: CaptureOptions | None = None,
    progress: Progress | None = None,
    kind: str = "nightly",
    hot_from: dt.datetime | None = None,
    threads: Sequence[str] | None = None,
) -> RunResult:
    """Capture one account for the night of ``run_date``; the account is the unit of failure.

    ``kind`` is what the run is (:data:`~archive_lib.metadata.schema.RUN_KINDS`). A ``recent``
    run covers the posts created since ``hot_from`` with their whole threads; a ``targeted`` run
    the threads rooted at the post ids ``threads`` (where the platform's connector cannot read
    one thread alone, the posts since ``hot_from`` instead).

    Whatever goes wrong inside the account's night (platform trouble, odd data, a defect of the
    archive's own) ends it as ``failed``, with the error in its runs row and a manifest of what
    it stored; it never raises for it. Only a store that fails to read or write at all raises
    :class:`~archive_lib.errors.StoreError` (retryable): nothing could be kept, for this account
    or the next, and the next run completes the interrupted one.

    A night that already has a successful nightly run is not captured nightly again (the result
    says ``skipped``).
    """
    clock = clock or SystemClock()
    ids = ids or IdFactory()
    options = options or CaptureOptions()
    check_kind(kind)
    if kind != "nightly" and hot_from is None:
        raise ValueError(f"a {kind} run needs hot_from")
    done = completed_run(store, account.id, run_date) if kind == "nightly" else None
    if done is not None:
        log.info(
            "%s: the night of %s was already captured by %s",
            account.id,
            run_date,
            done["run_id"],
            extra={"account_id": account.id, "run_id": done["run_id"]},
        )
        return RunResult(
            run_id=done["run_id"],
            account_id=account.id,
            platform=account.platform,
            run_date=run_date,
            status="ok",
            http_requests=0,
            bytes_stored=0,
            skipped=True,
        )
    scope = _Scope(kind, hot_from, tuple(threads) if threads is not None else None)
    return _Night(account, store, run_date, tokens, clock, ids, options, progress, scope).run()


@dataclass(frozen=True)
class _Scope:
    kind: str = "nightly"
    hot_from: dt.datetime | None = None
    threads: tuple[str, ...] | None = None


class _Night:
    def __init__(
        self,
        account: Account,
        store: ObjectStore,
        run_date: dt.date,
        tokens: TokenSource,
        clock: Clock,
        ids: IdFactory,
        options: CaptureOptions,
        progress: Progress | None,
        scope: _Scope | None = None,
    ) -> None:
        self.scope = scope or _Scope()
        self.account = account
        self.store = store
        self.run_date = run_date
        self.tokens = tokens
        self.clock = clock
        self.options = options
        self.progress = progress
        self.started_at = clock.now()
        self.run_id = ids.run_id(account.id, self.started_at)
        self.retention = account.retention.for_night(run_date)
        self.recheck_days = options.recheck_days or account.recheck_days
        self.recheck_from = local_day_start(run_date - dt.timedelta(days=self.recheck_days))
        if self.scope.hot_from is not None:
            self.recheck_from = self.scope.hot_from
        self.redactor = Redactor()
        self.recorder = WarcRecorder(
            store,
            key_for=lambda n: layout.warc_key(account.platform, account.id, run_date, self.run_id, n),
            warcinfo=self._warcinfo(),
            retention=self.retention,
            tags=object_tags(account, "warc"),
            redactor=self.redactor,
            ids=ids,
            now=clock.now,
            max_bytes=options.warc_max_bytes,
            max_decoded_bytes=options.http.max_decoded_bytes,
        )
        self.rows: list[dict[str, Any]] = []
        self.rows_bytes = 0  # what ``rows`` hold, about (see _size)
        self.parts: list[StoredObject] = []
        self.troubles: list[str] = []
        self.warnings: list[str] = []
        self.high_water: str | None = None
        self.threads = 0
        self.reported: dict[str, int] = {}
        self.notes: list[str] = []
        self.token_health: TokenHealth | None = None
        self.credential = "none"
        self.api_units: int | None = None
        self.http: HttpClient | None = None
        self.versioner: Versioner | None = None
        self.media: MediaArchiver | None = None
        self.authenticated = False
        self.connector_cls: type[Connector] | None = None
        self.state: KnownState | None = None
        self.lease = WriteLease(
            store,
            account.id,
            self.run_id,
            kind=self.scope.kind,
            clock=clock,
            retention=self.retention,
            tags=object_tags(account, "lease"),
            seconds=options.lease_seconds,
        )

    def _log_extra(self) -> dict[str, str]:
        return {"account_id": self.account.id, "run_id": self.run_id}

    def _warcinfo(self) -> dict[str, str]:
        return {
            "software": f"{PRODUCT}/{__version__} (warcio)",
            "operator": self.options.operator or "",
            "isPartOf": self.run_id,
            "description": f"{_DESCRIBED[self.scope.kind]} of {self.account.platform} account "
            f"{self.account.handle} ({self.account.id}, {self.account.board}) for {self.run_date}",
            "run-kind": self.scope.kind,
            "run-id": self.run_id,
            "run-date": self.run_date.isoformat(),
            "account-id": self.account.id,
            "board": self.account.board,
            "platform": self.account.platform,
            "handle": self.account.handle,
            "http-header-user-agent": user_agent(self.options.contact),
        }

    def run(self) -> RunResult:
        account = self.account
        log.info(
            "capturing %s (%s) for %s", account.id, account.platform, self.run_date, extra=self._log_extra()
        )
        status, error, retryable = "ok", None, False
        try:
            state = self._prepare()
            self._walk(state)
            self._checkpoint()
        except StoreError as exc:
            if exc.retryable:  # the store itself is failing: nothing more can be kept tonight
                self.recorder.close()
                raise
            status, error, retryable = "failed", f"the store refused a write: {exc}", False
            log.error("%s failed: %s", account.id, self.redactor.text(str(exc)), extra=self._log_extra())
        except ArchiveError as exc:  # platform trouble, a missing token: this account only
            status, error, retryable = "failed", self._explain(exc), exc.retryable
            self.credential = _credential_status(exc, self.credential)
            log.error("%s failed: %s", account.id, self.redactor.text(str(exc)), extra=self._log_extra())
        except Exception as exc:  # a defect: record the failed night, keep what was captured
            status, error, retryable = "failed", f"internal error: {type(exc).__name__}: {exc}", False
            log.exception("%s failed with an internal error", account.id, extra=self._log_extra())
        if status == "ok" and self.troubles:
            status, retryable = "failed", True
            error = f"{len(self.troubles)} part(s) of the walk failed: " + "; ".join(self.troubles[:5])
        if status != "ok":
            error = self._keep_what_was_captured(error or "")
        try:
            return self._finish(status, error, retryable)
        except StoreError as exc:
            if exc.retryable:
                self.recorder.close()
                raise
            return self._unrecorded(error or "", exc)
        except Exception as exc:
            log.exception("%s: the night's record could not be written", account.id, extra=self._log_extra())
            return self._unrecorded(error or "", exc)

    def _keep_what_was_captured(self, error: str) -> str:
        """Store what a failed night captured; ``error`` with what could not be stored."""
        pending = len(self.rows)
        try:
            self._checkpoint()
        except StoreError as exc:
            if exc.retryable:
                self.recorder.close()
                raise
            return f"{error}; its last {pending} versions could not be stored: {exc}"
        except Exception as exc:
            log.exception("%s: versions could not be stored", self.account.id, extra=self._log_extra())
            # The WARC records are stored; the versions are found again by the next night.
            return f"{error}; its last {pending} versions could not be stored ({type(exc).__name__}: {exc})"
        return error

    def _unrecorded(self, error: str, exc: BaseException) -> RunResult:
        """The result of a night whose runs row or manifest could not be written.

        The next run of the account finds the objects it did store and accounts for them
        (:mod:`archive_lib.capture.recovery`).
        """
        self.recorder.close()
        why = f"its record could not be written ({type(exc).__name__}: {exc})"
        message = self.redactor.text(f"{error}; {why}" if error else why)
        return RunResult(
            run_id=self.run_id,
            account_id=self.account.id,
            platform=self.account.platform,
            run_date=self.run_date,
            status="failed",
            error=message,
            counts=self.versioner.counts if self.versioner else RunCounts(),
            http_requests=self.http.requests if self.http else 0,
            objects=tuple(o.key for o in [*self.recorder.stored, *self.parts]),
        )

    def _explain(self, exc: ArchiveError) -> str:
        """The error as the people responsible for the account need to read it."""
        if not isinstance(exc, AuthError) or isinstance(exc, MissingTokenError):
            return str(exc)
        account = self.account
        if account.token_connection:
            where = f"the token in Airflow connection {account.token_connection!r}"
        elif account.token_env:
            where = f"the token in ${account.token_env}"
        else:
            where = "the capture (no token configured; this instance may require one)"
        return f"the platform refused {where}: {exc}"

    def _prepare(self) -> KnownState:
        # Interrupted runs are accounted for before anything else, so that even a night that
        # fails at once leaves every stored object under a manifest.
        if self.scope.kind == "nightly":  # hot passes leave it to the night: it may still be going
            state_dates = self._recovery_dates()
            complete_interrupted(
                self.store,
                self.account,
                state_dates,
                current_run=self.run_id,
                clock=self.clock,
                signer=self.options.signer,
            )
            self._retry_timestamps(state_dates)
        token = self.tokens(self.account)
        if token:
            self.redactor.add(token)
            SECRETS.add(token)  # log lines of this process, whoever configured the logging
        state = load_state(
            self.store,
            self.account.id,
            self.recheck_from,
            run_id=self.run_id,
            with_high_water=self.scope.kind == "nightly",
        )
        self.state = state
        self.connector_cls = connector_class(self.account.platform)
        self.http = HttpClient(
            self.recorder.record,
            clock=self.clock,
            agent=user_agent(self.options.contact),
            policy=self.options.http,
            token=token,
            token_origin=self.account.api_base,
            rules=getattr(self.connector_cls, "http_rules", None),
            scrub=self.redactor.text,
        )
        self.media = MediaArchiver(self.http, state.media)
        self.versioner = Versioner(
            state,
            account=self.account,
            run_id=self.run_id,
            run_date=self.run_date,
            recheck_from=self.recheck_from,
        )
        self.authenticated = bool(token)
        self.credential = "unchecked" if token else "none"
        return state

    def _retry_timestamps(self, dates: list[dt.date]) -> None:
        """Timestamp this account's manifests of ``dates`` that a TSA left untimestamped."""
        signer = self.options.signer
        if signer is None or signer.tsa is None:
            return
        prefixes = [f"{layout.manifest_prefix(day)}{self.account.id}_" for day in dates]
        timestamp_missing(self.store, prefixes, signer.tsa)

    def _recovery_dates(self) -> list[dt.date]:
        first = self.run_date - dt.timedelta(days=self.recheck_days + 2)
        return [first + dt.timedelta(days=n) for n in range((self.run_date - first).days + 1)]

    def _walk(self, state: KnownState) -> None:
        assert self.http is not None and self.media is not None and self.versioner is not None
        assert self.connector_cls is not None
        account = self.account
        capture_from = local_day_start(account.active_from) if account.active_from else None
        hot_from = self.scope.hot_from
        if hot_from is not None:
            capture_from = max(capture_from, hot_from) if capture_from else hot_from
        plan = CapturePlan(
            account=account,
            run_date=self.run_date,
            recheck_from=max(self.recheck_from, capture_from) if capture_from else self.recheck_from,
            capture_from=capture_from,
            capture_until=local_day_end(account.active_to) if account.active_to else None,
            known=state,
            hot_from=hot_from,
            threads=self.scope.threads if getattr(self.connector_cls, "targeted_threads", False) else None,
        )
        connector = self.connector_cls(account, self.http, self.media, self.authenticated)
        media = self.media

        def fetch(file: MediaFile) -> MediaFile:
            return media.fetch(file.media_id, file.media_type, file.url, file.description)

        for observation in connector.capture(plan):
            rows: list[dict[str, Any]] = []
            if isinstance(observation, Seen):
                rows = self.versioner.seen(observation.snapshot, fetch)
            elif isinstance(observation, Gone):
                gone = self.versioner.gone(observation.item_id, observation.record)
                rows = [gone] if gone is not None else []
            elif isinstance(observation, Trouble):
                self.troubles.append(observation.message)
                log.warning("%s: %s", account.id, observation.message, extra=self._log_extra())
            elif isinstance(observation, Incomplete):
                self.warnings.append(observation.message)
                log.warning("%s: %s", account.id, observation.message, extra=self._log_extra())
            elif isinstance(observation, HighWater):
                self.high_water = observation.value
            elif isinstance(observation, ThreadChecked):
                self.threads += 1
                if observation.reported_comments is not None:
                    self.reported[observation.post_id] = observation.reported_comments
                self._report()
            elif isinstance(observation, Note):
                self.notes.append(observation.message)
                log.info("%s: %s", account.id, observation.message, extra=self._log_extra())
            elif isinstance(observation, TokenHealth):
                self.token_health = observation
            elif isinstance(observation, QuotaUsed):
                self.api_units = observation.units
            self._media_warnings()
            if rows:
                self.rows.extend(rows)
                self.rows_bytes += sum(_size(r) for r in rows)
                if (
                    len(self.rows) >= self.options.checkpoint_items
                    or self.rows_bytes >= self.options.checkpoint_bytes
                ):
                    self._checkpoint()

    def _media_warnings(self) -> None:
        """Attachments that could not be fetched are warnings on the night, in walk order."""
        if self.media is None:
            return
        for message in self.media.warnings:
            self.warnings.append(message)
            log.warning("%s: %s", self.account.id, message, extra=self._log_extra())
        self.media.warnings.clear()

    def _report(self) -> None:
        if self.progress is None or self.versioner is None or self.http is None:
            return
        counts = self.versioner.counts
        self.progress(
            self.account.id,
            {
                "threads": self.threads,
                "versions": counts.versions,
                "requests": self.http.requests,
            },
        )

    def _checkpoint(self) -> None:
        """Store the WARC file in progress, then the versions that point into it."""
        try:
            self.recorder.flush()
        except BaseException:
            self.rows, self.rows_bytes = [], 0  # they point into a WARC file that could not be stored
            raise
        if not self.rows:
            return
        with_lease(self.lease, self._commit)

    def _commit(self) -> bool:
        """Under the write lease: merge with what other runs stored meanwhile, then store the
        part. False when the lease ran out before the write (the caller takes it again)."""
        assert self.state is not None and self.versioner is not None
        stored = self.state.refresh(self.run_id)
        if stored:
            merged = rebase(self.rows, stored)
            for row, before in merged.dropped:
                self.versioner.recount(row["item_type"], before, None)
            for row, before in merged.renamed:
                self.versioner.recount(row["item_type"], before, row["event"])
            for latest, part_key in merged.latest.values():
                self.state.set_latest(latest, part_key)
            if merged.dropped:
                log.info(
                    "%s: %d versions were already stored by another run",
                    self.account.id,
                    len(merged.dropped),
                    extra=self._log_extra(),
                )
            self.rows = merged.kept
        if not self.rows:
            self.rows_bytes = 0
            return True
        if not self.lease.hold_on():
            return False
        rows, self.rows, self.rows_bytes = self.rows, [], 0
        created = [r["created_at"] or r["observed_at"] for r in rows]  # see archive_lib.layout
        key = layout.items_key(
            self.account.id, self.run_date, self.run_id, len(self.parts) + 1, min(created), max(created)
        )
        assert self.versioner is not None
        data = self.versioner.parquet(rows, {"run_id": self.run_id, "account_id": self.account.id})
        self.parts.append(
            self.store.put(key, data, retention=self.retention, tags=object_tags(self.account, "items"))
        )
        self.versioner.stored(key, rows)
        return True

    def _credential_now(self, status: str) -> str:
        """``ok``, ``expired``, ``refused``, ``missing``, ``none`` (no token) or ``unchecked``."""
        if self.credential in ("expired", "refused", "missing"):
            return self.credential
        if self.token_health is not None:
            return "ok" if self.token_health.valid else "refused"
        if self.credential == "unchecked" and status == "ok":
            return "ok"  # the whole walk was made with it
        return self.credential

    def _finish(self, status: str, error: str | None, retryable: bool) -> RunResult:
        account = self.account
        finished = self.clock.now()
        self._media_warnings()  # a walk that ended in an error may leave some behind
        if self.versioner is not None and self.versioner.odd_versions:
            odd = ", ".join(f"{f} ({n})" for f, n in sorted(self.versioner.odd_fields.items()))
            self.warnings.append(
                f"{self.versioner.odd_versions} item versions held values the archive could not read as"
                f" their type; they are archived, with the values as sent in unparsed: {odd}"
            )
        # Error texts quote URLs and platform messages; a credential must not ride along.
        error = _bounded(self.redactor.text(error)) if error else error
        self.warnings = _messages(self.redactor.text(w) for w in self.warnings)
        self.notes = _messages(self.redactor.text(n) for n in self.notes)
        counts = self.versioner.counts if self.versioner else None
        if counts is not None and self.media is not None:
            counts = replace(counts, media_files=self.media.downloaded, threads_checked=self.threads)
        counts = counts or RunCounts()
        written = [*self.recorder.stored, *self.parts, *self.lease.taken]
        requests = self.http.requests if self.http else 0
        bytes_stored = sum(o.size for o in written)
        row: dict[str, Any] = {
            "run_id": self.run_id,
            "account_id": account.id,
            "platform": account.platform,
            "board": account.board,
            "run_date": self.run_date,
            "started_at": self.started_at,
            "finished_at": finished,
            "status": status,
            "error": error,
            "warnings": self.warnings,
            "notes": self.notes,
            "counts": asdict(counts),
            "threads": [{"post_id": k, "reported_comments": v} for k, v in self.reported.items()],
            "credential_status": self._credential_now(status),
            "credential_expires_at": self.token_health.expires_at if self.token_health else None,
            "api_units": self.api_units,
            "api_usage_percent": self.http.usage_percent if self.http else None,
            "http_requests": requests,
            "bytes_stored": bytes_stored,
            # Only the nightly pass lists down to the window: the next night's listing relies on it.
            "high_water": self.high_water if status == "ok" and self.scope.kind == "nightly" else None,
            "recheck_from": self.recheck_from,
            "software": f"{PRODUCT}/{__version__}",
            "retention_class": self.retention.retention_class,
            "retain_until": self.retention.retain_until,
            "kind": "nightly",
        }
        runs_obj = write_run_row(self.store, account, row, kind=self.scope.kind, retention=self.retention)
        objects = [*written, *([runs_obj] if runs_obj else [])]
        manifest = build_manifest(
            run_id=self.run_id,
            account=account,
            run_date=self.run_date,
            status=status,
            error=error,
            started_at=self.started_at,
            finished_at=finished,
            counts=counts,
            http_requests=requests,
            objects=objects,
            retention=self.retention,
            warnings=self.warnings,
            kind=self.scope.kind,
        )
        write_manifest(self.store, manifest, account, self.retention, self.options.signer)
        log.info(
            "%s: %s, %d new versions, %d requests, %d bytes stored",
            account.id,
            status,
            counts.versions,
            requests,
            bytes_stored,
            extra=self._log_extra(),
        )
        return RunResult(
            run_id=self.run_id,
            account_id=account.id,
            platform=account.platform,
            run_date=self.run_date,
            status="ok" if status == "ok" else "failed",
            error=error,
            counts=counts,
            http_requests=requests,
            bytes_stored=bytes_stored,
            retryable=retryable,
            objects=tuple(o.key for o in objects),
        )


_DESCRIBED = {
    "nightly": "Nightly capture",
    "recent": "Hot pass (recent threads)",
    "targeted": "Targeted capture (named threads)",
    "push": "Pushed items",
}

#: A night's record quotes platforms (ids, messages) in its error, warnings and notes: each is
#: cut to this many characters, and at most MAX_MESSAGES of each kind are kept.
MAX_MESSAGE = 2000
MAX_MESSAGES = 500


def _size(row: Mapping[str, Any]) -> int:
    """About what a version row holds: its text, its media's descriptions, and a kilobyte."""
    media = row.get("media") or ()
    return 1024 + len(row.get("text") or "") + sum(len(m.get("description") or "") for m in media)


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else f"{text[: MAX_MESSAGE - 1]}… ({len(text)} characters)"


def _messages(texts: Iterable[str]) -> list[str]:
    """``texts`` bounded in number and length, with how many were left out."""
    kept = [_bounded(t) for t in texts]
    if len(kept) <= MAX_MESSAGES:
        return kept
    return [*kept[: MAX_MESSAGES - 1], f"and {len(kept) - MAX_MESSAGES + 1} more like these"]


def _credential_status(exc: ArchiveError, current: str) -> str:
    if isinstance(exc, MissingTokenError):
        return "missing"
    if isinstance(exc, TokenExpiredError):
        return "expired"
    if isinstance(exc, AuthError):
        return "refused"
    return current
