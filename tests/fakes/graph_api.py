"""Routes of the fake Graph API: what each request answers (rendering: :mod:`.graph_render`).

Routes (GET; any ``/vNN.N/`` prefix; the token as ``access_token`` or ``Authorization: Bearer``):

* ``/debug_token?input_token=…``
* ``/{id}`` for a Page, post, comment, Instagram user, media or comment, with ``fields``
* ``/{page-id}/feed`` (the Page's and visitors' posts), ``/{page-id}/posts`` (the Page's own)
* ``/{post-or-comment-id}/comments`` with ``filter`` (toplevel|stream), ``order``, ``summary``
* ``/{ig-user-id}/media``, ``/{ig-media-id}/comments`` (top level), ``/{ig-comment-id}/replies``

Edges page with ``limit`` (default 25, at most 100) and opaque ``after``/``before`` cursors, and
answer ``{"data": […], "paging": {"cursors": …, "next": …}}`` with absolute ``next`` links on the
fake's own base that carry the caller's ``access_token``, ``fields`` and ``limit``, as Graph's do.
Listings asked with ``since``/``until`` switch to Graph's time-based paging (``previous``/``next``
with ``__paging_token``, no ``cursors``). Unknown fields answer error 100 as Graph does; deleted
objects 100/33.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from tests.fakes.graph_errors import GraphFailure, gone, graph_error
from tests.fakes.graph_fields import Field
from tests.fakes.graph_render import VERSION, GraphRenderer, decode_cursor, encode_cursor
from tests.fakes.graph_state import FbComment, FbPage, FbPost, GraphWorld, IgComment, IgMedia, IgUser

__all__ = ["VERSION", "GraphApi"]
Body = dict[str, Any]


class GraphApi:
    """Answers API requests from a :class:`GraphWorld`."""

    def __init__(self, world: GraphWorld, base_url: str, cdn_url: str) -> None:
        self.world = world
        self.base_url = base_url
        self.cdn_url = cdn_url
        self.renderer = GraphRenderer(world, base_url, cdn_url)

    # -- dispatch -------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str], token: str | None) -> Body:
        """The body for ``path`` (version prefix removed); raises :class:`GraphFailure`."""
        world = self.world
        parts = [p for p in path.split("/") if p]
        self.renderer.token = token or ""
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
        return self.renderer.render(obj, self.renderer.fields_for(obj, query.get("fields")), query)

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
        fields = self.renderer.fields_for(items[0], query.get("fields")) if items else []
        path = f"{object_id}/{edge}"
        if edge in ("feed", "posts", "media") and (query.get("since") or query.get("until")):
            return self.time_page_of(items, fields, query, path, token)
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

    def time_page_of(
        self, items: list[Any], fields: list[Field], query: dict[str, str], path: str, token: str
    ) -> Body:
        """A page of a listing asked with ``since``/``until`` (unix times): Graph's time-based paging.

        ``paging`` then holds only ``previous``/``next`` links carrying ``since``/``until`` and an
        opaque ``__paging_token``; there are no ``cursors``. The last page has no ``next``.
        """
        limit = min(max(int(query.get("limit") or 25), 1), 100)
        since = int(query["since"]) if query.get("since") else None
        until = int(query["until"]) if query.get("until") else None

        def stamp(item: Any) -> int:
            return int(item.created.timestamp())

        chosen = [
            i for i in items if (since is None or stamp(i) >= since) and (until is None or stamp(i) < until)
        ]
        chunk = chosen[:limit]
        body: Body = {"data": [self.renderer.render(item, fields, {}) for item in chunk]}
        if not chunk:
            return body
        rest = {k: v for k, v in query.items() if k not in ("since", "until", "__paging_token", "__previous")}
        rest = {"access_token": token, **{k: v for k, v in rest.items() if k != "access_token"}}
        marker = encode_cursor(items.index(chunk[-1]))
        paging: Body = {
            "previous": f"{self.base_url}/{VERSION}/{path}?"
            + urlencode(
                {**rest, "since": stamp(chunk[0]), "until": "", "__paging_token": marker, "__previous": 1}
            )
        }
        if len(chosen) > limit:
            paging["next"] = f"{self.base_url}/{VERSION}/{path}?" + urlencode(
                {**rest, "until": stamp(chunk[-1]), "since": "", "__paging_token": marker, "__previous": ""}
            )
        body["paging"] = paging
        return body

    def page_of(
        self, items: list[Any], fields: list[Field], query: dict[str, str], path: str, token: str
    ) -> Body:
        """One page of an edge, as Graph cuts it (see the module docstring)."""
        world = self.world
        limit = min(max(int(query.get("limit") or 25), 1), 100)
        offset, stage = decode_cursor(query["after"]) if query.get("after") else (0, 0)
        if query.get("before"):
            offset, stage = max(0, decode_cursor(query["before"])[0] - limit), 0
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
        body: Body = {"data": [self.renderer.render(item, fields, {}) for item in chunk]}
        if not items:
            return body
        rest = {k: v for k, v in query.items() if k not in ("after", "before", "access_token")}
        paging: Body = {
            "cursors": {"before": encode_cursor(offset, stage), "after": encode_cursor(*following)}
        }
        if offset > 0:
            previous = urlencode(
                {"access_token": token, **rest, "limit": str(limit), "before": encode_cursor(offset, 0)}
            )
            paging["previous"] = f"{self.base_url}/{VERSION}/{path}?{previous}"
        if more:
            following_query = {
                "access_token": token,
                **rest,
                "limit": str(limit),
                "after": encode_cursor(*following),
            }
            paging["next"] = f"{self.base_url}/{VERSION}/{path}?{urlencode(following_query)}"
        body["paging"] = paging
        return body

    # -- rendering ------------------------------------------------------------------------
