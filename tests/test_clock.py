"""Stockholm's days in UTC: where they start and end, and which day a moment falls on.

Sweden changes its clocks on the last Sunday of March (02:00 becomes 03:00, a 23-hour day) and
the last Sunday of October (03:00 becomes 02:00, a 25-hour day); every other day is 24 hours.
"""

from __future__ import annotations

import calendar
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from archive_lib.clock import (
    EARLIEST_DATE,
    LATEST_DATE,
    local_day_end,
    local_day_start,
    stockholm_date,
)

HOUR = dt.timedelta(hours=1)
TICK = dt.timedelta(microseconds=1)
days = st.dates(min_value=EARLIEST_DATE, max_value=LATEST_DATE)


def _last_sunday(year: int, month: int) -> dt.date:
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    return last - dt.timedelta(days=(last.weekday() - calendar.SUNDAY) % 7)


def _utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def test_the_spring_change_makes_a_23_hour_day() -> None:
    day = dt.date(2026, 3, 29)
    assert day == _last_sunday(2026, 3)
    assert local_day_start(day) == _utc(2026, 3, 28, 23)  # still winter time: UTC+1
    assert local_day_end(day) == _utc(2026, 3, 29, 22)  # summer time: UTC+2
    assert local_day_end(day) - local_day_start(day) == 23 * HOUR
    assert stockholm_date(_utc(2026, 3, 29, 21, 59, 59)) == day
    assert stockholm_date(_utc(2026, 3, 29, 22)) == dt.date(2026, 3, 30)


def test_the_autumn_change_makes_a_25_hour_day() -> None:
    day = dt.date(2026, 10, 25)
    assert day == _last_sunday(2026, 10)
    assert local_day_start(day) == _utc(2026, 10, 24, 22)  # summer time: UTC+2
    assert local_day_end(day) == _utc(2026, 10, 25, 23)  # winter time: UTC+1
    assert local_day_end(day) - local_day_start(day) == 25 * HOUR
    # The hour from 02:00 to 03:00 comes twice; both are the same day.
    assert stockholm_date(_utc(2026, 10, 25, 0, 30)) == day
    assert stockholm_date(_utc(2026, 10, 25, 1, 30)) == day
    assert stockholm_date(_utc(2026, 10, 25, 22, 59, 59)) == day


def test_day_bounds_are_utc() -> None:
    for bound in (local_day_start(dt.date(2026, 1, 1)), local_day_end(dt.date(2026, 7, 1))):
        assert bound.tzinfo is dt.UTC


@given(days)
def test_a_day_ends_where_the_next_begins_and_lasts_as_the_clock_changes_say(day: dt.date) -> None:
    start, end = local_day_start(day), local_day_end(day)
    assert end == local_day_start(day + dt.timedelta(days=1))
    if day == _last_sunday(day.year, 3):
        assert end - start == 23 * HOUR
    elif day == _last_sunday(day.year, 10):
        assert end - start == 25 * HOUR
    else:
        assert end - start == 24 * HOUR


@given(days)
def test_every_moment_of_a_day_is_on_that_day_in_stockholm(day: dt.date) -> None:
    start, end = local_day_start(day), local_day_end(day)
    assert stockholm_date(start) == day
    assert stockholm_date(end - TICK) == day
    assert stockholm_date(start - TICK) == day - dt.timedelta(days=1)
    assert stockholm_date(end) == day + dt.timedelta(days=1)


@given(
    st.datetimes(
        min_value=dt.datetime(2000, 1, 2), max_value=dt.datetime(2199, 12, 30), timezones=st.just(dt.UTC)
    )
)
def test_a_moment_lies_within_the_day_it_falls_on(moment: dt.datetime) -> None:
    day = stockholm_date(moment)
    assert local_day_start(day) <= moment < local_day_end(day)
