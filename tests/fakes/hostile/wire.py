"""The byte level of the hostile server: requests read and answers written on the raw socket.

No HTTP library stands between an :class:`Answer` and the wire, so an answer can lie about its
length, stop in the middle, trickle its headers or its body a byte at a time, or close the
connection early. Well-behaved answers keep the connection alive (HTTP/1.1), as real servers do.

Every request is logged (:class:`Request`) with the answer it got, before the answer is sent, so
a test can compare what a client stored with exactly what the server sent.
"""

from __future__ import annotations

import email.utils
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.loopback import ServedInThread

_MAX_LINE = 64 * 1024
_MAX_HEADERS = 100


@dataclass
class Answer:
    """What to send back, and how badly.

    ``length``: the ``Content-Length`` to claim (``None``: the true one; ``-1``: none, the body
    ends when the connection closes). ``cut``: send only this many bytes of the body, then close.
    ``head_delay``/``body_delay``: seconds between single bytes of the head/body (a trickle).
    An answer that ends the connection says ``Connection: close`` unless ``say_close`` is off.
    """

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reason: str | None = None
    length: int | None = None
    cut: int | None = None
    head_delay: float = 0.0
    body_delay: float = 0.0
    close: bool = False
    say_close: bool = True

    def head(self) -> bytes:
        reason = self.reason if self.reason is not None else _REASONS.get(self.status, "Unknown")
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.length != -1:
            lines.append(f"Content-Length: {len(self.body) if self.length is None else self.length}")
        if self.ends_connection and self.say_close:
            lines.append("Connection: close")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    @property
    def ends_connection(self) -> bool:
        return (
            self.close
            or self.length == -1
            or self.cut is not None
            or bool(self.head_delay or self.body_delay)
            or (self.length is not None and self.length != len(self.body))
        )


_REASONS = {
    200: "OK",
    302: "Found",
    401: "Unauthorized",
    404: "Not Found",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


@dataclass
class Request:
    """One request as the server read it, and the answer it got."""

    method: str
    target: str  # as sent: path and query, percent-encoding untouched
    headers: dict[str, str]  # names in lower case
    segments: list[str]  # the path split at "/", each segment percent-decoded once
    query: dict[str, list[str]]
    answer: Answer | None = None
    route: str = ""  # which API route it matched ("stray": none)

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


Handler = Callable[[Request], Answer]


class Listener(ServedInThread, socketserver.ThreadingTCPServer):
    """One loopback port answering every request with ``handler``; see the module docstring."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, handler: Handler) -> None:
        super().__init__(("127.0.0.1", 0), _Connection)
        self.handler = handler
        self.port = int(self.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def stop(self) -> None:
        self.stopping.set()  # trickles end at their next byte
        super().stop()

    def log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)


class _Connection(socketserver.StreamRequestHandler):
    server: Listener

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        while not self.server.stopping.is_set():
            try:
                request = _read_request(self.rfile)
            except (OSError, ValueError):
                return
            if request is None:
                return
            answer = self.server.handler(request)
            request.answer = answer
            self.server.log(request)
            if not _write(self.connection, answer, self.server.stopping) or answer.ends_connection:
                return


def _read_request(rfile: BinaryIO) -> Request | None:
    line = rfile.readline(_MAX_LINE)
    if not line:
        return None
    method, target, _version = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS):
        raw = rfile.readline(_MAX_LINE)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    parts = urlsplit(target)
    return Request(
        method=method,
        target=target,
        headers=headers,
        segments=[unquote(s) for s in parts.path.split("/")],
        query=parse_qs(parts.query, keep_blank_values=True),
    )


def _write(sock: socket.socket, answer: Answer, stopping: threading.Event) -> bool:
    """Send ``answer``; False when the client went away first."""
    body = answer.body if answer.cut is None else answer.body[: answer.cut]
    try:
        _send(sock, answer.head(), answer.head_delay, stopping)
        _send(sock, body, answer.body_delay, stopping)
    except OSError:
        return False
    return True


def _send(sock: socket.socket, data: bytes, delay: float, stopping: threading.Event) -> None:
    if not delay:
        sock.sendall(data)
        return
    for index in range(len(data)):
        sock.sendall(data[index : index + 1])
        if stopping.wait(delay):  # the server is shutting down: stop trickling
            raise OSError("the server is stopping")


def http_date() -> str:
    return email.utils.formatdate(usegmt=True)
