"""What the store holds, read once for the whole audit.

One listing of every key, every manifest, and the runs rows of the audited nights. Items rows
are read per account on demand, with only the columns the audit needs (parts written by older
code may lack newer columns; they are read all the same).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from archive_lib import layout
from archive_lib.clock import run_id_account
from archive_lib.errors import StoreError
from archive_lib.evidence.keys import is_key_file
from archive_lib.evidence.signing import document_of
from archive_lib.metadata.disposals import DisposalState, Disposed, disposal_state
from archive_lib.metadata.parts import account_parts, read_rows
from archive_lib.storage.base import NEVER_DISPOSED, ObjectStore

log = logging.getLogger(__name__)

_RUNS_DATE = len(f"{layout.RUNS}/run_date=")


@dataclass
class Holdings:
    """Every key in the store, grouped, with the manifests and the audited nights' runs rows."""

    keys: list[str]
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)  # run id -> manifest
    manifest_keys: dict[str, str] = field(default_factory=dict)  # run id -> its manifest's key
    unreadable_manifests: dict[str, str] = field(default_factory=dict)  # key -> why
    run_keys: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # run id -> keys
    run_nights: dict[str, dt.date] = field(default_factory=dict)  # run id -> night
    runs_rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # run id -> row (audited nights)
    unreadable_runs: dict[str, str] = field(default_factory=dict)  # key -> why
    # What disposals by decision removed: their objects are expected gone, their nights disposed.
    disposed: DisposalState = field(default_factory=DisposalState)
    disposed_runs: dict[str, Disposed] = field(default_factory=dict)  # run id -> its manifest's disposal

    def accounts_in_store(self) -> set[str]:
        """Every account id the store holds a run of."""
        return {run_id_account(run_id) for run_id in self.run_nights}

    def first_night(self, account_id: str) -> dt.date | None:
        """The earliest night the store holds any run of ``account_id``."""
        nights = [n for r, n in self.run_nights.items() if run_id_account(r) == account_id]
        return min(nights) if nights else None


def night_of(key: str) -> dt.date | None:
    """The night in an object's key (WARC, items, runs or manifest), if it has one."""
    try:
        if key.startswith(f"{layout.WARC}/"):
            parts = key.split("/")
            return dt.date(int(parts[3]), int(parts[4]), int(parts[5]))
        if key.startswith(f"{layout.MANIFESTS}/"):
            return dt.date.fromisoformat(key.split("/")[1])
        if key.startswith((f"{layout.RUNS}/", f"{layout.ITEMS}/")):
            for segment in key.split("/"):
                if segment.startswith("run_date="):
                    return dt.date.fromisoformat(segment[len("run_date=") :])
    except (IndexError, ValueError):
        return None
    return None


def scan(store: ObjectStore, since: dt.date, until: dt.date) -> Holdings:
    """List the store, read every manifest and the runs rows of the nights ``since``..``until``."""
    holdings = Holdings(keys=list(store.list("")))
    holdings.disposed = disposal_state(store)
    for key in holdings.keys:
        if key.startswith(
            (f"{layout.AUDIT}/", f"{layout.EXPORTS}/", f"{layout.DELIVERIES}/", *NEVER_DISPOSED)
        ):
            continue  # written outside any run
        if document_of(key) is not None or is_key_file(key):
            continue  # a signature, a timestamp or a public key: evidence, not a run's object
        run_id = layout.run_id_of(key)
        night = night_of(key)
        if run_id is None or night is None:
            continue
        holdings.run_nights.setdefault(run_id, night)
        if key.startswith(f"{layout.MANIFESTS}/"):
            holdings.manifest_keys[run_id] = key
            _read_manifest(store, key, run_id, holdings)
        else:
            holdings.run_keys[run_id].append(key)
        if key.startswith(f"{layout.RUNS}/") and since <= night <= until:
            _read_runs_row(store, key, run_id, holdings)
    stored = set(holdings.keys)
    for key, why in holdings.disposed.objects.items():
        run_id, night = layout.run_id_of(key), night_of(key)
        if key in stored or run_id is None or night is None:
            continue
        holdings.run_nights.setdefault(run_id, night)
        if key.startswith(f"{layout.MANIFESTS}/"):
            holdings.disposed_runs[run_id] = why
    return holdings


def _read_manifest(store: ObjectStore, key: str, run_id: str, holdings: Holdings) -> None:
    try:
        with store.open(key) as handle:
            manifest = json.loads(handle.read())
        if not isinstance(manifest, dict) or not isinstance(manifest.get("objects"), list):
            raise ValueError("not a manifest (no list of objects)")
    except (StoreError, ValueError, UnicodeDecodeError) as exc:
        holdings.unreadable_manifests[key] = str(exc)
        return
    holdings.manifests[run_id] = manifest


def _read_runs_row(store: ObjectStore, key: str, run_id: str, holdings: Holdings) -> None:
    try:
        rows = read_rows(store, key)
    except (StoreError, OSError, ValueError) as exc:
        holdings.unreadable_runs[key] = str(exc)
        return
    if rows:
        holdings.runs_rows[run_id] = rows[0]


ITEM_COLUMNS = (
    "item_id",
    "item_type",
    "parent_id",
    "post_id",
    "author_is_account",
    "text",
    "url",
    "created_at",
    "observed_at",
    "event",
    "version",
    "run_id",
    "board",
    "hidden",  # the moderation summary (audit/moderation.py)
)


def account_items(store: ObjectStore, account_id: str) -> list[dict[str, Any]]:
    """Every item version row of ``account_id``, in the columns the audit reads."""
    rows: list[dict[str, Any]] = []
    for part in account_parts(store, account_id):
        try:
            rows.extend(read_rows(store, part.key, ITEM_COLUMNS))
        except (StoreError, OSError, ValueError) as exc:
            # Fixity reports the broken part; the response times go on without it.
            log.warning("cannot read %s: %s", part.key, exc, extra={"key": part.key})
    return rows
