"""The language the archive writes in for people: the registrars' web view, the release package's
renditions and the audit report. Swedish by default; English selectable.

Words come from gettext catalogues (``archive_lib/locale/{sv,en}/LC_MESSAGES/archive.po``,
compiled to ``.mo`` beside them; ``make translations`` extracts, updates and compiles them), so
a translator works in the ``.po`` files and never in code. Message ids are the English text;
placeholders are named, ``%(name)s``, as Jinja2's i18n extension writes them.

Dates and numbers follow the language (Babel's CLDR data): Swedish ``2026-11-27 kl. 12.00``,
English ``27 Nov 2026, 12:00``, always in Stockholm time. Archived text is never translated: only
the archive's own words around it are.

Which language: the web view follows the browser's ``Accept-Language``
(:func:`from_accept_language`); what the command line and the DAGs write follows the setting
``ARCHIVE_LANGUAGE`` (or the Airflow Variable ``archive_language``), else Swedish.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import importlib.resources
import re
from typing import Any

import markupsafe
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from archive_lib.clock import STOCKHOLM, in_stockholm
from archive_lib.errors import ConfigError

#: The languages the archive writes in, the default first.
SUPPORTED = ("sv", "en")
DEFAULT = "sv"
DOMAIN = "archive"
#: The most of an ``Accept-Language`` header that is read, and of its entries.
MAX_HEADER = 1024
MAX_ENTRIES = 32

_STAMP = {"sv": "yyyy-MM-dd 'kl.' HH.mm", "en": "d MMM yyyy, HH:mm"}
_ENTRY = re.compile(r"^\s*([A-Za-z]{1,8}|\*)(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]{1,5}))?\s*$")


def N_(message: str) -> str:
    """Mark ``message`` for the catalogues without translating it here (it is translated where
    it is shown)."""
    return message


class Language:
    """One language's words, dates and numbers. Get one with :func:`language`."""

    def __init__(self, code: str, translations: gettext.NullTranslations) -> None:
        self.code = code
        self.translations = translations

    def gettext(self, message: str, **values: Any) -> str:
        """``message`` in this language, with ``%(name)s`` placeholders filled from ``values``."""
        text = self.translations.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, num: int, **values: Any) -> str:
        """The form of ``singular``/``plural`` for ``num``; ``%(num)s`` is the number, as written
        by :meth:`number`."""
        return self.translations.ngettext(singular, plural, num) % {"num": self.number(num), **values}

    def html(self, message: str, **values: Any) -> str:
        """:meth:`gettext` for HTML: the translation and every value escaped (a value that is
        already :class:`markupsafe.Markup` is kept as it is)."""
        text = markupsafe.escape(self.translations.gettext(message))
        return str(text % values if values else text)

    def stamp(self, value: Any) -> str:
        """A moment in Stockholm time as people read it in this language (an ISO string is read
        first); nothing for None. Past the calendar's end, where Stockholm's date does not exist,
        in UTC and marked so."""
        if isinstance(value, str):
            value = dt.datetime.fromisoformat(value)
        if not isinstance(value, dt.datetime):
            return "" if value is None else str(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        local = in_stockholm(value)
        zone = "" if local.tzinfo == STOCKHOLM else " UTC"
        return format_datetime(local, _STAMP[self.code], locale=self.code) + zone

    def month(self, day: dt.date) -> str:
        """The month and year of ``day`` (``november 2026``, ``November 2026``)."""
        return format_date(day, "LLLL yyyy", locale=self.code)

    def weekday(self, day: dt.date) -> str:
        """The name of ``day``'s weekday (``fredag``, ``Friday``)."""
        return format_date(day, "EEEE", locale=self.code)

    def number(self, value: float, decimals: int = 0) -> str:
        """A number with this language's grouping and decimal mark (``1 234,5``, ``1,234.5``)."""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.code)

    def percent(self, share: float, decimals: int = 0) -> str:
        """A share as a percentage (``85 %``, ``85%``; ``12,5 %`` with one decimal)."""
        pattern = Locale.parse(self.code).percent_formats[None].pattern
        if decimals:
            pattern = pattern.replace("#,##0", "#,##0." + "0" * decimals, 1)
        return format_percent(share, format=pattern, locale=self.code)


@functools.cache
def language(code: str = DEFAULT) -> Language:
    """The language ``code`` (``sv`` or ``en``); ConfigError for any other. Its catalogue must be
    installed: a missing one is a broken install, not a reason to fall back to English."""
    if code not in SUPPORTED:
        raise ConfigError(f"language {code!r} is not available: choose {' or '.join(SUPPORTED)}")
    folder = importlib.resources.files("archive_lib") / "locale"
    try:
        translations = gettext.translation(DOMAIN, str(folder), languages=[code])
    except OSError as exc:
        raise ConfigError(f"the {code} catalogue of the archive is not installed ({folder}): {exc}") from exc
    return Language(code, translations)


def from_setting(value: str | None) -> Language:
    """The language a setting names (``ARCHIVE_LANGUAGE``); Swedish when it names none."""
    return language((value or DEFAULT).strip().lower())


def from_accept_language(header: str | None, default: str = DEFAULT) -> Language:
    """The language a browser asks for first among those the archive writes in (RFC 9110
    ``Accept-Language``: ``en-GB,en;q=0.9,sv;q=0.8``); ``default`` when it asks for none of them.

    The header is read within bounds (:data:`MAX_HEADER` characters, :data:`MAX_ENTRIES`
    entries); an entry that cannot be read is passed over."""
    best: tuple[float, int, str] | None = None
    for position, entry in enumerate((header or "")[:MAX_HEADER].split(",")[:MAX_ENTRIES]):
        match = _ENTRY.match(entry)
        if not match:
            continue
        try:
            weight = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        code = match.group(1).lower()
        if code == "*":
            code = default
        if code in SUPPORTED and 0 < weight <= 1 and (best is None or weight > best[0]):
            best = (weight, position, code)
    return language(best[2] if best else default)
