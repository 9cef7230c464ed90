"""What each town sends instead of the well-behaved answer (see :mod:`.world` for the towns).

Each misbehaviour gets the API, the matched route, the request and the answer Mastodon would
give, and returns its own answer, or ``None`` to let the well-behaved one go. Most act only on
the town's stage post's ``context``, so the rest of the town's walk goes on.

==============  ==========================================================================
selflink        the listing's ``Link: rel="next"`` is the very page asked for
gzipbomb        the thread as one gzip member: 2 MiB on the wire, 2 GiB of JSON decoded
deflatebomb     the same as raw deflate
oversized       the thread 1 MiB larger than the body limit the server is told
trickle         the thread a byte every 50 ms (minutes in all), saying ``Connection: close``
tricklekeep     the same, keeping the connection open
tricklehead     the status line and headers a byte every 50 ms
truncated       headers whose length matches a body cut in the middle of the JSON
disconnect      the true length announced, half the body sent, the connection closed
html200         a maintenance page in HTML, status 200
redirect        302 to the same path on the mirror (another host)
echo502         every other request: 502 with the request's credential in body and header
echoreason      always 502, the credential in the reason phrase too
echogzip        200, gzip in two members, the credential in the second
echodeflate     200, raw deflate with the credential in the JSON
echocomment     200, gzip whose header comment (FCOMMENT) holds the credential
corrupt503      every other request: 503 with a broken gzip body
==============  ==========================================================================
"""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.fakes.hostile import codings
from tests.fakes.hostile.api import JSON_TYPE, HostileApi, Misbehaviour, Route
from tests.fakes.hostile.wire import Answer, Request, http_date

HTML_TYPE = "text/html; charset=utf-8"
TRICKLE_SECONDS = 0.05  # between single bytes: far within any read timeout
MAINTENANCE_PAGE = (
    "<!DOCTYPE html><html><head><title>Underhåll</title></head>"
    "<body><h1>Vi har tekniskt underhåll</h1><p>Välkommen tillbaka snart.</p></body></html>"
).encode()


def _on_stage_context(
    make: Callable[[HostileApi, Route, Request, Answer], Answer | None],
) -> Misbehaviour:
    def misbehave(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer | None:
        if route.name != "context" or route.town is None or route.status is not route.town.stage:
            return None
        return make(api, route, request, normal)

    return misbehave


def context_bytes(api: HostileApi, route: Route) -> bytes:
    """The stage's context as plain JSON bytes (what a well-behaved server would compress)."""
    assert route.town is not None and route.status is not None
    return json.dumps(api.context(route.town, route.status), ensure_ascii=False).encode()


def _plain(coding: str | None = None, content_type: str = JSON_TYPE) -> list[tuple[str, str]]:
    headers = [("Content-Type", content_type), ("Date", http_date())]
    return [*headers, ("Content-Encoding", coding)] if coding else headers


def _selflink(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer | None:
    if route.name != "listing":
        return None
    headers = [(n, v) for n, v in normal.headers if n != "Link"]
    headers.append(("Link", f'<{api.base}{request.target}>; rel="next"'))
    return Answer(normal.status, normal.body, headers)


BOMB_HEAD, BOMB_TAIL = b'{"ancestors":[],"descendants":[]', b"}"


def _gzipbomb(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    return Answer(200, codings.gzip_bomb(BOMB_HEAD, BOMB_TAIL), _plain("gzip"))


def _deflatebomb(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    return Answer(200, codings.deflate_bomb(BOMB_HEAD, BOMB_TAIL), _plain("deflate"))


def _oversized(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    data = json.loads(context_bytes(api, route))
    data["padding"] = "x" * (api.max_body_bytes + codings.MIB)
    return Answer(200, json.dumps(data).encode(), _plain())


def trickled_body(api: HostileApi, route: Route) -> bytes:
    """The stage's context, padded with JSON whitespace to take minutes a byte at a time."""
    return context_bytes(api, route) + b" " * 4096


def _trickle(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    return Answer(200, trickled_body(api, route), _plain(), body_delay=TRICKLE_SECONDS)


def _tricklekeep(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    """A trickle that does not say it will close the connection (so it stays the client's)."""
    return Answer(200, trickled_body(api, route), _plain(), body_delay=TRICKLE_SECONDS, say_close=False)


def _tricklehead(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    return Answer(200, trickled_body(api, route), _plain(), head_delay=TRICKLE_SECONDS)


def _truncated(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    """Valid headers whose length matches a body cut in the middle of an object."""
    body = context_bytes(api, route)
    return Answer(200, body[: len(body) // 2], _plain())


def _disconnect(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    """The true length announced, half the body sent, the connection closed."""
    body = context_bytes(api, route)
    return Answer(200, body, _plain(), cut=len(body) // 2)


def _html200(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    return Answer(200, MAINTENANCE_PAGE, _plain(content_type=HTML_TYPE))


def _redirect(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    location = api.mirror_url() + request.target
    return Answer(302, b"", [("Location", location), ("Date", http_date())])


def _echo(request: Request) -> str:
    return request.authorization or "(no Authorization header)"


def _echo502(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer | None:
    """Every other request is a 502 whose body and headers repeat the request's credential."""
    if api.hit(request) % 2 == 0:
        return None
    body = {"error": f"Bad gateway: upstream refused {_echo(request)}"}
    answer = api.json(request, body, status=502)
    answer.headers.append(("X-Upstream-Authorization", _echo(request)))
    return answer


def _echoreason(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    """A 502 that repeats the credential in its reason phrase too, every time."""
    answer = api.json(request, {"error": f"upstream refused {_echo(request)}"}, status=502)
    answer.reason = f"Bad Gateway ({_echo(request)})"
    return answer


def echo_parts(api: HostileApi, route: Route, request: Request) -> tuple[bytes, bytes]:
    """The stage's context with the credential echoed: the part before the echo, and the rest."""
    text = context_bytes(api, route)[:-1] + b',"debug":"'
    return text, f'request had {_echo(request)}"}}'.encode()


def _echogzip(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    head, echo = echo_parts(api, route, request)
    return Answer(200, codings.gzip_members(head, echo), _plain("gzip"))


def _echodeflate(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    head, echo = echo_parts(api, route, request)
    return Answer(200, codings.raw_deflate(head + echo), _plain("deflate"))


def _echocomment(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer:
    comment = f"Authorization: {_echo(request)}".encode()
    body = codings.gzip_member(context_bytes(api, route), comment=comment, name=b"context.json")
    return Answer(200, body, _plain("gzip"))


def _corrupt503(api: HostileApi, route: Route, request: Request, normal: Answer) -> Answer | None:
    """Every other request a 503 whose gzip body is broken (a proxy's error page, mangled)."""
    if api.hit(request) % 2 == 0:
        return None
    return Answer(503, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xffnot gzip at all", _plain("gzip"))


def warm() -> None:
    """Build the bombs now: built on the first request, they would take the deadline's time."""
    codings.gzip_bomb(BOMB_HEAD, BOMB_TAIL)
    codings.deflate_bomb(BOMB_HEAD, BOMB_TAIL)


MISBEHAVIOURS: dict[str, Misbehaviour] = {
    "selflink": _selflink,
    "gzipbomb": _on_stage_context(_gzipbomb),
    "deflatebomb": _on_stage_context(_deflatebomb),
    "oversized": _on_stage_context(_oversized),
    "trickle": _on_stage_context(_trickle),
    "tricklekeep": _on_stage_context(_tricklekeep),
    "tricklehead": _on_stage_context(_tricklehead),
    "truncated": _on_stage_context(_truncated),
    "disconnect": _on_stage_context(_disconnect),
    "html200": _on_stage_context(_html200),
    "redirect": _on_stage_context(_redirect),
    "echo502": _on_stage_context(_echo502),
    "echoreason": _on_stage_context(_echoreason),
    "echogzip": _on_stage_context(_echogzip),
    "echodeflate": _on_stage_context(_echodeflate),
    "echocomment": _on_stage_context(_echocomment),
    "corrupt503": _on_stage_context(_corrupt503),
}
