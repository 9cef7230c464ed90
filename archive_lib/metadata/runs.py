"""Reading the runs table: what happened on a night, account by account."""

from __future__ import annotations

import datetime as dt
from typing import Any

from archive_lib import layout
from archive_lib.metadata.parquet import read_parquet_bytes
from archive_lib.storage.base import ObjectStore


def latest_night(store: ObjectStore) -> dt.date | None:
    """The newest night with any run in the store."""
    last = None
    for key in store.list(f"{layout.RUNS}/run_date="):
        last = key
    if last is None:
        return None
    return dt.date.fromisoformat(last[len(f"{layout.RUNS}/run_date=") :].split("/", 1)[0])


def runs_of_night(store: ObjectStore, run_date: dt.date) -> list[dict[str, Any]]:
    """Every runs row of ``run_date``, by account and start time."""
    rows: list[dict[str, Any]] = []
    for key in store.list(layout.runs_prefix(run_date)):
        if key.endswith(".parquet"):
            with store.open(key) as handle:
                rows.extend(read_parquet_bytes(handle.read()).to_pylist())
    return sorted(rows, key=lambda r: (r["account_id"], r["started_at"]))


def night_report(store: ObjectStore, run_date: dt.date | None = None) -> dict[str, Any]:
    """``{"run_date": ..., "runs": [...]}`` for ``run_date`` or the latest night."""
    day = run_date or latest_night(store)
    return {"run_date": day, "runs": runs_of_night(store, day) if day else []}
