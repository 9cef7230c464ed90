"""One audit: completeness, fixity, retention and response times over a period of nights."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from archive_lib.audit.completeness import check_completeness
from archive_lib.audit.evidence import check_evidence
from archive_lib.audit.fixity import DEFAULT_PERIOD_DAYS, check_fixity
from archive_lib.audit.holdings import Holdings, account_items, scan
from archive_lib.audit.lifecycle import lifecycle_section
from archive_lib.audit.moderation import moderation_summary
from archive_lib.audit.reminders import reminders_sent
from archive_lib.audit.report import KINDS, AuditReport, Period, Problem
from archive_lib.audit.response_times import account_response_times, board_response_times
from archive_lib.audit.retention import retention_overview
from archive_lib.audit.workdays import holiday_name
from archive_lib.clock import Clock, SystemClock, local_day_end, local_day_start, stockholm_date
from archive_lib.errors import ArchiveError, ConfigError
from archive_lib.evidence.timestamps import TrustAnchors
from archive_lib.metadata.moderation import notes_by_item
from archive_lib.models import Account, Inventory
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)

DEFAULT_NIGHTS = 30
#: Reminders about comments of the period are looked for this long after it.
REMINDER_MARGIN = dt.timedelta(days=14)


@dataclass(frozen=True)
class AuditOptions:
    """``full``: verify every object; otherwise the rotating sample of ``period_days``."""

    full: bool = False
    period_days: int = DEFAULT_PERIOD_DAYS
    want_timestamps: bool = False  # a TSA is configured: a signature without a .tsr is a problem
    tsa_anchors: TrustAnchors | None = None  # the TSA's CA: timestamps' chains are checked too


def audit_period(
    since: dt.date | None, until: dt.date | None, now: dt.datetime, nights: int = DEFAULT_NIGHTS
) -> Period:
    """The audited period: ``until`` defaults to today in Stockholm, ``since`` to ``nights`` before it."""
    until = until or stockholm_date(now)
    since = since or until - dt.timedelta(days=nights - 1)
    if since > until:
        raise ConfigError(f"--since {since} is after --until {until}")
    start = local_day_start(since)
    end = local_day_end(until)
    return Period(since, until, start, end, min(end, now))


def run_audit(
    store: ObjectStore,
    inventory: Inventory,
    period: Period,
    *,
    options: AuditOptions | None = None,
    clock: Clock | None = None,
) -> AuditReport:
    """Audit ``store`` against ``inventory`` for ``period``; never changes the store."""
    options = options or AuditOptions()
    if options.period_days < 1:
        raise ConfigError("the fixity period must be at least one day")
    now = (clock or SystemClock()).now()
    holdings = scan(store, period.since, period.until)
    captured = holdings.accounts_in_store()
    items = {a.id: account_items(store, a.id) for a in inventory.accounts if a.id in captured}
    completeness = check_completeness(inventory, holdings, period, items)
    fixity = check_fixity(
        store,
        holdings,
        today=stockholm_date(now),
        last_night=period.until,
        full=options.full,
        period_days=options.period_days,
    )
    evidence = check_evidence(
        store, holdings, period, want_timestamps=options.want_timestamps, anchors=options.tsa_anchors
    )
    retention = retention_overview(holdings, inventory, stockholm_date(now))
    lifecycle, lifecycle_problems = lifecycle_section(store, holdings)
    response, response_items = _response_times(store, inventory, holdings, items, period)
    boards = board_response_times(response, {a.id: a.board for a in inventory.accounts})
    report = AuditReport(
        period=period,
        generated_at=now,
        store_url=store.url,
        inventory_path=inventory.path,
        organisation=inventory.organisation,
        accounts=[_account_entry(a, holdings.first_night(a.id)) for a in inventory.accounts],
        nights=completeness.nights,
        night_details=completeness.night_details,
        problems=_in_report_order([*completeness.problems, *fixity.problems, *evidence, *lifecycle_problems]),
        fixity=fixity.summary,
        retention=retention,
        comment_counts=completeness.comment_counts,
        credentials=completeness.credentials,
        response_times=response,
        response_boards=boards,
        response_items=response_items,
        notes=_holidays(period),
        moderation=moderation_summary(items, notes_by_item(store), period),
        lifecycle=lifecycle,
    )
    log.debug("%s", report.summary())
    return report


def _response_times(
    store: ObjectStore,
    inventory: Inventory,
    holdings: Holdings,
    items: dict[str, list[dict[str, Any]]],
    period: Period,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Per captured account: its response-time figures, and the items behind them."""
    response: dict[str, dict[str, Any]] = {}
    response_items: dict[str, dict[str, Any]] = {}
    for account in inventory.accounts:
        if account.id not in items:
            continue
        as_of = min(period.as_of, _last_capture(holdings.runs_rows.values(), account.id) or period.as_of)
        figures, details = account_response_times(
            items[account.id], start=period.start, end=period.end, as_of=as_of
        )
        response[account.id] = figures
        response_items[account.id] = details
    _join_reminders(store, period, response_items)
    return response, response_items


def _join_reminders(store: ObjectStore, period: Period, response_items: dict[str, dict[str, Any]]) -> None:
    """Beside each comment not answered in time, the reminders the staff were sent about it."""
    try:
        sent = reminders_sent(store, period.start, period.as_of + REMINDER_MARGIN)
    except ArchiveError as exc:
        log.warning("reminders not readable: %s", exc)
        return
    for account_id, details in response_items.items():
        for item_id, detail in details.items():
            detail["reminders"] = sent.get(f"{account_id}\x00{item_id}", [])


def _in_report_order(problems: list[Problem]) -> list[Problem]:
    """Problems by kind (in the order of ``KINDS``), then account, night and key."""
    order = {kind: n for n, kind in enumerate(KINDS)}
    return sorted(
        problems,
        key=lambda p: (order.get(p.kind, 99), p.account_id or "", p.run_date or dt.date.min, p.key or ""),
    )


def _last_capture(rows: Iterable[dict[str, Any]], account_id: str) -> dt.datetime | None:
    times = [r["finished_at"] for r in rows if r["account_id"] == account_id and r.get("status") == "ok"]
    return max(times) if times else None


def _account_entry(account: Account, first_night: dt.date | None) -> dict[str, Any]:
    return {
        "id": account.id,
        "board": account.board,
        "platform": account.platform,
        "handle": account.handle,
        "responsible": account.responsible,
        "substitute": account.substitute,
        "retention_class": account.retention.name,
        "active_from": account.active_from.isoformat() if account.active_from else None,
        "active_to": account.active_to.isoformat() if account.active_to else None,
        "first_night": first_night.isoformat() if first_night else None,
    }


def _holidays(period: Period) -> list[str]:
    days = [(d, holiday_name(d)) for d in period.nights()]
    named = [f"{d.isoformat()} {name}" for d, name in days if name and d.weekday() < 5]
    if not named:
        return []
    return ["Public holidays on weekdays in the period (no weekday hours): " + ", ".join(named)]
