"""Routes and rendering of the fake Graph API: what each request answers.

Routes (GET; any ``/vNN.N/`` prefix; the token as ``access_token`` or ``Authorization: Bearer``):

* ``/debug_token?input_token=…``
* ``/{id}`` for a Page, post, comment, Instagram user, media or comment, with ``fields``
* ``/{page-id}/feed`` (the Page's and visitors' posts), ``/{page-id}/posts`` (the Page's own)
* ``/{post-or-comment-id}/comments`` with ``filter`` (toplevel|stream), ``order``, ``summary``
* ``/{ig-user-id}/media``, ``/{ig-media-id}/comments`` (top level), ``/{ig-comment-id}/replies``

Edges page with ``limit`` (default 25, at most 100) and opaque ``after``/``before`` cursors, and
answer ``{"data": […], "paging": {"cursors": …, "next": …}}`` with absolute ``next`` links on the
fake's own base that carry the caller's ``access_token``, ``fields`` and ``limit``, as Graph's do.
Unknown fields answer error 100 as Graph does; deleted objects 100/33.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any
from urllib.parse import urlencode

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


class GraphFailure(Exception):
    """An error answer: HTTP status and Graph error object."""

    def __init__(self, status: int, error: Body) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def graph_error(
    code: int, message: str, *, kind: str = "OAuthException", subcode: int | None = None, **extra: Any
) -> Body:
    error: Body = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    error["fbtrace_id"] = base64.urlsafe_b64encode(f"trace{code}{subcode}".encode()).decode()[:11]
    return error


def gone(object_id: str, kind: str = "GraphMethodException") -> GraphFailure:
    return GraphFailure(
        400,
        graph_error(
            100,
            f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
            "missing permissions, or does not support this operation. Please read the Graph API "
            "documentation at https://developers.facebook.com/docs/graph-api",
            kind=kind,
            subcode=33,
        ),
    )


class GraphApi:
    """Answers API requests from a :class:`GraphWorld`."""

    def __init__(self, world: GraphWorld, base_url: str, cdn_url: str) -> None:
        self.world = world
        self.base_url = base_url
        self.cdn_url = cdn_url
        self.token = ""

    # -- dispatch -------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str], token: str | None) -> Body:
        """The body for ``path`` (version prefix removed); raises :class:`GraphFailure`."""
        world = self.world
        parts = [p for p in path.split("/") if p]
        self.token = token or ""
        with world.lock:
            self._check_token(token)
            if parts == ["debug_token"]:
                return self._debug_token(query)
            if len(parts) == 1:
                return self._node(parts[0], query)
            if len(parts) == 2:
                return self._edge(parts[0], parts[1], query, token or "")
        raise GraphFailure(400, graph_error(100, f"Unknown path components: /{'/'.join(parts[1:])}"))

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise GraphFailure(
                400, graph_error(2500, "An active access token must be used to query information.")
            )
        known = self.world.tokens.get(token)
        if known is None:
            raise GraphFailure(
                400, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            )
        now = self.world.clock.now()
        if known.expires_at is not None and known.expires_at <= now:
            when = known.expires_at.strftime("%A, %d-%b-%y %H:%M:%S UTC")
            raise GraphFailure(
                400,
                graph_error(
                    190,
                    f"Error validating access token: Session has expired on {when}. "
                    f"The current time is {now.strftime('%A, %d-%b-%y %H:%M:%S UTC')}.",
                    subcode=463,
                ),
            )
        if known.invalidated:
            raise GraphFailure(
                400,
                graph_error(
                    190,
                    "Error validating access token: The session has been invalidated because the user "
                    "changed their password or Facebook has changed the session for security reasons.",
                    subcode=460,
                ),
            )

    def _debug_token(self, query: dict[str, str]) -> Body:
        token = self.world.tokens.get(query.get("input_token", ""))
        if token is None:
            raise GraphFailure(400, graph_error(100, "(#100) The parameter input_token is required"))

        def stamp(moment: dt.datetime | None) -> int:
            return int(moment.timestamp()) if moment else 0

        return {
            "data": {
                "app_id": "138566025676",
                "type": "PAGE",
                "application": "Kommunarkivet",
                "data_access_expires_at": stamp(token.data_access_expires_at),
                "expires_at": stamp(token.expires_at),
                "is_valid": True,
                "profile_id": token.profile_id,
                "scopes": list(token.scopes),
                "granular_scopes": [
                    {"scope": s, "target_ids": [token.profile_id]} for s in token.scopes[1:3]
                ],
                "user_id": "10215241773831025",
            }
        }

    def _lookup(self, object_id: str) -> Any:
        world = self.world
        for table in (
            world.pages,
            world.posts,
            world.comments,
            world.ig_users,
            world.media,
            world.ig_comments,
        ):
            if object_id in table:
                return table[object_id]
        if object_id.isdigit() or "_" in object_id:
            raise gone(object_id)
        raise GraphFailure(
            404, graph_error(803, "(#803) Some of the aliases you requested do not exist: " + object_id)
        )

    def _node(self, object_id: str, query: dict[str, str]) -> Body:
        obj = self._lookup(object_id)
        if self.world.is_gone(obj):
            raise gone(
                object_id,
                "IGApiException" if isinstance(obj, IgMedia | IgComment) else "GraphMethodException",
            )
        return self.render(obj, self._fields(obj, query.get("fields")), query)

    def _edge(self, object_id: str, edge: str, query: dict[str, str], token: str) -> Body:
        obj = self._lookup(object_id)
        if self.world.is_gone(obj):
            raise gone(
                object_id,
                "IGApiException" if isinstance(obj, IgMedia | IgComment) else "GraphMethodException",
            )
        world = self.world
        items: list[Any]
        summary: Body | None = None
        if isinstance(obj, FbPage) and edge in ("feed", "posts"):
            posts = [p for p in world.posts.values() if p.page_id == obj.id and not p.deleted]
            if edge == "posts":
                posts = [p for p in posts if p.author == obj.id]
            items = sorted(posts, key=lambda p: (p.created, p.id), reverse=True)
        elif isinstance(obj, FbPost | FbComment) and edge == "comments":
            items, summary = self._fb_comments(obj, query)
        elif isinstance(obj, IgUser) and edge == "media":
            children = {c.id for m in world.media.values() for c in m.children}
            media = [
                m
                for m in world.media.values()
                if m.user_id == obj.id and not m.deleted and m.id not in children
            ]
            items = sorted(media, key=lambda m: (m.created, m.id), reverse=True)
        elif isinstance(obj, IgMedia) and edge == "comments":
            items = world.ig_comments_of(obj.id)
        elif isinstance(obj, IgComment) and edge == "replies":
            items = world.ig_replies_of(obj.id)
        else:
            raise GraphFailure(400, graph_error(100, f"(#100) Tried accessing nonexisting field ({edge})"))
        fields = self._fields(items[0], query.get("fields")) if items else []
        path = f"{object_id}/{edge}"
        body = self.page_of(items, fields, query, path, token)
        if summary is not None and query.get("summary") in ("true", "1"):
            body["summary"] = summary
        return body

    def _fb_comments(self, obj: FbPost | FbComment, query: dict[str, str]) -> tuple[list[Any], Body]:
        world = self.world
        stream = query.get("filter") == "stream"
        if isinstance(obj, FbComment):
            items: list[Any] = sorted(world.replies_of(obj.id), key=lambda c: (c.created, c.id))
        else:
            items = world.comments_of(obj.id, stream=stream)
        order = query.get("order", "chronological")
        if order == "reverse_chronological":
            items.reverse()
        count = len(items) + world.count_extra.get(obj.id, 0)
        return items, {"order": order, "total_count": count, "can_comment": True}

    # -- paging ---------------------------------------------------------------------------

    def page_of(
        self, items: list[Any], fields: list[Field], query: dict[str, str], path: str, token: str
    ) -> Body:
        """One page of an edge, as Graph cuts it (see the module docstring)."""
        world = self.world
        limit = min(max(int(query.get("limit") or 25), 1), 100)
        offset, stage = _decode(query["after"]) if query.get("after") else (0, 0)
        if query.get("before"):
            offset, stage = max(0, _decode(query["before"])[0] - limit), 0
        if world.short_pages and stage == 0:
            size, following = 0, (offset, 1)  # an empty page that still has a next
        elif world.short_pages:
            size, following = min(limit, 2), (offset + min(limit, 2), 0)
        else:
            size, following = limit, (offset + limit, 0)
        chunk = items[offset : offset + size]
        more = following[0] < len(items)
        if world.repeat_cursor and len(items) > 1:
            following, more = (1, 0), True
        body: Body = {"data": [self.render(item, fields, {}) for item in chunk]}
        if not items:
            return body
        rest = {k: v for k, v in query.items() if k not in ("after", "before", "access_token")}
        paging: Body = {"cursors": {"before": _encode(offset, stage), "after": _encode(*following)}}
        if offset > 0:
            previous = urlencode(
                {"access_token": token, **rest, "limit": str(limit), "before": _encode(offset, 0)}
            )
            paging["previous"] = f"{self.base_url}/{VERSION}/{path}?{previous}"
        if more:
            following_query = {
                "access_token": token,
                **rest,
                "limit": str(limit),
                "after": _encode(*following),
            }
            paging["next"] = f"{self.base_url}/{VERSION}/{path}?{urlencode(following_query)}"
        body["paging"] = paging
        return body

    # -- rendering ------------------------------------------------------------------------

    def _fields(self, obj: Any, text: str | None) -> list[Field]:
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
                query = urlencode({"access_token": self.token, "limit": limit, "after": _encode(limit)})
                body["paging"] = {
                    "cursors": {"after": _encode(limit)},
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


def _encode(offset: int, stage: int = 0) -> str:
    return base64.b64encode(f"{offset * 7919 + 104729}:{offset}:{stage}".encode()).decode()


def _decode(cursor: str) -> tuple[int, int]:
    try:
        _, offset, stage = base64.b64decode(cursor.encode()).decode().split(":")
        return int(offset), int(stage)
    except (ValueError, IndexError) as exc:
        raise GraphFailure(400, graph_error(100, "(#100) Invalid cursor")) from exc
