"""The data dictionary of the Parquet tables: what every column of ``items`` and ``runs`` holds.

The column names and types are read from the Arrow schemas (:mod:`archive_lib.metadata.schema`);
the meanings are kept here, one per column, and a test checks that every column has one.
README.md ("Parquet: items", "Parquet: runs") says the same at more length.
"""

from __future__ import annotations

import pyarrow as pa

from archive_lib.metadata.schema import ITEMS_SCHEMA, RUNS_SCHEMA

ITEMS_COLUMNS: dict[str, str] = {
    "platform": "the platform: mastodon, facebook, instagram, youtube or bluesky",
    "account_id": "the inventory's id of the account",
    "board": "the board (nämnd) running the account",
    "item_id": "the platform's id of the post or comment, as given",
    "item_type": "post (a top-level post of the account) or comment (everything in its threads)",
    "parent_id": "the item replied to; empty for posts",
    "post_id": "the thread's root post",
    "author_id": "the author's platform id",
    "author_name": "the author's display name",
    "author_handle": "the author's handle",
    "author_is_account": "written by the inventoried account itself",
    "text": "the text as plain text, Unicode untouched",
    "content_warning": "the author's content warning, if any",
    "sensitive": "marked sensitive by the author",
    "language": "the language the platform reports",
    "visibility": "public or unlisted",
    "url": "the item's public page",
    "created_at": "when it was published, UTC (when it became an allmän handling); empty when unreadable",
    "edited_at": "when this version was made by an edit, UTC; empty for the original",
    "observed_at": "when the archive received the response holding this version, UTC",
    "event": "new, edited, deleted, restored, hidden, unhidden or media",
    "hidden": "hidden by the account, where the platform reports it",
    "version": "1, 2, ... per item",
    "content_sha256": "SHA-256 of the authored content (text, warning, attachments, poll, quote)",
    "media": "the attachments: id, type, URL, description, HTTP status, SHA-256, size, WARC pointer, error",
    "poll_options": "the poll's options, if any",
    "quote": "the post this one quotes: id, URL, state",
    "run_id": "the night's run that captured the version",
    "warc_key": "the WARC file holding the response of this version (a key in the store)",
    "warc_offset": "where the record starts in that file (bytes)",
    "warc_length": "the record's length in that file (bytes, one gzip member)",
    "warc_record_id": "the record's WARC-Record-ID",
    "source_url": "the API URL of that response",
    "retention_class": "the account's retention class",
    "retain_until": "the first day the version may be culled; empty for permanent classes",
    "unparsed": "platform values that could not be read as their column's type, as sent (JSON text)",
}

RUNS_COLUMNS: dict[str, str] = {
    "run_id": "the run: account, start time and a random suffix",
    "account_id": "the inventory's id of the account",
    "platform": "the platform",
    "board": "the board (nämnd) running the account",
    "run_date": "the night captured",
    "started_at": "when the run started, UTC",
    "finished_at": "when the run ended, UTC",
    "status": "ok or failed; skipped for a hot pass skipped for its platform's budget",
    "error": "why it failed",
    "warnings": "what the platform would not show, and what was read leniently",
    "notes": "outcomes that are neither failures nor gaps",
    "counts": "new posts and comments, edits, deletions, hidden and unhidden, unchanged, files, threads",
    "threads": "the comment count the platform reports for each thread checked",
    "credential_status": "ok, expired, refused, missing, none or unchecked",
    "credential_expires_at": "when the token expires, where the platform says",
    "api_units": "units of a metered API spent (YouTube quota)",
    "http_requests": "HTTP exchanges recorded",
    "bytes_stored": "bytes of WARC and items objects written",
    "high_water": "the newest id listed: where the next night's listing may stop",
    "recheck_from": "the start of the re-check window, UTC",
    "software": "the software and its version",
    "retention_class": "the retention class of the run's objects",
    "retain_until": "the first day the run's objects may be culled; empty for permanent classes",
    "kind": "nightly, recent (hot pass), targeted (named threads) or push (stored by listen); empty: nightly",
    "api_usage_percent": "the share of the platform's rate-limit budget in use at the run's end (Graph)",
}

TABLES: dict[str, tuple[pa.Schema, dict[str, str]]] = {
    "items": (ITEMS_SCHEMA, ITEMS_COLUMNS),
    "runs": (RUNS_SCHEMA, RUNS_COLUMNS),
}


def dictionary_rows() -> list[tuple[str, str, str, str, str]]:
    """``(table, column, Arrow type, nullable, meaning)`` for every column of every table."""
    rows = []
    for table, (schema, meanings) in TABLES.items():
        for column in schema:
            nullable = "yes" if column.nullable else "no"
            rows.append((table, column.name, str(column.type), nullable, meanings.get(column.name, "")))
    return rows
