"""Time and identity, injectable.

Every timestamp the archive writes comes from a :class:`Clock` and every identifier from an
:class:`IdFactory`, so tests can fix both and write expected bytes literally, and so that a
night's partitions follow the run date rather than the wall clock.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
import uuid
from typing import Protocol
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
UTC = dt.UTC
#: The days the archive's own dates (nights, activity periods, date filters) may name: older
#: than every social platform it captures, and far from the calendar's ends, where date
#: arithmetic (Stockholm midnight, retention years) overflows. Platform times are not bounded.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


class Clock(Protocol):
    """Tells the time (UTC, timezone-aware) and waits."""

    def now(self) -> dt.datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class IdFactory:
    """Makes run ids and WARC record ids; subclass or replace in tests for fixed values."""

    def run_id(self, account_id: str, started_at: dt.datetime) -> str:
        """``{account_id}_{YYYYMMDDTHHMMSSZ}_{4 hex}``: unique, sortable, names its account."""
        stamp = started_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{account_id}_{stamp}_{secrets.token_hex(2)}"

    def record_id(self) -> str:
        return f"<urn:uuid:{uuid.uuid4()}>"


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight in Stockholm at the start of ``day``, as a UTC datetime.

    In UTC because Python subtracts two datetimes of one zone by wall clock, which would make the
    days of the clock changes 24 hours long; in UTC they are 23 and 25.
    """
    return dt.datetime.combine(day, dt.time(0), STOCKHOLM).astimezone(UTC)


def local_day_end(day: dt.date) -> dt.datetime:
    """Midnight in Stockholm at the end of ``day`` (the next day's start, exclusive), as a UTC datetime."""
    return local_day_start(day + dt.timedelta(days=1))


def stockholm_date(moment: dt.datetime) -> dt.date:
    """The calendar date in Stockholm at ``moment``."""
    return in_stockholm(moment).date()


def in_stockholm(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Stockholm time; at the very ends of the calendar (the last hours of the
    year 9999, which platforms do send), where Stockholm's date does not exist, in UTC."""
    try:
        return moment.astimezone(STOCKHOLM)
    except OverflowError:
        return moment.astimezone(UTC)


def parse_utc(value: str) -> dt.datetime:
    """An ISO 8601 timestamp from a platform as an aware UTC datetime (naive means UTC).

    Raises ValueError for anything else, including a time that has no UTC equivalent within
    the years 1 to 9999 (``0001-01-01T00:00:00+01:00``).
    """
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {type(value).__name__}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"{text[:40]!r} lies outside the years 1 to 9999 in UTC") from exc


def run_id_account(run_id: str) -> str:
    """The account id a run id names."""
    return run_id.split("_", 1)[0]


def run_started(run_id: str) -> dt.datetime | None:
    """When a run started, as its id says (see :meth:`IdFactory.run_id`); None for another id."""
    try:
        stamp = run_id.split("_")[1]
        return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (IndexError, ValueError):
        return None
