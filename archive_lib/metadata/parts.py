"""The store's Parquet parts: items parts found by their names, and the rows of any part.

Parts are immutable and named after the account, the night and the run that wrote them and the
creation times of the items they hold (see :mod:`archive_lib.layout`), so a listing of names
says which parts exist, which are new to a reader, and which can hold an item, without
opening one. Every reader of items and runs rows reads through here: the capture's known
state, the runs table, the search index, the thread view and the audit.

Parts written by older code may lack newer columns: such a column is absent from their rows
(read it with ``row.get``). Rows are read one part at a time; :func:`iter_rows` holds no more
than one part in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator
from typing import Any

import pyarrow as pa

from archive_lib import layout
from archive_lib.errors import ArchiveError
from archive_lib.metadata.parquet import iter_parquet_rows, parquet_rows
from archive_lib.storage.base import ObjectStore

#: ``(column, values)``: only the rows whose text column holds one of the values.
Where = tuple[str, Collection[str]]


def account_parts(store: ObjectStore, account_id: str) -> list[layout.ItemsPart]:
    """Every items part of the account, in key order, from key names alone."""
    return _parts(store, layout.items_prefix(account_id))


def store_parts(store: ObjectStore) -> list[layout.ItemsPart]:
    """Every items part in the store, oldest night first (see :func:`part_order`), from key
    names alone."""
    return sorted(_parts(store, f"{layout.ITEMS}/"), key=part_order)


def part_order(part: layout.ItemsPart) -> tuple[dt.date, str, int]:
    """The order parts were written in: by night, run and sequence number."""
    return (part.run_date, part.run_id, part.seq)


def read_rows(
    store: ObjectStore, key: str, columns: Iterable[str] | None = None, *, where: Where | None = None
) -> list[dict[str, Any]]:
    """The rows of the Parquet object at ``key`` (an items or a runs part): every column, or
    those of ``columns`` it has. Raises what the store and pyarrow raise."""
    with store.open(key) as handle:
        data = handle.read()
    return parquet_rows(data, columns, where=where)


def read_part(
    store: ObjectStore,
    part: layout.ItemsPart,
    columns: Iterable[str] | None = None,
    *,
    where: Where | None = None,
) -> list[dict[str, Any]]:
    """The rows of one items part, each with its night (``run_date``) and ``part_key`` added.

    A part that is not readable Parquet raises :class:`ArchiveError` naming it.
    """
    with store.open(part.key) as handle:
        data = handle.read()
    try:
        rows = parquet_rows(data, columns, where=where)
    except (pa.ArrowException, OSError) as e:
        raise ArchiveError(f"{part.key}: not a readable Parquet file: {e}") from e
    for row in rows:
        row["run_date"] = part.run_date
        row["part_key"] = part.key
    return rows


def stream_part(
    store: ObjectStore, part: layout.ItemsPart, columns: Iterable[str] | None = None
) -> Iterator[dict[str, Any]]:
    """The rows of one items part as :func:`read_part` gives them, made into Python objects a
    thousand at a time: for a reader that keeps less than the whole part."""
    with store.open(part.key) as handle:
        data = handle.read()
    try:
        for row in iter_parquet_rows(data, columns):
            row["run_date"] = part.run_date
            row["part_key"] = part.key
            yield row
    except (pa.ArrowException, OSError) as e:
        raise ArchiveError(f"{part.key}: not a readable Parquet file: {e}") from e


def iter_rows(
    store: ObjectStore, parts: Iterable[layout.ItemsPart], columns: Iterable[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every row of ``parts`` as :func:`read_part` gives them, part by part: one part in memory
    at a time."""
    wanted = None if columns is None else tuple(columns)
    for part in parts:
        yield from read_part(store, part, wanted)


def _parts(store: ObjectStore, prefix: str) -> list[layout.ItemsPart]:
    parts = []
    for key in store.list(prefix):
        part = layout.parse_items_key(key)
        if part is not None:
            parts.append(part)
    return parts
