"""The runs table: one row per run of an account, written here and read here.

Every run writes its row through :func:`write_run_row`, naming its ``kind``
(:data:`~archive_lib.metadata.schema.RUN_KINDS`): ``nightly`` (the completeness pass),
``recent`` (a hot pass over the threads of the last hours), ``targeted`` (named threads only) or
``push`` (items a platform pushed). Rows written before the column existed read as ``nightly``
(:func:`run_kind`). A night's completeness, the nightly DAG's summary and the audit count the
``nightly`` runs; the others add versions between nights.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from archive_lib import layout
from archive_lib.errors import ObjectNotFoundError
from archive_lib.metadata.manifest import object_tags, put_once
from archive_lib.metadata.parquet import to_parquet_bytes
from archive_lib.metadata.parts import read_rows
from archive_lib.metadata.schema import RUN_KINDS, RUNS_SCHEMA
from archive_lib.models import Account
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore, StoredObject


def run_kind(row: Mapping[str, Any]) -> str:
    """The ``kind`` of a runs row (or a manifest); ``nightly`` for those written before it existed."""
    kind = row.get("kind")
    return str(kind) if kind else "nightly"


def check_kind(kind: str) -> str:
    """``kind`` if it is one of :data:`RUN_KINDS`, else ValueError."""
    if kind not in RUN_KINDS:
        raise ValueError(f"unknown run kind {kind!r}; one of {', '.join(RUN_KINDS)}")
    return kind


def write_run_row(
    store: ObjectStore,
    account: Account,
    row: Mapping[str, Any],
    *,
    kind: str,
    retention: ObjectRetention,
) -> StoredObject | None:
    """Store the runs row of one run; ``None`` when another process already wrote it.

    ``row`` holds the columns of :data:`RUNS_SCHEMA` (those left out are null); ``kind`` is what
    the run was, one of :data:`RUN_KINDS`: every writer of runs rows names it here.
    """
    data = to_parquet_bytes([{**row, "kind": check_kind(kind)}], RUNS_SCHEMA)
    return put_once(
        store,
        layout.runs_key(row["run_date"], row["run_id"]),
        data,
        retention=retention,
        tags=object_tags(account, "runs"),
    )


def latest_night(store: ObjectStore) -> dt.date | None:
    """The newest night with any run in the store."""
    last = None
    for key in store.list(f"{layout.RUNS}/run_date="):
        last = key
    if last is None:
        return None
    return dt.date.fromisoformat(last[len(f"{layout.RUNS}/run_date=") :].split("/", 1)[0])


def runs_of_night(store: ObjectStore, run_date: dt.date, kind: str | None = None) -> list[dict[str, Any]]:
    """Every runs row of ``run_date`` (of one ``kind`` only, when given), by account and start time."""
    rows: list[dict[str, Any]] = []
    for key in store.list(layout.runs_prefix(run_date)):
        if key.endswith(".parquet"):
            rows.extend(r for r in read_rows(store, key) if kind is None or run_kind(r) == kind)
    return sorted(rows, key=lambda r: (r["account_id"], r["started_at"]))


def read_run_row(store: ObjectStore, run_date: dt.date, run_id: str) -> dict[str, Any] | None:
    """The runs row of one run, or ``None`` when the run never wrote one (interrupted)."""
    try:
        rows = read_rows(store, layout.runs_key(run_date, run_id))
    except ObjectNotFoundError:
        return None
    return rows[0] if rows else None


def night_report(store: ObjectStore, run_date: dt.date | None = None) -> dict[str, Any]:
    """``{"run_date": ..., "runs": [...]}`` for ``run_date`` or the latest night."""
    day = run_date or latest_night(store)
    return {"run_date": day, "runs": runs_of_night(store, day) if day else []}
