"""The API budget of a hot pass: skip it when the platform's budget runs low.

The nightly pass is the completeness pass; hot passes every 15 minutes must never spend what the
night needs. Before each account's hot pass the archive looks at its own runs of the day:

* **YouTube** counts quota units (``api_units`` in the runs table; 10,000 units a day per
  project by default, reset at midnight Pacific time). When the runs since that midnight spent
  :data:`HOT_BUDGET_PERCENT` of the daily quota or more, the hot pass is skipped.
* **Facebook and Instagram** report the share of their rate-limit budget in use in every
  response's usage headers (``X-App-Usage``, ``X-Business-Use-Case-Usage``; Graph's window is one
  hour), kept as ``api_usage_percent`` in the runs table. When the account's latest run in the
  last hour ended at :data:`HOT_BUDGET_PERCENT` or more, the hot pass is skipped.
* Mastodon and Bluesky limit requests per five minutes, which a hot pass does not come near
  (README, "Capture within minutes"): the HTTP door waits out their rate limits as on any night.

A skipped pass is recorded (a runs row of status ``skipped`` naming the reason) and is not a
failure. The threshold is ``ARCHIVE_HOT_BUDGET_PERCENT`` (default 75).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from archive_lib import layout
from archive_lib.clock import stockholm_date
from archive_lib.metadata.parts import read_rows
from archive_lib.models import Account
from archive_lib.storage.base import ObjectStore

HOT_BUDGET_PERCENT = 75.0
YOUTUBE_DAILY_UNITS = 10_000
GRAPH_WINDOW = dt.timedelta(hours=1)
GRAPH_PLATFORMS = frozenset({"facebook", "instagram"})
PACIFIC = ZoneInfo("America/Los_Angeles")
_RECENT_RUNS = 5  # Graph: the newest runs of the account looked at


def hot_pass_refusal(
    store: ObjectStore, account: Account, now: dt.datetime, *, limit_percent: float = HOT_BUDGET_PERCENT
) -> str | None:
    """Why the hot pass of ``account`` is skipped now, or ``None`` when its budget allows it."""
    if account.platform == "youtube":
        midnight = dt.datetime.combine(now.astimezone(PACIFIC).date(), dt.time(0), PACIFIC)
        rows = [r for r in _runs_since(store, account, midnight, now) if r["started_at"] >= midnight]
        spent = sum(int(r.get("api_units") or 0) for r in rows)
        used = 100.0 * spent / YOUTUBE_DAILY_UNITS
        if used >= limit_percent:
            return (
                f"YouTube quota: the archive spent {spent} of {YOUTUBE_DAILY_UNITS} units since midnight "
                f"Pacific time ({used:.0f} %, the hot pass stops at {limit_percent:.0f} %); "
                "the rest is kept for the nightly pass"
            )
    elif account.platform in GRAPH_PLATFORMS:
        rows = _runs_since(store, account, now - GRAPH_WINDOW, now, newest=_RECENT_RUNS)
        seen = [
            r
            for r in rows
            if r.get("api_usage_percent") is not None and r["finished_at"] >= now - GRAPH_WINDOW
        ]
        if seen:
            latest = max(seen, key=lambda r: r["finished_at"])
            used = float(latest["api_usage_percent"])
            if used >= limit_percent:
                return (
                    f"Graph API usage: {used:.0f} % of the rate-limit budget in use after run "
                    f"{latest['run_id']} (X-App-Usage / X-Business-Use-Case-Usage; the hot pass stops at "
                    f"{limit_percent:.0f} %)"
                )
    return None


def _runs_since(
    store: ObjectStore, account: Account, since: dt.datetime, now: dt.datetime, newest: int | None = None
) -> list[dict[str, Any]]:
    """The account's runs rows of the Stockholm days from ``since`` to ``now`` (the ``newest``
    of them only, when given)."""
    keys: list[str] = []
    day = stockholm_date(since)
    while day <= stockholm_date(now):
        keys.extend(store.list(f"{layout.runs_prefix(day)}{account.id}_"))
        day += dt.timedelta(days=1)
    keys = [k for k in keys if k.endswith(".parquet")]
    if newest is not None:
        keys = sorted(keys, key=lambda k: k.rsplit("/", 1)[-1])[-newest:]
    rows: list[dict[str, Any]] = []
    for key in keys:
        rows.extend(read_rows(store, key))
    return rows
