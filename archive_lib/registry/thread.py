"""The thread view: a post and its whole comment tree as captured, every version of every item.

Read straight from the store's items Parquet (the search index only says which parts can
hold the thread). "As it was on day D" keeps, for each item, the versions that existed by the
end of D (Stockholm): a version exists from its creation or edit on the platform; a deletion or
a visibility change from the night that saw it (platforms do not date those).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive_lib.clock import local_day_end
from archive_lib.metadata.markings import Marking, active_markings
from archive_lib.metadata.moderation import ModerationNote, join, notes_by_item
from archive_lib.metadata.parts import account_parts, read_part
from archive_lib.metadata.schema import item_time, pointer_columns, pointer_of
from archive_lib.search.index import SearchIndex
from archive_lib.search.items import item_state, version_time
from archive_lib.search.locate import ItemNotFoundError as ItemNotFoundError
from archive_lib.search.locate import disposed_note as disposed_note
from archive_lib.search.locate import locate_one
from archive_lib.storage.base import ObjectStore


@dataclass
class ThreadItem:
    """One item of a thread with its versions (oldest first) and its replies."""

    versions: list[dict[str, Any]]
    state: str
    children: list[ThreadItem] = field(default_factory=list)
    #: The ground of the item's active secrecy marking, if any (see :func:`annotate`).
    secrecy: str | None = None
    #: What the capture saw of the item's moderation joined to the notes on it, if any.
    moderation: dict[str, Any] | None = None

    @property
    def current(self) -> dict[str, Any]:
        return self.versions[-1]

    @property
    def item_id(self) -> str:
        return str(self.current["item_id"])

    @property
    def nights(self) -> list[str]:
        return sorted({v["run_date"].isoformat() for v in self.versions})

    def walk(self, depth: int = 0) -> list[tuple[int, ThreadItem]]:
        out = [(depth, self)]
        for child in self.children:
            out.extend(child.walk(depth + 1))
        return out

    def as_dict(self) -> dict[str, Any]:
        c = self.current
        return {
            "item_id": c["item_id"],
            "item_type": c["item_type"],
            "parent_id": c["parent_id"],
            "author_name": c["author_name"],
            "author_handle": c.get("author_handle"),
            "author_is_account": c.get("author_is_account"),
            "created_at": c["created_at"],
            "url": c.get("url"),
            "state": self.state,
            "secrecy": self.secrecy,
            "moderation": self.moderation,
            "text": c["text"],
            "nights": self.nights,
            "versions": [_version_dict(v) for v in self.versions],
            "children": [child.as_dict() for child in self.children],
        }


@dataclass
class Thread:
    """A post's thread. ``root`` is ``None`` when the post itself is not archived (an answer in
    someone else's thread); items whose parent is not archived are in ``detached``."""

    account_id: str
    post_id: str
    focus: str
    as_of: dt.date | None
    root: ThreadItem | None
    detached: list[ThreadItem]

    @property
    def board(self) -> str:
        return str(self.items()[0][1].current["board"])

    @property
    def platform(self) -> str:
        return str(self.items()[0][1].current["platform"])

    def items(self) -> list[tuple[int, ThreadItem]]:
        """Every item with its depth, in reading order."""
        out = self.root.walk() if self.root else []
        for item in self.detached:
            out.extend(item.walk(1))
        return out

    def rows(self) -> list[dict[str, Any]]:
        """Every version row shown (oldest first per item)."""
        return [v for _, item in self.items() for v in item.versions]

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "board": self.board,
            "platform": self.platform,
            "post_id": self.post_id,
            "focus": self.focus,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "thread": self.root.as_dict() if self.root else None,
            "detached": [item.as_dict() for item in self.detached],
        }


def load_thread(
    store: ObjectStore,
    index: SearchIndex,
    item_id: str,
    *,
    as_of: dt.date | None = None,
    account_id: str | None = None,
) -> Thread:
    """The thread holding ``item_id`` (call ``index.refresh()`` first)."""
    found = locate_one(index, item_id, account_id)
    account, post_id = found["account_id"], found["post_id"]
    rows = thread_rows(store, index, account, post_id)
    thread = build_thread(rows, account, post_id, item_id, as_of)
    if not any(item.item_id == item_id for _, item in thread.items()):
        raise ItemNotFoundError(f"item {item_id!r} did not exist yet on {as_of}")
    annotate(thread, active_markings(store), notes_by_item(store))
    return thread


def annotate(
    thread: Thread,
    markings: Mapping[tuple[str, str], Marking],
    notes: Mapping[tuple[str, str], Sequence[ModerationNote]],
) -> None:
    """Give each item of ``thread`` its secrecy marking and its moderation (capture and notes)."""
    for _, item in thread.items():
        key = (thread.account_id, item.item_id)
        marking = markings.get(key)
        item.secrecy = marking.ground if marking else None
        item.moderation = join(item.versions, notes.get(key, ()))


def thread_rows(
    store: ObjectStore, index: SearchIndex, account_id: str, post_id: str
) -> list[dict[str, Any]]:
    """Every version row of the thread, read from the parts that can hold it."""
    return threads_rows(store, index, account_id, [post_id])[post_id]


def threads_rows(
    store: ObjectStore, index: SearchIndex, account_id: str, post_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Every version row of each of the account's threads ``post_ids``; each part read once."""
    earliest = min(
        dt.datetime.fromisoformat(p["created_at"] or p["observed_at"])
        for post_id in post_ids
        for p in index.thread_items(account_id, post_id)
    )
    found: dict[str, list[dict[str, Any]]] = {post_id: [] for post_id in post_ids}
    for part in account_parts(store, account_id):
        if part.last_created < earliest - dt.timedelta(seconds=1):
            continue
        for row in read_part(store, part, where=("post_id", post_ids)):
            found[row["post_id"]].append(row)
    return found


def build_thread(
    rows: list[dict[str, Any]], account_id: str, post_id: str, focus: str, as_of: dt.date | None
) -> Thread:
    """The tree of ``rows`` (every version of every item of one thread) as of ``as_of``."""
    cutoff = local_day_end(as_of) if as_of else None
    by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if cutoff is None or version_time(row) < cutoff:
            by_item[row["item_id"]].append(row)
    items: dict[str, ThreadItem] = {}
    for item_id, versions in by_item.items():
        unique = {int(v["version"]): v for v in versions}  # a part re-read twice adds nothing
        ordered = [unique[n] for n in sorted(unique)]
        items[item_id] = ThreadItem(ordered, item_state(ordered))
    root = items.get(post_id)
    detached: list[ThreadItem] = []
    for item in sorted(items.values(), key=lambda i: (item_time(i.current), i.item_id)):
        if item is root:
            continue
        parent = items.get(item.current["parent_id"] or "")
        if parent is not None:
            parent.children.append(item)
        else:
            detached.append(item)
    return Thread(account_id, post_id, focus, as_of, root, detached)


def _version_dict(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": row["version"],
        "event": row["event"],
        "hidden": row.get("hidden"),
        "text": row["text"],
        "content_warning": row.get("content_warning"),
        "quote": row.get("quote"),  # parts written before the column existed have none
        "edited_at": row.get("edited_at"),
        "observed_at": row["observed_at"],
        "night": row["run_date"].isoformat(),
        "media": [
            {
                k: m.get(k)
                for k in ("media_type", "url", "description", "sha256", "warc_key", "warc_record_id", "error")
            }
            for m in row.get("media") or ()
        ],
        **pointer_columns(pointer_of(row)),
        "source_url": row["source_url"],
        "run_id": row["run_id"],
    }
