"""The REST routes of the fake Mastodon server, independent of the HTTP plumbing.

Each route takes an :class:`ApiRequest` and returns an :class:`ApiResponse` whose body is plain
JSON data. Parameter handling copies Rails/Mastodon: ``limit`` is ``to_i.abs`` capped at twice
the default (40 for statuses); booleans use ``ActiveModel::Type::Boolean`` (anything but ``0``,
``f``, ``F``, ``false``, ``FALSE``, ``off``, ``OFF`` and the empty string is true); the ``Link``
header of ``/accounts/:id/statuses`` is built like ``api_v1_account_statuses_url`` with the
permitted params (``limit``, ``pinned``, ``tagged``, ``only_media``, ``exclude_replies``,
``exclude_reblogs``) sorted by name (``Hash#to_query``), plus ``max_id`` for ``rel="next"``
(only when the page is full) and ``min_id`` for ``rel="prev"`` (only when it is not empty).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from tests.fakes.mastodon_render import Renderer
from tests.fakes.mastodon_state import MastodonState, NotFound, Status, Viewer

DEFAULT_STATUSES_LIMIT = 20
CONTEXT_LIMIT = 4096
ANCESTORS_LIMIT = 40
DESCENDANTS_LIMIT = 60
DESCENDANTS_DEPTH_LIMIT = 20
PUBLIC_CACHE = "max-age=15, public, stale-while-revalidate=30, stale-if-error=86400"
PRIVATE_CACHE = "private, no-store"
_FALSE_VALUES = {"", "0", "f", "F", "false", "FALSE", "off", "OFF"}
_FILTER_KEYS = ("pinned", "tagged", "only_media", "exclude_replies", "exclude_reblogs")
_LEADING_INT = re.compile(r"\s*[+-]?\d+")


@dataclass
class ApiRequest:
    """A parsed API request: path, query (all values per name), the URL root the client used."""

    path: str
    query: dict[str, list[str]]
    root_url: str
    viewer: Viewer
    renderer: Renderer

    def param(self, name: str) -> str | None:
        """The last value of a query parameter (Rack semantics), or ``None``."""
        values = self.query.get(name)
        return values[-1] if values else None

    def flag(self, name: str) -> bool:
        """A boolean parameter as ``ActiveModel::Type::Boolean`` casts it."""
        value = self.param(name)
        return value is not None and value not in _FALSE_VALUES

    def id_param(self, name: str) -> int | None:
        """A numeric id parameter, or ``None`` when absent or not a number."""
        value = self.param(name)
        if value is None or not value.strip().isdigit():
            return None
        return int(value)

    def limit(self, default: int) -> int:
        """``limit_param``: ``to_i.abs``, capped at twice the default."""
        value = self.param("limit")
        if value is None:
            return default
        match = _LEADING_INT.match(value)
        number = abs(int(match.group(0))) if match else 0
        return min(number, default * 2)


@dataclass
class ApiResponse:
    """A route's answer: status, JSON body, extra headers, whether anonymous caching applies."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    public_cache: bool = False


def not_found() -> ApiResponse:
    """Mastodon's 404."""
    return ApiResponse(404, {"error": "Record not found"})


def _visible_status(state: MastodonState, request: ApiRequest, status_id: str) -> Status:
    status = state.status(status_id)
    if not state.permitted(status, request.viewer):
        raise NotFound(status_id)
    return status


def lookup(state: MastodonState, request: ApiRequest, _match: re.Match[str]) -> ApiResponse:
    """``GET /api/v1/accounts/lookup?acct=``."""
    acct = request.param("acct")
    if not acct:
        return not_found()
    return ApiResponse(200, request.renderer.account(state.lookup(acct)))


def account_show(state: MastodonState, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    """``GET /api/v1/accounts/:id``."""
    return ApiResponse(200, request.renderer.account(state.account(match.group(1))))


def _link(request: ApiRequest, path: str, params: dict[str, str]) -> str:
    query = "&".join(
        f"{quote_plus(key)}={quote_plus(value)}" for key, value in sorted(params.items())
    )
    return f"<{request.root_url}{path}?{query}>"


def account_statuses(
    state: MastodonState, request: ApiRequest, match: re.Match[str]
) -> ApiResponse:
    """``GET /api/v1/accounts/:id/statuses``: one page, newest first, with a ``Link`` header."""
    account = state.account(match.group(1))
    limit = request.limit(DEFAULT_STATUSES_LIMIT)
    page = state.account_statuses(
        account,
        request.viewer,
        limit=limit,
        max_id=request.id_param("max_id"),
        since_id=request.id_param("since_id"),
        min_id=request.id_param("min_id"),
        exclude_replies=request.flag("exclude_replies"),
        exclude_reblogs=request.flag("exclude_reblogs"),
        only_media=request.flag("only_media"),
        pinned=request.flag("pinned"),
        tagged=request.param("tagged") or None,
    )
    headers: dict[str, str] = {}
    kept = {
        name: value
        for name in ("limit", *_FILTER_KEYS)
        if (value := request.param(name)) is not None
    }
    links = []
    if page and len(page) == limit:
        links.append(
            _link(request, request.path, {**kept, "max_id": str(page[-1].id)}) + '; rel="next"'
        )
    if page:
        links.append(
            _link(request, request.path, {**kept, "min_id": str(page[0].id)}) + '; rel="prev"'
        )
    if links:
        headers["Link"] = ", ".join(links)
    body = [request.renderer.status(status) for status in page]
    return ApiResponse(200, body, headers, public_cache=True)


def status_show(state: MastodonState, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    """``GET /api/v1/statuses/:id``."""
    status = _visible_status(state, request, match.group(1))
    return ApiResponse(200, request.renderer.status(status), public_cache=True)


def context(state: MastodonState, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    """``GET /api/v1/statuses/:id/context`` with the logged-out limits when there is no user."""
    status = _visible_status(state, request, match.group(1))
    if request.viewer.signed_in:
        ancestors_limit, descendants_limit, depth = CONTEXT_LIMIT, CONTEXT_LIMIT, None
    else:
        ancestors_limit, descendants_limit = ANCESTORS_LIMIT, DESCENDANTS_LIMIT
        depth = DESCENDANTS_DEPTH_LIMIT
    ancestors = (
        []
        if status.in_reply_to_id is None
        else state.ancestors(status, request.viewer, ancestors_limit)
    )
    descendants = state.descendants(status, request.viewer, descendants_limit, depth)
    headers = {}
    refresh = state.async_refreshes.get(status.id)
    if refresh is not None:
        # Still fetching remote replies: what the instance has so far, and the header.
        headers["Mastodon-Async-Refresh"] = refresh.header()
        descendants = [d for d in descendants if not _below(state, d, refresh.pending)]
        refresh.reads -= 1
        if refresh.reads <= 0:
            del state.async_refreshes[status.id]
    render = request.renderer.status
    body = {
        "ancestors": [render(item) for item in ancestors],
        "descendants": [render(item) for item in descendants],
    }
    return ApiResponse(200, body, headers, public_cache=True)


def _below(state: MastodonState, status: Status, pending: set[int]) -> bool:
    """Whether ``status`` is one of ``pending`` or replies (at any depth) to one of them."""
    current: Status | None = status
    while current is not None:
        if current.id in pending:
            return True
        parent = current.in_reply_to_id
        current = state.statuses.get(parent) if parent is not None else None
    return False


def history(state: MastodonState, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    """``GET /api/v1/statuses/:id/history``: every revision, oldest first."""
    status = _visible_status(state, request, match.group(1))
    body = [request.renderer.status_edit(status, revision) for revision in status.revisions]
    return ApiResponse(200, body, public_cache=True)


def verify_credentials(state: MastodonState, request: ApiRequest, match: re.Match[str]) -> ApiResponse:
    """``GET /api/v1/accounts/verify_credentials``: the token's own account (a user token)."""
    if request.viewer.account_id is None:
        return ApiResponse(401, {"error": "This method requires an authenticated user"})
    return ApiResponse(200, request.renderer.account(state.accounts[request.viewer.account_id]))


Route = Callable[[MastodonState, ApiRequest, re.Match[str]], ApiResponse]
ROUTES: tuple[tuple[re.Pattern[str], Route], ...] = (
    (re.compile(r"^/api/v1/accounts/verify_credentials/?$"), verify_credentials),
    (re.compile(r"^/api/v1/accounts/lookup/?$"), lookup),
    (re.compile(r"^/api/v1/accounts/([^/]+)/statuses/?$"), account_statuses),
    (re.compile(r"^/api/v1/accounts/([^/]+)/?$"), account_show),
    (re.compile(r"^/api/v1/statuses/([^/]+)/context/?$"), context),
    (re.compile(r"^/api/v1/statuses/([^/]+)/history/?$"), history),
    (re.compile(r"^/api/v1/statuses/([^/]+)/?$"), status_show),
)


def dispatch(state: MastodonState, request: ApiRequest) -> ApiResponse:
    """Route an API request; unknown paths and records give Mastodon's 404."""
    for pattern, route in ROUTES:
        match = pattern.match(request.path)
        if match:
            try:
                with state.lock:
                    response = route(state, request, match)
            except NotFound:
                return not_found()
            break
    else:
        return not_found()
    response.headers.setdefault(
        "Cache-Control",
        PUBLIC_CACHE if response.public_cache and not request.viewer.signed_in else PRIVATE_CACHE,
    )
    return response
