"""A fake YouTube Data API v3 over loopback HTTP: the test double for the YouTube connector.

It follows /work/shared/reference/platform-apis.md section 3 (the API's reference pages and the
python-youtube fixtures cited there): ``/youtube/v3/channels``, ``/playlistItems``, ``/videos``,
``/commentThreads`` and ``/comments``, all GET with the API key as the ``key`` parameter;
``part=``, ``maxResults`` (playlistItems 0-50 default 5, comments 1-100 default 20),
``pageToken``/``nextPageToken`` (absent on the last page; a malformed token is 400
``invalidPageToken``), ``forHandle``, ``parentId``, ``id=`` lists, ``textFormat=html|plainText``.
Counts are strings, ``commentCount`` is absent when comments are disabled, ``commentThreads``
inline at most 5 replies, ``comments.list`` has ``pageInfo.resultsPerPage`` only, deleted or
private videos and deleted comments are simply missing from ``items``.

Every answered request with a valid key costs one quota unit (``units_used``); once
``quota_limit`` is spent every call gets 403 ``quotaExceeded`` (real body) until
:meth:`FakeYouTube.reset_quota`. An unknown key gets 400 ``keyInvalid``, an expired key the
newer Google error with ``API_KEY_EXPIRED``. :meth:`FakeYouTube.inject_error` answers the next
matching requests with ``rateLimitExceeded``, ``backendError`` and friends (still charged, as
Google charges invalid requests). Thumbnails are served on ``http://localhost:PORT`` (another
host name, like ``i.ytimg.com``).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import random
import re
import string
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.loopback import LoopbackFake, LoopbackServer, Reply, injected
from tests.fakes.mastodon_clock import FakeClock, as_utc
from tests.fakes.mastodon_control import ControlPlane, Injection, RecordedRequest, RequestLog
from tests.fakes.mastodon_png import make_png

API = "/youtube/v3"
_ID_CHARS = string.ascii_letters + string.digits + "-_"
_MESSAGES = {
    "quotaExceeded": (
        403,
        "youtube.quota",
        "The request cannot be completed because you have exceeded your "
        '<a href="/youtube/v3/getting-started#quota">quota</a>.',
    ),
    "rateLimitExceeded": (403, "usageLimits", "Rate Limit Exceeded"),
    "userRateLimitExceeded": (403, "usageLimits", "User Rate Limit Exceeded"),
    "backendError": (500, "global", "Backend Error"),
    "processingFailure": (
        400,
        "youtube.api.v3",
        "The API server failed to successfully process the request.",
    ),
    "commentsDisabled": (
        403,
        "youtube.commentThread",
        'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">'
        "videoId</a></code> parameter has disabled comments.",
    ),
    "videoNotFound": (
        404,
        "youtube.commentThread",
        'The video identified by the <code><a href="/youtube/v3/docs/commentThreads/list#videoId">'
        "videoId</a></code> parameter could not be found.",
    ),
    "playlistNotFound": (
        404,
        "youtube.playlistItem",
        "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
    ),
    "invalidPageToken": (400, "youtube.parameter", "The request specifies an invalid page token."),
    "incompatibleParameters": (
        400,
        "youtube.parameter",
        "The request specifies two or more parameters that cannot be used in the same request.",
    ),
    "missingRequiredParameter": (
        400,
        "youtube.parameter",
        "No filter selected. Expected one of: id, videoId, allThreadsRelatedToChannelId, parentId",
    ),
    "keyInvalid": (400, "usageLimits", "API key not valid. Please pass a valid API key."),
    "forbidden": (
        403,
        "global",
        "Method doesn't allow unregistered callers (callers without established identity). "
        "Please use API Key or other form of API consumer identity to call this API.",
    ),
}
_STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 500: "INTERNAL"}


def error_body(reason: str, message: str | None = None) -> tuple[int, dict[str, Any]]:
    """The status and Google error envelope for ``reason`` (see platform-apis.md 3.5)."""
    status, domain, text = _MESSAGES[reason]
    text = message or text
    return status, {
        "error": {
            "code": status,
            "message": text,
            "errors": [{"message": text, "domain": domain, "reason": reason}],
        }
    }


def _expired_key_body() -> dict[str, Any]:
    text = "API key expired. Please renew the API key."
    return {
        "error": {
            "code": 400,
            "message": text,
            "errors": [{"message": text, "domain": "global", "reason": "badRequest"}],
            "status": "INVALID_ARGUMENT",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_EXPIRED",
                    "domain": "googleapis.com",
                    "metadata": {"service": "youtube.googleapis.com"},
                }
            ],
        }
    }


def stamp(moment: dt.datetime, *, millis: bool = True) -> str:
    """YouTube's timestamps: ``2019-11-26T15:51:44.000Z`` (comments, playlist) or without ms."""
    text = as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000Z" if millis else "Z")


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def page_token(offset: int, scope: str = "") -> str:
    """An opaque page token like Google's (``CAoQAA`` is offset 10 of a playlist)."""
    raw = b"\x08" + _varint(offset) + b"\x10\x00" + (b"\x1a" + scope.encode() if scope else b"")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_token(token: str, scope: str = "") -> int | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except ValueError:
        return None
    if not raw.startswith(b"\x08"):
        return None
    offset, shift, index = 0, 0, 1
    while index < len(raw):
        byte = raw[index]
        offset |= (byte & 0x7F) << shift
        shift += 7
        index += 1
        if not byte & 0x80:
            break
    rest = raw[index:]
    if not rest.startswith(b"\x10\x00"):
        return None
    tail = rest[2:]
    expected = b"\x1a" + scope.encode() if scope else b""
    return offset if tail == expected else None


@dataclass
class Channel:
    id: str
    handle: str
    title: str
    description: str
    published_at: dt.datetime

    @property
    def uploads(self) -> str:
        return "UU" + self.id[2:]


@dataclass
class Video:
    id: str
    channel: Channel
    title: str
    description: str
    published_at: dt.datetime
    tags: list[str] = field(default_factory=list)
    comments_disabled: bool = False
    deleted: bool = False
    private: bool = False
    views: int = 0
    likes: int = 0
    thumbnail: bytes = b""
    language: str = "sv"

    @property
    def visible(self) -> bool:
        return not self.deleted and not self.private


@dataclass
class Comment:
    id: str
    video: Video
    parent_id: str | None
    author_name: str
    author_channel: str
    text: str
    published_at: dt.datetime
    updated_at: dt.datetime
    likes: int = 0
    deleted: bool = False
    held: bool = False  # held for review / likely spam: invisible to an API key

    @property
    def visible(self) -> bool:
        return not self.deleted and not self.held and self.video.visible


class FakeYouTube(LoopbackFake):
    """An in-memory YouTube served on ``127.0.0.1`` (port from the OS); see the module docstring."""

    server_name = "ESF"

    def __init__(self, *, now: dt.datetime | None = None, seed: int = 7) -> None:
        self.clock = FakeClock(now)
        self.control = ControlPlane()
        self.requests = RequestLog()
        self.rng = random.Random(seed)
        self.channels: dict[str, Channel] = {}
        self.videos: dict[str, Video] = {}
        self.comments: dict[str, Comment] = {}
        self.valid_keys: set[str] = set()
        self.expired_keys: set[str] = set()
        self.quota_limit = 10_000
        self.units_used = 0
        self.reply_inline_limit = 5
        self._server = LoopbackServer(self)
        self.port = self._server.port
        self.base_url = f"http://127.0.0.1:{self.port}{API}"
        self.files_url = f"http://localhost:{self.port}"

    # -- content ---------------------------------------------------------------------------

    def _random_id(self, length: int) -> str:
        return "".join(self.rng.choice(_ID_CHARS) for _ in range(length))

    def add_key(self, key: str) -> str:
        self.valid_keys.add(key)
        self.expired_keys.discard(key)
        return key

    def expire_key(self, key: str) -> None:
        self.valid_keys.discard(key)
        self.expired_keys.add(key)

    def reset_quota(self) -> None:
        """A new day in Pacific time: the quota is full again."""
        self.units_used = 0

    def add_channel(self, handle: str, title: str, description: str = "") -> Channel:
        channel = Channel(
            "UC" + self._random_id(22), handle.lstrip("@"), title, description, self.clock.now()
        )
        self.channels[channel.id] = channel
        return channel

    def upload(
        self,
        channel: Channel,
        title: str,
        description: str = "",
        *,
        at: dt.datetime | None = None,
        tags: list[str] | None = None,
        comments_disabled: bool = False,
        views: int = 0,
        video_id: str | None = None,
    ) -> Video:
        """A new video; ``video_id`` gives it an id of the test's choosing (a hostile one) instead of
        YouTube's 11 characters."""
        video_id = video_id or self._random_id(11)
        thumb = make_png(16, 9, (self.rng.randrange(256), self.rng.randrange(256), self.rng.randrange(256)))
        video = Video(
            video_id,
            channel,
            title,
            description,
            as_utc(at) if at else self.clock.now(),
            tags=list(tags or []),
            comments_disabled=comments_disabled,
            views=views,
            thumbnail=thumb,
        )
        self.videos[video_id] = video
        return video

    def comment(
        self,
        video: Video,
        author: str,
        text: str,
        *,
        reply_to: Comment | None = None,
        at: dt.datetime | None = None,
        held: bool = False,
    ) -> Comment:
        """A top-level comment (a thread), or a reply to a top-level comment (one level only)."""
        moment = as_utc(at) if at else self.clock.now()
        if reply_to is not None:
            top = reply_to if reply_to.parent_id is None else self.comments[reply_to.parent_id]
            comment_id = f"{top.id}.{self._random_id(22)}"
            parent: str | None = top.id
        else:
            comment_id = "Ugz" + self._random_id(17) + "4AaABAg"
            parent = None
        author_channel = "UC" + base64.urlsafe_b64encode(author.encode()).decode()[:22].ljust(22, "A")
        made = Comment(comment_id, video, parent, author, author_channel, text, moment, moment, held=held)
        self.comments[comment_id] = made
        return made

    def edit_comment(self, comment: Comment, text: str, *, at: dt.datetime | None = None) -> None:
        comment.text = text
        comment.updated_at = as_utc(at) if at else self.clock.now()

    def delete_comment(self, comment: Comment) -> None:
        """Delete a comment; deleting a top-level comment takes its replies with it."""
        comment.deleted = True
        for other in self.comments.values():
            if other.parent_id == comment.id:
                other.deleted = True

    def delete_video(self, video: Video) -> None:
        video.deleted = True

    def inject_error(self, path_regex: str, reason: str, count: int = 1) -> Injection:
        """Answer the next ``count`` API requests matching ``path_regex`` with Google's ``reason``."""
        status, body = error_body(reason)
        return self.control.inject(path_regex, status, count, body, None)

    # -- serving ---------------------------------------------------------------------------

    def handle(self, record: RecordedRequest) -> Reply:
        if not record.path.startswith(API + "/"):
            return self._file(record)
        key = _last(record.query, "key")
        if not key:
            return self._error("forbidden")
        if key in self.expired_keys:
            return Reply(400, _expired_key_body())
        if key not in self.valid_keys:
            return self._error("keyInvalid")
        if self.units_used >= self.quota_limit:
            return self._error("quotaExceeded")
        self.units_used += 1  # every list call costs 1 unit; failing ones too
        fault = injected(self, record)
        if fault is not None:
            return fault
        route = record.path[len(API) + 1 :]
        handler = {
            "channels": self._channels,
            "playlistItems": self._playlist_items,
            "videos": self._videos,
            "commentThreads": self._comment_threads,
            "comments": self._comments,
        }.get(route)
        if handler is None:
            return Reply(404, b"Not Found", content_type="text/html; charset=UTF-8")
        query = {k: v[-1] for k, v in record.query.items()}
        if not query.get("part"):
            status, body = error_body("missingRequiredParameter", "Required parameter: part")
            body["error"]["errors"][0]["reason"] = "required"
            return Reply(status, body)
        return handler(query)

    def _error(self, reason: str) -> Reply:
        status, body = error_body(reason)
        return Reply(status, body)

    def _file(self, record: RecordedRequest) -> Reply:
        match = re.fullmatch(r"/vi/([A-Za-z0-9_-]{11})/(default|mqdefault|hqdefault)\.jpg", record.path)
        video = self.videos.get(match.group(1)) if match else None
        if video is None or video.deleted:
            return Reply(404, b"", content_type="text/html")
        return Reply(200, video.thumbnail, {"Cache-Control": "public, max-age=7200"}, "image/png")

    def _etag(self) -> str:
        return self._random_id(27)

    def _list(self, kind: str, items: list[dict[str, Any]], **extra: Any) -> Reply:
        body: dict[str, Any] = {"kind": f"youtube#{kind}ListResponse", "etag": self._etag()}
        body.update(extra)
        body["items"] = items
        return Reply(200, body)

    def _page(
        self, items: list[Any], query: dict[str, str], scope: str, *, default: int, low: int, high: int
    ) -> tuple[list[Any], str | None] | Reply:
        try:
            size = int(query.get("maxResults", default))
        except ValueError:
            size = -1
        if not low <= size <= high:
            status, body = error_body(
                "invalidPageToken",
                f"Invalid value '{query.get('maxResults')}'. "
                f"Values must be within the range: [{low}, {high}]",
            )
            body["error"]["errors"][0]["reason"] = "invalidParameter"
            return Reply(status, body)
        start = 0
        if query.get("pageToken"):
            offset = read_token(query["pageToken"], scope)
            if offset is None or offset > len(items):
                return self._error("invalidPageToken")
            start = offset
        chunk = items[start : start + size]
        following = start + size
        return chunk, page_token(following, scope) if following < len(items) else None

    # -- routes ----------------------------------------------------------------------------

    def _channels(self, query: dict[str, str]) -> Reply:
        filters = [f for f in ("id", "forHandle", "forUsername", "mine") if query.get(f)]
        if len(filters) != 1:
            return self._error("incompatibleParameters" if filters else "missingRequiredParameter")
        found: list[Channel] = []
        if query.get("id"):
            found = [self.channels[i] for i in query["id"].split(",") if i in self.channels]
        elif query.get("forHandle"):
            wanted = query["forHandle"].lstrip("@").lower()
            found = [c for c in self.channels.values() if c.handle.lower() == wanted]
        parts = set(query["part"].split(","))
        items = []
        for channel in found:
            item: dict[str, Any] = {"kind": "youtube#channel", "etag": self._etag(), "id": channel.id}
            if "snippet" in parts:
                item["snippet"] = {
                    "title": channel.title,
                    "description": channel.description,
                    "customUrl": f"@{channel.handle.lower()}",
                    "publishedAt": stamp(channel.published_at, millis=False),
                    "thumbnails": {
                        "default": {
                            "url": f"https://yt3.ggpht.com/{channel.id}=s88",
                            "width": 88,
                            "height": 88,
                        }
                    },
                    "localized": {"title": channel.title, "description": channel.description},
                    "country": "SE",
                }
            if "contentDetails" in parts:
                item["contentDetails"] = {"relatedPlaylists": {"likes": "", "uploads": channel.uploads}}
            if "statistics" in parts:
                count = sum(1 for v in self.videos.values() if v.channel is channel and v.visible)
                item["statistics"] = {
                    "viewCount": str(sum(v.views for v in self.videos.values() if v.channel is channel)),
                    "subscriberCount": "1240",
                    "hiddenSubscriberCount": False,
                    "videoCount": str(count),
                }
            items.append(item)
        return self._list("channel", items, pageInfo={"totalResults": len(items), "resultsPerPage": 5})

    def _uploads(self, channel: Channel) -> list[Video]:
        videos = [v for v in self.videos.values() if v.channel is channel and v.visible]
        return sorted(videos, key=lambda v: v.published_at, reverse=True)

    def _playlist_items(self, query: dict[str, str]) -> Reply:
        playlist = query.get("playlistId", "")
        channel = next((c for c in self.channels.values() if c.uploads == playlist), None)
        if channel is None:
            return self._error("playlistNotFound" if playlist else "missingRequiredParameter")
        videos = self._uploads(channel)
        paged = self._page(videos, query, "", default=5, low=0, high=50)
        if isinstance(paged, Reply):
            return paged
        chunk, following = paged
        parts = set(query["part"].split(","))
        items = []
        for video in chunk:
            position = videos.index(video)
            item: dict[str, Any] = {
                "kind": "youtube#playlistItem",
                "etag": self._etag(),
                "id": base64.b64encode(f"{playlist}.{video.id}".encode()).decode().rstrip("="),
            }
            if "snippet" in parts:
                item["snippet"] = {
                    "publishedAt": stamp(video.published_at),
                    "channelId": channel.id,
                    "title": video.title,
                    "description": video.description,
                    "thumbnails": self._thumbnails(video),
                    "channelTitle": channel.title,
                    "playlistId": playlist,
                    "position": position,
                    "resourceId": {"kind": "youtube#video", "videoId": video.id},
                    "videoOwnerChannelTitle": channel.title,
                    "videoOwnerChannelId": channel.id,
                }
            if "contentDetails" in parts:
                item["contentDetails"] = {"videoId": video.id, "videoPublishedAt": stamp(video.published_at)}
            items.append(item)
        extra: dict[str, Any] = {}
        if following:
            extra["nextPageToken"] = following
        extra["pageInfo"] = {"totalResults": len(videos), "resultsPerPage": int(query.get("maxResults", 5))}
        return self._list("playlistItem", items, **extra)

    def _thumbnails(self, video: Video) -> dict[str, Any]:
        base = f"{self.files_url}/vi/{urllib.parse.quote(video.id, safe='')}"  # ids of the test's choosing
        return {
            "default": {"url": f"{base}/default.jpg", "width": 120, "height": 90},
            "medium": {"url": f"{base}/mqdefault.jpg", "width": 320, "height": 180},
            "high": {"url": f"{base}/hqdefault.jpg", "width": 480, "height": 360},
        }

    def _videos(self, query: dict[str, str]) -> Reply:
        ids = [i for i in query.get("id", "").split(",") if i]
        if not ids:
            return self._error("missingRequiredParameter")
        parts = set(query["part"].split(","))
        items = []
        for video_id in ids[:50]:
            video = self.videos.get(video_id)
            if video is None or not video.visible:
                continue
            item: dict[str, Any] = {"kind": "youtube#video", "etag": self._etag(), "id": video.id}
            if "snippet" in parts:
                item["snippet"] = {
                    "publishedAt": stamp(video.published_at, millis=False),
                    "channelId": video.channel.id,
                    "title": video.title,
                    "description": video.description,
                    "thumbnails": self._thumbnails(video),
                    "channelTitle": video.channel.title,
                    "tags": list(video.tags),
                    "categoryId": "25",
                    "liveBroadcastContent": "none",
                    "defaultAudioLanguage": video.language,
                    "localized": {"title": video.title, "description": video.description},
                }
                if not video.tags:
                    del item["snippet"]["tags"]
            if "contentDetails" in parts:
                item["contentDetails"] = {
                    "duration": "PT2M14S",
                    "dimension": "2d",
                    "definition": "hd",
                    "caption": "false",
                    "licensedContent": False,
                    "contentRating": {},
                    "projection": "rectangular",
                }
            if "status" in parts:
                item["status"] = {
                    "uploadStatus": "processed",
                    "privacyStatus": "public",
                    "license": "youtube",
                    "embeddable": True,
                    "publicStatsViewable": True,
                    "madeForKids": False,
                }
            if "statistics" in parts:
                stats = {
                    "viewCount": str(video.views),
                    "likeCount": str(video.likes),
                    "favoriteCount": "0",
                    "commentCount": str(self._comment_count(video)),
                }
                if video.comments_disabled:
                    del stats["commentCount"]
                item["statistics"] = stats
            items.append(item)
        return self._list("video", items, pageInfo={"totalResults": len(items), "resultsPerPage": len(items)})

    def _comment_count(self, video: Video) -> int:
        # The public counter includes comments held for review, which the API will not show.
        return sum(1 for c in self.comments.values() if c.video is video and not c.deleted)

    def _threads_of(self, video: Video) -> list[Comment]:
        tops = [c for c in self.comments.values() if c.video is video and c.parent_id is None and c.visible]
        return sorted(tops, key=lambda c: c.published_at, reverse=True)

    def _replies_of(self, top: Comment) -> list[Comment]:
        replies = [c for c in self.comments.values() if c.parent_id == top.id and c.visible]
        return sorted(replies, key=lambda c: c.published_at)

    def _comment_json(self, comment: Comment, text_format: str, *, reply: bool) -> dict[str, Any]:
        display = comment.text if text_format == "plainText" else _linkify(comment.text)
        snippet: dict[str, Any] = {
            "channelId": comment.video.channel.id,
            "videoId": comment.video.id,
            "textDisplay": display,
            "textOriginal": comment.text,
            "authorDisplayName": comment.author_name,
            "authorProfileImageUrl": f"https://yt3.ggpht.com/ytc/{comment.author_channel}=s48-c-k-c0x00ffffff-no-rj",
            "authorChannelUrl": f"http://www.youtube.com/@{comment.author_name.replace(' ', '').lower()}",
            "authorChannelId": {"value": comment.author_channel},
            "canRate": True,
            "viewerRating": "none",
            "likeCount": comment.likes,
            "publishedAt": stamp(comment.published_at),
            "updatedAt": stamp(comment.updated_at),
        }
        if reply:
            snippet["parentId"] = comment.parent_id
        return {"kind": "youtube#comment", "etag": self._etag(), "id": comment.id, "snippet": snippet}

    def _thread_json(self, top: Comment, parts: set[str], text_format: str) -> dict[str, Any]:
        replies = self._replies_of(top)
        item: dict[str, Any] = {"kind": "youtube#commentThread", "etag": self._etag(), "id": top.id}
        if "snippet" in parts:
            item["snippet"] = {
                "channelId": top.video.channel.id,
                "videoId": top.video.id,
                "topLevelComment": self._comment_json(top, text_format, reply=False),
                "canReply": True,
                "totalReplyCount": len(replies),
                "isPublic": True,
            }
        if "replies" in parts and replies:
            shown = replies[-self.reply_inline_limit :]
            item["replies"] = {"comments": [self._comment_json(r, text_format, reply=True) for r in shown]}
        return item

    def _comment_threads(self, query: dict[str, str]) -> Reply:
        filters = [f for f in ("videoId", "allThreadsRelatedToChannelId", "id") if query.get(f)]
        if len(filters) != 1:
            return self._error("incompatibleParameters" if filters else "missingRequiredParameter")
        parts = set(query["part"].split(","))
        text_format = query.get("textFormat", "html")
        if query.get("id"):
            if any(query.get(p) for p in ("maxResults", "pageToken", "order", "searchTerms")):
                return self._error("incompatibleParameters")
            tops = [self.comments[i] for i in query["id"].split(",") if i in self.comments]
            tops = [c for c in tops if c.visible and c.parent_id is None]
            items = [self._thread_json(c, parts, text_format) for c in tops]
            return self._list(
                "commentThread", items, pageInfo={"totalResults": len(items), "resultsPerPage": 20}
            )
        if query.get("videoId"):
            video = self.videos.get(query["videoId"])
            if video is None or not video.visible:
                return self._error("videoNotFound")
            if video.comments_disabled:
                return self._error("commentsDisabled")
            tops = self._threads_of(video)
            scope = f"v:{video.id}"
        else:
            channel = self.channels.get(query["allThreadsRelatedToChannelId"])
            tops = [
                t
                for v in self.videos.values()
                if channel is not None and v.channel is channel and v.visible
                for t in self._threads_of(v)
            ]
            scope = f"c:{query['allThreadsRelatedToChannelId']}"
        paged = self._page(tops, query, scope, default=20, low=1, high=100)
        if isinstance(paged, Reply):
            return paged
        chunk, following = paged
        items = [self._thread_json(c, parts, text_format) for c in chunk]
        extra: dict[str, Any] = {}
        if following:
            extra["nextPageToken"] = following
        extra["pageInfo"] = {"totalResults": len(items), "resultsPerPage": int(query.get("maxResults", 20))}
        return self._list("commentThread", items, **extra)

    def _comments(self, query: dict[str, str]) -> Reply:
        text_format = query.get("textFormat", "html")
        if query.get("id") and query.get("parentId"):
            return self._error("incompatibleParameters")
        if query.get("id"):
            if query.get("pageToken") or query.get("maxResults"):
                return self._error("incompatibleParameters")
            found = [self.comments[i] for i in query["id"].split(",") if i in self.comments]
            items = [
                self._comment_json(c, text_format, reply=c.parent_id is not None) for c in found if c.visible
            ]
            return self._list("comment", items, pageInfo={"resultsPerPage": len(items)})
        parent = self.comments.get(query.get("parentId", ""))
        if not query.get("parentId"):
            return self._error("missingRequiredParameter")
        replies = self._replies_of(parent) if parent is not None and parent.visible else []
        paged = self._page(replies, query, f"p:{query['parentId']}", default=20, low=1, high=100)
        if isinstance(paged, Reply):
            return paged
        chunk, following = paged
        items = [self._comment_json(c, text_format, reply=True) for c in chunk]
        extra: dict[str, Any] = {}
        if following:
            extra["nextPageToken"] = following
        extra["pageInfo"] = {"resultsPerPage": int(query.get("maxResults", 20))}
        return self._list("comment", items, **extra)


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _linkify(text: str) -> str:
    """``textDisplay`` as YouTube renders it: escaped, links wrapped, newlines as ``<br>``."""
    escaped = html.escape(text, quote=False)
    linked = re.sub(r"(https?://[^\s<]+)", lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', escaped)
    return linked.replace("\n", "<br>")
