"""Arrow schemas of the archive's Parquet tables. Every column is documented in README.md.

``items``: one row per captured version of a post or comment.
``runs``: one row per account and night.
Ids are strings as the platforms give them; timestamps are UTC with microseconds. A platform
value that does not fit its column (an unreadable time, a number where text belongs) is read
leniently (:mod:`archive_lib.values`, :mod:`archive_lib.metadata.conform`) and noted, as sent,
in ``unparsed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from archive_lib.models import WarcPointer

TS = pa.timestamp("us", tz="UTC")

WARC_POINTER = [
    pa.field("warc_key", pa.string()),
    pa.field("warc_offset", pa.int64()),
    pa.field("warc_length", pa.int64()),
    pa.field("warc_record_id", pa.string()),
]

#: The names of a WARC pointer's columns, in an items row, in each of its ``media`` and in a
#: search hit.
POINTER_COLUMNS = tuple(f.name for f in WARC_POINTER)


def pointer_columns(pointer: WarcPointer | None) -> dict[str, Any]:
    """The ``warc_*`` columns holding ``pointer``: all null for an attachment no response was
    recorded for. The only writer of these columns; :func:`pointer_of` is the only reader."""
    if pointer is None:
        return dict.fromkeys(POINTER_COLUMNS)
    return {
        "warc_key": pointer.warc_key,
        "warc_offset": pointer.offset,
        "warc_length": pointer.length,
        "warc_record_id": pointer.record_id,
    }


def pointer_of(columns: Mapping[str, Any]) -> WarcPointer | None:
    """The pointer held in the ``warc_*`` columns of an items row, of one of its ``media`` or
    of a search hit; ``None`` where they name no WARC file."""
    if not columns.get("warc_key"):
        return None
    return WarcPointer(
        warc_key=columns["warc_key"],
        offset=int(columns["warc_offset"]),
        length=int(columns["warc_length"]),
        record_id=columns["warc_record_id"],
    )


MEDIA = pa.struct(
    [
        pa.field("media_id", pa.string()),
        pa.field("media_type", pa.string()),
        pa.field("url", pa.string()),
        pa.field("description", pa.string()),
        pa.field("http_status", pa.int32()),
        pa.field("sha256", pa.string()),
        pa.field("size", pa.int64()),
        *WARC_POINTER,
        pa.field("error", pa.string()),  # absent from parts written before it existed
    ]
)

QUOTE = pa.struct(
    [
        pa.field("item_id", pa.string()),
        pa.field("url", pa.string()),
        pa.field("state", pa.string()),
    ]
)

#: A value the archive could not read as its column's type, as the platform sent it (JSON text).
UNPARSED = pa.struct([pa.field("field", pa.string()), pa.field("value", pa.string())])

ITEMS_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("board", pa.string(), nullable=False),
        pa.field("item_id", pa.string(), nullable=False),
        pa.field("item_type", pa.string(), nullable=False),
        pa.field("parent_id", pa.string()),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("author_id", pa.string(), nullable=False),
        pa.field("author_name", pa.string(), nullable=False),
        pa.field("author_handle", pa.string()),
        pa.field("author_is_account", pa.bool_(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("content_warning", pa.string()),
        pa.field("sensitive", pa.bool_()),
        pa.field("language", pa.string()),
        pa.field("visibility", pa.string()),
        pa.field("url", pa.string()),
        pa.field("created_at", TS),  # null when the platform's value could not be read (see unparsed)
        pa.field("edited_at", TS),
        pa.field("observed_at", TS, nullable=False),
        pa.field("event", pa.string(), nullable=False),
        pa.field("hidden", pa.bool_()),
        pa.field("version", pa.int32(), nullable=False),
        pa.field("content_sha256", pa.string(), nullable=False),
        pa.field("media", pa.list_(MEDIA)),
        pa.field("poll_options", pa.list_(pa.string())),
        pa.field("quote", QUOTE),  # absent from parts written before it existed
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("warc_key", pa.string(), nullable=False),
        pa.field("warc_offset", pa.int64(), nullable=False),
        pa.field("warc_length", pa.int64(), nullable=False),
        pa.field("warc_record_id", pa.string(), nullable=False),
        pa.field("source_url", pa.string(), nullable=False),
        pa.field("retention_class", pa.string(), nullable=False),
        pa.field("retain_until", pa.date32()),
        pa.field("unparsed", pa.list_(UNPARSED)),
    ]
)

def item_time(row: Mapping[str, Any]) -> dt.datetime:
    """When an item came into being as far as the archive knows: ``created_at``, or the time it
    was observed where the platform's creation time could not be read. Every reader that orders
    or dates items by creation uses this, so such an item is never lost from a view."""
    created: dt.datetime | None = row.get("created_at")
    return created if created is not None else row["observed_at"]


THREAD = pa.struct(
    [
        pa.field("post_id", pa.string()),
        pa.field("reported_comments", pa.int64()),
    ]
)

COUNTS = pa.struct(
    [
        pa.field("posts_new", pa.int32()),
        pa.field("comments_new", pa.int32()),
        pa.field("edited", pa.int32()),
        pa.field("deleted", pa.int32()),
        pa.field("restored", pa.int32()),
        pa.field("hidden", pa.int32()),
        pa.field("unhidden", pa.int32()),
        pa.field("unchanged", pa.int32()),
        pa.field("media_files", pa.int32()),
        pa.field("threads_checked", pa.int32()),
        pa.field("media", pa.int32()),  # absent from rows written before it existed
    ]
)

RUNS_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("board", pa.string(), nullable=False),
        pa.field("run_date", pa.date32(), nullable=False),
        pa.field("started_at", TS, nullable=False),
        pa.field("finished_at", TS, nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("warnings", pa.list_(pa.string())),
        pa.field("notes", pa.list_(pa.string())),
        pa.field("counts", COUNTS, nullable=False),
        pa.field("threads", pa.list_(THREAD)),
        pa.field("credential_status", pa.string()),
        pa.field("credential_expires_at", TS),
        pa.field("api_units", pa.int64()),
        pa.field("http_requests", pa.int32(), nullable=False),
        pa.field("bytes_stored", pa.int64(), nullable=False),
        pa.field("high_water", pa.string()),
        pa.field("recheck_from", TS),
        pa.field("software", pa.string(), nullable=False),
        pa.field("retention_class", pa.string(), nullable=False),
        pa.field("retain_until", pa.date32()),
        # nightly, recent, targeted or push; absent from rows written before it existed (nightly)
        pa.field("kind", pa.string()),
    ]
)
