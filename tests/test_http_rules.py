"""Platform rules in the HTTP door: errors read from the body, usage headers, a token in the query.

A scripted HTTP server on loopback answers each request with the next scripted response, the way
Graph API and YouTube answer (an error code in a JSON body, a usage header), so the client's
reading of them is tested over a real socket. Waits go to a list, nothing sleeps.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.policy import Backoff, HttpPolicy, HttpRules, Throttle, Verdict
from archive_lib.connectors.response import Response
from archive_lib.errors import RateLimitedError, TokenExpiredError, TransientPlatformError
from archive_lib.models import Exchange, RecordRef

NOW = dt.datetime(2026, 11, 25, 1, 30, tzinfo=dt.UTC)
TOKEN = "EAAGm0PX4ZCpsBAKEYabc123"


class Scripted(ThreadingHTTPServer):
    """Answers requests from a script of (status, headers, body) and remembers every path asked."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[tuple[int, dict[str, str], Any]] = []
        self.paths: list[str] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: Scripted

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        status, headers, body = self.server.script.pop(0)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.format_datetime(NOW, usegmt=True)  # the server's clock, not the machine's

    def log_message(self, format: str, *args: Any) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def now(self) -> dt.datetime:
        return NOW + dt.timedelta(seconds=sum(self.waits))

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def record(exchange: Exchange) -> RecordRef:
    return RecordRef("warc/t.warc.gz", 0, 0, "<urn:t>", exchange.url, exchange.received_at, exchange.status)


def graph_classify(response: Response) -> Verdict | None:
    error = response.json().get("error", {})
    code = error.get("code")
    if code == 190:
        return TokenExpiredError(f"Graph error 190: {error.get('message')}")
    if code in (4, 17, 32, 613):
        return Throttle(f"Graph error {code}")
    if code in (1, 2):
        return Backoff(f"Graph error {code}")
    return None


def app_usage_pause(response: Response) -> float | None:
    usage = response.header("X-App-Usage")
    if usage and max(json.loads(usage).values()) >= 100:
        return 600.0
    return None


@pytest.fixture
def server() -> Iterator[Scripted]:
    scripted = Scripted()
    thread = threading.Thread(target=scripted.serve_forever, daemon=True)
    thread.start()
    yield scripted
    scripted.shutdown()
    scripted.server_close()


def client(server: Scripted, clock: Clock, rules: HttpRules, **policy: Any) -> HttpClient:
    return HttpClient(
        record, clock=clock, token=TOKEN, token_origin=server.base, rules=rules, policy=HttpPolicy(**policy)
    )


def graph_error(code: int, status: int = 400) -> tuple[int, dict[str, str], Any]:
    return status, {}, {"error": {"message": "x", "type": "OAuthException", "code": code, "fbtrace_id": "A1"}}


def test_an_error_code_in_the_body_becomes_the_error_it_names(server: Scripted) -> None:
    server.script = [graph_error(190)]
    with pytest.raises(TokenExpiredError, match="190"):
        client(server, Clock(), HttpRules(classify=graph_classify)).get(server.base + "/me")


def test_a_throttle_in_the_body_waits_and_tries_again(server: Scripted) -> None:
    server.script = [graph_error(4, status=403), graph_error(613), (200, {}, {"data": []})]
    clock = Clock()
    response = client(server, clock, HttpRules(classify=graph_classify), backoff_base=2.0).get(
        server.base + "/1/feed"
    )
    assert response.status == 200 and len(server.paths) == 3
    assert clock.waits == [2.0 * 2 + 1.0, 2.0 * 4 + 1.0]  # backoff doubling, plus the margin


def test_a_throttle_that_persists_gives_up_as_rate_limited(server: Scripted) -> None:
    server.script = [graph_error(17)] * 3
    with pytest.raises(RateLimitedError, match="Graph error 17"):
        client(server, Clock(), HttpRules(classify=graph_classify), max_rate_retries=2).get(
            server.base + "/x"
        )


def test_a_transient_code_backs_off_then_gives_up_retryable(server: Scripted) -> None:
    server.script = [graph_error(2, status=500)] * 2
    with pytest.raises(TransientPlatformError) as caught:
        client(server, Clock(), HttpRules(classify=graph_classify), max_attempts=2).get(server.base + "/x")
    assert caught.value.retryable


def test_a_usage_header_at_the_limit_pauses_before_the_next_request(server: Scripted) -> None:
    full = json.dumps({"call_count": 100, "total_cputime": 12, "total_time": 9})
    server.script = [(200, {"X-App-Usage": full}, {"data": []}), (200, {}, {"data": []})]
    clock = Clock()
    http = client(server, clock, HttpRules(pause_after=app_usage_pause))
    http.get(server.base + "/a")
    assert clock.waits == []
    http.get(server.base + "/b")
    assert clock.waits == [600.0]


def test_a_token_parameter_goes_only_to_the_tokens_origin_and_is_not_repeated(server: Scripted) -> None:
    server.script = [(200, {}, {})] * 3
    http = client(server, Clock(), HttpRules(token_param="key"))
    first = http.get(server.base + "/youtube/v3/channels", {"part": "contentDetails", "id": "UC1"})
    assert f"key={TOKEN}" in server.paths[0] and "Authorization" not in dict(first.exchange.request_headers)
    http.get(server.base + f"/next?pageToken=Q&key={TOKEN}")
    assert server.paths[1].count("key=") == 1
    other = server.base.replace("127.0.0.1", "localhost")
    http.get(other + "/media.jpg")
    assert "key=" not in server.paths[2]


def test_an_epoch_ratelimit_reset_is_a_moment_not_a_delta(server: Scripted) -> None:
    reset = int((NOW + dt.timedelta(seconds=30)).timestamp())
    spent = {"RateLimit-Limit": "3000", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}
    server.script = [(200, spent, {}), (200, {}, {})]
    clock = Clock()
    http = client(server, clock, HttpRules())
    http.get(server.base + "/xrpc/app.bsky.feed.getAuthorFeed")
    http.get(server.base + "/xrpc/app.bsky.feed.getAuthorFeed")
    assert clock.waits == [30.0 + HttpPolicy().reset_margin]
