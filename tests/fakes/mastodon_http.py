"""HTTP plumbing of the fake Mastodon server: the threaded server and the request handler.

The handler speaks HTTP/1.1 with keep-alive. API answers are JSON encoded the way Rails does it
(compact, UTF-8, with ``<``, ``>`` and ``&`` escaped as ``\\u003c``, ``\\u003e``, ``\\u0026``), sent
with ``Transfer-Encoding: chunked`` and gzip-compressed when the client accepts gzip, as nginx in
front of puma does (both can be switched off on the :class:`FakeMastodon`). Media files are served
with a ``Content-Length`` and no compression, like a files host.

Order of processing, outermost first (as on a real instance): the request is logged; a gate or
stall may hold it; an injected fault may answer instead (a proxy in front of Mastodon); for
``/api/`` paths rate limiting (rack-attack) runs before authentication and the route.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import json
import math
import queue
import select
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.mastodon_api import ApiRequest, dispatch
from tests.fakes.mastodon_control import Hold, RecordedRequest
from tests.fakes.mastodon_png import MISSING_AVATAR
from tests.fakes.mastodon_ratelimit import PAGING_PARAMS
from tests.fakes.mastodon_render import Renderer
from tests.fakes.mastodon_state import Viewer

if TYPE_CHECKING:
    from tests.fakes.mastodon import FakeMastodon

JSON_TYPE = "application/json; charset=utf-8"
_CHUNK_SIZE = 4096
_HOLD_POLL_SECONDS = 0.02
# Mastodon's public/500.html and public/404.html, trimmed to their message.
ERROR_PAGE_500 = (
    b"<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (500)</title></head>"
    b"<body><p>We're sorry, but something went wrong on our end.</p></body></html>"
)
ERROR_PAGE_404 = (
    b"<!DOCTYPE html><html><head><title>The page you were looking for doesn't exist (404)</title>"
    b"</head><body><p>The page you are looking for isn't here.</p></body></html>"
)
_INVALID_TOKEN_MESSAGES = {
    "unknown": "The access token is invalid",
    "revoked": "The access token was revoked",
    "expired": "The access token expired",
}


def rails_json(data: Any) -> bytes:
    """JSON bytes as Rails renders them (``ActiveSupport::JSON`` with HTML entities escaped)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8")


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header allows gzip (``gzip`` or ``*`` with q > 0)."""
    if not header:
        return False
    allowed = False
    for item in header.split(","):
        coding, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        coding = coding.strip().lower()
        if coding == "gzip":
            return quality > 0
        if coding == "*" and quality > 0:
            allowed = True
    return allowed


class FakeHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 (port chosen by the OS) that knows its open sockets."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, fake: FakeMastodon) -> None:
        super().__init__(("127.0.0.1", 0), MastodonHandler)
        self.fake = fake
        self._connections_lock = threading.Lock()
        self._connections: set[socket.socket] = set()

    def track(self, connection: socket.socket) -> None:
        """Remember an accepted connection."""
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        """Forget a finished connection."""
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open connection, so idle keep-alive threads end at once."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class MastodonHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests for the :class:`FakeMastodon` that owns the server."""

    protocol_version = "HTTP/1.1"
    server_version = "Mastodon"
    sys_version = ""
    timeout = 60
    server: FakeHTTPServer

    # ----------------------------------------------------------- connection

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK would add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    def version_string(self) -> str:
        """The ``Server`` header."""
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header follows the fake clock, so clients can correct for clock skew."""
        if timestamp is not None:
            return super().date_time_string(timestamp)
        return email.utils.format_datetime(self.server.fake.clock.now(), usegmt=True)

    # -------------------------------------------------------------- methods

    def do_GET(self) -> None:
        """Every route of the fake is a GET."""
        self._handle()

    def _read_only(self) -> None:
        self._record()
        self._send_json(405, {"error": "This fake Mastodon server is read-only"}, {})

    do_POST = do_PUT = do_PATCH = do_DELETE = _read_only

    # ------------------------------------------------------------ pipeline

    def _record(self) -> RecordedRequest:
        fake = self.server.fake
        split = urlsplit(self.path)
        target = split.path + (f"?{split.query}" if split.query else "")
        record = RecordedRequest(
            method=self.command,
            target=target,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            client=(str(self.client_address[0]), int(self.client_address[1])),
            at=fake.clock.now(),
        )
        fake.requests.append(record)
        self._current = record
        return record

    def _handle(self) -> None:
        fake = self.server.fake
        started = time.perf_counter()
        self._started = started
        record = self._record()
        hold = fake.control.take_hold(record.target, record)
        if hold is not None and not self._wait(hold):
            self.close_connection = True
            return
        injection = fake.control.take_injection(record.target)
        if injection is not None:
            if injection.status is None:
                self.close_connection = True
                return
            is_json = injection.content_type.startswith("application/json")
            self._send(
                injection.status,
                injection.body,
                injection.content_type,
                dict(injection.headers),
                compressible=is_json,
            )
            return
        if record.path.rstrip("/") == "/api/v1/streaming/user":
            self._stream(record)
        elif record.path.startswith("/api/"):
            self._api(record)
        else:
            self._static(record)

    def _wait(self, hold: Hold) -> bool:
        """Hold the request; true when released, false when the client left or the server stops."""
        stopping = self.server.fake.stopping
        while not hold.released.wait(_HOLD_POLL_SECONDS):
            if stopping.is_set() or self._client_gone():
                return False
        return not stopping.is_set()

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
            return peeked == b""
        except (OSError, ValueError):
            return True

    # ------------------------------------------------------------------ API

    def _token(self, record: RecordedRequest) -> str | None:
        header = record.header("Authorization")
        if header and header[:7].lower() == "bearer ":
            return header[7:].strip() or None
        for name in ("access_token", "bearer_token"):
            values = record.query.get(name)
            if values and values[-1]:
                return values[-1]
        return None

    def _api(self, record: RecordedRequest) -> None:
        fake = self.server.fake
        token = self._token(record)
        kind = fake.token_kind(token)
        account_id = fake.token_accounts.get(token) if token else None
        viewer = Viewer(token=token, user=kind == "user", account_id=account_id)
        owner_known = kind in ("user", "revoked", "expired") and token is not None
        user_key = f"user:{account_id or token}" if owner_known else None
        paging = any(record.query.get(name, [""])[-1] for name in PAGING_PARAMS)
        decision = fake.limiter.check(
            user=user_key,
            token=token if kind in ("user", "app", "revoked", "expired") else None,
            ip=record.client[0],
            paging=paging,
        )
        headers = decision.headers()
        if decision.exceeded is not None:
            if fake.retry_after:
                reset = decision.reset_at(decision.exceeded.throttle)
                seconds = math.ceil((reset - decision.now).total_seconds())
                headers["Retry-After"] = str(seconds)
            self._send(429, rails_json({"error": "Too many requests"}), "application/json", headers)
            return
        if kind in _INVALID_TOKEN_MESSAGES:
            message = _INVALID_TOKEN_MESSAGES[kind]
            headers["WWW-Authenticate"] = (
                f'Bearer realm="Doorkeeper", error="invalid_token", error_description="{message}"'
            )
            self._send_json(401, {"error": message}, headers)
            return
        if fake.limited_mode and not viewer.signed_in:
            self._send_json(401, {"error": "This API requires an authenticated user"}, headers)
            return
        host = record.header("Host")
        root_url = f"http://{host}" if host else fake.base_url
        renderer = Renderer(fake.state, fake.base_url, fake.files_url, viewer)
        request = ApiRequest(record.path, record.query, root_url, viewer, renderer)
        response = dispatch(fake.state, request)
        headers.update(response.headers)
        self._send_json(response.status, response.body, headers)

    # ------------------------------------------------------------ streaming

    def _stream(self, record: RecordedRequest) -> None:
        """``GET /api/v1/streaming/user`` (see :mod:`tests.fakes.mastodon_streaming`)."""
        fake = self.server.fake
        token = self._token(record)
        account_id = fake.token_accounts.get(token or "")
        if fake.token_kind(token) != "user" or account_id is None:
            body = json.dumps({"error": "Error: Access token does not cover required scopes"}).encode()
            self._send(401, body, "application/json", {}, compressible=False)
            return
        inbox = fake.streams.open(account_id)
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self._chunk(b":)\n")
            while not fake.stopping.is_set():
                try:
                    event = inbox.get(timeout=fake.stream_heartbeat)
                except queue.Empty:
                    self._chunk(b":thump\n")
                    continue
                if event is None:
                    break
                self._chunk(f"event: {event.name}\n".encode())
                self._chunk(f"data: {event.payload}\n\n".encode())
            self._chunk(b"")
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass
        finally:
            fake.streams.close(account_id, inbox)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    # --------------------------------------------------------------- static

    def _static(self, record: RecordedRequest) -> None:
        fake = self.server.fake
        path = record.path
        if path.startswith("/media_proxy/"):
            self._media_proxy(record)
            return
        data: bytes | None = None
        mime = "application/octet-stream"
        if path in ("/avatars/original/missing.png", "/headers/original/missing.png"):
            data, mime = MISSING_AVATAR, "image/png"
        elif path.startswith("/system/media_attachments/files/"):
            key = path.rsplit("/", 1)[-1].split(".", 1)[0]
            media = fake.state.media_by_key.get(key)
            if media is not None and f"/{media.partition}/" in path:
                data, mime = media.data, media.mime
        if data is None:
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            self._send(404, body, "text/html", {}, compressible=False)
            return
        headers = {
            "Cache-Control": "public, max-age=315576000, immutable",
            "ETag": f'"{hashlib.md5(data).hexdigest()}"',
            "Accept-Ranges": "bytes",
        }
        self._send(200, data, mime, headers, compressible=False)

    def _media_proxy(self, record: RecordedRequest) -> None:
        """``GET /media_proxy/:id/(original|small)`` as mastodon/mastodon
        app/controllers/media_proxy_controller.rb answers it: a remote attachment the instance
        no longer holds is downloaded from its origin again and the client redirected to the
        file; an origin that cannot be reached (``HTTP::ConnectionError``, timeouts) gives the
        instance's 500 page; an unknown or local attachment is a 404."""
        fake = self.server.fake
        parts = record.path.split("/")
        found = None
        if len(parts) == 4 and parts[2].isdigit() and parts[3] in ("original", "small"):
            with fake.state.lock:
                found = fake.state.media_owner(int(parts[2]))
        if found is None or found[1].domain is None:
            self._send(404, ERROR_PAGE_404, "text/html; charset=utf-8", {}, compressible=False)
            return
        media, owner = found
        if media.needs_redownload:
            if owner.domain in fake.origins_down:
                self._send(500, ERROR_PAGE_500, "text/html; charset=utf-8", {}, compressible=False)
                return
            media.needs_redownload = False
        style = "small" if parts[3] == "small" else "original"
        renderer = Renderer(fake.state, fake.base_url, fake.files_url, Viewer())
        location = renderer.media_url(media, style)
        body = f'<html><body>You are being <a href="{location}">redirected</a>.</body></html>'.encode()
        self._send(302, body, "text/html; charset=utf-8", {"Location": location}, compressible=False)

    # ------------------------------------------------------------- writing

    def _send_json(self, status: int, body: Any, headers: dict[str, str]) -> None:
        payload = rails_json(body)
        headers.setdefault("Cache-Control", "private, no-store")
        headers["ETag"] = f'W/"{hashlib.md5(payload).hexdigest()}"'
        headers["X-Request-Id"] = str(uuid.uuid4())
        headers["X-Content-Type-Options"] = "nosniff"
        started = getattr(self, "_started", time.perf_counter())
        headers["X-Runtime"] = f"{time.perf_counter() - started:.6f}"
        self._send(status, payload, JSON_TYPE, headers)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str],
        *,
        compressible: bool = True,
    ) -> None:
        fake = self.server.fake
        compress = compressible and fake.gzip and accepts_gzip(self.headers.get("Accept-Encoding"))
        if compress:
            body = gzip.compress(body, compresslevel=6, mtime=0)
        chunked = compressible and fake.chunked
        record = getattr(self, "_current", None)
        if record is not None:
            record.status = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            for name, value in headers.items():
                self.send_header(name, value)
            if compressible:
                self.send_header("Vary", "Accept-Encoding, Origin")
            if compress:
                self.send_header("Content-Encoding", "gzip")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(body)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if chunked:
                pieces = []
                for start in range(0, len(body), _CHUNK_SIZE):
                    piece = body[start : start + _CHUNK_SIZE]
                    pieces.append(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                pieces.append(b"0\r\n\r\n")
                self.wfile.write(b"".join(pieces))
            else:
                self.wfile.write(body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
