"""A fake Graph API (Facebook Pages and Instagram) on loopback, with its own fake CDN.

:class:`FakeGraph` starts two HTTP servers on 127.0.0.1 with OS-chosen ports: the API
(``base_url``; routes in :mod:`tests.fakes.graph_api`) and a CDN serving the attachment files at
signed-looking URLs, on another origin, as ``scontent-*.fbcdn.net`` is. The world (Pages, posts,
comments, Instagram media, tokens, faults) is a :class:`~tests.fakes.graph_state.GraphWorld`,
reachable as ``fake.world``; its clock is ``fake.clock``.

Answers are written the way Graph writes them: compact JSON with ``\\/`` for slashes and
``\\uXXXX`` for non-ASCII, gzip when accepted, errors in the body (``{"error": {...}}``) with
HTTP 400 for most codes, ``X-App-Usage`` and ``X-Business-Use-Case-Usage`` (percentages, keyed by
the Page) on every answer, ``x-fb-trace-id``, ``facebook-api-version`` and a ``Date`` from the
fake clock. Injected faults (``fake.world.inject``) answer before the route, as Graph's throttling
does.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.graph_api import VERSION, GraphApi
from tests.fakes.graph_errors import GraphFailure, graph_error
from tests.fakes.graph_state import GraphWorld
from tests.fakes.mastodon_clock import FakeClock

_VERSION_PREFIX = re.compile(r"^/v\d+\.\d+(?=/)")
_MESSAGES = {
    1: "An unknown error has occurred.",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
    190: "Error validating access token: Session has expired.",
    10: "(#10) This endpoint requires the 'pages_read_engagement' permission.",
    200: "(#200) Permissions error",
}


def graph_json(data: Any) -> bytes:
    """JSON as Graph sends it: compact, ASCII with ``\\u`` escapes, slashes escaped."""
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/").encode()


class FakeGraph:
    """The fake Graph API and CDN; use as a context manager (see the module docstring)."""

    def __init__(self, now: Any = None) -> None:
        self.clock = FakeClock(now)
        self.world = GraphWorld(self.clock)
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._api_server = _Server(self, cdn=False)
        self._cdn_server = _Server(self, cdn=True)
        self.base_url = f"http://127.0.0.1:{self._api_server.server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self._cdn_server.server_address[1]}"
        self.api = GraphApi(self.world, self.base_url, self.cdn_url)
        self._threads: list[threading.Thread] = []

    @property
    def api_base(self) -> str:
        """What an inventory's ``api_base`` names for this fake: the host and a version."""
        return f"{self.base_url}/{VERSION}"

    def start(self) -> FakeGraph:
        for server in (self._api_server, self._cdn_server):
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self._api_server, self._cdn_server):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FakeGraph:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def sleep(self, seconds: float) -> None:
        """Move the fake's clock (the archive's waits go here in tests)."""
        self.clock.sleep(seconds)

    def advance(self, *, days: float = 0, hours: float = 0, minutes: float = 0) -> None:
        self.clock.advance(days * 86400 + hours * 3600 + minutes * 60)

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    # -- answering ------------------------------------------------------------------------

    def handle_api(self, raw_path: str, headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = _VERSION_PREFIX.sub("", parts.path)
        self.requests.append((path, query))
        token = query.get("access_token")
        auth = headers.get("authorization", "")
        if not token and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        world = self.world
        world.calls += 1
        extra: list[tuple[str, str]] = []
        fault = world.take_fault(path)
        if fault is not None and fault.code is None:
            return fault.status, [("Content-Type", "text/html")], b"<html><body>502 Bad Gateway</body></html>"
        try:
            if fault is not None:
                assert fault.code is not None
                error_extra = {"is_transient": True} if fault.code in (1, 2, 4, 17, 32, 613, 80001) else {}
                message = fault.message or _MESSAGES.get(fault.code, f"(#{fault.code}) Error")
                if fault.regain_minutes is not None:
                    extra.append(("X-Business-Use-Case-Usage", self._buc(100, fault.regain_minutes)))
                raise GraphFailure(
                    fault.status, graph_error(fault.code, message, subcode=fault.subcode, **error_extra)
                )
            body = self.api.answer(path, query, token)
            status = 200
        except GraphFailure as failure:
            status, body = failure.status, {"error": failure.error}
        named = {name for name, _ in extra}
        return status, [*(h for h in self._usage_headers() if h[0] not in named), *extra], graph_json(body)

    def _percent(self) -> dict[str, int]:
        if self.world.usage is not None:
            return dict(self.world.usage)
        used = min(100, self.world.calls // 50)
        return {"call_count": used, "total_cputime": used // 2, "total_time": used // 2}

    def _buc(self, percent: int | None = None, regain: int = 0) -> str:
        usage = self._percent()
        if percent is not None:
            usage = {k: percent for k in usage}
        page = next(iter(self.world.pages), "0")
        entry = {"type": "pages", **usage, "estimated_time_to_regain_access": regain}
        return json.dumps({page: [entry]}, separators=(",", ":"))

    def _usage_headers(self) -> list[tuple[str, str]]:
        return [
            ("X-App-Usage", json.dumps(self._percent(), separators=(",", ":"))),
            ("X-Business-Use-Case-Usage", self._buc()),
        ]

    def handle_cdn(self, raw_path: str) -> tuple[int, list[tuple[str, str]], bytes]:
        name = urlsplit(raw_path).path.rsplit("/", 1)[-1]
        file = self.world.files.get(name)
        if file is None:
            return 404, [("Content-Type", "text/plain")], b"URL signature mismatch"
        return 200, [("Content-Type", file.content_type), ("Cache-Control", "max-age=1209600")], file.data


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: FakeGraph, *, cdn: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.cdn = cdn


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = ""
    sys_version = ""
    server: _Server

    def do_GET(self) -> None:
        fake = self.server.fake
        if self.server.cdn:
            status, headers, body = fake.handle_cdn(self.path)
        else:
            lowered = {k.lower(): v for k, v in self.headers.items()}
            status, headers, body = fake.handle_api(self.path, lowered)
            headers = [
                ("Content-Type", "application/json; charset=UTF-8"),
                ("facebook-api-version", VERSION),
                ("x-fb-trace-id", "Ak" + format(fake.world.calls, "09d")),
                ("x-fb-rev", "1019374252"),
                ("Access-Control-Allow-Origin", "*"),
                *headers,
            ]
            if "gzip" in lowered.get("accept-encoding", ""):
                body = gzip.compress(body, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", email.utils.format_datetime(self.server.fake.clock.now(), usegmt=True))

    def log_message(self, format: str, *args: Any) -> None:
        pass
