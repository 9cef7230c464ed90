"""A total deadline for one HTTP exchange: connecting, the headers and the whole body.

urllib3's timeouts bound each socket operation, not the exchange: a server that trickles its
body (or its headers) a byte at a time within the read timeout is never cut off. Here the
connection that carries a request is known to a watch, and when the deadline passes a timer
shuts its socket down, so whatever read is waiting returns at once and the exchange ends.

Use :func:`pool_manager` for the connection pool and :func:`watch` around each exchange::

    with watch(seconds) as w:
        response = pool.request(...)
        ... read the body ...
    if w.expired: ...
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_local = threading.local()


class Watch:
    """The deadline of one exchange; ``expired`` tells whether it cut the connection."""

    def __init__(self) -> None:
        self.expired = False
        self._connection: HTTPConnection | None = None
        self._lock = threading.Lock()

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connection = connection
            expired = self.expired
        if expired:
            _shut(connection)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            connection = self._connection
        if connection is not None:
            _shut(connection)


def _shut(connection: HTTPConnection) -> None:
    sock = getattr(connection, "_watched_sock", None) or getattr(connection, "sock", None)
    if sock is None:
        return
    with contextlib.suppress(OSError):  # already closed: nothing left to cut
        sock.shutdown(socket.SHUT_RDWR)


class _Watched:
    """Tells the current watch which connection carries its request.

    The socket is remembered when it connects: when a response says ``Connection: close``,
    http.client hands the socket to the response and forgets it (``sock`` becomes ``None``)
    while the body is still being read, and the watch must still be able to cut it.
    """

    _watched_sock: socket.socket | None = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        current: Watch | None = getattr(_local, "watch", None)
        if current is not None:
            current.attach(self)  # type: ignore[arg-type]
        super().request(*args, **kwargs)  # type: ignore[misc]

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self._watched_sock = self.sock  # type: ignore[attr-defined]
        current: Watch | None = getattr(_local, "watch", None)
        if current is not None and current.expired:  # the deadline passed while connecting
            _shut(self)  # type: ignore[arg-type]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def pool_manager(**kwargs: Any) -> urllib3.PoolManager:
    """A urllib3 pool manager whose connections can be cut by :func:`watch`."""
    manager = urllib3.PoolManager(**kwargs)
    manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
    return manager


@contextmanager
def watch(seconds: float) -> Iterator[Watch]:
    """Within the block, the exchange on this thread is cut ``seconds`` after it started."""
    current = Watch()
    timer = threading.Timer(seconds, current.expire)
    timer.daemon = True
    previous = getattr(_local, "watch", None)
    _local.watch = current
    timer.start()
    try:
        yield current
    finally:
        timer.cancel()
        _local.watch = previous
