"""Reading the store's ``items`` Parquet for the registrars' services: parts, rows, item states.

Parts are immutable and named after the night and run that wrote them (see
:mod:`archive_lib.layout`), so a reader can tell new parts from ones it has seen by name alone.
Parts written by older code may lack newer columns; rows are read as dicts and missing columns
read as ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa

from archive_lib import layout
from archive_lib.errors import ArchiveError
from archive_lib.metadata.parquet import read_parquet_bytes
from archive_lib.metadata.schema import item_time
from archive_lib.storage.base import ObjectStore

#: The latest known state of an item, as registrars filter and see it.
STATES = ("new", "edited", "hidden", "deleted")

#: The event of a version that only adds attachment files an earlier night could not fetch.
FILES_ARCHIVED = "media"


def list_parts(store: ObjectStore) -> list[layout.ItemsPart]:
    """Every items part in the store, oldest night first, from key names alone."""
    parts = []
    for key in store.list(f"{layout.ITEMS}/"):
        part = layout.parse_items_key(key)
        if part is not None:
            parts.append(part)
    return sorted(parts, key=part_order)


def part_order(part: layout.ItemsPart) -> tuple[dt.date, str, int]:
    return (part.run_date, part.run_id, part.seq)


def read_part(store: ObjectStore, part: layout.ItemsPart) -> list[dict[str, Any]]:
    """The rows of one part, each with ``run_date`` and ``part_key`` added."""
    with store.open(part.key) as handle:
        data = handle.read()
    try:
        rows: list[dict[str, Any]] = read_parquet_bytes(data).to_pylist()
    except (pa.ArrowException, OSError) as e:
        raise ArchiveError(f"{part.key}: not a readable Parquet file: {e}") from e
    for row in rows:
        row["run_date"] = part.run_date
        row["part_key"] = part.key
    return rows


def iter_rows(store: ObjectStore, parts: Iterable[layout.ItemsPart]) -> Iterator[dict[str, Any]]:
    """Every row of ``parts``, part by part."""
    for part in parts:
        yield from read_part(store, part)


def item_state(versions: Sequence[Mapping[str, Any]]) -> str:
    """``deleted``, ``hidden``, ``edited`` or ``new``: the latest known state of an item.

    ``versions`` are the item's version rows (any order). The newest decides deletion and
    hiding; an item that was ever edited and is still visible is ``edited``. A ``media`` version
    (files an earlier night could not fetch, archived later) repeats the version before it and
    changes nothing here.
    """
    latest = max(versions, key=lambda v: int(v["version"]))
    if latest["event"] == "deleted":
        return "deleted"
    if latest.get("hidden") is True or latest["event"] == "hidden":
        return "hidden"
    if any(v["event"] == "edited" for v in versions):
        return "edited"
    return "new"


def version_time(row: Mapping[str, Any]) -> dt.datetime:
    """When a version came into being: its edit or creation on the platform, or, for a
    deletion, a visibility change (which platforms do not date) or late-archived files
    (``media``), the capture that saw it."""
    if row["event"] in ("new", "edited"):
        return row.get("edited_at") or item_time(row)
    return row["observed_at"]  # type: ignore[no-any-return]


def content_versions(versions: Iterable[Mapping[str, Any]]) -> int:
    """How many versions an item has, leaving out ``media`` rows (files archived late), which
    repeat the version before them."""
    return sum(1 for v in versions if v["event"] != FILES_ARCHIVED)
