"""What the store already holds about an account: the state that makes nights incremental.

There is no side file to keep in step: the state is read from the store's own Parquet parts
each night. A night reads only

* the *names* of the account's items parts (one listing request per thousand parts),
* the parts whose items were created inside the re-check window (named by their creation
  range, see :mod:`archive_lib.layout`),
* on demand, the parts that can hold an older item the platform shows again (an old thread
  the account answered in tonight), and
* the runs row of the newest successful night, for the listing's high-water mark,

so its cost follows the new and re-checked items, not the size of the archive.

A night's memory does not grow with what it captures either: once an items part of the night
itself is stored, the items in it that were created before the window are let go (older nights'
items are only read on demand too), and a compact map
(:class:`~archive_lib.metadata.keyparts.KeyParts`) remembers which of the night's parts holds
each of them, each thread and each item's replies.
Asking about them again (:meth:`KnownState.latest`, :meth:`~KnownState.thread`,
:meth:`~KnownState.below`) reads those parts back first, so every answer is the one the night
would give had it kept everything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from archive_lib import layout
from archive_lib.metadata.keyparts import KeyParts
from archive_lib.metadata.parts import account_parts, read_rows
from archive_lib.metadata.runs import read_run_row
from archive_lib.metadata.schema import pointer_of
from archive_lib.models import MediaFile, RecordRef
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KnownItem:
    """The latest archived version of one item, in the few fields a night compares.

    The whole row is kept while it is not stored yet (``row``); once stored, ``part_key`` says
    where to read it again (only a deletion needs it: its row repeats the last version).
    """

    item_id: str
    item_type: str
    post_id: str
    parent_id: str | None
    author_is_account: bool
    created_at: dt.datetime | None
    edited_at: dt.datetime | None
    version: int
    event: str
    content_sha256: str
    hidden: bool | None = None
    failed_media: tuple[str, ...] = ()  # attachments whose files could not be fetched yet
    part_key: str | None = None
    row: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, row: Mapping[str, Any], part_key: str | None) -> KnownItem:
        return cls(
            item_id=str(row["item_id"]),
            item_type=str(row["item_type"]),
            post_id=str(row["post_id"]),
            parent_id=None if row["parent_id"] is None else str(row["parent_id"]),
            author_is_account=bool(row["author_is_account"]),
            created_at=row["created_at"],
            edited_at=row["edited_at"],
            version=int(row["version"]),
            event=str(row["event"]),
            content_sha256=str(row["content_sha256"]),
            hidden=row.get("hidden"),  # parts written before the column existed have none
            failed_media=tuple(str(m["media_id"]) for m in row.get("media") or () if m.get("error")),
            part_key=part_key,
            row=None if part_key else row,
        )

    @property
    def deleted(self) -> bool:
        return self.event == "deleted"

    @property
    def version_time(self) -> dt.datetime | None:
        return self.edited_at or self.created_at


class KnownState:
    """The latest version of every item a night may meet, and the account's high-water mark.

    ``items`` holds the items read so far and tonight's, less those of tonight's stored parts
    that were created before the window (see the module docstring): ask :meth:`latest`,
    :meth:`thread`, :meth:`below` and :meth:`account_items_since`, which read them back.
    """

    def __init__(
        self,
        store: ObjectStore,
        parts: Iterable[layout.ItemsPart],
        *,
        high_water: str | None,
        last_ok_run: tuple[dt.date, str] | None,
        account_id: str | None = None,
    ) -> None:
        self._store = store
        self._account_id = account_id
        self._parts = sorted(parts, key=lambda p: (p.run_date, p.run_id, p.seq))
        self._loaded: set[str] = set()
        self._covered_from: dt.datetime | None = None
        self.items: dict[str, KnownItem] = {}
        self.media: dict[str, MediaFile] = {}
        # Indexes kept in step with ``items``: a night asks these once per thread.
        self._by_post: dict[str, set[str]] = defaultdict(set)
        self._by_parent: dict[str, set[str]] = defaultdict(set)
        self._by_account: set[str] = set()
        self._row_cache: tuple[str | None, dict[tuple[str, int], dict[str, Any]]] = (None, {})
        self.high_water = high_water
        self.last_ok_run = last_ok_run
        self.parts_read = 0
        # Tonight's own stored parts, by number; the ids each one put in ``items`` that may be
        # let go; and, for the items let go, where to find them again.
        self._own: list[str] = []
        self._own_held: dict[int, list[str]] = {}
        self._own_items = KeyParts()
        self._own_threads = KeyParts()
        self._own_replies = KeyParts()
        self._own_with_account: set[int] = set()

    @property
    def parts(self) -> list[layout.ItemsPart]:
        return list(self._parts)

    def load_all(self) -> None:
        """Read every part not read yet: for an item whose creation time is unknown."""
        unread = [p for p in self._parts if p.key not in self._loaded]
        if unread:
            log.info("reading all %d remaining items parts for an item of unknown creation time", len(unread))
            self._read(unread)

    def load_created_since(self, moment: dt.datetime) -> None:
        """Read every part that may hold items created at or after ``moment``."""
        self._read(p for p in self._parts if p.last_created >= moment)
        self._covered_from = moment if self._covered_from is None else min(self._covered_from, moment)

    def latest(self, item_id: str, created_at: dt.datetime | None = None) -> KnownItem | None:
        """The latest archived version of ``item_id``.

        Give the item's ``created_at`` when it may be older than the re-check window: the parts
        that can hold it are then read first, so an old item is never mistaken for a new one.
        """
        known = self.items.get(item_id)
        if known is None and created_at is not None and not self._covers(created_at):
            self._read(p for p in self._parts if p.may_hold(created_at))
            known = self.items.get(item_id)
        if known is None and self._own:
            self._read_own(self._own_items.parts(item_id))
            known = self.items.get(item_id)
        return known

    def apply(self, row: Mapping[str, Any], part_key: str | None = None) -> None:
        """Take a version into account: one read from ``part_key``, or one written tonight."""
        self._take(row, part_key)
        self._remember_media(row)

    def refresh(self, run_id: str) -> list[tuple[dict[str, Any], str]]:
        """Read the items parts that other runs of the account stored since this state last
        looked, and take their versions into account; returns their rows with their part keys.

        Used at each commit, under the account's write lease, so that runs capturing the account
        at the same time never record one version twice (:mod:`archive_lib.capture.merge`).
        Rows of items this run holds unstored versions of are not applied: the merge decides
        (:meth:`set_latest`).
        """
        assert self._account_id is not None, "a state loaded without its account cannot refresh"
        listed = {p.key for p in self._parts}
        new = [
            p
            for p in account_parts(self._store, self._account_id)
            if p.key not in listed and p.run_id != run_id
        ]
        out: list[tuple[dict[str, Any], str]] = []
        for part in sorted(new, key=lambda p: (p.run_date, p.run_id, p.seq)):
            self._parts.append(part)
            self._loaded.add(part.key)
            self.parts_read += 1
            for row in read_rows(self._store, part.key):
                out.append((row, part.key))
                known = self.items.get(row["item_id"])
                if known is None or known.row is None:
                    self.apply(row, part.key)
                else:
                    self._remember_media(row)
        self._parts.sort(key=lambda p: (p.run_date, p.run_id, p.seq))
        return out

    def set_latest(self, row: Mapping[str, Any], part_key: str | None) -> None:
        """Make ``row`` the item's latest version, whatever its number (after a merge)."""
        self._take(row, part_key, force=True)

    def _take(self, row: Mapping[str, Any], part_key: str | None, *, force: bool = False) -> None:
        item_id = row["item_id"]
        current = self.items.get(item_id)
        if current is None and self._own:
            # Let go tonight: its latest version must be back before an older one can count.
            self._read_own(self._own_items.parts(item_id))
            current = self.items.get(item_id)
        if current is None or force or int(row["version"]) >= current.version:
            if current is not None:
                self._by_post[current.post_id].discard(item_id)
                if current.parent_id:
                    self._by_parent[current.parent_id].discard(item_id)
            known = KnownItem.of(row, part_key)
            self.items[item_id] = known
            self._by_post[known.post_id].add(item_id)
            if known.parent_id:
                self._by_parent[known.parent_id].add(item_id)
            if known.author_is_account:
                self._by_account.add(item_id)

    def stored(self, part_key: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Tonight's ``rows`` are now in ``part_key``: keep only where to find them again.

        The items of tonight's earlier stored parts that were created before the window are
        then let go (see the module docstring); those of this part wait for the next one, as the
        walk often asks about the thread it is in the middle of.
        """
        number = len(self._own)
        self._own.append(part_key)
        held = self._own_held[number] = []
        for row in rows:
            known = self.items.get(row["item_id"])
            if known is not None and known.row is row:
                kept = dataclasses.replace(known, part_key=part_key, row=None)
                self.items[known.item_id] = kept
                # Only an item the part gives back exactly as held may be let go (a value made
                # to fit the schema on writing would come back otherwise).
                if KnownItem.of(row, part_key) == kept:
                    held.append(known.item_id)
        self._let_go(keep=number)

    def _let_go(self, keep: int) -> None:
        """Forget the items of tonight's stored parts, but part ``keep``, created before the window."""
        window = self._covered_from
        if window is None:
            return  # no window: every item counts as recent
        for number in [n for n in self._own_held if n != keep]:
            held = self._own_held.pop(number)
            part_key = self._own[number]
            for item_id in held:
                known = self.items.get(item_id)
                if (
                    known is None
                    or known.part_key != part_key
                    or known.created_at is None
                    or known.created_at >= window
                ):
                    continue
                self._forget(known)
                self._own_items.add(item_id, number)
                self._own_threads.add(known.post_id, number)
                if known.parent_id:
                    self._own_replies.add(known.parent_id, number)
                if known.author_is_account:
                    self._own_with_account.add(number)

    def _forget(self, known: KnownItem) -> None:
        item_id = known.item_id
        del self.items[item_id]
        for index, key in ((self._by_post, known.post_id), (self._by_parent, known.parent_id)):
            if key is not None and (ids := index.get(key)) is not None:
                ids.discard(item_id)
                if not ids:
                    del index[key]
        self._by_account.discard(item_id)

    def _read_own(self, numbers: Iterable[int]) -> None:
        """Read back tonight's parts ``numbers`` whose items were let go."""
        if not numbers:
            return
        for number in sorted(set(numbers) - self._own_held.keys()):
            part_key = self._own[number]
            held = self._own_held[number] = []  # first: reading it may lead back to it
            for row in read_rows(self._store, part_key):  # their files are remembered still: items only
                self._take(row, part_key)
                held.append(row["item_id"])

    def full_row(self, item_id: str) -> dict[str, Any]:
        """The whole latest row of a known item, read back from its part when no longer held."""
        known = self.items[item_id]
        if known.row is not None:
            return dict(known.row)
        assert known.part_key is not None
        if self._row_cache[0] != known.part_key:
            rows = read_rows(self._store, known.part_key)
            self._row_cache = (known.part_key, {(r["item_id"], r["version"]): r for r in rows})
        return dict(self._row_cache[1][(item_id, known.version)])

    def account_items_since(self, moment: dt.datetime) -> list[KnownItem]:
        """Live items written by the account itself and created at or after ``moment``."""
        if self._covered_from is None or moment < self._covered_from:
            self._read_own(self._own_with_account)
        items = (self.items[i] for i in self._by_account)
        return [k for k in items if not k.deleted and (k.created_at is None or k.created_at >= moment)]

    def thread(self, post_id: str) -> list[KnownItem]:
        """Known items of the thread rooted at ``post_id``."""
        if self._own:
            self._read_own(self._own_threads.parts(post_id))
        return [self.items[i] for i in self._by_post.get(post_id, ())]

    def below(self, item_id: str) -> set[str]:
        """Ids of every known item in the branch below ``item_id``."""
        found: set[str] = set()
        stack = [item_id]
        while stack:
            parent = stack.pop()
            if self._own:
                self._read_own(self._own_replies.parts(parent))
            for child in self._by_parent.get(parent, ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def _covers(self, created_at: dt.datetime) -> bool:
        if self._covered_from is not None and created_at >= self._covered_from:
            return True
        return all(p.key in self._loaded for p in self._parts if p.may_hold(created_at))

    def _read(self, parts: Iterable[layout.ItemsPart]) -> None:
        for part in parts:
            if part.key in self._loaded:
                continue
            rows = read_rows(self._store, part.key)
            self._loaded.add(part.key)
            self.parts_read += 1
            for row in rows:
                self.apply(row, part.key)

    def _remember_media(self, row: Mapping[str, Any]) -> None:
        for media in row.get("media") or ():
            pointer = pointer_of(media) if media.get("http_status") == 200 else None
            if pointer is None:
                continue
            record = RecordRef.at(pointer, target_uri=media["url"] or "", date=row["observed_at"], status=200)
            self.media[media["media_id"]] = MediaFile(
                media["media_id"],
                media["media_type"],
                media["url"],
                media["description"],
                record,
                media["sha256"],
                media["size"],
            )


def load_state(
    store: ObjectStore,
    account_id: str,
    recheck_from: dt.datetime,
    *,
    run_id: str | None = None,
    with_high_water: bool = True,
) -> KnownState:
    """The state a night of ``account_id`` starts from (``run_id`` names the night, for the log).

    A hot pass needs no high-water mark (``with_high_water=False``): its listing stops at its
    window, and the runs rows are not read.
    """
    parts = account_parts(store, account_id)
    high_water, last_ok = find_high_water(store, parts) if with_high_water else (None, None)
    state = KnownState(store, parts, high_water=high_water, last_ok_run=last_ok, account_id=account_id)
    # Two days of slack: a part is named by creation times in UTC, the window by Stockholm days.
    state.load_created_since(recheck_from - dt.timedelta(days=2))
    log.info(
        "state of %s: %d parts listed, %d read, %d items known, high water %s",
        account_id,
        len(parts),
        state.parts_read,
        len(state.items),
        high_water,
        extra={"account_id": account_id, "run_id": run_id},
    )
    return state


def find_high_water(
    store: ObjectStore, parts: list[layout.ItemsPart]
) -> tuple[str | None, tuple[dt.date, str] | None]:
    """The high-water mark of the newest successful run that wrote items, newest first."""
    runs = sorted({(p.run_date, p.run_id) for p in parts}, reverse=True)
    for run_date, run_id in runs:
        row = read_run_row(store, run_date, run_id)
        if row is not None and row["status"] == "ok" and row.get("high_water"):
            return str(row["high_water"]), (run_date, run_id)
    return None, None
