"""Facebook Pages through the Graph API, with a Page access token.

What a night reads, for one Page (``handle`` is the Page id):

1. ``GET /debug_token?input_token=…``: whether the token is valid and when it expires.
2. ``GET /{page-id}?fields=id,name,link``: the Page (error 100/33 means there is none).
3. ``GET /{page-id}/feed?fields=…&limit=100``, following ``paging.next`` to the end: the
   Page's posts, visitors' posts on the Page and public posts the Page is tagged in, each with
   ``comments.filter(stream).limit(0).summary(true)``, the platform's count of its comments at
   every depth. Every post of the feed is compared with the archive, so edits of old posts count.
4. ``GET /{post-id}/comments?filter=stream&order=chronological&summary=true&fields=…``: every
   comment and reply of a post, flat, with ``parent{id}``, ``is_hidden`` and ``attachment``;
   read for posts in the re-check window, new posts, and posts whose count moved.
5. ``GET /{object-id}?fields=…``: archived posts and comments that a complete walk lacked;
   Graph's error 100 with subcode 33 confirms a deletion.
6. Attachment files (photos, video files, link previews), once each, from the CDN.

Messages are plain text and stored verbatim. Comments have no edit time on Graph: an edit is
noticed when the message's digest changes, and dated by the night that saw it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, ClassVar

from archive_lib.connectors.base import (
    CapturePlan,
    Note,
    Observation,
    content_digest,
)
from archive_lib.connectors.graph import (
    PAGE_SIZE,
    RULES,
    GraphObjectGone,
    node,
    pages,
    parse_time,
    summary_count,
)
from archive_lib.connectors.graph_walk import GraphWalk, Node
from archive_lib.connectors.paths import segment
from archive_lib.connectors.policy import HttpRules
from archive_lib.errors import AccountNotFoundError, AuthError, ProtocolError
from archive_lib.models import ItemSnapshot, ItemType, MediaFile, RecordRef
from archive_lib.values import Fields, mapping

log = logging.getLogger(__name__)

UNKNOWN_AUTHOR_ID = "unknown"
UNKNOWN_AUTHOR_NAME = "(unknown: Facebook does not name this author to the Page)"
ATTACHMENT_FIELDS = "media_type,type,url,title,description,media,target,subattachments"
POST_FIELDS = (
    "id,message,story,created_time,updated_time,permalink_url,status_type,from{id,name},is_hidden,"
    f"attachments{{{ATTACHMENT_FIELDS}}},comments.filter(stream).limit(0).summary(true)"
)
COMMENT_FIELDS = (
    "id,message,created_time,from{id,name},parent{id},is_hidden,comment_count,like_count,"
    "permalink_url,attachment"
)


class FacebookConnector(GraphWalk):
    """The Graph walk of one Facebook Page for one night (see the module docstring)."""

    platform: ClassVar[str] = "facebook"
    http_rules: ClassVar[HttpRules] = RULES
    post_fields: ClassVar[str] = POST_FIELDS
    comment_fields: ClassVar[str] = COMMENT_FIELDS
    created_field: ClassVar[str] = "created_time"

    page_id = ""
    anonymous = 0

    def capture(self, plan: CapturePlan) -> Iterator[Observation]:
        yield from self.start(plan, "Facebook")
        self.page_id = self._page()
        yield from self.walk_posts(f"{self.api}/{segment(self.page_id)}/feed")
        if self.anonymous:
            yield Note(
                f"{self.anonymous} comment(s) came without their author: Facebook does not name "
                "people who do not share their profile with the Page; they are archived as unknown"
            )

    def post(self, post: Node, snap: ItemSnapshot) -> Iterator[Observation]:
        yield from self.item(snap, parse_time(post.get("updated_time")))  # posts carry their edit time

    def _page(self) -> str:
        try:
            url = f"{self.api}/{segment(self.account.handle)}"
            data, _ = node(self.http, url, {"fields": "id,name,link"})
        except GraphObjectGone as exc:
            raise AccountNotFoundError(f"Facebook has no Page {self.account.handle} ({exc})") from exc
        if "id" not in data:
            raise ProtocolError(f"Graph returned no id for Page {self.account.handle}")
        return str(data["id"])

    def thread(self, post: Node, record: RecordRef) -> Iterator[tuple[Node, RecordRef] | int]:
        params: dict[str, str | int] = {
            "filter": "stream",
            "order": "chronological",
            "summary": "true",
            "fields": COMMENT_FIELDS,
            "limit": PAGE_SIZE,
        }
        first = True
        for page in pages(self.http, f"{self.api}/{segment(post['id'])}/comments", params):
            if first:
                count = summary_count(page.body)
                if count is not None:
                    yield count
                first = False
            for comment in page.data:
                if "id" not in comment:  # never there at all; an odd one is skipped by the walk
                    raise AuthError(
                        "Graph returned comments without ids or authors: the token reads the Page through "
                        "Page Public Content Access, not as the Page; a Page access token is needed"
                    )
                yield comment, page.record

    def reported_comments(self, post: Node) -> int | None:
        return summary_count(post.get("comments"))

    def snapshot(self, data: Node, record: RecordRef, item_type: ItemType, post_id: str) -> ItemSnapshot:
        fields = Fields()
        author = data.get("from") if isinstance(data.get("from"), dict) else None
        if item_type == "comment":
            if author is None:
                self.anonymous += 1
            parent = mapping(data.get("parent"))
            parent_id = fields.ident("parent_id", parent["id"]) if "id" in parent else post_id
            attachments = [data["attachment"]] if isinstance(data.get("attachment"), dict) else []
        else:
            parent_id = None
            attachments = _attachment_list(data.get("attachments"))
        media = tuple(_media(a, n) for n, a in enumerate(_flatten(attachments)))
        text = fields.text("text", data.get("message"))
        author_id = (fields.ident("author_id", author.get("id")) or "") if author else UNKNOWN_AUTHOR_ID
        links = sorted(
            {str(a["url"]) for a in _flatten(attachments) if a.get("type") == "share" and a.get("url")}
        )
        return ItemSnapshot(
            item_id=data["id"],
            item_type=item_type,
            post_id=post_id,
            parent_id=parent_id or (post_id if item_type == "comment" else None),
            author_id=author_id,
            author_name=fields.text("author_name", author.get("name")) if author else UNKNOWN_AUTHOR_NAME,
            author_handle="",
            author_is_account=author_id == self.page_id,
            text=text,
            url=fields.opt_text("url", data.get("permalink_url")),
            created_at=fields.time("created_at", data.get("created_time")),
            edited_at=None,
            content_sha256=content_digest(text=text, media=media, extra={"links": links} if links else None),
            record=record,
            media=media,
            hidden=fields.flag("hidden", data["is_hidden"]) if "is_hidden" in data else None,
            unparsed=tuple(fields.unparsed),
        )


def _attachment_list(edge: object) -> list[dict[str, Any]]:
    if isinstance(edge, dict) and isinstance(edge.get("data"), list):
        return [a for a in edge["data"] if isinstance(a, dict)]
    return []


def _flatten(attachments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attachments with an album's ``subattachments`` in place of the album itself."""
    out: list[dict[str, Any]] = []
    for attachment in attachments:
        subs = _attachment_list(attachment.get("subattachments"))
        out.extend(subs if subs else [attachment])
    return out


def _media(attachment: dict[str, Any], index: int) -> MediaFile:
    media = mapping(attachment.get("media"))
    image = mapping(media.get("image"))
    target = mapping(attachment.get("target"))
    url = media.get("source") or image.get("src")
    media_id = target.get("id") or attachment.get("url") or f"attachment-{index}"
    kind = attachment.get("media_type") or attachment.get("type") or "unknown"
    description = attachment.get("description") or attachment.get("title")
    return MediaFile(
        str(media_id),
        str(kind),
        url if isinstance(url, str) and url else None,
        description if isinstance(description, str) else None,
    )
