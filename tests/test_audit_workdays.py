"""Weekday hours in Stockholm: weekends and Swedish public holidays do not count."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from archive_lib.audit.response_times import is_question
from archive_lib.audit.workdays import add_weekday_hours, holiday_name, is_working_day, weekday_hours

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM)


def test_friday_afternoon_to_monday_morning_is_eighteen_weekday_hours() -> None:
    assert weekday_hours(local(2026, 11, 13, 16), local(2026, 11, 16, 10)) == 18.0


def test_a_public_holiday_does_not_count() -> None:
    # Kristi himmelsfärdsdag, Thursday 14 May 2026.
    assert holiday_name(dt.date(2026, 5, 14)) == "Kristi himmelsfärdsdag"
    assert weekday_hours(local(2026, 5, 13, 15), local(2026, 5, 15, 10)) == 19.0
    # The same times a week later, with no holiday between, are late.
    assert weekday_hours(local(2026, 5, 20, 15), local(2026, 5, 22, 10)) == 43.0


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 6, 19), False),  # Midsommarafton (a Friday): de facto holiday
        (dt.date(2026, 12, 24), False),  # Julafton
        (dt.date(2026, 12, 31), False),  # Nyårsafton
        (dt.date(2026, 1, 6), False),  # Trettondedag jul
        (dt.date(2026, 4, 3), False),  # Långfredagen
        (dt.date(2026, 4, 6), False),  # Annandag påsk
        (dt.date(2026, 4, 7), True),
        (dt.date(2026, 11, 21), False),  # a Saturday
        (dt.date(2026, 11, 23), True),
    ],
)
def test_working_days(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_clock_changes_count_real_hours() -> None:
    # 29 March 2026 is a Sunday; 30 March (Monday) is a normal 24-hour day after it.
    assert weekday_hours(local(2026, 3, 27, 0), local(2026, 3, 31, 0)) == 48.0
    # 25 October 2026 (Sunday) has 25 hours but is a weekend day.
    assert weekday_hours(local(2026, 10, 23, 12), local(2026, 10, 26, 12)) == 24.0


def test_adding_weekday_hours_inverts_counting() -> None:
    start = local(2026, 5, 13, 15)
    deadline = add_weekday_hours(start, 24)
    assert deadline == local(2026, 5, 15, 15).astimezone(dt.UTC)
    assert weekday_hours(start, deadline) == 24.0
    assert add_weekday_hours(local(2026, 11, 14, 12), 1) == local(2026, 11, 16, 1).astimezone(dt.UTC)


def test_no_time_passes_backwards() -> None:
    assert weekday_hours(local(2026, 11, 16, 10), local(2026, 11, 13, 16)) == 0.0


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("När öppnar badhuset igen?", True),
        ("Tack för svaret!", False),
        ("Läs mer på https://example.se/sida?id=3", False),
        ("Gäller det https://example.se/a?b=1 även i Åhus?", True),
        (None, False),
    ],
)
def test_question_heuristic(text: str | None, question: bool) -> None:
    assert is_question(text) is question
