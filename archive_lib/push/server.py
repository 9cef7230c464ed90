"""The HTTP side of ``listen``: ``GET /healthz`` and Meta's webhook, on a plain HTTP port.

It speaks plain HTTP on the address it is given (127.0.0.1 by default): TLS belongs to the
reverse proxy the municipality already runs in front of it (README, "Platform push"). Every
request is bounded: headers by the standard library's limits, the body by
:data:`~archive_lib.push.meta.MAX_BODY_BYTES` (a larger one gets 413 unread, one without
``Content-Length`` 411), the socket by ``timeout`` seconds of silence.

A delivery is answered 200 only once it is stored (the journal's next flush, within seconds),
so Meta sends again what a crash lost; a duplicate is answered 200 at once.
"""

from __future__ import annotations

import logging
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from archive_lib.clock import Clock
from archive_lib.push import meta
from archive_lib.push.journal import JournalFull, PushJournal

log = logging.getLogger(__name__)

#: How long a webhook answer waits for its delivery to be stored before saying 503 (Meta retries).
STORE_WAIT_SECONDS = 20.0


class ListenServer(ThreadingHTTPServer):
    """The server, holding what its handlers need."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        *,
        journal: PushJournal,
        deliveries: meta.MetaDeliveries,
        verify_token: str | None,
        app_secret: str | None,
        clock: Clock,
        timeout: float = 10.0,
    ) -> None:
        self.journal = journal
        self.deliveries = deliveries
        self.verify_token = verify_token
        self.app_secret = app_secret
        self.clock = clock
        self.request_timeout = timeout
        self.healthy = True
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: ListenServer
    protocol_version = "HTTP/1.1"
    server_version = "archive-listen"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.request_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        if split.path == "/healthz":
            self._answer(
                200 if self.server.healthy else 503, b"ok\n" if self.server.healthy else b"stopping\n"
            )
        elif split.path == meta.PATH:
            answer = meta.verify(parse_qs(split.query, keep_blank_values=True), self.server.verify_token)
            if answer.status != 200:
                log.warning("a webhook verification request was refused (%d)", answer.status)
            self._answer(answer.status, answer.body)
        else:
            self._answer(404, b"Not Found\n")

    def do_POST(self) -> None:
        split = urlsplit(self.path)
        if split.path != meta.PATH:
            self._answer(404, b"Not Found\n", close=True)
            return
        length_header = self.headers.get("Content-Length")
        if length_header is None or not length_header.strip().isdigit():
            self._answer(411, b"Length Required\n", close=True)
            return
        length = int(length_header)
        if length > meta.MAX_BODY_BYTES:
            self._answer(413, b"Payload Too Large\n", close=True)
            return
        try:
            body = self.rfile.read(length)
        except OSError:
            self.close_connection = True
            return
        if len(body) != length:
            self.close_connection = True
            return
        signature = self.headers.get(meta.SIGNATURE_HEADER)
        if not meta.signature_ok(body, signature, self.server.app_secret):
            log.warning("a webhook delivery without a valid signature was refused (nothing stored)")
            self._answer(403, meta.FORBIDDEN.body)
            return
        host = self.headers.get("Host") or "localhost"
        scheme = "https" if self.headers.get("X-Forwarded-Proto", "").lower() == "https" else "http"
        received = self.server.deliveries.read(
            body,
            url=f"{scheme}://{host}{self.path}",
            headers=list(self.headers.items()),
            received_at=self.server.clock.now(),
            peer_ip=self.client_address[0],
        )
        tickets = []
        try:
            for thing in received:
                ticket = self.server.journal.add(thing)
                if ticket is not None:
                    tickets.append(ticket)
        except JournalFull:
            self._answer(503, b"Service Unavailable\n")
            return
        for ticket in tickets:
            if not self.server.journal.wait_stored(ticket, STORE_WAIT_SECONDS):
                self._answer(503, b"not stored yet, send it again\n")
                return
        self._answer(200, b"EVENT_RECEIVED")

    def _answer(self, status: int, body: bytes, *, close: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)
