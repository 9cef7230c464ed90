"""A total deadline for one HTTP exchange: connecting, the headers and the whole body.

urllib3's timeouts bound each socket operation, not the exchange: a server that trickles its
body (or its headers) a byte at a time within the read timeout is never cut off. Here the
connection that carries a request is known to a watch, and when the deadline passes one watchdog
thread shuts its socket down, so whatever read is waiting returns at once and the exchange ends.

Use :func:`pool_manager` for the connection pool and :func:`watch` around each exchange::

    with watch(seconds) as w:
        response = pool.request(...)
        ... read the body ...
    if w.expired: ...
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
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
        self.finished = False  # the exchange ended; the deadline no longer applies
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
            if self.finished:
                return
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


class _Watchdog:
    """One thread for the process that cuts the exchanges whose time is up.

    A timer thread per request would cost a thread's start and stop on every request of a
    night; here a request costs a heap entry. Finished watches are dropped when they reach the
    top of the heap. A forked process (Airflow's task runners) starts its own thread.
    """

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Watch]] = []
        self._ready = threading.Condition()
        self._order = itertools.count()
        self._pid = 0

    def add(self, seconds: float, watch: Watch) -> None:
        with self._ready:
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._order), watch))
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._run, name="archive-deadlines", daemon=True).start()
            self._ready.notify()

    def _run(self) -> None:
        while True:
            with self._ready:
                due = self._next_due()
            due.expire()  # outside the lock: it shuts a socket down

    def _next_due(self) -> Watch:
        while True:
            while self._heap and self._heap[0][2].finished:
                heapq.heappop(self._heap)
            now = time.monotonic()
            if self._heap and self._heap[0][0] <= now:
                return heapq.heappop(self._heap)[2]
            self._ready.wait(self._heap[0][0] - now if self._heap else None)


_WATCHDOG = _Watchdog()


@contextmanager
def watch(seconds: float) -> Iterator[Watch]:
    """Within the block, the exchange on this thread is cut ``seconds`` after it started."""
    current = Watch()
    previous = getattr(_local, "watch", None)
    _local.watch = current
    _WATCHDOG.add(seconds, current)
    try:
        yield current
    finally:
        current.finished = True
        _local.watch = previous
