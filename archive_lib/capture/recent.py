"""Hot passes and targeted captures: the threads of the last hours, within minutes.

The nightly pass misses what lives only a few hours: a comment posted at 10:00 and deleted at
15:00. A *hot pass* (``archivectl capture --recent``, the ``capture_recent`` DAG every 15
minutes) captures, for every account, the posts created in the last ``hours`` (72 by default)
with their whole threads, by the same code as the night (:mod:`archive_lib.capture.account`):
new comments, edits, hides, and deletions only after a complete walk of the thread and a direct
lookup (:mod:`archive_lib.connectors.walk`). It writes the same WARC files, items parts and
manifests; its runs row says ``kind = 'recent'``. A *targeted capture* reads only the threads it
is given (``kind = 'targeted'``; used by ``archivectl listen`` when a platform pushes news of a
thread); a platform whose connector cannot read one thread alone gets a hot pass instead.

Runs may overlap: a hot pass while the night or another hot pass captures the same account. The
account's write lease (:mod:`.lease`) serialises their commits and the merge rule (:mod:`.merge`)
drops what another run already stored, so no version is recorded twice. A hot pass records no
high-water mark and completes no interrupted run: the nightly pass stays the completeness pass.

Before each account, its platform's budget is checked (:mod:`.budget`): a pass that would spend
what the night needs is skipped, recorded as a runs row of status ``skipped`` with the reason.

The entry point for other parts of the archive (the push listener, the DAG, the CLI) is
:func:`capture_recent`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace

from archive_lib import PRODUCT, __version__
from archive_lib.capture.account import CaptureOptions, Progress, TokenSource, capture_account
from archive_lib.capture.budget import HOT_BUDGET_PERCENT, hot_pass_refusal
from archive_lib.capture.night import NightResult, select_accounts
from archive_lib.capture.tokens import env_tokens
from archive_lib.clock import Clock, IdFactory, SystemClock, stockholm_date
from archive_lib.errors import ConfigError, StoreError
from archive_lib.metadata.manifest import build_manifest, write_manifest
from archive_lib.metadata.runs import write_run_row
from archive_lib.models import Account, Inventory, RunCounts, RunResult
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)

DEFAULT_HOURS = 72
MAX_HOURS = 24 * 30
#: A hot pass is minutes of work; it gives up (keeping what it captured) after this long.
MAX_PASS_SECONDS = 3600.0


def capture_recent(
    inventory: Inventory,
    store: ObjectStore,
    *,
    account_ids: Sequence[str] = (),
    hours: float = DEFAULT_HOURS,
    threads: Mapping[str, Sequence[str]] | None = None,
    now: dt.datetime | None = None,
    kind: str | None = None,
    tokens: TokenSource = env_tokens,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    options: CaptureOptions | None = None,
    progress: Progress | None = None,
    budget_percent: float = HOT_BUDGET_PERCENT,
) -> NightResult:
    """A hot pass over the accounts ``account_ids`` (all when empty), or a targeted capture.

    * ``hours``: the posts created in the last ``hours`` before ``now`` are captured with their
      whole threads (``kind='recent'``).
    * ``threads``: account id -> post ids; only those threads of those accounts are captured
      (``kind='targeted'``; ``account_ids`` is then ignored). A platform that cannot read one
      thread alone makes a hot pass of ``hours`` for the account instead.
    * ``now``: the time the pass counts from (UTC; default the clock's); its Stockholm date is
      the run date of the objects written.
    * ``kind``: what the runs rows say; default ``'targeted'`` with ``threads``, else ``'recent'``.

    Accounts not active on the day are left out (``inactive``). Each account is the unit of
    failure as in a night; a store that fails stops the pass (``store_error``). An account whose
    platform budget is low is skipped and recorded (see :mod:`.budget`), not failed.
    Raises :class:`~archive_lib.errors.ConfigError` for unknown account ids or a bad ``hours``.
    """
    if not 0 < hours <= MAX_HOURS:
        raise ConfigError(f"hours must be more than 0 and at most {MAX_HOURS}, not {hours}")
    clock = clock or SystemClock()
    now = (now or clock.now()).astimezone(dt.UTC)
    kind = kind or ("targeted" if threads is not None else "recent")
    wanted = list(threads) if threads is not None else list(account_ids)
    accounts = select_accounts(inventory, wanted)
    if threads is not None and not wanted:
        accounts = []
    run_date = stockholm_date(now)
    options = options or CaptureOptions()
    options = replace(
        options,
        contact=options.contact or inventory.contact,
        operator=options.operator or inventory.organisation,
        http=replace(options.http, max_night_seconds=min(options.http.max_night_seconds, MAX_PASS_SECONDS)),
    )
    hot_from = now - dt.timedelta(hours=hours)
    inactive = [a.id for a in accounts if not a.is_active(run_date)]
    todo = [a for a in accounts if a.is_active(run_date)]
    results: list[RunResult] = []
    for index, account in enumerate(todo):
        try:
            refusal = hot_pass_refusal(store, account, now, limit_percent=budget_percent)
            if refusal is not None:
                results.append(_skipped(store, account, run_date, kind, refusal, clock, ids or IdFactory()))
                continue
            results.append(
                capture_account(
                    account,
                    store,
                    run_date,
                    tokens=tokens,
                    clock=clock,
                    ids=ids,
                    options=options,
                    progress=progress,
                    kind=kind,
                    hot_from=hot_from,
                    threads=tuple(threads.get(account.id, ())) if threads is not None else None,
                )
            )
        except StoreError as exc:
            log.error("the store failed while capturing %s: %s", account.id, exc)
            rest = tuple(a.id for a in todo[index:])
            return NightResult(run_date, tuple(results), tuple(inactive), rest, str(exc))
    return NightResult(run_date, tuple(results), tuple(inactive), ())


def _skipped(
    store: ObjectStore,
    account: Account,
    run_date: dt.date,
    kind: str,
    reason: str,
    clock: Clock,
    ids: IdFactory,
) -> RunResult:
    """Record a hot pass skipped for its budget: a runs row (status ``skipped``) and a manifest."""
    started = clock.now()
    run_id = ids.run_id(account.id, started)
    retention = account.retention.for_night(run_date)
    log.warning(
        "%s: hot pass skipped: %s", account.id, reason, extra={"account_id": account.id, "run_id": run_id}
    )
    row = {
        "run_id": run_id,
        "account_id": account.id,
        "platform": account.platform,
        "board": account.board,
        "run_date": run_date,
        "started_at": started,
        "finished_at": started,
        "status": "skipped",
        "error": None,
        "warnings": [],
        "notes": [f"hot pass skipped: {reason}"],
        "counts": asdict(RunCounts()),
        "http_requests": 0,
        "bytes_stored": 0,
        "software": f"{PRODUCT}/{__version__}",
        "retention_class": retention.retention_class,
        "retain_until": retention.retain_until,
    }
    stored = write_run_row(store, account, row, kind=kind, retention=retention)
    manifest = build_manifest(
        run_id=run_id,
        account=account,
        run_date=run_date,
        status="skipped",
        error=None,
        started_at=started,
        finished_at=started,
        counts=RunCounts(),
        http_requests=0,
        objects=[stored] if stored else [],
        retention=retention,
        warnings=[f"hot pass skipped: {reason}"],
        kind=kind,
    )
    write_manifest(store, manifest, account, retention)
    return RunResult(
        run_id=run_id,
        account_id=account.id,
        platform=account.platform,
        run_date=run_date,
        status="ok",
        error=f"hot pass skipped: {reason}",
        skipped=True,
    )
