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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from typing import BinaryIO

from archive_lib import layout
from archive_lib.clock import Clock, run_started
from archive_lib.evidence.signing import Signer
from archive_lib.metadata.manifest import build_manifest, kind_of, object_tags, put_once, write_manifest
from archive_lib.metadata.parquet import to_parquet_bytes
from archive_lib.metadata.runs import read_run_row
from archive_lib.metadata.schema import RUNS_SCHEMA
from archive_lib.models import Account, RunCounts
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore, StoredObject

log = logging.getLogger(__name__)


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
        error = f"interrupted before it finished (no manifest); completed by run {current_run}"
        objects = [_with_retention(store, key, account, retention, run_id, current_run) for key in keys]
        if read_run_row(store, day, run_id) is None:
            row = {
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
            stored = put_once(
                store,
                layout.runs_key(day, run_id),
                to_parquet_bytes([row], RUNS_SCHEMA),
                retention=retention,
                tags=object_tags(account, "runs"),
            )
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
