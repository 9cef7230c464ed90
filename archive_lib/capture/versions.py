"""From observations to versions: decide what is new, edited, deleted or unchanged.

The rule is the same for every platform: an item gets a new version row when its content
digest differs from the latest archived version (``edited``), when it was never archived
(``new``), when the platform confirmed it gone (``deleted``, the earlier versions stay), and when
an item archived as deleted shows up again (``restored``, e.g. a suspended account reinstated),
and when only its visibility changed on a platform that reports it (``hidden``, ``unhidden``).
An edit of a comment that was hidden at the same time gives two rows: the edit, then the hiding.
Seeing an item unchanged writes nothing, except where its archived version has attachment files
that could not be fetched (``error`` in its media): while its post is inside the re-check window,
those files are tried again, and one that can now be had (or that the platform now refuses for
good) gives a ``media`` row: the archived version again, same content and digest, its media list
completed. A ``media`` row is not an edit; readers take its content as the version before it.

Odd platform values never stop the night: what the connector had to read leniently is noted in
the row's ``unparsed``, and a row pyarrow would still refuse is made to fit the schema when its
part is written (:meth:`Versioner.parquet`, :mod:`archive_lib.metadata.conform`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pyarrow as pa

from archive_lib.metadata.conform import conform
from archive_lib.metadata.parquet import to_parquet_bytes
from archive_lib.metadata.schema import ITEMS_SCHEMA, pointer_columns
from archive_lib.metadata.state import KnownItem, KnownState
from archive_lib.models import Account, ItemSnapshot, MediaFile, RecordRef, RunCounts

FetchFile = Callable[[MediaFile], MediaFile]
#: What pyarrow raises for a value not of its column's type.
PARQUET_REFUSALS = (pa.ArrowException, UnicodeError, OverflowError, TypeError, ValueError)


class Versioner:
    """Turns one night's observations into item version rows, keeping ``known`` up to date."""

    def __init__(
        self,
        known: KnownState,
        *,
        account: Account,
        run_id: str,
        run_date: dt.date,
        recheck_from: dt.datetime | None = None,
    ) -> None:
        self._known = known
        self._account = account
        self._run_id = run_id
        self._retain_until = account.retention.retain_until(run_date)
        self._recheck_from = recheck_from
        self.counts = RunCounts()
        self.odd_versions = 0  # versions with a value the archive could not read as typed
        self.odd_fields: Counter[str] = Counter()

    def seen(self, snapshot: ItemSnapshot, fetch: FetchFile | None = None) -> list[dict[str, Any]]:
        """The rows for ``snapshot``: the versions the archive does not hold yet (often none).

        ``fetch`` archives one attachment file (:meth:`MediaArchiver.fetch
        <archive_lib.connectors.base.MediaArchiver.fetch>`); given, files the archived version
        lacks are tried again (see the module docstring).
        """
        if snapshot.created_at is None:
            self._known.load_all()  # the parts' names cannot say which one holds it
        known = self._known.latest(snapshot.item_id, snapshot.created_at)
        if known is None:
            field = "posts_new" if snapshot.item_type == "post" else "comments_new"
            return [self._add(snapshot, "new", 1, field)]
        if known.deleted:
            return [self._add(snapshot, "restored", known.version + 1, "restored")]
        rows = []
        version = known.version
        visibility_changed = snapshot.hidden is not None and snapshot.hidden != bool(known.hidden)
        if known.content_sha256 != snapshot.content_sha256:
            mine, theirs = snapshot.version_time, known.version_time
            if mine is not None and theirs is not None and mine < theirs:
                return []  # an older state than the one archived (from an edit history): nothing new
            version += 1
            before = known.hidden if visibility_changed else snapshot.hidden
            rows.append(self._add(dataclasses.replace(snapshot, hidden=before), "edited", version, "edited"))
        if visibility_changed:
            event = "hidden" if snapshot.hidden else "unhidden"
            rows.append(self._add(snapshot, event, version + 1, event))
        if not rows and fetch is not None:
            rows = self._files_recovered(known, snapshot, fetch)
        if not rows:
            self._count("unchanged")
        return rows

    def _files_recovered(
        self, known: KnownItem, snapshot: ItemSnapshot, fetch: FetchFile
    ) -> list[dict[str, Any]]:
        """A ``media`` row when files the archived version lacks are settled now, else nothing."""
        if not known.failed_media or known.content_sha256 != snapshot.content_sha256:
            return []
        post = self._known.latest(known.post_id) if known.post_id != known.item_id else known
        created = post.created_at if post is not None else known.created_at
        if self._recheck_from is not None and created is not None and created < self._recheck_from:
            return []
        settled = {}
        for media in snapshot.media:
            if media.media_id in known.failed_media:
                fetched = fetch(media)
                if fetched.error is None:
                    settled[media.media_id] = _media_row(fetched)
        if not settled:
            return []
        row = self._known.full_row(known.item_id)
        row.update(
            event="media",
            version=known.version + 1,
            media=[settled.get(m["media_id"], m) for m in row.get("media") or ()],
            observed_at=snapshot.record.date,
            run_id=self._run_id,
            retain_until=self._retain_until,
            **_pointer(snapshot.record),
        )
        self._known.apply(row)
        self._count("media")
        return [row]

    def _add(self, snapshot: ItemSnapshot, event: str, version: int, field: str) -> dict[str, Any]:
        row = self._row(snapshot, event, version)
        self._known.apply(row)
        self._count(field)
        return row

    def gone(self, item_id: str, record: RecordRef) -> dict[str, Any] | None:
        """A ``deleted`` row for an archived item the platform confirmed gone."""
        known = self._known.latest(item_id)
        if known is None or known.deleted:
            return None
        row = self._known.full_row(item_id)
        row.update(
            event="deleted",
            version=known.version + 1,
            observed_at=record.date,
            run_id=self._run_id,
            retain_until=self._retain_until,
            **_pointer(record),
        )
        self._known.apply(row)
        self._count("deleted")
        return row

    def stored(self, part_key: str, rows: list[dict[str, Any]]) -> None:
        """The rows are in the store now; the state need not hold them whole any longer."""
        self._known.stored(part_key, rows)

    def _row(self, snap: ItemSnapshot, event: str, version: int) -> dict[str, Any]:
        row = self._fields(snap, event, version)
        row["unparsed"] = []
        self._note(row, snap.unparsed)
        return row

    def parquet(self, rows: list[dict[str, Any]], metadata: Mapping[str, str]) -> bytes:
        """``rows`` as one items part.

        pyarrow refuses any value that is not of its column's type (a number where text
        belongs, a lone surrogate, a time that is no time), so the rows go to it as they are,
        and only when it refuses are they made to fit (:func:`~archive_lib.metadata.conform.conform`),
        with what was changed noted in their ``unparsed``: ordinary nights pay nothing for the
        guard.
        """
        try:
            return to_parquet_bytes(rows, ITEMS_SCHEMA, metadata)
        except PARQUET_REFUSALS:
            for row in rows:
                self._note(row, conform(row, ITEMS_SCHEMA))
            return to_parquet_bytes(rows, ITEMS_SCHEMA, metadata)

    def _note(self, row: dict[str, Any], notes: Sequence[tuple[str, str]]) -> None:
        if not notes:
            return
        if not row["unparsed"]:
            self.odd_versions += 1
        row["unparsed"] = [*row["unparsed"], *({"field": f, "value": v} for f, v in notes)]
        self.odd_fields.update(f for f, _ in notes)

    def _fields(self, snap: ItemSnapshot, event: str, version: int) -> dict[str, Any]:
        account = self._account
        return {
            "platform": account.platform,
            "account_id": account.id,
            "board": account.board,
            "item_id": snap.item_id,
            "item_type": snap.item_type,
            "parent_id": snap.parent_id,
            "post_id": snap.post_id,
            "author_id": snap.author_id,
            "author_name": snap.author_name,
            "author_handle": snap.author_handle,
            "author_is_account": snap.author_is_account,
            "text": snap.text,
            "content_warning": snap.content_warning,
            "sensitive": snap.sensitive,
            "language": snap.language,
            "visibility": snap.visibility,
            "url": snap.url,
            "created_at": snap.created_at,
            "edited_at": snap.edited_at,
            "observed_at": snap.record.date,
            "event": event,
            "hidden": snap.hidden,
            "version": version,
            "content_sha256": snap.content_sha256,
            "media": [_media_row(m) for m in snap.media],
            "poll_options": list(snap.poll_options),
            "quote": dataclasses.asdict(snap.quote) if snap.quote is not None else None,
            "run_id": self._run_id,
            "retention_class": account.retention.name,
            "retain_until": self._retain_until,
            **_pointer(snap.record),
        }

    def _count(self, field: str, step: int = 1) -> None:
        self.counts = dataclasses.replace(self.counts, **{field: getattr(self.counts, field) + step})

    def recount(self, item_type: str, before: str, after: str | None) -> None:
        """A version counted as ``before`` became ``after`` in a merge (``None``: dropped, as
        another run had stored it; see :mod:`archive_lib.capture.merge`)."""
        self._count(_counted(item_type, before), -1)
        self._count(_counted(item_type, after) if after else "unchanged")


def _counted(item_type: str, event: str) -> str:
    """The :class:`RunCounts` field that counts a version of ``event``."""
    if event == "new":
        return "posts_new" if item_type == "post" else "comments_new"
    return event


def _pointer(record: RecordRef) -> dict[str, Any]:
    return {**pointer_columns(record), "source_url": record.target_uri}


def _media_row(media: MediaFile) -> dict[str, Any]:
    record = media.record
    return {
        "media_id": media.media_id,
        "media_type": media.media_type,
        "url": media.url,
        "description": media.description,
        "http_status": record.status if record else None,
        "sha256": media.sha256,
        "size": media.size,
        **pointer_columns(record),
        "error": media.error,
    }
