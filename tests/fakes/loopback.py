"""A small threaded JSON server on loopback for the YouTube and Bluesky fakes.

Each fake owns one :class:`LoopbackServer`: it binds ``127.0.0.1`` on a port the OS chooses,
records every request in a :class:`~tests.fakes.mastodon_control.RequestLog`, lets the fake's
``ControlPlane`` answer instead (injected faults), and otherwise hands the request to the fake's
``handle(record)`` which returns a :class:`Reply`. The ``Date`` header follows the fake clock;
JSON is gzip-compressed when the client accepts it, as Google's front ends and Bluesky's do.
"""

from __future__ import annotations

import email.utils
import gzip
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import parse_qs, urlsplit

from tests.fakes.mastodon_clock import FakeClock
from tests.fakes.mastodon_control import ControlPlane, RecordedRequest, RequestLog
from tests.fakes.mastodon_http import accepts_gzip


@dataclass
class Reply:
    """What a fake answers: status, body (JSON-encoded unless bytes), headers."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=UTF-8"


class Fake(Protocol):
    clock: FakeClock
    control: ControlPlane
    requests: RequestLog
    server_name: str

    def handle(self, record: RecordedRequest) -> Reply: ...


class ServedInThread:
    """A ``socketserver`` server served from a daemon thread: :meth:`start`, :meth:`stop`."""

    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self.serve_forever,  # type: ignore[attr-defined]
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()  # type: ignore[attr-defined]
            self._thread.join(timeout=60)  # a safety net: shutdown() has ended serve_forever
        self.server_close()  # type: ignore[attr-defined]


class Running:
    """A test server used as ``with Server() as server:``; subclasses start and stop it."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class LoopbackServer(ServedInThread, ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: Fake) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.port = int(self.server_address[1])


class LoopbackFake(Running):
    """What every loopback fake does alike: serve on ``self._server``, and a clock tests move."""

    clock: FakeClock
    _server: LoopbackServer

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def advance(self, seconds: float = 0.0, *, hours: float = 0.0, days: float = 0.0) -> None:
        self.clock.advance(seconds + 3600 * hours + 86400 * days)

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def version_string(self) -> str:
        return self.server.fake.server_name

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.format_datetime(self.server.fake.clock.now(), usegmt=True)

    def do_GET(self) -> None:
        fake = self.server.fake
        split = urlsplit(self.path)
        record = RecordedRequest(
            method="GET",
            target=split.path + (f"?{split.query}" if split.query else ""),
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            client=(str(self.client_address[0]), int(self.client_address[1])),
            at=fake.clock.now(),
        )
        fake.requests.append(record)
        reply = fake.handle(record)
        record.status = reply.status
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        body = (
            reply.body
            if isinstance(reply.body, bytes)
            else json.dumps(reply.body, ensure_ascii=False).encode()
        )
        headers = dict(reply.headers)
        is_json = reply.content_type.startswith("application/json")
        if is_json and accepts_gzip(self.headers.get("Accept-Encoding")):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def injected(fake: Fake, record: RecordedRequest) -> Reply | None:
    """The fault injected for this request, if any (the fake's own error body given at injection)."""
    injection = fake.control.take_injection(record.target)
    if injection is None:
        return None
    headers = dict(injection.headers)
    return Reply(injection.status or 500, injection.body, headers, injection.content_type)
