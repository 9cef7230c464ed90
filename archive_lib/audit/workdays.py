"""Weekday hours in Stockholm: the clock of the municipality's 24-hour reply rule.

A weekday hour is an hour of real time that falls on a working day in Europe/Stockholm: Monday
to Friday, except Swedish public holidays. The calendar is the ``holidays`` library's Sweden
with its ``public`` category (the *allmänna helgdagar* of lag 1989:253: Nyårsdagen,
Trettondedag jul, Långfredagen, Annandag påsk, Första maj, Kristi himmelsfärdsdag,
Nationaldagen, Midsommardagen, Alla helgons dag, Juldagen, Annandag jul, and the Sundays among
them) and its ``de_facto`` category (Midsommarafton, Julafton, Nyårsafton, which semesterlagen
3 a § treats as Sundays and on which municipal offices are closed). Half days (the afternoon
before some holidays) count in full.

Days are Stockholm calendar days, so the 23- and 25-hour days of the clock changes count as
23 and 25 hours.
"""

from __future__ import annotations

import datetime as dt
import functools

from archive_lib.clock import STOCKHOLM, local_day_end, local_day_start

HOLIDAY_CATEGORIES = ("public", "de_facto")


@functools.lru_cache(maxsize=64)
def _holidays(year: int) -> dict[dt.date, str]:
    import holidays  # on first use: some 10 MiB every archivectl command would hold otherwise

    calendar = holidays.country_holidays("SE", years=year, categories=HOLIDAY_CATEGORIES, language="sv")
    return dict(calendar.items())


def holiday_name(day: dt.date) -> str | None:
    """The Swedish name of the public holiday on ``day``, or ``None``."""
    return _holidays(day.year).get(day)


def is_working_day(day: dt.date) -> bool:
    """Monday to Friday and not a Swedish public holiday (see the module docstring)."""
    return day.weekday() < 5 and holiday_name(day) is None


def weekday_hours(start: dt.datetime, end: dt.datetime) -> float:
    """Hours of working days in Stockholm between ``start`` and ``end`` (aware datetimes).

    ``0.0`` when ``end`` is not after ``start``.
    """
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if end <= start:
        return 0.0
    day = start.astimezone(STOCKHOLM).date()
    last = end.astimezone(STOCKHOLM).date()
    seconds = 0.0
    while day <= last:
        if is_working_day(day):
            begin = max(start, local_day_start(day))
            finish = min(end, local_day_end(day))
            if finish > begin:
                seconds += (finish - begin).total_seconds()
        day += dt.timedelta(days=1)
    return seconds / 3600.0


def add_weekday_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """The moment when ``hours`` weekday hours have passed since ``start`` (UTC)."""
    remaining = dt.timedelta(hours=hours)
    day = start.astimezone(STOCKHOLM).date()
    moment = start.astimezone(dt.UTC)
    while True:
        day_end = local_day_end(day)
        if is_working_day(day):
            begin = max(moment, local_day_start(day))
            available = day_end - begin
            if available >= remaining:
                return begin + remaining
            remaining -= available
        moment = day_end
        day += dt.timedelta(days=1)
