"""The push journal: what platforms pushed, stored within seconds as runs of kind ``push``.

Every :class:`~archive_lib.push.received.Received` is held in memory only until the next flush,
at most ``flush_seconds`` later (2 s by default, never more than :data:`MAX_FLUSH_SECONDS`).
A flush writes, per account with something pending, one small run in the order every run
writes (see :mod:`archive_lib.capture.account`):

1. one WARC file holding each pushed thing as it was received;
2. one items part with the item versions the payloads carry (a Mastodon mention's status, a Meta
   ``add`` with its message, a Jetstream create), pointing at those records;
3. a delivery marker per deduplicated delivery (``push/deliveries/...``, see below);
4. the runs row (``kind`` ``push``) and the manifest.

Whatever was flushed survives a crash; what was not is at most ``flush_seconds`` of pushes,
whose threads the next hot pass captures anyway. Webhook handlers wait for the flush that
stores their delivery before answering 200 (:meth:`PushJournal.wait_stored`), so Meta retries
what was not stored. A run that fails to store keeps its things pending and is tried again at
the next flush; nothing pushed is dropped for a store that fails for a while.

Deduplication: a thing with a ``dedupe`` key (a Meta delivery has no id and is retried, so the
SHA-256 of its body) is stored once. The keys stored in the last two days are listed from the
delivery markers when the journal starts; later ones are kept in memory.

After a flush stores a run, ``on_stored`` is called with each thing stored (the service queues
the threads they name for a targeted capture).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from archive_lib import PRODUCT, __version__, layout
from archive_lib.capture.versions import Versioner
from archive_lib.clock import Clock, IdFactory, stockholm_date
from archive_lib.evidence.signing import Signer
from archive_lib.metadata.manifest import build_manifest, object_tags, put_once, write_manifest
from archive_lib.metadata.parquet import to_parquet_bytes
from archive_lib.metadata.schema import RUNS_SCHEMA
from archive_lib.metadata.state import KnownItem, KnownState, load_state
from archive_lib.models import Account, RunCounts
from archive_lib.push.received import Received
from archive_lib.storage.base import ObjectStore, StoredObject
from archive_lib.warc.redact import Redactor
from archive_lib.warc.writer import WarcRecorder

log = logging.getLogger(__name__)

#: The longest a pushed thing may wait in memory before it is stored.
MAX_FLUSH_SECONDS = 10.0
#: Pushed things held at most; past this, streams are told to wait (webhooks get 503).
MAX_PENDING = 20_000
#: Deduplication keys remembered in memory, at most.
MAX_DEDUPE_KEYS = 200_000

Lookup = Callable[[Account, str], "KnownItem | None"]


class PushJournal:
    """Holds pushed things briefly and stores them as ``push`` runs (see the module docstring)."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        clock: Clock,
        ids: IdFactory | None = None,
        flush_seconds: float = 2.0,
        secrets: Iterable[str] = (),
        operator: str | None = None,
        on_stored: Callable[[Received], None] | None = None,
        signer: Signer | None = None,
    ) -> None:
        if not 0 < flush_seconds <= MAX_FLUSH_SECONDS:
            raise ValueError(f"flush_seconds must be above 0 and at most {MAX_FLUSH_SECONDS}")
        self.store = store
        self.signer = signer  # signs (and timestamps) each push run's manifest, as a night's
        self.clock = clock
        self.ids = ids or IdFactory()
        self.flush_seconds = flush_seconds
        self.operator = operator
        self.on_stored = on_stored
        self._secrets = tuple(s for s in secrets if s)
        self._cond = threading.Condition()
        self._pending: list[tuple[int, Received]] = []
        self._next_ticket = 1
        self._stored_upto = 0  # every ticket below this one was stored (or refused as failed)
        self._failed: set[int] = set()
        self._dedupe: OrderedDict[str, None] = OrderedDict()
        self._states: dict[str, KnownState] = {}
        self._flush_lock = threading.RLock()  # item builders ask known() while a flush runs
        # Asked as a flush takes its batch; what they return is called once that batch is stored
        # (Jetstream's cursor is safe to keep only when everything before it is stored).
        self.checkpoints: list[Callable[[], Callable[[], None] | None]] = []
        self.stored_count = 0
        self.failures = 0

    # -- receiving ---------------------------------------------------------------------------

    def load_dedupe(self, accounts: Iterable[Account]) -> None:
        """Remember the delivery keys stored in the last two days (Stockholm), from their markers."""
        today = stockholm_date(self.clock.now())
        for account in accounts:
            for day in (today - dt.timedelta(days=1), today):
                for key in self.store.list(layout.push_delivery_prefix(account.id, day)):
                    self._remember(layout.push_delivery_of(key) or "")

    def add(self, received: Received) -> int | None:
        """Hold ``received`` for the next flush; its ticket, or ``None`` when it was stored before.

        Raises :class:`JournalFull` when :data:`MAX_PENDING` things are waiting (the store is
        failing): the caller tells the platform to try again later.
        """
        with self._cond:
            key = _dedupe_key(received)
            if key is not None and key in self._dedupe:
                return None
            if len(self._pending) >= MAX_PENDING:
                raise JournalFull(f"{len(self._pending)} pushed things are waiting for the store")
            if key is not None:
                self._remember(key)
            ticket = self._next_ticket
            self._next_ticket += 1
            self._pending.append((ticket, received))
            self._cond.notify_all()
            return ticket

    def wait_stored(self, ticket: int, timeout: float) -> bool:
        """Whether ``ticket`` was stored within ``timeout`` seconds."""
        with self._cond:
            self._cond.wait_for(lambda: self._done(ticket), timeout)
            return self._done(ticket) and ticket not in self._failed

    def known(self, account: Account, item_id: str) -> KnownItem | None:
        """The archive's latest version of ``item_id`` of ``account``, pushed ones included."""
        with self._flush_lock:
            return self._state(account).latest(item_id)

    # -- flushing ----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Flush every ``flush_seconds`` until ``stop`` is set, then flush what is left."""
        while not stop.wait(self.flush_seconds):
            self.flush()
        self.flush()

    def flush(self) -> None:
        """Store everything pending, one ``push`` run per account; failures stay pending."""
        with self._flush_lock:
            commits = [c for c in (checkpoint() for checkpoint in self.checkpoints) if c is not None]
            with self._cond:
                batch, self._pending = self._pending, []
            by_account: dict[str, list[tuple[int, Received]]] = defaultdict(list)
            for ticket, received in batch:
                by_account[received.account.id].append((ticket, received))
            retry: list[tuple[int, Received]] = []
            stored: list[Received] = []
            for entries in by_account.values():
                try:
                    self._store_run(entries[0][1].account, [r for _, r in entries])
                    stored.extend(r for _, r in entries)
                except Exception:
                    self.failures += 1
                    log.exception(
                        "%s: %d pushed things could not be stored; they are tried again",
                        entries[0][1].account.id,
                        len(entries),
                        extra={"account_id": entries[0][1].account.id},
                    )
                    retry.extend(entries)
                    self._states.pop(entries[0][1].account.id, None)  # read again from the store
            with self._cond:
                self._pending = retry + self._pending
                self._pending.sort(key=lambda e: e[0])
                self._stored_upto = self._pending[0][0] if self._pending else self._next_ticket
                self.stored_count += len(stored)
                self._cond.notify_all()
            for commit in commits if not retry else ():
                try:
                    commit()
                except Exception:
                    log.exception("a checkpoint after the flush failed; it is written at the next one")
        for received in stored:
            if self.on_stored is not None:
                try:
                    self.on_stored(received)
                except Exception:
                    log.exception("queueing the thread of a pushed item failed")

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._pending)

    def _done(self, ticket: int) -> bool:
        return ticket < self._stored_upto

    def _remember(self, key: str) -> None:
        if not key:
            return
        self._dedupe[key] = None
        self._dedupe.move_to_end(key)
        while len(self._dedupe) > MAX_DEDUPE_KEYS:
            self._dedupe.popitem(last=False)

    def _state(self, account: Account) -> KnownState:
        state = self._states.get(account.id)
        if state is None:
            since = self.clock.now() - dt.timedelta(days=account.recheck_days)
            state = load_state(self.store, account.id, since)
            self._states[account.id] = state
        return state

    def _store_run(self, account: Account, things: list[Received]) -> None:
        started = min(r.received_at for r in things)
        now = self.clock.now()
        run_date = stockholm_date(now)
        run_id = self.ids.run_id(account.id, now)
        retention = account.retention.for_night(run_date)
        redactor = Redactor(self._secrets)
        recorder: WarcRecorder[StoredObject] = WarcRecorder(
            self.store,
            key_for=lambda n: layout.warc_key(account.platform, account.id, run_date, run_id, n),
            warcinfo=self._warcinfo(account, run_id, run_date),
            retention=retention,
            tags=object_tags(account, "warc"),
            redactor=redactor,
            ids=self.ids,
            now=self.clock.now,
        )
        state = self._state(account)
        versioner = Versioner(state, account=account, run_id=run_id, run_date=run_date)
        rows: list[dict[str, Any]] = []
        markers: list[tuple[str, dict[str, Any]]] = []
        try:
            for thing in things:
                ref = recorder.record_received(
                    record_type=thing.record_type,
                    url=thing.url,
                    payload=thing.payload,
                    received_at=thing.received_at,
                    content_type=thing.content_type,
                    method=thing.method,
                    headers=thing.headers,
                    peer_ip=thing.peer_ip,
                )
                key = _dedupe_key(thing)
                if key is not None:
                    markers.append(
                        (
                            layout.push_delivery_key(account.id, run_date, key),
                            {
                                "key": key,
                                "run_id": run_id,
                                "warc_key": ref.warc_key,
                                "warc_offset": ref.offset,
                                "warc_record_id": ref.record_id,
                                "received_at": thing.received_at.isoformat(),
                            },
                        )
                    )
                if thing.item is None:
                    continue
                try:
                    snapshots = thing.item(ref)
                except Exception:
                    log.exception("%s: a pushed item could not be read; its record is kept", account.id)
                    continue
                for snapshot in snapshots:
                    rows.extend(versioner.seen(snapshot))
            objects: list[StoredObject] = []
            stored = recorder.flush()
        except BaseException:
            recorder.close()
            raise
        if stored is not None:
            objects.append(stored)
        if rows:
            created = [r["created_at"] or r["observed_at"] for r in rows]
            part_key = layout.items_key(account.id, run_date, run_id, 1, min(created), max(created))
            data = versioner.parquet(rows, {"run_id": run_id, "account_id": account.id})
            objects.append(
                self.store.put(part_key, data, retention=retention, tags=object_tags(account, "items"))
            )
            versioner.stored(part_key, rows)
        for key, body in markers:
            marker = put_once(
                self.store,
                key,
                json.dumps(body, sort_keys=True).encode() + b"\n",
                retention=retention,
                tags=object_tags(account, "delivery"),
            )
            if marker is not None:
                objects.append(marker)
        self._finish(account, run_id, run_date, started, versioner.counts, objects, retention)

    def _finish(
        self,
        account: Account,
        run_id: str,
        run_date: dt.date,
        started: dt.datetime,
        counts: RunCounts,
        objects: list[StoredObject],
        retention: Any,
    ) -> None:
        finished = self.clock.now()
        row = {
            "run_id": run_id,
            "account_id": account.id,
            "platform": account.platform,
            "board": account.board,
            "run_date": run_date,
            "started_at": started,
            "finished_at": finished,
            "status": "ok",
            "error": None,
            "warnings": [],
            "notes": [],
            "counts": dataclasses.asdict(counts),
            "threads": [],
            "credential_status": None,
            "credential_expires_at": None,
            "api_units": None,
            "http_requests": 0,
            "bytes_stored": sum(o.size for o in objects),
            "high_water": None,
            "recheck_from": None,
            "software": f"{PRODUCT}/{__version__}",
            "retention_class": retention.retention_class,
            "retain_until": retention.retain_until,
            "kind": "push",
        }
        runs_obj = put_once(
            self.store,
            layout.runs_key(run_date, run_id),
            to_parquet_bytes([row], RUNS_SCHEMA),
            retention=retention,
            tags=object_tags(account, "runs"),
        )
        manifest = build_manifest(
            run_id=run_id,
            account=account,
            run_date=run_date,
            status="ok",
            error=None,
            started_at=started,
            finished_at=finished,
            counts=counts,
            http_requests=0,
            objects=[*objects, *([runs_obj] if runs_obj else [])],
            retention=retention,
        )
        manifest["kind"] = "push"
        write_manifest(self.store, manifest, account, retention, self.signer)
        log.info(
            "%s: stored %d pushed things (%d item versions) as run %s",
            account.id,
            len(objects),
            counts.versions,
            run_id,
            extra={"account_id": account.id, "run_id": run_id},
        )

    def _warcinfo(self, account: Account, run_id: str, run_date: dt.date) -> dict[str, str]:
        return {
            "software": f"{PRODUCT}/{__version__} (warcio)",
            "operator": self.operator or "",
            "isPartOf": run_id,
            "description": f"What {account.platform} pushed for account {account.handle} "
            f"({account.id}, {account.board}), as received",
            "run-id": run_id,
            "run-date": run_date.isoformat(),
            "run-kind": "push",
            "account-id": account.id,
            "board": account.board,
            "platform": account.platform,
            "handle": account.handle,
        }


class JournalFull(Exception):
    """Too many pushed things wait for the store; the platform should send them again later."""


def _dedupe_key(received: Received) -> str | None:
    return f"{received.source}-{received.dedupe}" if received.dedupe else None
