"""Reading the runs table: what happened on a night, account by account."""

from __future__ import annotations

import datetime as dt
from typing import Any

from archive_lib import layout
from archive_lib.errors import ObjectNotFoundError
from archive_lib.metadata.parts import read_rows
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
            rows.extend(read_rows(store, key))
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
