"""The part of a night that Facebook and Instagram walk alike: posts, their threads, deletions.

Both platforms list the account's posts with a cheap comment count each, read a thread's
comments flat, and confirm a missing item by looking it up (Graph error 100/33 is "gone"). A
platform module says how to list, how to read one thread and how to turn a Graph object into an
:class:`~archive_lib.models.ItemSnapshot`; :class:`GraphWalk` decides what to re-read and what
to confirm:

* every post of the listing is seen (so edits to old posts are caught); its thread is read when
  the post is inside the re-check window, new to the archive, or when the platform's comment
  count differs from the live comments the archive holds for it;
* after a complete thread, archived comments it no longer held are looked up; after the
  complete listing, archived posts it no longer held are (and, when gone, their comments);
* nothing is looked up, and so nothing is marked deleted, after a failed or throttled walk.

The deletion and media rules are every platform's (:mod:`archive_lib.connectors.walk`); the feed
is read whole every night, so no item needs remembering as seen beyond its own thread.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from archive_lib.connectors import walk
from archive_lib.connectors.base import HighWater, Incomplete, Seen, ThreadChecked, Trouble
from archive_lib.connectors.graph import (
    PAGE_SIZE,
    GraphObjectGone,
    later,
    node,
    pages,
    token_health,
    usable,
)
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.paths import segment
from archive_lib.errors import MissingTokenError, ProtocolError, TransientPlatformError
from archive_lib.models import Account, ItemSnapshot, ItemType, RecordRef

if TYPE_CHECKING:
    from archive_lib.connectors.base import CapturePlan, KnownView, MediaArchiver, Observation

log = logging.getLogger(__name__)
Node = dict[str, Any]


class GraphWalk:
    """Shared walk of a Graph account; subclasses fill in the platform's requests and fields."""

    platform: ClassVar[str]
    post_fields: ClassVar[str]
    comment_fields: ClassVar[str]
    created_field: ClassVar[str]  # the listing's creation time (Facebook created_time, Instagram timestamp)

    def __init__(self, account: Account, http: HttpClient, media: MediaArchiver, authenticated: bool) -> None:
        if not account.api_base:
            raise ValueError(f"{account.id}: no Graph API base")
        self.account = account
        self.http = http
        self.media = media
        self.authenticated = authenticated
        self.api = account.api_base.rstrip("/")
        self.plan: CapturePlan
        self.known: KnownView
        self.unreadable = 0  # objects without a usable id, tonight

    # -- what a platform provides ---------------------------------------------------------

    def thread(self, post: Node, record: RecordRef) -> Iterator[tuple[Node, RecordRef] | int]:
        """The comments of one post, each with its response; an ``int`` is the platform's count."""
        raise NotImplementedError

    def snapshot(self, data: Node, record: RecordRef, item_type: ItemType, post_id: str) -> ItemSnapshot:
        raise NotImplementedError

    def reported_comments(self, post: Node) -> int | None:
        raise NotImplementedError

    # -- shared ---------------------------------------------------------------------------

    def in_scope(self, created: dt.datetime | None) -> bool:
        """Whether an item created then is captured; an unreadable time never drops it."""
        plan = self.plan
        if created is None:
            return True
        if plan.capture_from and created < plan.capture_from:
            return False
        return not (plan.capture_until and created >= plan.capture_until)

    def start(self, plan: CapturePlan, what: str) -> Iterator[Observation]:
        """Begin the night: the plan, a token (Graph has no anonymous reading) and its health."""
        self.plan, self.known = plan, plan.known
        if not self.authenticated:
            raise MissingTokenError(
                f"the inventory names no token for {self.account.id}; {what} needs a Page access token "
                "(token_env or token_connection)"
            )
        try:
            yield token_health(self.http, self.api)
        except (TransientPlatformError, ProtocolError, GraphObjectGone) as exc:
            # The walk itself shows whether the token works; only its expiry stays unknown.
            log.warning("%s: the token's health could not be read: %s", self.account.id, exc)

    def walk_posts(self, url: str) -> Iterator[Observation]:
        """Every post of the listing at ``url``, its thread where needed, then the deletions."""
        listed: set[str] = set()
        newest = self.known.high_water
        hot_from = self.plan.hot_from
        for page in pages(self.http, url, {"fields": self.post_fields, "limit": PAGE_SIZE}):
            older = 0
            for post in page.data:
                if not usable(post):
                    self.unreadable += 1
                    continue
                snap = self.snapshot(post, page.record, "post", post["id"])
                if hot_from and snap.created_at is not None and snap.created_at < hot_from:
                    older += 1
                if not self.in_scope(snap.created_at):
                    continue
                listed.add(snap.item_id)
                newest = later(post.get(self.created_field), newest)
                was_known = self.known.latest(snap.item_id, snap.created_at) is not None
                yield from self.post(post, snap)
                if self.needs_thread(post, snap, was_known):
                    yield from self.post_thread(post, page.record)
            if hot_from and page.data and older == len(page.data):
                break  # a hot pass: a page wholly older than the window ends the listing (newest first)
        yield from self.confirm_posts(listed)
        if self.unreadable:
            yield Incomplete(
                f"{self.unreadable} objects without a usable id were kept in the WARC records only"
            )
        yield HighWater(newest or "")

    def post(self, post: Node, snap: ItemSnapshot) -> Iterator[Observation]:
        """One listed post as seen tonight; platforms add what their listing says about it."""
        yield from self.item(snap)

    def post_thread(self, post: Node, record: RecordRef) -> Iterator[Observation]:
        """The comments of one listed post; platforms add what the thread reveals."""
        yield from self.read_thread(post, record)

    def item(self, snap: ItemSnapshot, edit_time: dt.datetime | None = None) -> Iterator[Observation]:
        """One item as seen tonight; an edit is dated by ``edit_time`` or else the observation."""
        known = self.known.latest(snap.item_id, snap.created_at)
        if known is not None and not known.deleted and known.content_sha256 != snap.content_sha256:
            before = known.version_time
            when = edit_time if edit_time and (before is None or edit_time > before) else snap.record.date
            snap = dataclasses.replace(snap, edited_at=max(when, before) if before else when)
        if walk.becomes_version(known, snap):
            snap = walk.with_files(snap, self.media)
        yield Seen(snap)

    def needs_thread(self, post: Node, snap: ItemSnapshot, was_known: bool) -> bool:
        """Whether tonight reads the post's comments (see the module docstring)."""
        if not was_known or snap.created_at is None or snap.created_at >= self.plan.recheck_from:
            return True
        reported = self.reported_comments(post)
        return reported is None or reported != len(self.live_comments(snap.item_id))

    def live_comments(self, post_id: str) -> set[str]:
        """Archived comments of ``post_id`` not recorded as gone."""
        return walk.live_items(self.known, post_id, kind="comment")

    def read_thread(self, post: Node, record: RecordRef) -> Iterator[Observation]:
        """Every comment of ``post``; the archived ones it no longer shows are looked up."""
        post_id = post["id"]
        seen: set[str] = set()
        reported: int | None = None
        try:
            for entry in self.thread(post, record):
                if isinstance(entry, int):
                    reported = entry
                    continue
                data, where = entry
                if not usable(data):
                    self.unreadable += 1
                    continue
                snap = self.snapshot(data, where, "comment", post_id)
                seen.add(snap.item_id)
                if self.in_scope(snap.created_at):
                    yield from self.item(snap)
        except GraphObjectGone:
            return  # the post went since the listing; the next night confirms it
        except (TransientPlatformError, ProtocolError) as exc:
            yield Trouble(f"comments of {post_id}: {exc}")
            return
        # Asked after the walk: seeing old comments brought the parts that hold their siblings.
        yield from self.confirm(self.live_comments(post_id) - seen, "comment", post_id)
        yield ThreadChecked(post_id, reported if reported is not None else self.reported_comments(post))

    def confirm(self, item_ids: set[str], item_type: ItemType, post_id: str) -> Iterator[Observation]:
        """Look up items a complete walk lacked, in id order."""
        return walk.confirm(item_ids, self.look_up(item_type, post_id))

    def look_up(self, item_type: ItemType, post_id: str | None = None) -> walk.Lookup:
        """Graph's lookup of posts, or of comments of ``post_id``: error 100/33 says one is gone;
        any other error is trouble for the night, never a deletion."""
        fields = self.post_fields if item_type == "post" else self.comment_fields

        def look_up(item_ids: list[str]) -> Iterator[walk.Answer]:
            for item_id in item_ids:
                try:
                    data, record = node(self.http, f"{self.api}/{segment(item_id)}", {"fields": fields})
                except GraphObjectGone as exc:
                    assert exc.record is not None  # a Gone always carries its evidence
                    yield walk.Absent(item_id, exc.record)
                    continue
                except (TransientPlatformError, ProtocolError) as exc:
                    yield Trouble(f"lookup of {item_id}: {exc}")
                    continue
                # Asked for by its id: recorded under it, whatever the object says its id is.
                snap = self.snapshot({**data, "id": item_id}, record, item_type, post_id or item_id)
                if self.in_scope(snap.created_at):
                    yield from self.item(snap)

        return look_up

    def confirm_posts(self, listed: set[str]) -> Iterator[Observation]:
        """Archived posts that the complete listing lacked, and the comments of those gone."""
        missing = sorted(
            (
                k
                for k in self.known.items.values()
                if k.item_type == "post"
                and not k.deleted
                and k.item_id not in listed
                and self.in_scope(k.created_at)
            ),
            key=lambda k: k.item_id,
        )
        yield from walk.confirm_unlisted(
            missing,
            self.look_up("post"),
            lambda post_id: self.confirm(self.live_comments(post_id), "comment", post_id),
        )
