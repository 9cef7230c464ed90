"""YouTube through the Data API v3 with an API key (public data only).

What a night reads, for one channel (every call is a ``list`` call costing 1 quota unit):

1. ``channels?part=snippet,contentDetails&forHandle=@HANDLE`` (or ``id=UC…``): the channel and
   its uploads playlist (``contentDetails.relatedPlaylists.uploads``).
2. ``playlistItems?playlistId=UU…&maxResults=50``, following ``nextPageToken``, newest first,
   down to the start of the re-check window (the first night: the whole channel, or
   ``active_from``).
3. ``videos?id=…`` (50 ids a call) with ``snippet,statistics,status,contentDetails``: each video
   is a *post*; its thumbnail is archived; ``statistics.commentCount`` is the platform's count.
4. ``commentThreads?videoId=…&part=snippet,replies&maxResults=100&textFormat=plainText`` for the
   videos whose comments need reading tonight (see :meth:`YouTubeConnector._needs_walk`), and
   ``comments?parentId=…`` for every thread with more replies than the few shown inline.
   ``textOriginal`` is stored verbatim. A video with comments disabled (403
   ``commentsDisabled``) is a note on the night, not a failure.
5. ``videos?id=`` / ``comments?id=`` (50 ids a call) for archived items that a complete walk no
   longer showed: only those missing from that direct lookup are recorded as deleted.

Quota: 403 ``quotaExceeded`` ends the account's night with :class:`QuotaExceededError`; what was
captured before is kept. Units are counted per request sent (retries included) and reported
with :class:`QuotaUsed`. The API key travels only as the ``key`` parameter to the API's origin
and is redacted from every stored byte.

Not reachable with an API key: comments held for review or marked as likely spam, private and
members-only videos, the video streams themselves (out of scope: the archive keeps the metadata,
the description and the thumbnail).
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlsplit

from archive_lib.connectors import walk
from archive_lib.connectors.base import (
    HighWater,
    Incomplete,
    Note,
    QuotaUsed,
    Seen,
    ThreadChecked,
    TokenHealth,
    Trouble,
    content_digest,
)
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.pages import PageTrail
from archive_lib.connectors.policy import Backoff, HttpRules, Throttle, Verdict
from archive_lib.connectors.response import Response
from archive_lib.errors import (
    AccountNotFoundError,
    ArchiveError,
    AuthError,
    MissingTokenError,
    PlatformError,
    ProtocolError,
    QuotaExceededError,
    TokenExpiredError,
    TransientPlatformError,
)
from archive_lib.models import Account, ItemSnapshot, MediaFile, RecordRef
from archive_lib.text import html_to_text
from archive_lib.values import Fields, count, dicts, ident, mapping, moment

if TYPE_CHECKING:
    from archive_lib.connectors.base import CapturePlan, KnownView, MediaArchiver, Observation

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://www.googleapis.com/youtube/v3"
PLAYLIST_PAGE = 50  # the API's maximum for playlistItems
COMMENT_PAGE = 100  # the API's maximum for commentThreads and comments
ID_BATCH = 50  # ids per videos.list / comments.list lookup
FRESH_DAYS = 7  # videos younger than this have their comments read every night
ROTATION_NIGHTS = 7  # every video in the window has its comments read at least this often
VIDEO_PARTS = "snippet,statistics,status,contentDetails"
Json = dict[str, Any]


class CommentsDisabledError(PlatformError):
    """403 ``commentsDisabled``: the video does not take comments (an outcome, not a failure)."""


def google_error(response: Response) -> tuple[str, str, str]:
    """``(reason, message, detail reason)`` of a Google API error body; empty strings if absent."""
    try:
        data = response.json()
    except ProtocolError:  # not JSON, or not readable at all: the status decides
        return "", "", ""
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return "", "", ""
    errors = error.get("errors") or [{}]
    first = errors[0] if isinstance(errors[0], dict) else {}
    detail = ""
    for item in error.get("details") or []:
        if isinstance(item, dict) and item.get("reason"):
            detail = str(item["reason"])
            break
    message = html_to_text(str(first.get("message") or error.get("message") or ""))
    return str(first.get("reason") or ""), message, detail


def classify(response: Response) -> Verdict | None:
    """YouTube's error reasons (in the body) as the HTTP door's verdicts."""
    reason, message, detail = google_error(response)
    if reason in ("quotaExceeded", "dailyLimitExceeded"):
        return QuotaExceededError(
            f"YouTube's daily quota for this API key is spent ({reason}): the channel stops for tonight "
            "with what was captured kept; the quota resets at midnight Pacific time"
        )
    if reason in ("rateLimitExceeded", "userRateLimitExceeded"):
        return Throttle(f"YouTube {reason}")
    if reason == "commentsDisabled":
        return CommentsDisabledError(message or "comments are disabled")
    if reason == "keyExpired" or detail == "API_KEY_EXPIRED":
        return TokenExpiredError(f"the YouTube API key has expired: {message}")
    if reason == "keyInvalid" or detail == "API_KEY_INVALID":
        return AuthError(f"YouTube does not accept the API key: {message}")
    if reason in ("accessNotConfigured", "forbidden", "ipRefererBlocked"):
        return AuthError(f"YouTube refused the API key ({reason}): {message}")
    if reason in ("backendError", "processingFailure", "internalError") or response.status >= 500:
        return Backoff(f"HTTP {response.status} {reason or 'server error'}")
    return None


class _Vanished(Exception):
    """A list call answered 404: its video or comment went while the night walked it."""


@dataclass
class _Video:
    data: Json
    record: RecordRef


class YouTubeConnector:
    """The YouTube walk of one channel for one night (see the module docstring)."""

    platform: ClassVar[str] = "youtube"
    http_rules: ClassVar[HttpRules] = HttpRules(classify=classify, token_param="key")  # noqa: S106 -- the name of the parameter

    def __init__(self, account: Account, http: HttpClient, media: MediaArchiver, authenticated: bool) -> None:
        self.account = account
        self.http = http
        self.media = media
        self.authenticated = authenticated
        self.api = (account.api_base or DEFAULT_API_BASE).rstrip("/")
        self.units = 0
        self.channel_id = ""
        self.plan: CapturePlan
        self.known: KnownView
        # Asked only about the channel's videos (the end-of-night check of its listing).
        self.seen_tonight = walk.SeenTonight("the account's items")
        self.unreadable = 0  # comments without a usable id, tonight

    # -- the walk -------------------------------------------------------------------------

    def capture(self, plan: CapturePlan) -> Iterator[Observation]:
        if not self.authenticated:
            raise MissingTokenError(
                "YouTube needs an API key: name the variable holding it in the account's token_env "
                "(or an Airflow connection in token_connection)"
            )
        self.plan, self.known = plan, plan.known
        try:
            yield from self._walk()
        except Exception:
            yield QuotaUsed(self.units)  # what was spent before the error still counts
            raise
        yield QuotaUsed(self.units)

    def _walk(self) -> Iterator[Observation]:
        uploads = self._channel()
        yield TokenHealth(valid=True)
        listed, newest = self._listing(uploads)
        skipped = 0
        for video in self._videos(listed):
            walk = self._needs_walk(video)  # before the video's own version changes what is known
            yield from self._video(video)
            if walk:
                yield from self._comments(video)
            else:
                skipped += 1
        if skipped:
            yield Note(
                f"{skipped} video(s) in the re-check window showed an unchanged comment count: their "
                f"comments were not re-read tonight (each is re-read at least every {ROTATION_NIGHTS} nights)"
            )
        yield from self._confirm_missing_videos(set(listed))
        if self.unreadable:
            yield Incomplete(
                f"{self.unreadable} comments without a usable id were kept in the WARC records only"
            )
        if newest is not None:
            yield HighWater(newest.strftime("%Y-%m-%dT%H:%M:%SZ"))
        elif self.known.high_water:
            yield HighWater(self.known.high_water)

    def _get(self, resource: str, params: dict[str, str | int]) -> Response:
        """One API call, its quota units counted (every attempt sent costs a unit)."""
        before = self.http.requests
        try:
            response = self.http.get(f"{self.api}/{resource}", params)
        except (QuotaExceededError, AuthError):
            self.units += max(0, self.http.requests - before - 1)  # a refused call is not served
            raise
        except ArchiveError:
            self.units += self.http.requests - before
            raise
        self.units += self.http.requests - before
        return response

    def _channel(self) -> str:
        handle = self.account.handle.strip()
        params: dict[str, str | int] = {"part": "snippet,contentDetails"}
        if handle.startswith("UC") and len(handle) == 24:
            params["id"] = handle
        else:
            params["forHandle"] = handle if handle.startswith("@") else f"@{handle}"
        response = self._get("channels", params)
        items = _items(response)
        if not items:
            raise AccountNotFoundError(f"YouTube has no channel {handle!r} (channels.list returned no item)")
        channel = items[0]
        self.channel_id = str(channel["id"])
        uploads = (channel.get("contentDetails") or {}).get("relatedPlaylists", {}).get("uploads")
        if not uploads:
            raise ProtocolError(f"channel {self.channel_id} has no uploads playlist")
        return str(uploads)

    def _listing(self, uploads: str) -> tuple[list[str], dt.datetime | None]:
        """Video ids of the uploads playlist down to where tonight's walk may stop."""
        plan = self.plan
        stop = walk.listing_stop(plan)
        ids: list[str] = []
        newest: dt.datetime | None = None
        params: dict[str, str | int] = {
            "part": "snippet,contentDetails",
            "playlistId": uploads,
            "maxResults": PLAYLIST_PAGE,
        }
        for page, _ in self._pages("playlistItems", params):
            items = dicts(page.get("items"))
            older = 0
            for item in items:
                details = mapping(item.get("contentDetails"))
                snippet = mapping(item.get("snippet"))
                video_id = ident(details.get("videoId") or mapping(snippet.get("resourceId")).get("videoId"))
                if not video_id:
                    continue
                # A video whose time cannot be read is listed all the same: never dropped.
                when = moment(details.get("videoPublishedAt") or snippet.get("publishedAt"))
                if when is not None:
                    newest = when if newest is None or when > newest else newest
                    if stop is not None and when < stop:
                        older += 1
                        continue
                    if plan.capture_until is not None and when >= plan.capture_until:
                        continue
                if video_id not in ids:
                    ids.append(str(video_id))
            # The playlist is newest first in practice, not by contract: a page wholly older
            # than the stop ends the walk, a mixed one does not.
            if items and older == len(items):
                break
        return ids, newest

    def _pages(self, resource: str, params: dict[str, str | int]) -> Iterator[tuple[Json, Response]]:
        """Every page of a list call, following ``nextPageToken`` verbatim.

        A 404 (the video or comment went during the walk) raises :class:`_Vanished`; a token
        that comes back again would loop forever and is a protocol error.
        """
        trail = PageTrail(resource)
        token: str | None = None
        while True:
            response = self._get(resource, {**params, "pageToken": token} if token else params)
            if response.status in (404, 410):
                raise _Vanished(resource)
            page = response.json_object()
            yield page, response
            token = page.get("nextPageToken")
            if not token:
                return
            token = trail.follow(str(token))

    def _videos(self, ids: list[str]) -> Iterator[_Video]:
        for batch in _batches(ids, ID_BATCH):
            response = self._get("videos", {"part": VIDEO_PARTS, "id": ",".join(batch)})
            found = {str(v["id"]): v for v in _items(response)}
            for video_id in batch:
                if video_id in found:
                    yield _Video(found[video_id], response.record)

    def _needs_walk(self, video: _Video) -> bool:
        """Whether tonight reads the video's comments, spending quota where something may change.

        New and young videos (under :data:`FRESH_DAYS`) always; a video whose comment count
        differs from the archived comments; and every video once in :data:`ROTATION_NIGHTS`
        nights, since an edit, or a deletion balanced by a new comment, leaves the count as it was.
        """
        video_id = str(video.data["id"])
        if self.known.latest(video_id) is None:
            return True
        published = moment(mapping(video.data.get("snippet")).get("publishedAt"))
        if published is None or self.plan.run_date - published.date() < dt.timedelta(days=FRESH_DAYS):
            return True
        count = _count((video.data.get("statistics") or {}).get("commentCount"))
        archived = len(walk.live_items(self.known, video_id, kind="comment"))
        if count is not None and count != archived:
            return True
        return (zlib.crc32(video_id.encode()) + self.plan.run_date.toordinal()) % ROTATION_NIGHTS == 0

    # -- items ----------------------------------------------------------------------------

    def _video(self, video: _Video) -> Iterator[Observation]:
        snapshot = self._video_snapshot(video.data, video.record)
        known = self.known.latest(snapshot.item_id, snapshot.created_at)
        self.seen_tonight.saw(snapshot, known)
        if walk.becomes_version(known, snapshot):
            snapshot = walk.with_files(snapshot, self.media)
        yield Seen(snapshot)

    def _video_snapshot(self, data: Json, record: RecordRef) -> ItemSnapshot:
        fields = Fields()
        snippet = mapping(data.get("snippet"))
        title = fields.text("title", snippet.get("title"))
        description = fields.text("description", snippet.get("description"))
        tags = [fields.text("tags", t) for t in snippet.get("tags") or []] if isinstance(
            snippet.get("tags"), list
        ) else []
        video_id = str(data["id"])
        thumbs = mapping(snippet.get("thumbnails"))
        best = next(
            (thumbs[k] for k in ("maxres", "standard", "high", "medium", "default") if k in thumbs), None
        )
        media: tuple[MediaFile, ...] = ()
        if isinstance(best, dict) and isinstance(best.get("url"), str) and best["url"]:
            media = (MediaFile(f"{video_id}/thumbnail", "thumbnail", best["url"], None),)
        text = f"{title}\n\n{description}".strip()
        return ItemSnapshot(
            item_id=video_id,
            item_type="post",
            post_id=video_id,
            parent_id=None,
            author_id=fields.ident("channelId", snippet.get("channelId")) or self.channel_id,
            author_name=fields.text("author_name", snippet.get("channelTitle")),
            author_handle=self.account.handle,
            author_is_account=True,
            text=text,
            url=f"https://www.youtube.com/watch?v={quote(video_id, safe='')}",
            created_at=fields.time("created_at", snippet.get("publishedAt")),
            edited_at=None,
            content_sha256=content_digest(text=text, media=media, extra={"tags": tags}),
            record=record,
            language=fields.opt_text(
                "language", snippet.get("defaultAudioLanguage") or snippet.get("defaultLanguage")
            ),
            visibility=fields.opt_text("visibility", mapping(data.get("status")).get("privacyStatus")),
            media=media,
            unparsed=tuple(fields.unparsed),
        )

    def _comment_snapshot(self, data: Json, video_id: str, record: RecordRef) -> ItemSnapshot:
        fields = Fields()
        snippet = mapping(data.get("snippet"))
        text = snippet.get("textOriginal")
        if text is None:  # only guaranteed to the comment's author; fall back to the rendering
            text = html_to_text(fields.text("textDisplay", snippet.get("textDisplay")))
        text = fields.text("text", text)
        author = fields.ident("authorChannelId", mapping(snippet.get("authorChannelId")).get("value")) or ""
        published = fields.time("created_at", snippet.get("publishedAt"))
        updated = fields.time("edited_at", snippet.get("updatedAt"), required=False)
        channel_url = snippet.get("authorChannelUrl")
        channel_url = channel_url if isinstance(channel_url, str) else ""
        handle = urlsplit(channel_url).path.rsplit("/", 1)[-1] if "/@" in channel_url else ""
        comment_id = str(data["id"])
        parent = snippet.get("parentId")
        return ItemSnapshot(
            item_id=comment_id,
            item_type="comment",
            post_id=video_id,
            parent_id=fields.ident("parent_id", parent) if parent else None,
            author_id=author,
            author_name=fields.text("author_name", snippet.get("authorDisplayName")),
            author_handle=handle,
            author_is_account=bool(author) and author == self.channel_id,
            text=text,
            url=f"https://www.youtube.com/watch?v={quote(video_id, safe='')}&lc={quote(comment_id, safe='')}",
            created_at=published,
            edited_at=updated if updated and published and updated > published else None,
            content_sha256=content_digest(text=text),
            record=record,
            visibility="public",
            unparsed=tuple(fields.unparsed),
        )

    # -- comments -------------------------------------------------------------------------

    def _comments(self, video: _Video) -> Iterator[Observation]:
        video_id = str(video.data["id"])
        title = str((video.data.get("snippet") or {}).get("title") or "")
        seen: set[str] = set()
        try:
            for comment, record in self._threads(video_id):
                seen.add(str(comment["id"]))
                yield from self._comment(comment, video_id, record)
        except CommentsDisabledError:
            yield Note(f"video {video_id} ({title}): comments are disabled")
            return
        except _Vanished:
            return  # the video went during the walk: tonight's listing lookup or the next night decides
        except (TransientPlatformError, ProtocolError) as exc:
            yield Trouble(f"comments of video {video_id}: {exc}")
            return
        missing = walk.live_items(self.known, video_id, kind="comment") - seen
        yield from self._confirm_comments(missing, video_id)
        reported = _count((video.data.get("statistics") or {}).get("commentCount"))
        yield ThreadChecked(video_id, reported)

    def _threads(self, video_id: str) -> Iterator[tuple[Json, RecordRef]]:
        """Every visible comment of the video: each thread's top comment, then all its replies."""
        params: dict[str, str | int] = {
            "part": "snippet,replies",
            "videoId": video_id,
            "maxResults": COMMENT_PAGE,
            "order": "time",
            "textFormat": "plainText",
        }
        for page, response in self._pages("commentThreads", params):
            for thread in dicts(page.get("items")):
                snippet = mapping(thread.get("snippet"))
                top = _with_id(snippet.get("topLevelComment"))
                if top is None:
                    self.unreadable += 1
                    continue
                yield top, response.record
                inline = dicts(mapping(thread.get("replies")).get("comments"))
                if count(snippet.get("totalReplyCount")) > len(inline):
                    yield from self._replies(top["id"])  # inline replies are a sample only
                else:
                    for reply in inline:
                        found = _with_id(reply)
                        if found is None:
                            self.unreadable += 1
                        else:
                            yield found, response.record

    def _replies(self, parent_id: str) -> Iterator[tuple[Json, RecordRef]]:
        params: dict[str, str | int] = {
            "part": "snippet",
            "parentId": parent_id,
            "maxResults": COMMENT_PAGE,
            "textFormat": "plainText",
        }
        for page, response in self._pages("comments", params):
            for raw in dicts(page.get("items")):
                reply = _with_id(raw)
                if reply is None:
                    self.unreadable += 1
                else:
                    yield reply, response.record

    def _comment(self, data: Json, video_id: str, record: RecordRef) -> Iterator[Observation]:
        snapshot = self._comment_snapshot(data, video_id, record)
        self.seen_tonight.saw(snapshot)
        yield Seen(snapshot)

    # -- deletions (the rule is :mod:`.walk`'s) ---------------------------------------------

    def _confirm_comments(self, item_ids: Iterable[str], video_id: str) -> Iterator[Observation]:
        """Look up comments a complete walk lacked, :data:`ID_BATCH` at a time in id order."""

        def look_up(batch: list[str]) -> Iterator[walk.Answer]:
            """``comments?id=``: a comment the answer leaves out is gone."""
            response = self._get(
                "comments", {"part": "snippet", "id": ",".join(batch), "textFormat": "plainText"}
            )
            found = {str(c["id"]): c for c in _items(response)}
            for comment_id in batch:
                if comment_id in found:
                    known = self.known.latest(comment_id)
                    post_id = known.post_id if known else video_id
                    yield Seen(self._comment_snapshot(found[comment_id], post_id, response.record))
                else:
                    yield walk.Absent(comment_id, response.record)

        return walk.confirm(item_ids, look_up, batch=ID_BATCH)

    def _look_up_videos(self, batch: list[str]) -> Iterator[walk.Answer]:
        """``videos?id=``: a video the answer leaves out is gone; one it holds is seen again."""
        response = self._get("videos", {"part": VIDEO_PARTS, "id": ",".join(batch)})
        found = {str(v["id"]): v for v in _items(response)}
        for video_id in batch:
            if video_id in found:
                yield from self._video(_Video(found[video_id], response.record))
            else:
                yield walk.Absent(video_id, response.record)

    def _confirm_missing_videos(self, listed: set[str]) -> Iterator[Observation]:
        """The channel's archived videos in the window that the complete listing lacked."""
        unlisted = walk.unlisted(self.known, self.plan, listed, self.seen_tonight)
        candidates = sorted((k for k in unlisted if k.item_type == "post"), key=lambda k: k.item_id)
        yield from walk.confirm_unlisted(
            candidates,
            self._look_up_videos,
            lambda video_id: self._confirm_comments(
                walk.live_items(self.known, video_id, kind="comment"), video_id
            ),
            batch=ID_BATCH,
        )


def _items(response: Response) -> list[Json]:
    """The items of a list response that carry a usable id (as text)."""
    return [found for item in dicts(response.json_object().get("items")) if (found := _with_id(item))]


def _with_id(item: object) -> Json | None:
    """A resource with its ``id`` as text, or None when it has no usable one."""
    if not isinstance(item, dict):
        return None
    item_id = ident(item.get("id"))
    return {**item, "id": item_id} if item_id else None


def _count(value: object) -> int | None:
    """YouTube's counters are strings; absent (comments disabled) is None."""
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _batches(ids: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
