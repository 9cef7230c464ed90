"""Bluesky through the public AppView (``https://public.api.bsky.app``), without authentication.

What a night reads, for one account:

1. ``app.bsky.actor.getProfile?actor=HANDLE``: the account's DID (handles change, DIDs do not).
2. ``app.bsky.feed.getAuthorFeed?actor=DID&limit=100&filter=posts_with_replies``, following the
   opaque ``cursor``, newest first, down to the start of the re-check window (the first night:
   the whole feed, or ``active_from``). Reposts of other people's posts are skipped; the
   account's top-level posts are *posts*, its replies *comments*.
3. ``app.bsky.feed.getPostThread?uri=…&depth=1000&parentHeight=0`` for every listed post (and
   for an older thread of the account that it answered in tonight): every reply at any depth.
   An answer of the account in someone else's thread is captured with the replies below it.
   The thread's ``replyCount``s, summed over the posts read, are the platform's own count.
4. ``getPostThread?uri=…&depth=0`` for an archived item that a complete walk no longer showed:
   only 400 ``NotFound`` records it as deleted.
5. Images (``app.bsky.embed.images``, and ``app.bsky.embed.gallery`` for more than four) from
   the blob CDN, once each; alt texts are the files' descriptions.

Posts cannot be edited in the Bluesky app; a record rewritten through the repository API gets a
new ``cid``, and a changed ``cid`` is a new version. Embeds are read leniently: an unknown
``$type`` is kept by name and noted, never an error. Text is ``record.text`` verbatim (links and
mentions are plain text there; ``facets`` only mark byte ranges). ``createdAt`` is written by the
client and may be odd (no time zone, a future time): it is read as UTC, and where it cannot be
read or lies after ``indexedAt`` the AppView's ``indexedAt`` is used instead.

Not visible through the public AppView: posts and replies of taken-down or blocking accounts
(``blockedPost``), replies the thread's author hid with a threadgate, likes and reposts lists
(counters only).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from archive_lib.connectors import walk
from archive_lib.connectors.base import HighWater, Incomplete, Note, Seen, ThreadChecked, content_digest
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.idset import IdSet
from archive_lib.connectors.pages import PageTrail
from archive_lib.connectors.paths import segment
from archive_lib.connectors.response import Response
from archive_lib.errors import AccountNotFoundError, ProtocolError
from archive_lib.models import Account, ItemSnapshot, ItemType, MediaFile, QuoteRef, RecordRef
from archive_lib.values import Fields, count, dicts, ident, mapping, moment

if TYPE_CHECKING:
    from archive_lib.connectors.base import CapturePlan, KnownView, MediaArchiver, Observation

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://public.api.bsky.app"
PAGE_SIZE = 100
FEED_FILTER = "posts_with_replies"
MAX_DEPTH = 1000
CLOCK_SLACK = dt.timedelta(minutes=10)  # createdAt later than indexedAt by more: a wrong clock
DEFS = "app.bsky.feed.defs"
INVALID_HANDLE = "handle.invalid"  # what the AppView sends for a handle that does not verify
Json = dict[str, Any]


@dataclass
class _Fetched:
    view: Json  # a postView
    record: RecordRef


class BlueskyConnector:
    """The Bluesky walk of one account for one night (see the module docstring)."""

    platform: ClassVar[str] = "bluesky"

    def __init__(self, account: Account, http: HttpClient, media: MediaArchiver, authenticated: bool) -> None:
        self.account = account
        self.http = http
        self.media = media
        self.xrpc = f"{(account.api_base or DEFAULT_API_BASE).rstrip('/')}/xrpc"
        self.did = ""
        self.plan: CapturePlan
        self.known: KnownView
        self.threads_read = IdSet()
        # Asked only about the account's posts and replies (its listing, its archived items).
        self.seen_tonight = walk.SeenTonight("the account's items")
        self.unknown_embeds: Counter[str] = Counter()

    # -- the walk -------------------------------------------------------------------------

    def capture(self, plan: CapturePlan) -> Iterator[Observation]:
        self.plan, self.known = plan, plan.known
        self.did = self._profile()
        listed: set[str] = set()
        newest: dt.datetime | None = None
        replies: list[_Fetched] = []
        for fetched in self._listing():
            view = fetched.view
            indexed = moment(view.get("indexedAt"))
            if indexed is not None and (newest is None or indexed > newest):
                newest = indexed
            if not self._in_scope(view):
                continue
            listed.add(view["uri"])
            reply = mapping(view.get("record")).get("reply")
            if not reply:
                yield from self._thread(str(view["uri"]))
            else:
                replies.append(fetched)
        for fetched in reversed(replies):  # oldest first
            if fetched.view["uri"] not in self.seen_tonight:
                yield from self._reply(fetched)
        if self.unknown_embeds:
            kinds = ", ".join(f"{k} ({n})" for k, n in sorted(self.unknown_embeds.items()))
            yield Note(f"embeds of a type this archive does not know were kept by name only: {kinds}")
        yield from walk.confirm_unlisted(
            walk.unlisted(self.known, plan, listed, self.seen_tonight),
            self._look_up,
            lambda post_id: self._confirm(walk.live_items(self.known, post_id) - {post_id}),
        )
        if newest is not None:
            yield HighWater(newest.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        elif self.known.high_water:
            yield HighWater(self.known.high_water)

    def _get(self, method: str, params: dict[str, str | int]) -> Response:
        return self.http.get(f"{self.xrpc}/{method}", params, allow=(400,))

    def _profile(self) -> str:
        handle = self.account.handle.lstrip("@")
        response = self._get("app.bsky.actor.getProfile", {"actor": handle})
        data = response.json_object()
        if response.status == 400:
            raise AccountNotFoundError(
                f"Bluesky has no account {handle!r}: {data.get('message') or data.get('error')}"
            )
        did = ident(data.get("did"))
        if did is None:
            raise ProtocolError(f"{response.where}: the profile has no did")
        return did

    def _listing(self) -> Iterator[_Fetched]:
        """The account's own posts and replies, newest first, down to where tonight's walk may stop."""
        plan = self.plan
        stop = walk.listing_stop(plan)
        cursor: str | None = None
        trail = PageTrail("getAuthorFeed")
        seen: set[str] = set()
        while True:
            params: dict[str, str | int] = {"actor": self.did, "limit": PAGE_SIZE, "filter": FEED_FILTER}
            if cursor:
                params["cursor"] = cursor
            response = self._get("app.bsky.feed.getAuthorFeed", params)
            page = _ok(response)
            items = dicts(page.get("feed"))
            older = 0
            for item in items:
                post = _view(item.get("post"))
                if post is None:
                    continue
                reason = mapping(item.get("reason"))
                sort_at = moment(reason.get("indexedAt") or post.get("indexedAt"))
                if stop is not None and sort_at is not None and sort_at < stop:
                    older += 1
                    continue
                if "reasonRepost" in str(reason.get("$type", "")):
                    continue  # someone else's post the account shared
                if mapping(post.get("author")).get("did") != self.did or post["uri"] in seen:
                    continue  # pinned posts can repeat across pages
                seen.add(post["uri"])
                yield _Fetched(post, response.record)
            cursor = page.get("cursor")
            if not cursor or not items or older == len(items):
                return
            cursor = trail.follow(str(cursor))

    def _in_scope(self, view: Json) -> bool:
        created = self._created(view)
        if created is None:
            return True  # an unreadable time never drops an item
        if self.plan.capture_from and created < self.plan.capture_from:
            return False
        until = self.plan.capture_until
        return not (until and created >= until)

    # -- threads --------------------------------------------------------------------------

    def _thread_json(self, uri: str, depth: int = MAX_DEPTH) -> tuple[Json, RecordRef] | None:
        """The ``thread`` of ``uri``, or None when the AppView answers ``NotFound``."""
        response = self._get("app.bsky.feed.getPostThread", {"uri": uri, "depth": depth, "parentHeight": 0})
        data = response.json_object()
        if response.status == 400:
            if data.get("error") == "NotFound":
                return None
            raise ProtocolError(f"getPostThread {uri}: {data.get('error')}: {data.get('message')}")
        thread = data.get("thread")
        if not isinstance(thread, dict):
            raise ProtocolError(f"getPostThread {uri}: no thread in the answer")
        return thread, response.record

    def _thread(self, root_uri: str) -> Iterator[Observation]:
        """A post of the account and every reply below it, read once a night."""
        if not self.threads_read.add(root_uri):
            return
        got = yield from walk.attempt(f"thread {root_uri}", self._thread_json, root_uri)
        if got is None:
            return  # failed, or gone since the listing: the deletion check decides
        thread, record = got
        if not _is(thread, "threadViewPost"):
            yield Incomplete(f"thread {root_uri}: the AppView shows it as {thread.get('$type')}")
            return
        walked = _Walk()
        yield from self._node(thread, record, "post", root_uri, walked)
        yield from self._after_walk(root_uri, walked, walk.live_items(self.known, root_uri))

    def _reply(self, fetched: _Fetched) -> Iterator[Observation]:
        """An answer of the account that no thread read tonight showed."""
        view = fetched.view
        uri = view["uri"]
        root = mapping(mapping(mapping(view.get("record")).get("reply")).get("root")).get("uri")
        root_uri = root if isinstance(root, str) and root else uri
        if _did_of(root_uri) == self.did and root_uri not in self.threads_read:
            yield from self._thread(root_uri)  # an older thread of the account: read it whole
            if uri in self.seen_tonight:
                return
        got = yield from walk.attempt(f"branch of reply {uri}", self._thread_json, uri)
        if got is None:
            return
        thread, record = got
        walked = _Walk()
        yield from self._node(thread, record, "comment", root_uri, walked)
        yield from self._after_walk(root_uri, walked, walk.live_below(self.known, uri))

    def _node(
        self, node: Json, record: RecordRef, kind: ItemType, root_uri: str, walked: _Walk
    ) -> Iterator[Observation]:
        """One ``threadViewPost`` and, depth first, everything below it."""
        stack: list[tuple[Json, ItemType]] = [(node, kind)]
        while stack:
            current, item_type = stack.pop()
            post = _view(current.get("post"))
            if post is None:
                continue
            uri = post["uri"]
            walked.seen.add(uri)
            walked.reported += count(post.get("replyCount"))
            children = dicts(current.get("replies"))
            shown = 0
            for child in reversed(children):
                if _is(child, "threadViewPost"):
                    shown += 1
                    stack.append((child, "comment"))
                elif _is(child, "blockedPost"):
                    walked.blocked += 1
                elif not _is(child, "notFoundPost"):
                    walked.other.add(str(child.get("$type")))
            walked.short += max(0, count(post.get("replyCount")) - shown)
            if self._in_scope(post) or item_type == "comment":
                yield from self._item(_Fetched(post, record), item_type, root_uri)

    def _after_walk(self, root_uri: str, walked: _Walk, expected: set[str]) -> Iterator[Observation]:
        yield from self._confirm(expected - walked.seen)
        if walked.short:
            why = []
            if walked.blocked:
                why.append(f"{walked.blocked} from blocked or taken-down accounts")
            if walked.other:
                why.append("some shown as " + ", ".join(sorted(walked.other)))
            detail = f" ({'; '.join(why)})" if why else ""
            yield Incomplete(
                f"thread {root_uri}: Bluesky counts {walked.short} replies it did not show{detail}"
            )
        yield ThreadChecked(root_uri, walked.reported)

    # -- deletions (the rule is :mod:`.walk`'s) ---------------------------------------------

    def _confirm(self, uris: set[str]) -> Iterator[Observation]:
        """Look up posts a complete walk lacked, in URI order."""
        return walk.confirm(uris, self._look_up)

    def _look_up(self, uris: list[str]) -> Iterator[walk.Answer]:
        """``getPostThread`` at depth 0 for each: only 400 ``NotFound`` says it is gone."""
        for uri in uris:
            response = self._get("app.bsky.feed.getPostThread", {"uri": uri, "depth": 0, "parentHeight": 0})
            data = response.json_object()
            if response.status == 400 and data.get("error") == "NotFound":
                yield walk.Absent(uri, response.record)
                continue
            if response.status == 400:
                raise ProtocolError(f"getPostThread {uri}: {data.get('error')}: {data.get('message')}")
            thread = mapping(data.get("thread"))
            post = _view(thread.get("post"))
            known = self.known.latest(uri)
            if _is(thread, "threadViewPost") and post is not None and known is not None:
                item_type: ItemType = "post" if known.item_type == "post" else "comment"
                yield from self._item(_Fetched(post, response.record), item_type, known.post_id)

    # -- items ----------------------------------------------------------------------------

    def _item(self, fetched: _Fetched, item_type: ItemType, root_uri: str) -> Iterator[Observation]:
        snapshot = self._snapshot(fetched, item_type, root_uri)
        known = self.known.latest(snapshot.item_id, snapshot.created_at)
        self.seen_tonight.saw(snapshot, known)
        if walk.becomes_version(known, snapshot):
            snapshot = walk.with_files(snapshot, self.media, only_with_url=True)
        yield Seen(snapshot)

    def _created(self, view: Json, fields: Fields | None = None) -> dt.datetime | None:
        """``record.createdAt``, or the AppView's ``indexedAt`` where that is unreadable or later.

        ``createdAt`` is written by the client: a time zone may be missing (read as UTC), the
        year may be 99 (kept: it is what the author's client said), and a time after
        ``indexedAt`` means a wrong clock. ``fields``, if given, notes a value that cannot be read.
        """
        indexed = moment(view.get("indexedAt"))
        raw = mapping(view.get("record")).get("createdAt")
        created = moment(raw)
        if created is not None and (indexed is None or created - indexed <= CLOCK_SLACK):
            return created
        if fields is not None and created is None:  # a wrong clock is a rule, not an odd value
            fields.note("record.createdAt", raw)
        if fields is not None and indexed is None:
            fields.note("indexedAt", view.get("indexedAt"))
        return indexed

    def _snapshot(self, fetched: _Fetched, item_type: ItemType, root_uri: str) -> ItemSnapshot:
        view = fetched.view
        fields = Fields()
        record = mapping(view.get("record"))
        author = mapping(view.get("author"))
        uri = view["uri"]
        text = fields.text("text", record.get("text"))
        media = tuple(self._embed(view.get("embed") or record.get("embed")))
        quote = _quote(view.get("embed") or record.get("embed"))  # not in the digest: the cid is
        self_labels = [str(v.get("val")) for v in dicts(mapping(record.get("labels")).get("values"))]
        labels = self_labels + [str(v.get("val")) for v in dicts(view.get("labels"))]
        raw_langs = record.get("langs")
        langs = [x for x in raw_langs if isinstance(x, str)] if isinstance(raw_langs, list) else []
        parent = mapping(mapping(record.get("reply")).get("parent")).get("uri")
        did = fields.ident("author.did", author.get("did")) or _did_of(uri)
        handle = fields.text("author_handle", author.get("handle")) or did
        # An unverified handle comes as the sentinel "handle.invalid"; the DID always routes.
        profile = did if handle == INVALID_HANDLE else handle
        return ItemSnapshot(
            item_id=uri,
            item_type=item_type,
            post_id=root_uri if item_type == "comment" else uri,
            parent_id=fields.opt_text("parent_id", parent) if parent and item_type == "comment" else None,
            author_id=did,
            author_name=fields.text("author_name", author.get("displayName")),
            author_handle=handle,
            author_is_account=did == self.did,
            text=text,
            url=_post_url(profile, uri),
            created_at=self._created(view, fields),
            edited_at=None,
            content_sha256=content_digest(
                text=text,
                content_warning=", ".join(self_labels),
                sensitive=bool(self_labels),
                media=media,
                extra={"cid": str(view.get("cid") or ""), "langs": langs},
            ),
            record=fetched.record,
            language=langs[0] if langs else None,
            content_warning=", ".join(self_labels) or None,
            sensitive=bool(labels),
            visibility="public",
            media=media,
            quote=quote,
            unparsed=tuple(fields.unparsed),
        )

    def pushed_snapshot(
        self, view: Json, record: RecordRef, item_type: ItemType, root_uri: str
    ) -> ItemSnapshot:
        """A post a platform pushed (Jetstream), given as a post view built from the record, read
        as this walk reads posts. Needs :attr:`did`, the account's own DID, to be set."""
        return self._snapshot(_Fetched(view, record), item_type, root_uri)

    def _embed(self, embed: object) -> Iterator[MediaFile]:
        """What an embed holds, leniently: known types by their parts, unknown ones by name."""
        if not isinstance(embed, dict):
            return
        raw_type = str(embed.get("$type") or "unknown")
        kind = raw_type.split("#", 1)[0]
        if kind == "app.bsky.embed.images":
            for image in embed.get("images") or []:
                if not isinstance(image, dict):
                    continue
                url = image.get("fullsize")
                blob = ((image.get("image") or {}).get("ref") or {}).get("$link")
                media_id = str(blob or _blob_of(url) or url or "image")
                yield MediaFile(media_id, "image", str(url) if url else None, image.get("alt") or None)
        elif kind == "app.bsky.embed.gallery":
            # Like images (record items ``#image``, view items ``#viewImage``); an item of a type
            # added to the union later is kept by name, as an unknown embed is.
            for item in embed.get("items") or []:
                if not isinstance(item, dict):
                    continue
                item_type = str(item.get("$type") or "")
                if item_type and item_type.split("#", 1)[-1] not in ("image", "viewImage"):
                    self.unknown_embeds[item_type] += 1
                    yield MediaFile(f"embed:{item_type}", item_type, None, None)
                    continue
                url = item.get("fullsize")
                blob = ((item.get("image") or {}).get("ref") or {}).get("$link")
                media_id = str(blob or _blob_of(url) or url or "image")
                yield MediaFile(media_id, "image", str(url) if url else None, item.get("alt") or None)
        elif kind == "app.bsky.embed.video":
            cid = str(embed.get("cid") or (embed.get("video") or {}).get("ref", {}).get("$link") or "video")
            yield MediaFile(cid, "video", None, embed.get("alt") or None)  # the HLS stream is not fetched
        elif kind == "app.bsky.embed.external":
            external = embed.get("external") or {}
            uri = external.get("uri")
            yield MediaFile(str(uri or "external"), "link", None, external.get("title") or None)
        elif kind == "app.bsky.embed.record":
            quoted = embed.get("record") or {}
            if isinstance(quoted.get("record"), dict):  # the view nests the record once more
                quoted = quoted["record"]
            yield MediaFile(str(quoted.get("uri") or "record"), "quote", None, None)
        elif kind == "app.bsky.embed.recordWithMedia":
            yield from self._embed(embed.get("media"))
            yield from self._embed({**(embed.get("record") or {}), "$type": "app.bsky.embed.record"})
        else:
            self.unknown_embeds[raw_type] += 1
            yield MediaFile(f"embed:{raw_type}", raw_type, None, None)


@dataclass
class _Walk:
    """What one thread walk saw."""

    seen: set[str] = dataclasses.field(default_factory=set)
    reported: int = 0  # the platform's replyCounts, summed over the posts read
    short: int = 0  # replies counted but not shown
    blocked: int = 0
    other: set[str] = dataclasses.field(default_factory=set)


def _view(raw: object) -> Json | None:
    """A postView with a usable ``uri`` (as text), or ``None``: nothing can be recorded without it."""
    if not isinstance(raw, dict):
        return None
    uri = raw.get("uri")
    if not isinstance(uri, str) or not uri:
        return None
    return raw


def _is(node: object, name: str) -> bool:
    return isinstance(node, dict) and str(node.get("$type", "")).endswith(f"#{name}")


_QUOTE_STATES = {
    "viewRecord": "accepted",
    "viewNotFound": "deleted",
    "viewDetached": "revoked",
    "viewBlocked": "blocked_account",
}


def _quote(embed: object) -> QuoteRef | None:
    """The post a quote post quotes (``app.bsky.embed.record``, alone or in ``recordWithMedia``),
    from the view (with its state) or the raw record (without); other embedded records (feeds,
    lists, starter packs) are not quotes."""
    if not isinstance(embed, dict):
        return None
    kind = str(embed.get("$type") or "").split("#", 1)[0]
    if kind == "app.bsky.embed.recordWithMedia":
        inner = embed.get("record")
        return _quote({"$type": "app.bsky.embed.record", **inner}) if isinstance(inner, dict) else None
    if kind != "app.bsky.embed.record" or not isinstance(embed.get("record"), dict):
        return None
    quoted = embed["record"]
    if isinstance(quoted.get("record"), dict):  # the view nests the record once more
        quoted = quoted["record"]
    uri = str(quoted.get("uri") or "")
    if "/app.bsky.feed.post/" not in uri:
        return None
    view_type = str(quoted.get("$type") or "")
    state = _QUOTE_STATES.get(view_type.split("#", 1)[-1]) if "#" in view_type else None
    return QuoteRef(uri, _post_url(_did_of(uri), uri), state)


def _post_url(profile: str, uri: str) -> str | None:
    """The post's page on bsky.app, or None when the AT-URI's parts cannot make one."""
    try:
        return f"https://bsky.app/profile/{segment(profile, keep=':')}/post/{segment(uri.rsplit('/', 1)[-1])}"
    except ProtocolError:
        return None


def _did_of(uri: str) -> str:
    return uri[len("at://") :].split("/", 1)[0] if uri.startswith("at://") else ""


def _blob_of(url: object) -> str | None:
    if not isinstance(url, str) or "/" not in url:
        return None
    return url.rsplit("/", 1)[-1].split("@", 1)[0] or None


def _ok(response: Response) -> Json:
    data = response.json_object()
    if response.status == 400:
        raise ProtocolError(f"{response.where}: {data.get('error')}: {data.get('message')}")
    return data
