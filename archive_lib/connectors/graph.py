"""What Facebook Pages and Instagram share: Meta's Graph API.

* **Version.** :data:`DEFAULT_API_BASE` names the current Graph API version; an inventory's
  ``api_base`` (``https://graph.facebook.com/v25.0``) pins another one.
* **Token.** Sent as the ``access_token`` query parameter, as Graph documents it. Graph echoes it
  in every ``paging.next`` link it returns; the archive's redactor removes it from stored URLs
  and bodies.
* **Errors** are read from the body's ``error.code``, never from the HTTP status
  (:func:`classify`): 190 is an expired or invalidated token, 4/17/32/613/80001 a throttle, 1/2
  transient, 100 with subcode 33 an object that does not exist (a deletion, when a direct lookup
  answers it), 10 and 200-299 a missing permission.
* **Usage headers** (``X-App-Usage``, ``X-Business-Use-Case-Usage``, the older ``X-Page-Usage``)
  give percentages of the rate-limit budget; :func:`pause_after` slows down before the budget is
  spent and waits out ``estimated_time_to_regain_access`` when Graph names it.
* **Paging** (:func:`pages`) follows ``paging.next`` verbatim and ends only when there is none:
  Graph may return short or even empty pages that still carry a ``next``.
* **Token health** (:func:`token_health`) asks ``/debug_token`` about the token itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from archive_lib.connectors import GRAPH_API
from archive_lib.connectors.base import TokenHealth
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.pages import PageTrail
from archive_lib.connectors.policy import Backoff, HttpRules, Throttle, Verdict
from archive_lib.connectors.response import Response
from archive_lib.errors import (
    AccountNotFoundError,
    AuthError,
    PlatformError,
    ProtocolError,
    RateLimitedError,
    TokenExpiredError,
)
from archive_lib.models import RecordRef
from archive_lib.values import ident, moment

log = logging.getLogger(__name__)

DEFAULT_API_BASE = GRAPH_API
PAGE_SIZE = 100
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80002, 80004, 80005, 80006, 80008})
TRANSIENT_CODES = frozenset({1, 2})
GONE_SUBCODE = 33
USAGE_HEADERS = ("X-App-Usage", "X-Business-Use-Case-Usage", "X-Page-Usage", "X-Ad-Account-Usage")
USAGE_SLOW_PERCENT = 90  # from here on, pause between requests
USAGE_SLOW_PAUSE = 60.0
USAGE_FULL_PAUSE = 300.0  # a spent budget without an estimate: Graph's window is one hour


class GraphObjectGone(PlatformError):
    """Graph answered error 100 with subcode 33: the object does not exist (or is not visible).

    Raised by a lookup; carries the response record, the evidence for a ``Gone``.
    """

    def __init__(self, message: str, record: RecordRef) -> None:
        super().__init__(message)
        self.record = record


@dataclass(frozen=True)
class GraphError:
    """The ``error`` object of a Graph response body."""

    code: int
    subcode: int | None
    message: str
    type: str
    transient: bool

    def describe(self) -> str:
        sub = f", subcode {self.subcode}" if self.subcode is not None else ""
        return f"Graph error {self.code}{sub}: {self.message}"


def graph_error(response: Response) -> GraphError | None:
    """The error in a Graph response body, or ``None`` when it holds none."""
    try:
        body = response.json()
    except ProtocolError:  # not JSON, or not readable at all: the status decides
        return None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return None
    subcode = error.get("error_subcode")
    return GraphError(
        code=int(error["code"]),
        subcode=subcode if isinstance(subcode, int) else None,
        message=str(error.get("message") or ""),
        type=str(error.get("type") or ""),
        transient=bool(error.get("is_transient")),
    )


def classify(response: Response) -> Verdict | None:
    """What a failed Graph response means, from its error code (the HTTP status says little)."""
    error = graph_error(response)
    if error is None:
        return None  # no Graph error body (a proxy's 502): the HTTP status rules apply
    code = error.code
    if code == 190:
        return TokenExpiredError(f"token expired or invalidated ({error.describe()})")
    if code in THROTTLE_CODES:
        return Throttle(f"Graph throttled the request ({error.describe()})", regain_wait(response))
    if code == 803:
        return AccountNotFoundError(error.describe())
    if code == 100 and error.subcode == GONE_SUBCODE:
        return GraphObjectGone(error.describe(), response.record)
    if code in TRANSIENT_CODES or (error.transient and code != 368):
        return Backoff(error.describe())
    if code == 368:
        return RateLimitedError(f"Graph temporarily blocked the app ({error.describe()})")
    if code in (10, 102) or 200 <= code <= 299:
        return AuthError(f"the token lacks a permission ({error.describe()})")
    if response.status >= 500:
        return Backoff(error.describe())
    return ProtocolError(error.describe())


def usage(response: Response) -> tuple[float, float | None]:
    """The highest usage percentage in the response's usage headers, and Graph's wait (seconds).

    ``X-App-Usage``/``X-Page-Usage`` are ``{"call_count": 28, "total_time": 25, ...}``;
    ``X-Business-Use-Case-Usage`` maps an object id to a list of such entries, each possibly
    with ``estimated_time_to_regain_access`` in minutes.
    """
    highest = 0.0
    regain: float | None = None
    for name in USAGE_HEADERS:
        value = response.header(name)
        if not value:
            continue
        try:
            data = json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or nested past what a parser follows
            continue
        entries: list[Any] = []
        if isinstance(data, dict) and any(isinstance(v, list) for v in data.values()):
            for items in data.values():
                entries.extend(items if isinstance(items, list) else [])
        else:
            entries.append(data)
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            for key in ("call_count", "total_time", "total_cputime", "acc_id_util_pct"):
                number = entry.get(key)
                if isinstance(number, int | float):
                    highest = max(highest, float(number))
            minutes = entry.get("estimated_time_to_regain_access")
            if isinstance(minutes, int | float) and minutes > 0:
                regain = max(regain or 0.0, float(minutes) * 60)
    return highest, regain


def regain_wait(response: Response) -> float | None:
    """Seconds Graph says to wait before the budget is back; ``None`` when it does not say."""
    return usage(response)[1]


def pause_after(response: Response) -> float | None:
    """How long to wait before the next request, judged from the usage headers."""
    highest, regain = usage(response)
    if regain is not None:
        return regain
    if highest >= 100:
        return USAGE_FULL_PAUSE
    if highest >= USAGE_SLOW_PERCENT:
        return USAGE_SLOW_PAUSE
    return None


def usage_percent(response: Response) -> float | None:
    """The highest usage percentage the response's usage headers give; ``None`` without them."""
    if not any(response.header(name) for name in USAGE_HEADERS):
        return None
    return usage(response)[0]


RULES = HttpRules(
    classify=classify,
    pause_after=pause_after,
    token_param="access_token",  # noqa: S106 -- a name
    usage=usage_percent,
)


@dataclass(frozen=True)
class Page:
    """One page of an edge: its ``data`` and the whole body (``summary`` lives there)."""

    data: list[dict[str, Any]]
    body: dict[str, Any]
    record: RecordRef


def node(
    http: HttpClient, url: str, params: dict[str, str | int] | None = None
) -> tuple[dict[str, Any], RecordRef]:
    """One Graph node; raises :class:`GraphObjectGone` when Graph says it does not exist."""
    response = http.get(url, params, allow=())
    return response.json_object(), response.record


def pages(http: HttpClient, url: str, params: dict[str, str | int]) -> Iterator[Page]:
    """Every page of an edge, following ``paging.next`` verbatim until there is none.

    A short or empty page with a ``next`` is not the end (Graph filters pages after cutting
    them). A cursor seen before ends the walk with :class:`PaginationLoopError`, since the
    New Pages Experience has been seen to repeat pages forever.
    """
    next_url: str | None = url
    query: dict[str, str | int] | None = params
    trail = PageTrail(url.split("?", 1)[0])
    while next_url:
        response = http.get(next_url, query, allow=())
        query = None
        body = response.json_object()
        data = body.get("data")
        if not isinstance(data, list):
            raise ProtocolError(f"{response.where}: expected a data list")
        yield Page([_with_text_id(d) for d in data if isinstance(d, dict)], body, response.record)
        paging = body.get("paging")
        if not isinstance(paging, dict) or not isinstance(paging.get("next"), str):
            return
        next_url = paging["next"]
        cursors = paging.get("cursors")
        marker = cursors.get("after") if isinstance(cursors, dict) else None
        trail.follow(str(marker or next_url))


def token_health(http: HttpClient, api: str) -> TokenHealth:
    """What ``/debug_token`` says about the token (asked with the token itself, same app).

    ``expires_at`` is the earlier of the token's own expiry and its data-access expiry (Graph
    gives 0 for "never"). An invalid token raises :class:`TokenExpiredError`.
    """
    response = http.get(f"{api}/debug_token", allow=(), token_as="input_token")  # noqa: S106 -- a name
    data = response.json_object().get("data")
    if not isinstance(data, dict):
        raise ProtocolError(f"{response.where}: expected a data object")
    if not data.get("is_valid"):
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        message = (error or {}).get("message") or "debug_token says the token is not valid"
        raise TokenExpiredError(f"token expired or invalidated ({message})")
    moments = [
        dt.datetime.fromtimestamp(int(v), dt.UTC)
        for v in (data.get("expires_at"), data.get("data_access_expires_at"))
        if isinstance(v, int) and v > 0
    ]
    return TokenHealth(True, min(moments) if moments else None)


def parse_time(value: object) -> dt.datetime | None:
    """Graph's ``2026-11-20T09:15:03+0000`` as an aware UTC datetime; None if it is not a time."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return moment(value)


def later(stamp: object, than: str | None) -> str | None:
    """The later of two Graph timestamps (either may be unset or unreadable): the high-water mark."""
    mine, theirs = parse_time(stamp), parse_time(than)
    if mine is None:
        return than
    return str(stamp) if theirs is None or mine > theirs else than


def summary_count(edge: object) -> int | None:
    """``total_count`` from an edge's ``summary`` (inline ``comments.summary(true)`` or a page)."""
    if not isinstance(edge, dict):
        return None
    summary = edge.get("summary")
    count = summary.get("total_count") if isinstance(summary, dict) else None
    return count if isinstance(count, int) else None


def _with_text_id(item: dict[str, Any]) -> dict[str, Any]:
    """A Graph object with its ``id`` as text; an id that is no id becomes None (see ``usable``)."""
    if "id" not in item or isinstance(item["id"], str):
        return item
    return {**item, "id": ident(item["id"])}


def usable(item: dict[str, Any]) -> bool:
    """Whether a Graph object has an id to be recorded under."""
    return isinstance(item.get("id"), str) and bool(item["id"])
