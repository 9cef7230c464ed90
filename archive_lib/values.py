"""Reading a platform's values leniently: odd data is archived, never dropped.

Platforms and the people who write through them send what they like: a creation time in the
year 99 or 9999, no time zone, a date that is no date, an id or a language code as a JSON
number, ``null`` where text belongs. The WARC record keeps the response as it came whatever
happens; these readers make sure the Parquet row can be written too. A value that cannot be
read as the type its column has becomes ``None`` (or is turned into text), and the value as the
platform sent it is noted in the row's ``unparsed`` column, so nothing is lost and the night
carries a warning.

Every connector reads times and ids through :class:`Fields` (one per item), so the rule is the
same on every platform; :mod:`archive_lib.metadata.conform` applies it once more to each
finished row against the Parquet schema.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from archive_lib.clock import parse_utc

#: Longest text kept of a value the archive could not read (the WARC record holds it whole).
RAW_CHARS = 1000


def raw_text(value: object) -> str:
    """A value as the platform sent it, as JSON text, cut to :data:`RAW_CHARS` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: spelled as JSON escapes, which UTF-8 can hold
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):  # a circular structure cannot come from JSON, but be safe
        text = repr(value)
    return text if len(text) <= RAW_CHARS else text[: RAW_CHARS - 1] + "…"


def moment(value: object) -> dt.datetime | None:
    """A platform's timestamp as an aware UTC datetime, or ``None`` if it cannot be read."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if not isinstance(value, str):
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def ident(value: object) -> str | None:
    """An id as text: strings as they are, whole numbers as digits; anything else ``None``."""
    if isinstance(value, str):
        return value if value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


def count(value: object) -> int:
    """A counter from a platform: a whole number (also as text), anything else 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return 0


def dicts(value: object) -> list[dict[str, Any]]:
    """The JSON objects of a JSON list; anything else, or anything in it that is not one, is left out."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


class Fields:
    """The fields of one platform item, read leniently; ``unparsed`` notes what was odd."""

    def __init__(self) -> None:
        self.unparsed: list[tuple[str, str]] = []

    def note(self, field: str, value: object) -> None:
        self.unparsed.append((field, raw_text(value)))

    def time(self, field: str, value: object, *, required: bool = True) -> dt.datetime | None:
        """A timestamp; an unreadable one (or a missing required one) is ``None`` and noted."""
        if value is None and not required:
            return None
        parsed = moment(value)
        if parsed is None:
            self.note(field, value)
        return parsed

    def text(self, field: str, value: object) -> str:
        """Text; ``None`` is empty, a number or structure becomes its JSON text and is noted."""
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        self.note(field, value)
        return raw_text(value)

    def opt_text(self, field: str, value: object) -> str | None:
        """Optional text: ``None`` stays ``None``; see :meth:`text`."""
        return None if value is None else self.text(field, value)

    def ident(self, field: str, value: object) -> str | None:
        """An id (see :func:`ident`); a number turned into text is noted, as is anything unreadable."""
        found = ident(value)
        if value is not None and not isinstance(value, str):
            self.note(field, value)
        return found

    def count(self, field: str, value: object) -> int:
        """A counter (see :func:`count`); anything but a whole number is noted."""
        if value is not None and not (isinstance(value, int) and not isinstance(value, bool)):
            self.note(field, value)
        return count(value)

    def flag(self, field: str, value: object) -> bool:
        """A true/false value; anything but a boolean is read by its truth and noted."""
        if isinstance(value, bool):
            return value
        if value is not None:
            self.note(field, value)
        return bool(value)


def mapping(value: object) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: a nested object that is not one."""
    return value if isinstance(value, dict) else {}
