"""A fake Bluesky AppView over loopback HTTP: the test double for the Bluesky connector.

It follows /work/shared/reference/platform-apis.md section 5 (the atproto lexicons and AppView
code cited there). XRPC queries under ``/xrpc/``, no auth:

* ``app.bsky.actor.getProfile?actor=`` (handle or DID; unknown: 400 ``InvalidRequest``
  "Profile not found"), ``com.atproto.identity.resolveHandle?handle=``;
* ``app.bsky.feed.getAuthorFeed?actor&limit(1-100, 50)&cursor&filter&includePins``: newest
  first, an opaque ISO-like ``cursor`` omitted on the last page, all five filters, reposts with
  ``reason`` ``#reasonRepost``, replies with ``reply{root,parent}``; ``include_pins`` puts a
  pinned post on top of page 1 *and* leaves it in place (the duplicate of atproto#2771);
  ``early_end`` drops the cursor after that many pages (atproto#2616);
* ``app.bsky.feed.getPostThread?uri&depth(6)&parentHeight(80)``: nested ``threadViewPost`` with
  ``$type`` on every union member; a deleted or unknown root is 400 ``NotFound``; a deleted
  parent is ``notFoundPost``; deleted replies vanish; replies of blocked (taken-down) accounts
  are ``blockedPost``;
* ``app.bsky.feed.getPosts?uris=…`` (repeated, at most 25): existing posts only.

Every answer carries ``RateLimit-Limit/Remaining/Reset(epoch)/Policy``; past the limit, 429
``RateLimitExceeded``. Images are served from ``http://localhost:PORT/img/…`` like
``cdn.bsky.app``. Posts keep their ``createdAt`` string as given (clients send odd ones).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, injected
from tests.fakes.mastodon_clock import FakeClock, as_utc, format_timestamp
from tests.fakes.mastodon_control import ControlPlane, Injection, RecordedRequest, RequestLog
from tests.fakes.mastodon_png import make_png
from tests.fakes.mastodon_state import png_size

_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
POST = "app.bsky.feed.post"
DEFS = "app.bsky.feed.defs"
FILTERS = (
    "posts_with_replies",
    "posts_no_replies",
    "posts_with_media",
    "posts_and_author_threads",
    "posts_with_video",
)


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().lower().rstrip("=")


def record_cid(record: dict[str, Any]) -> str:
    """A CIDv1 (dag-cbor, sha-256) look-alike: ``bafyrei`` + 52 base32 characters."""
    return "bafyrei" + _b32(hashlib.sha256(json.dumps(record, sort_keys=True).encode()).digest())


def blob_cid(data: bytes) -> str:
    return "bafkrei" + _b32(hashlib.sha256(data).digest())


@dataclass
class Actor:
    did: str
    handle: str
    display_name: str
    description: str = ""
    taken_down: bool = False  # suspended: its posts show as blockedPost in threads
    # False: the handle no longer verifies (its DNS or well-known answer went away); views then
    # carry the sentinel "handle.invalid" (INVALID_HANDLE of bluesky-social/atproto
    # packages/syntax/src/handle.ts) and the handle no longer resolves.
    handle_valid: bool = True


@dataclass
class Post:
    uri: str
    rkey: str
    author: Actor
    record: dict[str, Any]
    indexed_at: dt.datetime
    root: Post | None = None
    parent: Post | None = None
    embed_view: dict[str, Any] | None = None
    labels: list[dict[str, Any]] = field(default_factory=list)
    deleted: bool = False
    likes: int = 0
    media_kind: str | None = None  # "image" or "video"

    @property
    def cid(self) -> str:
        return record_cid(self.record)


@dataclass
class Repost:
    by: Actor
    post: Post
    indexed_at: dt.datetime


class FakeBluesky(LoopbackFake):
    """An in-memory AppView served on ``127.0.0.1`` (port from the OS); see the module docstring."""

    server_name = "bsky-appview"

    def __init__(
        self, *, now: dt.datetime | None = None, rate_limit: int = 3000, rate_window: int = 300
    ) -> None:
        self.clock = FakeClock(now)
        self.control = ControlPlane()
        self.requests = RequestLog()
        self.actors: dict[str, Actor] = {}
        self.posts: dict[str, Post] = {}
        self.reposts: list[Repost] = []
        self.pinned: dict[str, str] = {}
        self.blobs: dict[str, bytes] = {}
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self._window_start: dt.datetime | None = None
        self._window_count = 0
        self.early_end: int | None = None
        self._tid_last = 0
        self._server = LoopbackServer(self)
        self.port = self._server.port
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.cdn_url = f"http://localhost:{self.port}"

    # -- content ---------------------------------------------------------------------------

    def add_actor(self, handle: str, display_name: str, description: str = "") -> Actor:
        did = "did:plc:" + _b32(hashlib.sha256(handle.encode()).digest())[:24]
        if did in self.actors:
            return self.actors[did]  # one actor per handle
        actor = Actor(did, handle, display_name, description)
        self.actors[did] = actor
        return actor

    def _tid(self, moment: dt.datetime) -> str:
        micros = (as_utc(moment) - _EPOCH) // dt.timedelta(microseconds=1)
        value = max(micros, self._tid_last + 1)
        self._tid_last = value
        number = (value << 10) | 7
        out = ""
        for _ in range(13):
            out = _B32_SORT[number & 31] + out
            number >>= 5
        return out

    def post(
        self,
        author: Actor,
        text: str,
        *,
        reply_to: Post | None = None,
        at: dt.datetime | None = None,
        created_at: str | None = None,
        images: list[tuple[bytes, str]] | None = None,
        gallery: list[tuple[bytes, str]] | None = None,
        langs: list[str] | None = None,
        facets: list[dict[str, Any]] | None = None,
        embed: tuple[dict[str, Any], dict[str, Any]] | None = None,
        self_labels: list[str] | None = None,
    ) -> Post:
        """Publish a post (a reply when ``reply_to`` is given).

        ``created_at`` overrides the record's client-supplied ``createdAt`` string verbatim;
        ``embed`` is a raw ``(record embed, view embed)`` pair, e.g. an unknown ``$type``;
        ``gallery`` makes an ``app.bsky.embed.gallery`` of up to 20 images.
        """
        moment = as_utc(at) if at else self.clock.now()
        while any(p.indexed_at == moment for p in self.posts.values()):
            moment += dt.timedelta(milliseconds=1)
        rkey = self._tid(moment)
        record: dict[str, Any] = {
            "$type": POST,
            "text": text,
            "createdAt": created_at or format_timestamp(moment),
            "langs": langs or ["sv"],
        }
        if facets:
            record["facets"] = facets
        root = parent = None
        if reply_to is not None:
            parent = reply_to
            root = reply_to.root or reply_to
            record["reply"] = {
                "root": {"cid": root.cid, "uri": root.uri},
                "parent": {"cid": parent.cid, "uri": parent.uri},
            }
        if self_labels:
            record["labels"] = {
                "$type": "com.atproto.label.defs#selfLabels",
                "values": [{"val": v} for v in self_labels],
            }
        view = None
        kind = None
        if images:
            blobs, views = self._images(author, images)
            record["embed"] = {"$type": "app.bsky.embed.images", "images": blobs}
            view = {"$type": "app.bsky.embed.images#view", "images": views}
            kind = "image"
        elif gallery:
            record["embed"], view = self.gallery(author, gallery)
            kind = "image"
        elif embed is not None:
            record["embed"], view = embed
            view_type = str(view.get("$type", ""))
            shown = json.dumps(view)
            pictures = "images" in shown or "gallery" in shown
            kind = "video" if "video" in view_type else "image" if pictures else None
        post = Post(
            f"at://{author.did}/{POST}/{rkey}",
            rkey,
            author,
            record,
            moment,
            root,
            parent,
            view,
            media_kind=kind,
        )
        self.posts[post.uri] = post
        return post

    def _images(
        self, author: Actor, images: list[tuple[bytes, str]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The record's image blobs (kept for the CDN) and their views, as the AppView renders them."""
        blobs, views = [], []
        for data, alt in images:
            cid = blob_cid(data)
            self.blobs[cid] = data
            blobs.append(
                {
                    "alt": alt,
                    "image": {
                        "$type": "blob",
                        "ref": {"$link": cid},
                        "mimeType": "image/png",
                        "size": len(data),
                    },
                }
            )
            views.append(
                {
                    "thumb": f"{self.cdn_url}/img/feed_thumbnail/plain/{author.did}/{cid}@jpeg",
                    "fullsize": f"{self.cdn_url}/img/feed_fullsize/plain/{author.did}/{cid}@jpeg",
                    "alt": alt,
                }
            )
        return blobs, views

    def gallery(
        self, author: Actor, images: list[tuple[bytes, str]]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ``(record embed, view embed)`` of an ``app.bsky.embed.gallery`` (lexicon
        ``lexicons/app/bsky/embed/gallery.json``: record items ``#image`` with ``aspectRatio``
        required, at most 20; view items ``#viewImage`` with ``thumbnail``, not ``thumb``)."""
        if len(images) > 20:
            raise ValueError("a gallery holds at most 20 items")
        blobs, views = self._images(author, images)
        items, view_items = [], []
        for data, blob, image_view in zip((d for d, _ in images), blobs, views, strict=True):
            width, height = png_size(data) or (1, 1)
            ratio = {"width": width, "height": height}
            items.append({"$type": "app.bsky.embed.gallery#image", **blob, "aspectRatio": ratio})
            view_items.append(
                {
                    "$type": "app.bsky.embed.gallery#viewImage",
                    "fullsize": image_view["fullsize"],
                    "thumbnail": image_view["thumb"],
                    "alt": image_view["alt"],
                    "aspectRatio": ratio,
                }
            )
        return (
            {"$type": "app.bsky.embed.gallery", "items": items},
            {"$type": "app.bsky.embed.gallery#view", "items": view_items},
        )

    def quote_with_images(
        self, author: Actor, quoted: Post, images: list[tuple[bytes, str]], *, gallery: bool = False
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ``(record embed, view embed)`` of a quote post with images (``recordWithMedia``),
        as an ``app.bsky.embed.images`` or, with ``gallery``, an ``app.bsky.embed.gallery``."""
        if gallery:
            media, media_view = self.gallery(author, images)
        else:
            blobs, views = self._images(author, images)
            media = {"$type": "app.bsky.embed.images", "images": blobs}
            media_view = {"$type": "app.bsky.embed.images#view", "images": views}
        record = {
            "$type": "app.bsky.embed.recordWithMedia",
            "media": media,
            "record": {"$type": "app.bsky.embed.record", "record": {"cid": quoted.cid, "uri": quoted.uri}},
        }
        view = {
            "$type": "app.bsky.embed.recordWithMedia#view",
            "media": media_view,
            "record": {
                "record": {
                    "$type": "app.bsky.embed.record#viewRecord",
                    "uri": quoted.uri,
                    "cid": quoted.cid,
                    "author": self._basic(quoted.author),
                    "value": quoted.record,
                    "labels": [],
                    "indexedAt": format_timestamp(quoted.indexed_at),
                    "embeds": [],
                }
            },
        }
        return record, view

    def rewrite(self, post: Post, text: str) -> None:
        """Replace the record (``com.atproto.repo.putRecord``): the text and the ``cid`` change."""
        post.record = {**post.record, "text": text}

    def delete(self, post: Post) -> None:
        post.deleted = True

    def repost(self, by: Actor, post: Post, *, at: dt.datetime | None = None) -> None:
        self.reposts.append(Repost(by, post, as_utc(at) if at else self.clock.now()))

    def pin(self, post: Post) -> None:
        self.pinned[post.author.did] = post.uri

    def inject_error(
        self,
        path_regex: str,
        status: int,
        error: str,
        message: str,
        headers: dict[str, str] | None = None,
        count: int = 1,
    ) -> Injection:
        """Answer the next ``count`` matching requests with an XRPC error body."""
        return self.control.inject(path_regex, status, count, {"error": error, "message": message}, headers)

    # -- serving ---------------------------------------------------------------------------

    def _rate_headers(self) -> tuple[dict[str, str], bool]:
        now = self.clock.now()
        if self._window_start is None or now >= self._window_start + dt.timedelta(seconds=self.rate_window):
            self._window_start = now
            self._window_count = 0
        self._window_count += 1
        reset = self._window_start + dt.timedelta(seconds=self.rate_window)
        remaining = max(0, self.rate_limit - self._window_count)
        headers = {
            "RateLimit-Limit": str(self.rate_limit),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(math.ceil(reset.timestamp())),
            "RateLimit-Policy": f"{self.rate_limit};w={self.rate_window}",
        }
        return headers, self._window_count > self.rate_limit

    def handle(self, record: RecordedRequest) -> Reply:
        if record.path.startswith("/img/"):
            return self._image(record.path)
        if not record.path.startswith("/xrpc/"):
            return Reply(404, b"Not Found", content_type="text/plain")
        headers, exceeded = self._rate_headers()
        if exceeded:
            return Reply(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, headers)
        fault = injected(self, record)
        if fault is not None:
            fault.headers = {**headers, **fault.headers}
            return fault
        method = record.path[len("/xrpc/") :]
        route = {
            "app.bsky.actor.getProfile": self._get_profile,
            "com.atproto.identity.resolveHandle": self._resolve_handle,
            "app.bsky.feed.getAuthorFeed": self._get_author_feed,
            "app.bsky.feed.getPostThread": self._get_post_thread,
            "app.bsky.feed.getPosts": self._get_posts,
        }.get(method)
        if route is None:
            return Reply(404, {"error": "XRPCNotSupported", "message": "XRPCNotSupported"}, headers)
        reply = route(record.query)
        reply.headers = {**headers, **reply.headers}
        return reply

    @staticmethod
    def _invalid(message: str, error: str = "InvalidRequest") -> Reply:
        return Reply(400, {"error": error, "message": message})

    def _image(self, path: str) -> Reply:
        match = re.fullmatch(
            r"/img/feed_(?:thumbnail|fullsize)/plain/(did:plc:[a-z2-7]+)/([a-z2-7]+)@jpeg", path
        )
        data = self.blobs.get(match.group(2)) if match else None
        if data is None:
            return Reply(404, b"Not Found", content_type="text/plain")
        return Reply(200, data, {"Cache-Control": "public, max-age=604800"}, "image/jpeg")

    def _actor(self, ref: str) -> Actor | None:
        if ref in self.actors:
            return self.actors[ref]
        wanted = ref.lstrip("@").lower()
        return next((a for a in self.actors.values() if a.handle_valid and a.handle.lower() == wanted), None)

    def _basic(self, actor: Actor) -> dict[str, Any]:
        return {
            "did": actor.did,
            "handle": actor.handle if actor.handle_valid else "handle.invalid",
            "displayName": actor.display_name,
            "avatar": f"{self.cdn_url}/img/avatar/plain/{actor.did}/bafkreiavatar@jpeg",
            "viewer": {"muted": False, "blockedBy": False},
            "labels": [],
            "createdAt": "2023-04-12T09:15:02.114Z",
        }

    def _get_profile(self, query: dict[str, list[str]]) -> Reply:
        actor = self._actor(_one(query, "actor"))
        if actor is None or actor.taken_down:
            return self._invalid("Profile not found")
        posts = sum(1 for p in self.posts.values() if p.author is actor and not p.deleted)
        return Reply(
            200,
            {
                **self._basic(actor),
                "description": actor.description,
                "followersCount": 812,
                "followsCount": 64,
                "postsCount": posts,
                "indexedAt": "2024-01-10T08:00:00.000Z",
            },
        )

    def _resolve_handle(self, query: dict[str, list[str]]) -> Reply:
        actor = self._actor(_one(query, "handle"))
        if actor is None:
            return self._invalid("Unable to resolve handle")
        return Reply(200, {"did": actor.did})

    def post_view(self, post: Post) -> dict[str, Any]:
        replies = sum(1 for p in self.posts.values() if p.parent is post and not p.deleted)
        view: dict[str, Any] = {
            "uri": post.uri,
            "cid": post.cid,
            "author": self._basic(post.author),
            "record": post.record,
            "replyCount": replies,
            "repostCount": sum(1 for r in self.reposts if r.post is post),
            "likeCount": post.likes,
            "quoteCount": 0,
            "indexedAt": format_timestamp(post.indexed_at),
            "viewer": {"threadMuted": False, "embeddingDisabled": False},
            "labels": list(post.labels),
        }
        if post.embed_view is not None:
            view["embed"] = post.embed_view
        return view

    def _ref_view(self, post: Post) -> dict[str, Any]:
        if post.deleted:
            return {"$type": f"{DEFS}#notFoundPost", "uri": post.uri, "notFound": True}
        return {"$type": f"{DEFS}#postView", **self.post_view(post)}

    def _feed(self, actor: Actor, flt: str) -> list[tuple[dt.datetime, dict[str, Any]]]:
        items: list[tuple[dt.datetime, dict[str, Any]]] = []
        for post in self.posts.values():
            if post.author is not actor or post.deleted:
                continue
            is_reply = post.parent is not None
            if flt == "posts_no_replies" and is_reply:
                continue
            if flt == "posts_with_media" and post.media_kind != "image":
                continue
            if flt == "posts_with_video" and post.media_kind != "video":
                continue
            if flt == "posts_and_author_threads" and is_reply:
                assert post.root is not None and post.parent is not None
                if post.root.author is not actor or post.parent.author is not actor:
                    continue
            item: dict[str, Any] = {"post": self.post_view(post)}
            if post.parent is not None and post.root is not None:
                item["reply"] = {"root": self._ref_view(post.root), "parent": self._ref_view(post.parent)}
            items.append((post.indexed_at, item))
        if flt in ("posts_with_replies", "posts_no_replies", "posts_and_author_threads"):
            for repost in self.reposts:
                if repost.by is actor and not repost.post.deleted:
                    reason = {
                        "$type": f"{DEFS}#reasonRepost",
                        "by": self._basic(actor),
                        "indexedAt": format_timestamp(repost.indexed_at),
                    }
                    items.append((repost.indexed_at, {"post": self.post_view(repost.post), "reason": reason}))
        items.sort(key=lambda pair: pair[0], reverse=True)
        return items

    def _get_author_feed(self, query: dict[str, list[str]]) -> Reply:
        actor = self._actor(_one(query, "actor"))
        if actor is None or actor.taken_down:
            return self._invalid("Profile not found")
        try:
            limit = int(_one(query, "limit") or 50)
        except ValueError:
            return self._invalid("Error: limit must be an integer")
        if not 1 <= limit <= 100:
            return self._invalid(f"Error: limit must be {'<= 100' if limit > 100 else '>= 1'}")
        flt = _one(query, "filter") or "posts_with_replies"
        if flt not in FILTERS:
            return self._invalid(f"Error: filter must be one of {', '.join(FILTERS)}")
        items = self._feed(actor, flt)
        cursor = _one(query, "cursor")
        page_number = 1
        if cursor:
            try:
                before = dt.datetime.fromisoformat(cursor.replace("Z", "+00:00"))
            except ValueError:
                return self._invalid("Malformed cursor")
            items = [pair for pair in items if pair[0] < before]
            page_number = 2
        page = items[:limit]
        body: dict[str, Any] = {"feed": [item for _, item in page]}
        pin = self.pinned.get(actor.did)
        if _one(query, "includePins") == "true" and pin and not cursor and pin in self.posts:
            reason = {"$type": f"{DEFS}#reasonPin"}
            body["feed"].insert(0, {"post": self.post_view(self.posts[pin]), "reason": reason})
        if len(items) > limit and not (self.early_end is not None and page_number >= self.early_end):
            body = {"cursor": format_timestamp(page[-1][0]), **body}
        return Reply(200, body)

    def _thread_view(self, post: Post, depth: int) -> dict[str, Any]:
        if post.author.taken_down:
            return {
                "$type": f"{DEFS}#blockedPost",
                "uri": post.uri,
                "blocked": True,
                "author": {"did": post.author.did, "viewer": {"blockedBy": False}},
            }
        view: dict[str, Any] = {"$type": f"{DEFS}#threadViewPost", "post": self.post_view(post)}
        if depth > 0:
            children = sorted(
                (p for p in self.posts.values() if p.parent is post and not p.deleted),
                key=lambda p: p.indexed_at,
            )
            view["replies"] = [self._thread_view(child, depth - 1) for child in children]
        return view

    def _parent_view(self, post: Post | None, height: int) -> dict[str, Any] | None:
        if post is None or height <= 0:
            return None
        if post.deleted:
            return {"$type": f"{DEFS}#notFoundPost", "uri": post.uri, "notFound": True}
        view: dict[str, Any] = {"$type": f"{DEFS}#threadViewPost", "post": self.post_view(post)}
        above = self._parent_view(post.parent, height - 1)
        if above is not None:
            view["parent"] = above
        return view

    def _get_post_thread(self, query: dict[str, list[str]]) -> Reply:
        uri = _one(query, "uri")
        try:
            depth = int(_one(query, "depth") or 6)
            height = int(_one(query, "parentHeight") or 80)
        except ValueError:
            return self._invalid("Error: depth must be an integer")
        if not (0 <= depth <= 1000 and 0 <= height <= 1000):
            return self._invalid("Error: depth must be <= 1000")
        post = self.posts.get(uri)
        if post is None or post.deleted:
            return self._invalid(f"Post not found: {uri}", "NotFound")
        thread = self._thread_view(post, depth)
        parent = self._parent_view(post.parent, height)
        if parent is not None and thread["$type"].endswith("#threadViewPost"):
            thread["parent"] = parent
        return Reply(200, {"thread": thread})

    def _get_posts(self, query: dict[str, list[str]]) -> Reply:
        uris = query.get("uris", [])
        if len(uris) > 25:
            return self._invalid("Error: uris must not have more than 25 elements")
        found = [self.posts[u] for u in uris if u in self.posts and not self.posts[u].deleted]
        return Reply(200, {"posts": [self.post_view(p) for p in found if not p.author.taken_down]})


def _one(query: dict[str, list[str]], name: str) -> str:
    values = query.get(name)
    return values[-1] if values else ""


def sample_image(seed: int) -> bytes:
    return make_png(12, 8, (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
