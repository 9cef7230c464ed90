"""Completing runs that were interrupted (killed, crashed, machine lost) before their manifest.

Whatever an interrupted run stored stays valid: its items parts are read as state by the next
night, so nothing it recorded is captured twice, and what it did not get to is captured again.
What is missing is the account of it. The next run of the account finds such runs (objects
whose run id has no manifest) and writes, for each, a runs row with status ``failed`` (unless
the run wrote its own) and a manifest with status ``interrupted`` listing the objects it left.

A run may also have died between storing an object and storing that object's retention and tags
(the file store writes them in a sidecar after the object). Before the manifest lists an object,
an object the store holds without retention gets it back: the same bytes are put again under
the same key with the run's retention and tags, which a create-only store accepts as a repeat of
the first put and completes. An object of a run that did finish cannot be repaired here (its
manifest says the run is done and nothing reads it again); the audit reports it
(``sidecar_mismatch``, ``object_not_locked``).

Several runs may capture an account at once (a hot pass every 15 minutes beside the night, see
:mod:`archive_lib.capture.recent`). Only nightly runs complete interrupted runs, and they leave
alone a hot pass or targeted capture (its kind is read from its first WARC file's warcinfo) that
started less than :data:`LIVE_HOURS` hours ago: it may still be going. The runs row and the
manifest written for an interrupted run carry its kind.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from typing import BinaryIO

from archive_lib import layout
from archive_lib.clock import Clock, run_started
from archive_lib.errors import ArchiveError
from archive_lib.evidence.signing import Signer
from archive_lib.metadata.manifest import build_manifest, kind_of, object_tags, write_manifest
from archive_lib.metadata.runs import read_run_row, write_run_row
from archive_lib.metadata.schema import RUN_KINDS
from archive_lib.models import Account, RunCounts
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore, StoredObject
from archive_lib.warc.reader import warcinfo_fields

log = logging.getLogger(__name__)

#: A hot pass or targeted capture younger than this may still be going (their HTTP budget is one
#: hour, see :mod:`archive_lib.capture.recent`).
LIVE_HOURS = 2


def interrupted_runs(
    store: ObjectStore, account: Account, dates: list[dt.date], current_run: str
) -> dict[str, tuple[dt.date, list[str]]]:
    """Run ids of ``account`` on ``dates`` that stored objects but no manifest, with their keys."""
    found: dict[str, tuple[dt.date, list[str]]] = {}
    for day in dates:
        keys: dict[str, list[str]] = defaultdict(list)
        prefixes = (
            layout.warc_prefix(account.platform, account.id, day),
            f"{layout.items_prefix(account.id)}run_date={day:%Y-%m-%d}/",
            f"{layout.runs_prefix(day)}{account.id}_",
        )
        for prefix in prefixes:
            for key in store.list(prefix):
                run_id = layout.run_id_of(key)
                if run_id and run_id != current_run and run_id.startswith(f"{account.id}_"):
                    keys[run_id].append(key)
        if not keys:
            continue
        with_manifest = {
            layout.run_id_of(k) for k in store.list(f"{layout.manifest_prefix(day)}{account.id}_")
        }
        for run_id, run_keys in keys.items():
            if run_id not in with_manifest:
                found[run_id] = (day, sorted(run_keys))
    return found


def complete_interrupted(
    store: ObjectStore,
    account: Account,
    dates: list[dt.date],
    *,
    current_run: str,
    clock: Clock,
    signer: Signer | None = None,
) -> list[str]:
    """Write the missing runs rows and manifests (signed by ``signer``); returns the run ids completed."""
    completed = []
    for run_id, (day, keys) in sorted(interrupted_runs(store, account, dates, current_run).items()):
        retention = account.retention.for_night(day)
        started = run_started(run_id) or clock.now()
        now = clock.now()
        kind = _kind_of_run(store, keys)
        if kind != "nightly" and now - started < dt.timedelta(hours=LIVE_HOURS):
            continue  # a hot pass that may still be going
        keys = [*keys, *_leases_of(store, account, run_id)]
        error = f"interrupted before it finished (no manifest); completed by run {current_run}"
        objects = [_with_retention(store, key, account, retention, run_id, current_run) for key in keys]
        if read_run_row(store, day, run_id) is None:
            row: dict[str, object] = {
                "run_id": run_id,
                "account_id": account.id,
                "platform": account.platform,
                "board": account.board,
                "run_date": day,
                "started_at": started,
                "finished_at": now,
                "status": "failed",
                "error": error,
                "warnings": [],
                "counts": _zero_counts(),
                "http_requests": 0,
                "bytes_stored": sum(o.size for o in objects),
                "high_water": None,
                "recheck_from": None,
                "software": "",
                "retention_class": retention.retention_class,
                "retain_until": retention.retain_until,
            }
            stored = write_run_row(store, account, row, kind=kind, retention=retention)
            if stored is not None:
                objects.append(stored)
        manifest = build_manifest(
            run_id=run_id,
            account=account,
            run_date=day,
            status="interrupted",
            error=error,
            started_at=started,
            finished_at=now,
            counts=RunCounts(),
            http_requests=0,
            objects=objects,
            retention=retention,
            completed_by=current_run,
            kind=kind,
        )
        write_manifest(store, manifest, account, retention, signer)
        log.warning(
            "run %s was interrupted; its %d objects are now accounted for",
            run_id,
            len(keys),
            extra={"account_id": account.id, "run_id": current_run},
        )
        completed.append(run_id)
    return completed


def _leases_of(store: ObjectStore, account: Account, run_id: str) -> list[str]:
    """The write-lease slots (:mod:`archive_lib.capture.lease`) an interrupted run took: they are
    kept by time, so the slots of the days it ran are read for its run id."""
    started = run_started(run_id)
    if started is None:
        return []
    found = []
    for day in (started.date(), started.date() + dt.timedelta(days=1)):
        for key in store.list(f"{layout.LEASES}/{account.id}/{day:%Y-%m-%d}/"):
            try:
                with store.open(key) as handle:
                    body = json.loads(handle.read())
            except (ArchiveError, OSError, ValueError) as exc:
                log.warning("cannot read the lease %s: %s", key, exc, extra={"key": key})
                continue
            if isinstance(body, dict) and body.get("run_id") == run_id:
                found.append(key)
    return found


def _kind_of_run(store: ObjectStore, keys: list[str]) -> str:
    """The kind a run names in the warcinfo of its first WARC file; ``nightly`` when it has none."""
    warcs = sorted(k for k in keys if kind_of(k) == "warc")
    if not warcs:
        return "nightly"
    try:
        fields = warcinfo_fields(store, warcs[0], store.stat(warcs[0]).size)
    except (ArchiveError, OSError, ValueError) as exc:
        log.warning("cannot read the warcinfo of %s: %s", warcs[0], exc, extra={"key": warcs[0]})
        return "nightly"
    kind = fields.get("run-kind", "nightly")
    return kind if kind in RUN_KINDS else "nightly"


def _with_retention(
    store: ObjectStore,
    key: str,
    account: Account,
    retention: ObjectRetention,
    run_id: str,
    current_run: str,
) -> StoredObject:
    """``key`` as stored, after restoring its retention and tags if the store holds none."""
    stored = store.stat(key)
    if stored.retention is not None:
        return stored
    with _rewindable(store, key) as data:
        stored = store.put(key, data, retention=retention, tags=object_tags(account, kind_of(key)))
    outcome = "restored" if stored.retention is not None else "could not be restored (the audit reports it)"
    log.warning(
        "%s of interrupted run %s was stored without its retention and tags: %s",
        key,
        run_id,
        outcome,
        extra={"account_id": account.id, "run_id": current_run, "key": key},
    )
    return stored


@contextlib.contextmanager
def _rewindable(store: ObjectStore, key: str) -> Iterator[BinaryIO]:
    """The object's bytes as a stream ``put`` can measure and rewind."""
    with store.open(key) as handle:
        if handle.seekable():
            yield handle
            return
        with tempfile.TemporaryFile() as copy:
            shutil.copyfileobj(handle, copy)
            copy.seek(0)
            yield copy


def _zero_counts() -> dict[str, int]:
    return asdict(RunCounts())
