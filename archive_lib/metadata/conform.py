"""Make a row fit its Parquet schema, whatever the platform sent: the last guard before writing.

The connectors read platform values leniently (:mod:`archive_lib.values`), but a JSON number
where an id, a language or a description was expected, a lone UTF-16 surrogate that no UTF-8
file can hold, or a structure where text belongs would still stop the Parquet writer, and with
it the night. :func:`conform` turns every value of a row into its column's type in place: text
becomes text, an unreadable time ``None``, and so on. What it had to change is returned as
``(field, value as sent)`` notes, which the capture keeps in the row's ``unparsed`` column; the
WARC record holds the response exactly as it came.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from archive_lib.values import moment, raw_text

Note = tuple[str, str]


def conform(row: dict[str, Any], schema: pa.Schema) -> list[Note]:
    """Coerce ``row``'s values to ``schema``'s types in place; the notes say what changed."""
    notes: list[Note] = []
    for field in schema:
        if field.name in row or not field.nullable:
            row[field.name] = _value(field.name, field, row.get(field.name), notes)
    return notes


def _value(path: str, field: pa.Field, value: Any, notes: list[Note]) -> Any:
    kind = field.type
    if value is None:
        if field.nullable:
            return None
        if pa.types.is_string(kind):
            return ""  # text the platform sent as null: empty text, as platforms mean it
        if pa.types.is_boolean(kind):
            return False
        return value  # the archive's own columns are never null: let the writer say so
    if pa.types.is_string(kind):
        return _text(path, value, notes)
    if pa.types.is_boolean(kind):
        if isinstance(value, bool):
            return value
        notes.append((path, raw_text(value)))
        return None if field.nullable else bool(value)
    if pa.types.is_integer(kind):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        notes.append((path, raw_text(value)))
        return None
    if pa.types.is_timestamp(kind):
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        parsed = moment(value)
        notes.append((path, raw_text(value)))
        return parsed
    if pa.types.is_date(kind):
        if isinstance(value, dt.date):
            return value
        notes.append((path, raw_text(value)))
        return None
    if pa.types.is_list(kind):
        if not isinstance(value, list | tuple):
            notes.append((path, raw_text(value)))
            return []
        element = kind.value_field
        return [_value(path, element, item, notes) for item in value]
    if pa.types.is_struct(kind):
        if not isinstance(value, dict):
            notes.append((path, raw_text(value)))
            return None
        out = {}
        for child in kind:
            out[child.name] = _value(f"{path}.{child.name}", child, value.get(child.name), notes)
        return out
    return value


def _text(path: str, value: Any, notes: list[Note]) -> str:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (JSON allows "\ud800"; UTF-8 does not)
            notes.append((path, raw_text(value)))
            return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
        return value
    notes.append((path, raw_text(value)))
    return raw_text(value)
