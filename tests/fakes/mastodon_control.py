"""Test controls of the fake Mastodon server: the request log, injected faults and held requests.

Patterns are regular expressions searched (``re.search``) in the request target, i.e. the path
plus ``?query`` when there is one, so ``r"/context"`` or ``r"max_id="`` both work. Each control
applies to the next ``count`` matching requests, in the order the controls were added.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

_NGINX_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}
_JSON_ERRORS = {
    400: "Bad request",
    401: "The access token is invalid",
    403: "This action is not allowed",
    404: "Record not found",
    410: "Gone",
    422: "Validation failed",
    429: "Too many requests",
    500: "We're sorry, but something went wrong on our end.",
}


@dataclass
class RecordedRequest:
    """One request as the fake received it (``status`` is filled in once answered)."""

    method: str
    target: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    client: tuple[str, int]
    at: dt.datetime
    status: int | None = None

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None

    @property
    def host(self) -> str | None:
        """The ``Host`` header: which host name the client addressed."""
        return self.header("Host")

    @property
    def authorization(self) -> str | None:
        """The ``Authorization`` header, if the client sent one."""
        return self.header("Authorization")


class RequestLog:
    """A thread-safe, append-only list of :class:`RecordedRequest` (``list()``, ``len``, index)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, item: RecordedRequest) -> None:
        """Record a request."""
        with self._lock:
            self._items.append(item)

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[RecordedRequest]:
        """A copy of the log."""
        with self._lock:
            return list(self._items)

    def matching(self, pattern: str) -> list[RecordedRequest]:
        """Recorded requests whose target matches ``pattern``."""
        compiled = re.compile(pattern)
        return [item for item in self.snapshot() if compiled.search(item.target)]

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]


def default_error_body(status: int) -> tuple[bytes, str]:
    """A realistic body for an injected status: nginx HTML for 502-504, Mastodon JSON otherwise."""
    if status in _NGINX_TITLES:
        title = _NGINX_TITLES[status]
        html = (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return html.encode(), "text/html"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    message = _JSON_ERRORS.get(status, phrase)
    return json.dumps({"error": message}).encode(), "application/json; charset=utf-8"


@dataclass
class Injection:
    """A canned response for the next ``remaining`` matching requests.

    ``status=None`` means: close the connection without answering.
    """

    pattern: re.Pattern[str]
    status: int | None
    remaining: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class Hold:
    """A request held by the fake until :meth:`release` (or the client leaves, or the server stops).

    ``reached`` is set as soon as a matching request arrives; ``request`` is that request. After
    release the held request is answered normally.
    """

    def __init__(self, pattern: re.Pattern[str], count: int, kind: str) -> None:
        self.pattern = pattern
        self.remaining = count
        self.kind = kind
        self.reached = threading.Event()
        self.released = threading.Event()
        self.request: RecordedRequest | None = None
        self.hits = 0
        self._hit = threading.Condition()

    def catch(self, request: RecordedRequest) -> None:
        """Note that ``request`` is now held (called by the control plane)."""
        with self._hit:
            self.remaining -= 1
            self.hits += 1
            self.request = request
            self.reached.set()
            self._hit.notify_all()

    def release(self) -> None:
        """Let the held request (and any later matching ones) through."""
        self.released.set()

    def wait_reached(self, timeout: float = 60.0) -> bool:
        """Wait until a matching request is being held; true if one arrived in time."""
        return self.reached.wait(timeout)

    def wait_hits(self, hits: int, timeout: float = 60.0) -> bool:
        """Wait until ``hits`` matching requests have been caught; true if they were in time.

        A client that gives up (a read timeout) and tries again may do so before the server
        has even read its first request: tests wait on this, not on the client's return.
        """
        with self._hit:
            return self._hit.wait_for(lambda: self.hits >= hits, timeout)


class ControlPlane:
    """The fake's fault-injection registry, consulted for every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._injections: list[Injection] = []
        self._holds: list[Hold] = []

    def inject(
        self,
        pattern: str,
        status: int | None,
        count: int,
        body: bytes | str | dict[str, Any] | list[Any] | None,
        headers: dict[str, str] | None,
    ) -> Injection:
        """Register a canned response (see :class:`Injection`)."""
        content_type = "application/json; charset=utf-8"
        if body is None:
            raw, content_type = default_error_body(status) if status is not None else (b"", "")
        elif isinstance(body, bytes):
            raw = body
        elif isinstance(body, str):
            raw, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            raw = json.dumps(body, ensure_ascii=False).encode()
        extra = dict(headers or {})
        for name in list(extra):
            if name.lower() == "content-type":
                content_type = extra.pop(name)
        injection = Injection(re.compile(pattern), status, count, raw, content_type, extra)
        with self._lock:
            self._injections.append(injection)
        return injection

    def hold(self, pattern: str, count: int, kind: str) -> Hold:
        """Register a gate or stall (see :class:`Hold`)."""
        hold = Hold(re.compile(pattern), count, kind)
        with self._lock:
            self._holds.append(hold)
        return hold

    def take_injection(self, target: str) -> Injection | None:
        """The injection that answers this request, consuming one of its uses."""
        with self._lock:
            for injection in self._injections:
                if injection.remaining > 0 and injection.pattern.search(target):
                    injection.remaining -= 1
                    return injection
        return None

    def take_hold(self, target: str, request: RecordedRequest) -> Hold | None:
        """The hold that catches this request, consuming one of its uses."""
        with self._lock:
            for hold in self._holds:
                active = hold.remaining > 0 and not hold.released.is_set()
                if active and hold.pattern.search(target):
                    hold.catch(request)
                    return hold
        return None

    def release_all(self) -> None:
        """Release every hold (used when the server stops)."""
        with self._lock:
            holds = list(self._holds)
        for hold in holds:
            hold.release()

    def clear(self) -> None:
        """Drop all injections and release all holds."""
        self.release_all()
        with self._lock:
            self._injections.clear()
            self._holds.clear()
