"""The Mastodon API of the hostile instance: routes, entities, and each town's misbehaviour.

Routes are matched on the path split at ``/`` with each segment percent-decoded once, as Rails
does, so ``statuses/..%2F..%2Fadmin/context`` names the status ``../../admin`` while a path that
a client let collapse (``statuses/../../admin/context`` becomes ``/api/admin/context``) or split
(``at://did:plc:...``) matches no route: it is answered 404 and logged as ``stray``.

A town's behaviour (:mod:`.misbehaviour`) decides the answer to its own requests only, and only
where it says (most of them: the stage post's ``context``); everything else is answered as
Mastodon would, JSON gzip-compressed when the client accepts it. The mirror (the second host a
redirect points to) has no misbehaviours: it answers every route well.
"""

from __future__ import annotations

import collections
import gzip
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tests.fakes.hostile import codings
from tests.fakes.hostile.wire import Answer, Request, http_date
from tests.fakes.hostile.world import Media, Person, Status, Town, World

JSON_TYPE = "application/json; charset=utf-8"
JSON_ENTITY = dict[str, Any]


Misbehaviour = Callable[["HostileApi", "Route", Request, Answer], "Answer | None"]


@dataclass
class Route:
    name: str  # lookup, listing, status, context, history, media, stray
    town: Town | None = None
    status: Status | None = None
    media: Media | None = None


class HostileApi:
    """Answers requests for one listener (the instance itself, or the mirror)."""

    def __init__(
        self,
        world: World,
        base_url: Callable[[], str],
        *,
        mirror_url: Callable[[], str] | None = None,
        misbehaviours: Mapping[str, Misbehaviour] | None = None,
        max_body_bytes: int = 4 * codings.MIB,
    ) -> None:
        self.world = world
        self.misbehaviours = misbehaviours or {}
        self._base = base_url
        self._mirror = mirror_url
        self.max_body_bytes = max_body_bytes
        self._hits: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        return self._base()

    def __call__(self, request: Request) -> Answer:
        route = self.route(request)
        request.route = route.name
        normal = self._normal(route, request)
        if self._mirror is None or route.town is None:
            return normal
        misbehave = self.misbehaviours.get(route.town.behaviour)
        answer = misbehave(self, route, request, normal) if misbehave else None
        return answer or normal

    def hit(self, request: Request) -> int:
        """How many times this target was asked for, this one included."""
        with self._lock:
            self._hits[request.target] += 1
            return self._hits[request.target]

    # -- routes -----------------------------------------------------------------------------

    def route(self, request: Request) -> Route:
        parts = request.segments
        if request.method != "GET":
            return Route("stray")
        if parts[:3] == ["", "api", "v1"]:
            rest = parts[3:]
            if rest == ["accounts", "lookup"]:
                town = self.world.town(request.query.get("acct", [""])[0])
                return Route("lookup", town)
            if len(rest) == 3 and rest[0] == "accounts" and rest[2] == "statuses":
                return Route("listing", self.world.town_by_account(rest[1]))
            if len(rest) in (2, 3) and rest[0] == "statuses":
                found = self.world.owner(rest[1])
                town, status = found if found else (None, None)
                if len(rest) == 2:
                    return Route("status", town, status)
                if rest[2] in ("context", "history"):
                    return Route(rest[2], town, status)
        if len(parts) == 4 and parts[1] == "media":
            town = self.world.town(parts[2])
            media = (
                next((m for s in town.statuses for m in s.media if m.name == parts[3]), None)
                if town
                else None
            )
            return Route("media", town, media=media)
        return Route("stray")

    def _normal(self, route: Route, request: Request) -> Answer:
        town = route.town
        if route.name == "media" and route.media is not None:
            return Answer(200, route.media.data, [("Content-Type", "image/png"), ("Date", http_date())])
        if town is None or (route.name in ("status", "context", "history") and route.status is None):
            return self.json(request, {"error": "Record not found"}, status=404)
        if route.name == "lookup":
            return self.json(request, self.account(town, town.person))
        if route.name == "listing":
            return self._listing(request, town)
        status = route.status
        assert status is not None
        if route.name == "status":
            return self.json(request, self.status(town, status))
        if route.name == "context":
            return self.json(request, self.context(town, status))
        return self.json(request, self.history(town, status))

    def _listing(self, request: Request, town: Town) -> Answer:
        own = town.own()
        limit = min(int(request.query.get("limit", ["20"])[0] or 20), 40)
        max_id = request.query.get("max_id", [None])[0]
        if max_id is not None:
            ids = [s.id for s in own]
            own = own[ids.index(max_id) + 1 :] if max_id in ids else []
        page = own[:limit]
        headers = []
        if page:
            where = f"{self.base}/api/v1/accounts/{quote(town.person.id, safe='')}/statuses"
            common = f"limit={limit}&exclude_reblogs=true"
            headers.append(
                (
                    "Link",
                    f'<{where}?{common}&max_id={quote(page[-1].id, safe="")}>; rel="next", '
                    f'<{where}?{common}&min_id={quote(page[0].id, safe="")}>; rel="prev"',
                )
            )
        return self.json(request, [self.status(town, s) for s in page], headers=headers)

    # -- entities ---------------------------------------------------------------------------

    def account(self, town: Town, person: Person) -> JSON_ENTITY:
        entity: JSON_ENTITY = {
            "id": person.id,
            "username": person.username,
            "acct": person.acct,
            "display_name": person.display_name,
            "locked": False,
            "bot": False,
            "created_at": "2019-03-01T00:00:00.000Z",
            "note": "",
            "url": f"{self.base}/@{person.acct}",
            "avatar": f"{self.base}/avatars/original/missing.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(town.own()) if person is town.person else 1,
            "emojis": [],
            "fields": [],
        }
        return ENTITY_CHANGES.get(town.behaviour, _same)("account", entity)

    def status(self, town: Town, status: Status) -> JSON_ENTITY:
        path = quote(status.id, safe="")
        entity: JSON_ENTITY = {
            "id": status.id,
            "created_at": status.created_at,
            "in_reply_to_id": status.parent.id if status.parent else None,
            "in_reply_to_account_id": status.parent.author.id if status.parent else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "sv",
            "uri": f"{self.base}/users/{status.author.username}/statuses/{path}",
            "url": f"{self.base}/@{status.author.acct}/{path}",
            "replies_count": len(status.replies),
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": status.edited_at,
            "content": status.content,
            "reblog": None,
            "application": {"name": "Web", "website": None},
            "account": self.account(town, status.author),
            "media_attachments": [self.media(town, m) for m in status.media],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        return ENTITY_CHANGES.get(town.behaviour, _same)("status", entity)

    def media(self, town: Town, media: Media) -> JSON_ENTITY:
        url = f"{self.base}/media/{town.handle}/{media.name}"
        return {
            "id": media.id,
            "type": "image",
            "url": url,
            "preview_url": url,
            "remote_url": None,
            "meta": {},
            "description": media.description,
            "blurhash": None,
        }

    def context(self, town: Town, status: Status) -> JSON_ENTITY:
        ancestors = []
        parent = status.parent
        while parent is not None:
            ancestors.insert(0, self.status(town, parent))
            parent = parent.parent
        return {"ancestors": ancestors, "descendants": [self.status(town, s) for s in status.thread()]}

    def history(self, town: Town, status: Status) -> list[JSON_ENTITY]:
        edits = []
        for when, content in status.versions:
            edit = {
                "content": content,
                "spoiler_text": "",
                "sensitive": False,
                "created_at": when,
                "account": self.account(town, status.author),
                "media_attachments": [self.media(town, m) for m in status.media],
                "emojis": [],
            }
            edits.append(ENTITY_CHANGES.get(town.behaviour, _same)("edit", edit))
        if town.behaviour == "nulltext" and len(edits) > 1:
            edits[0]["content"] = None  # an earlier version with no text at all
        return edits

    # -- answers ----------------------------------------------------------------------------

    def json(
        self,
        request: Request,
        data: Any,
        *,
        status: int = 200,
        headers: list[tuple[str, str]] | None = None,
        compress: bool | None = None,
    ) -> Answer:
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        out = [("Content-Type", JSON_TYPE), ("Date", http_date()), *(headers or [])]
        out += [("X-RateLimit-Limit", "300"), ("X-RateLimit-Remaining", "299")]
        if compress is None:
            compress = "gzip" in request.headers.get("accept-encoding", "")
        if compress:
            body = gzip.compress(body, mtime=0)
            out += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        return Answer(status, body, out)

    def mirror_url(self) -> str:
        assert self._mirror is not None
        return self._mirror()


# -- how each behaviour changes entities ---------------------------------------------------------


def _same(kind: str, entity: JSON_ENTITY) -> JSON_ENTITY:
    return entity


def _numeric(kind: str, entity: JSON_ENTITY) -> JSON_ENTITY:
    """Ids and the language as JSON numbers."""
    for key in ("id", "in_reply_to_id", "in_reply_to_account_id"):
        if isinstance(entity.get(key), str):
            entity[key] = int(entity[key])
    if "language" in entity:
        entity["language"] = 1
    return entity


def _nulltext(kind: str, entity: JSON_ENTITY) -> JSON_ENTITY:
    """Every text field null: a comment's content, content warnings, display names, links."""
    if kind == "account":
        entity.update(display_name=None, note=None, url=None, avatar=None, emojis=None, fields=None)
        return entity
    entity.update(spoiler_text=None, emojis=None)
    if kind == "status":
        entity.update(language=None, url=None, uri=None, media_attachments=None, mentions=None, tags=None)
        entity.update(application=None, replies_count=None, reblogs_count=None, favourites_count=None)
        if entity["in_reply_to_id"] is not None and entity["edited_at"] is None:
            entity["content"] = None  # an edited reply keeps its text; its first version has none
    return entity


ENTITY_CHANGES: dict[str, Callable[[str, JSON_ENTITY], JSON_ENTITY]] = {
    "numeric": _numeric,
    "nulltext": _nulltext,
}
