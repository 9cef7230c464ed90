"""How the fake Graph API renders its objects: fields, field expansion, inline edges, cursors.

Each object type has the fields Graph documents for it (asking for another answers error 100,
"Tried accessing nonexisting field"), Graph's defaults when ``fields`` is absent, and Graph's
formats: ids as strings, ``2026-11-20T09:15:03+0000``, absent (not empty) ``message`` and
``caption`` when there is none, ``from`` absent for people who do not share their profile with
the Page, inline edges as ``{"data": [...], "summary": {...}}``.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from tests.fakes.graph_errors import GraphFailure, graph_error
from tests.fakes.graph_fields import Field, FieldSyntaxError, parse_fields
from tests.fakes.graph_state import (
    Attachment,
    FbComment,
    FbPage,
    FbPost,
    GraphWorld,
    IgComment,
    IgMedia,
    IgUser,
    graph_time,
)

VERSION = "v26.0"
Body = dict[str, Any]

PAGE_FIELDS = {"id", "name", "username", "link", "instagram_business_account", "fan_count", "category"}
POST_FIELDS = {
    "id",
    "reactions",
    "message",
    "story",
    "created_time",
    "updated_time",
    "permalink_url",
    "status_type",
    "from",
    "is_hidden",
    "is_published",
    "attachments",
    "comments",
    "full_picture",
    "shares",
    "parent_id",
}
COMMENT_FIELDS = {
    "id",
    "message",
    "created_time",
    "from",
    "parent",
    "is_hidden",
    "comment_count",
    "like_count",
    "permalink_url",
    "attachment",
    "can_comment",
    "can_hide",
    "can_remove",
    "is_private",
    "object",
    "comments",
}
IG_USER_FIELDS = {
    "id",
    "username",
    "name",
    "media_count",
    "followers_count",
    "profile_picture_url",
    "biography",
}
IG_MEDIA_FIELDS = {
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "media_url",
    "thumbnail_url",
    "permalink",
    "shortcode",
    "timestamp",
    "username",
    "comments_count",
    "like_count",
    "children",
    "owner",
    "is_comment_enabled",
}
IG_COMMENT_FIELDS = {
    "id",
    "text",
    "timestamp",
    "username",
    "from",
    "hidden",
    "like_count",
    "parent_id",
    "media",
    "replies",
    "user",
}
DEFAULTS = {
    "page": "name,id",
    "post": "created_time,message,id",
    "comment": "created_time,from,message,id",
    "ig_user": "id",
    "ig_media": "id",
    "ig_comment": "timestamp,text,id",
}


class GraphRenderer:
    """Turns world objects into Graph JSON for the fields asked."""

    def __init__(self, world: GraphWorld, base_url: str, cdn_url: str) -> None:
        self.world = world
        self.base_url = base_url
        self.cdn_url = cdn_url
        self.token = ""  # the caller's, for the next links of inline edges

    def fields_for(self, obj: Any, text: str | None) -> list[Field]:
        kind, allowed = _kind_of(obj)
        try:
            fields = parse_fields(text or DEFAULTS[kind])
        except FieldSyntaxError as exc:
            raise GraphFailure(400, graph_error(100, f"(#100) Syntax error: {exc}")) from exc
        for f in fields:
            if f.name not in allowed:
                node_type = {"page": "Page", "post": "PagePost", "comment": "Comment"}.get(kind, "IGMedia")
                raise GraphFailure(
                    400,
                    graph_error(
                        100, f"(#100) Tried accessing nonexisting field ({f.name}) on node type ({node_type})"
                    ),
                )
        return fields

    def render(self, obj: Any, fields: list[Field], query: dict[str, str]) -> Body:
        out: Body = {}
        for f in fields:
            value = self._value(obj, f)
            if value is not None:
                out[f.key] = value
        return out

    def _value(self, obj: Any, f: Field) -> Any:
        if isinstance(obj, FbPage):
            return self._page_value(obj, f)
        if isinstance(obj, FbPost):
            return self._post_value(obj, f)
        if isinstance(obj, FbComment):
            return self._comment_value(obj, f)
        if isinstance(obj, IgUser):
            return {
                "id": obj.id,
                "username": obj.username,
                "name": obj.name,
                "media_count": 0,
                "followers_count": 0,
            }.get(f.name)
        if isinstance(obj, IgMedia):
            return self._media_value(obj, f)
        if isinstance(obj, IgComment):
            return self._ig_comment_value(obj, f)
        return None

    def _page_value(self, page: FbPage, f: Field) -> Any:
        if f.name == "instagram_business_account":
            return {"id": page.instagram_id} if page.instagram_id else None
        values = {
            "id": page.id,
            "name": page.name,
            "username": page.username,
            "category": "Government organization",
            "link": f"https://www.facebook.com/{page.username}",
            "fan_count": 12873,
        }
        return values.get(f.name)

    def _who(self, author_id: str, f: Field) -> Body | None:
        world = self.world
        if author_id in world.pages:
            who = {"id": author_id, "name": world.pages[author_id].name}
        else:
            person = world.people[author_id]
            if not person.shares_profile:
                return None  # not visible to the Page: Graph leaves out ``from``
            who = {"id": person.id, "name": person.name}
        names = [c.name for c in f.children] if f.children else ["name", "id"]
        return {k: who[k] for k in names if k in who}

    def _post_value(self, post: FbPost, f: Field) -> Any:
        name = f.name
        local = post.id.split("_")[1]
        if name == "comments":
            comments = self.world.comments_of(post.id, stream=f.modifiers.get("filter") == "stream")
            return self._inline(comments, f, post.id)
        if name == "attachments":
            if not post.attachments:
                return None
            subs = f.children or parse_fields("media,target,type,url,title,description")
            return {"data": [self._attachment(a, subs) for a in post.attachments]}
        if name == "from":
            return self._who(post.author, f)
        if name == "reactions":
            return {"data": [], "summary": {"total_count": 0, "viewer_reaction": "NONE"}}
        if name == "full_picture":
            file = next((a.file for a in post.attachments if a.file), None)
            return self._file_url(file) if file else None
        if name == "status_type":
            if post.author != post.page_id:
                return "wall_post"
            return (
                "added_photos"
                if post.attachments and post.attachments[0].kind in ("photo", "album")
                else ("shared_story" if post.attachments else "mobile_status_update")
            )
        values = {
            "id": post.id,
            "message": post.message or None,  # absent, not empty, when a post has no text
            "story": post.story,
            "created_time": graph_time(post.created),
            "updated_time": graph_time(post.updated),
            "permalink_url": f"https://www.facebook.com/{post.page_id}/posts/{local}/",
            "is_hidden": post.hidden,
            "is_published": True,
            "shares": {"count": 0},
        }
        return values.get(name)

    def _comment_value(self, comment: FbComment, f: Field) -> Any:
        name = f.name
        if self.world.ppca and name in ("id", "from"):
            return None  # PPCA: "comment id (and from) are not returned"
        post = self.world.posts[comment.post_id]
        page_id, post_local = post.id.split("_")
        local = comment.id.split("_")[1]
        if name == "from":
            return self._who(comment.author, f)
        if name == "parent":
            return {"id": comment.parent_id} if comment.parent_id else None
        if name == "attachment":
            if comment.attachment is None:
                return None
            subs = f.children or parse_fields("media,target,type,url")
            return self._attachment(comment.attachment, subs)
        if name == "comments":
            return self._inline(self.world.replies_of(comment.id), f, comment.id)
        link = f"https://www.facebook.com/{page_id}/posts/{post_local}/?comment_id={local}"
        if comment.parent_id:
            parent_local = comment.parent_id.split("_")[1]
            link = f"https://www.facebook.com/{page_id}/posts/{post_local}/?comment_id={parent_local}&reply_comment_id={local}"
        values = {
            "id": comment.id,
            "message": comment.message,
            "created_time": graph_time(comment.created),
            "is_hidden": comment.hidden,
            "comment_count": len(self.world.replies_of(comment.id)),
            "like_count": 0,
            "permalink_url": link,
            "can_comment": True,
            "can_hide": True,
            "can_remove": True,
            "is_private": False,
            "object": {"id": post.id},
        }
        return values.get(name)

    def _inline(self, items: list[Any], f: Field, owner: str) -> Body:
        limit = int(f.modifiers.get("limit", "25"))
        sub = f.children or parse_fields(DEFAULTS["comment"])
        body: Body = {"data": [self.render(c, sub, {}) for c in items[:limit]]}
        if f.modifiers.get("summary") == "true":
            total = len(items) + self.world.count_extra.get(owner, 0)
            order = f.modifiers.get("order", "chronological")
            body["summary"] = {"order": order, "total_count": total, "can_comment": True}
        return body

    def _attachment(self, attachment: Attachment, fields: list[Field]) -> Body:
        values: Body = {
            "type": attachment.kind,
            "media_type": {"video_inline": "video", "share": "link"}.get(attachment.kind, attachment.kind),
            "url": attachment.url,
            "title": attachment.title,
            "description": attachment.description,
            "target": {"id": attachment.target_id, "url": attachment.url},
        }
        if attachment.file is not None:
            media: Body = {"image": {"height": 720, "src": self._file_url(attachment.file), "width": 720}}
            if attachment.file.content_type.startswith("video/"):
                media["source"] = self._file_url(attachment.file)
            values["media"] = media
        if attachment.children:
            sub = next((f.children for f in fields if f.name == "subattachments" and f.children), None)
            sub = sub or parse_fields("media,target,type,url,description")
            values["subattachments"] = {"data": [self._attachment(c, sub) for c in attachment.children]}
        return {f.key: values[f.name] for f in fields if values.get(f.name) is not None}

    def _file_url(self, file: Any) -> str:
        signature = "_nc_cat=1&ccb=1-7&_nc_sid=127cfc&oh=00_AYDk&oe=6754A1F2"
        return f"{self.cdn_url}/v/t39.30808-6/{file.name}?{signature}"

    def _media_value(self, media: IgMedia, f: Field) -> Any:
        world = self.world
        user = world.ig_users[media.user_id]
        name = f.name
        if name == "children":
            if not media.children:
                return None
            sub = f.children or parse_fields("id")
            return {"data": [self.render(c, sub, {}) for c in media.children]}
        if name == "media_url":
            if media.file is None or media.copyrighted_music:
                return None
            return self._file_url(media.file).replace("/v/t39.30808-6/", "/v/t51.29350-15/")
        if name == "thumbnail_url":
            return (
                self._file_url(media.file) + "&thumb=1"
                if media.media_type == "VIDEO" and media.file
                else None
            )
        values = {
            "id": media.id,
            "caption": media.caption or None,
            "media_type": media.media_type,
            "media_product_type": media.product_type,
            "permalink": f"https://www.instagram.com/p/{media.shortcode}/",
            "shortcode": media.shortcode,
            "timestamp": graph_time(media.created),
            "username": user.username,
            "comments_count": world.ig_count(media.id),
            "like_count": 0,
            "owner": {"id": user.id},
            "is_comment_enabled": True,
        }
        return values.get(name)

    def _ig_comment_value(self, comment: IgComment, f: Field) -> Any:
        name = f.name
        if name == "replies":
            if comment.parent_id is not None:
                return None
            replies = self.world.ig_replies_of(comment.id)
            if not replies:
                return None
            sub = f.children or parse_fields(DEFAULTS["ig_comment"])
            limit = int(f.modifiers.get("limit", "25"))
            body: Body = {"data": [self.render(r, sub, {}) for r in replies[:limit]]}
            if len(replies) > limit:
                query = urlencode({"access_token": self.token, "limit": limit, "after": encode_cursor(limit)})
                body["paging"] = {
                    "cursors": {"after": encode_cursor(limit)},
                    "next": f"{self.base_url}/{VERSION}/{comment.id}/replies?{query}",
                }
            return body
        if name == "from":
            names = [c.name for c in f.children] if f.children else ["id", "username"]
            who = {"id": comment.user_id, "username": comment.username}
            return {k: who[k] for k in names if k in who}
        values = {
            "id": comment.id,
            "text": comment.text,
            "timestamp": graph_time(comment.created),
            "username": comment.username,
            "hidden": comment.hidden,
            "like_count": 0,
            "parent_id": comment.parent_id,
            "media": {"id": comment.media_id},
            "user": {"id": comment.user_id},
        }
        return values.get(name)


def _kind_of(obj: Any) -> tuple[str, set[str]]:
    if isinstance(obj, FbPage):
        return "page", PAGE_FIELDS
    if isinstance(obj, FbPost):
        return "post", POST_FIELDS
    if isinstance(obj, FbComment):
        return "comment", COMMENT_FIELDS
    if isinstance(obj, IgUser):
        return "ig_user", IG_USER_FIELDS
    if isinstance(obj, IgMedia):
        return "ig_media", IG_MEDIA_FIELDS
    return "ig_comment", IG_COMMENT_FIELDS


def encode_cursor(offset: int, stage: int = 0) -> str:
    return base64.b64encode(f"{offset * 7919 + 104729}:{offset}:{stage}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        _, offset, stage = base64.b64decode(cursor.encode()).decode().split(":")
        return int(offset), int(stage)
    except (ValueError, IndexError) as exc:
        raise GraphFailure(400, graph_error(100, "(#100) Invalid cursor")) from exc
