"""Make a row fit its Parquet schema, whatever the platform sent: the last guard before writing.

The connectors read platform values leniently (:mod:`archive_lib.values`), but a JSON number
where an id, a language or a description was expected, a lone UTF-16 surrogate that no UTF-8
file can hold, or a structure where text belongs would still stop the Parquet writer, and with
it the night. :func:`conform` turns every value of a row into its column's type in place: text
becomes text, an unreadable time ``None``, and so on. What it had to change is returned as
``(field, value as sent)`` notes, which the capture keeps in the row's ``unparsed`` column; the
WARC record holds the response exactly as it came.

The schema is read once into a plan of plain checks (:func:`_plan`), so a row of ordinary values
costs one type test per column.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from archive_lib.values import moment, raw_text

Note = tuple[str, str]
#: Makes one value fit (path, value, notes) -> value.
Fit = Callable[[str, Any, list[Note]], Any]


def conform(row: dict[str, Any], schema: pa.Schema) -> list[Note]:
    """Coerce ``row``'s values to ``schema``'s types in place; the notes say what changed."""
    notes: list[Note] = []
    for name, nullable, plain, fit in _plan(schema):
        value = row.get(name, _ABSENT)
        if value is _ABSENT or value is None:
            if nullable:
                continue
            value = None
        elif type(value) is plain and (plain is not str or value.isascii()):  # type: ignore[attr-defined]
            continue  # the common case: already of the column's type
        row[name] = fit(name, value, notes)
    return notes


_ABSENT = object()


@functools.cache
def _plan(schema: pa.Schema) -> tuple[tuple[str, bool, type | None, Fit], ...]:
    return tuple((f.name, f.nullable, _plain(f.type), _fit(f)) for f in schema)


def _plain(kind: pa.DataType) -> type | None:
    """The Python type a value of ``kind`` has when nothing needs doing (None: always look)."""
    if pa.types.is_string(kind):
        return str
    if pa.types.is_boolean(kind):
        return bool
    if pa.types.is_integer(kind):
        return int
    if pa.types.is_date(kind):
        return dt.date
    return None


def _fit(field: pa.Field) -> Fit:
    kind, nullable = field.type, field.nullable
    if pa.types.is_string(kind):
        return functools.partial(_text, nullable)
    if pa.types.is_boolean(kind):
        return functools.partial(_flag, nullable)
    if pa.types.is_integer(kind):
        return _integer
    if pa.types.is_timestamp(kind):
        return _timestamp
    if pa.types.is_date(kind):
        return _date
    if pa.types.is_list(kind):
        return functools.partial(_list, _fit(kind.value_field))
    if pa.types.is_struct(kind):
        children = tuple((child.name, _fit(child)) for child in kind)
        return functools.partial(_struct, children)
    return _as_is


def _text(nullable: bool, path: str, value: Any, notes: list[Note]) -> str | None:
    if type(value) is str:
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate (JSON allows "\ud800"; UTF-8 does not)
            notes.append((path, raw_text(value)))
            return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
        return value
    if value is None:
        return None if nullable else ""  # text the platform sent as null: empty, as it means
    notes.append((path, raw_text(value)))
    return raw_text(value)


def _flag(nullable: bool, path: str, value: Any, notes: list[Note]) -> bool | None:
    if value is None:
        return None if nullable else False
    if isinstance(value, bool):
        return value
    notes.append((path, raw_text(value)))
    return None if nullable else bool(value)


def _integer(path: str, value: Any, notes: list[Note]) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    notes.append((path, raw_text(value)))
    return None


def _timestamp(path: str, value: Any, notes: list[Note]) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    notes.append((path, raw_text(value)))
    return moment(value)


def _date(path: str, value: Any, notes: list[Note]) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    notes.append((path, raw_text(value)))
    return None


def _list(element: Fit, path: str, value: Any, notes: list[Note]) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        notes.append((path, raw_text(value)))
        return []
    return [element(path, item, notes) for item in value]


def _struct(children: tuple[tuple[str, Fit], ...], path: str, value: Any, notes: list[Note]) -> Any:
    if value is None:
        return None
    if not isinstance(value, dict):
        notes.append((path, raw_text(value)))
        return None
    return {name: fit(f"{path}.{name}", value.get(name), notes) for name, fit in children}


def _as_is(path: str, value: Any, notes: list[Note]) -> Any:
    return value
