"""A fake Jetstream (Bluesky's JSON firehose) over a loopback websocket.

It follows bluesky-social/jetstream's subscriber protocol as its README and
``pkg/models/message.go`` describe it:

* ``GET /subscribe`` upgraded to a websocket; query parameters ``wantedCollections`` and
  ``wantedDids`` (repeated), ``cursor`` (a Unix time in microseconds: playback starts at the
  first event at or after it, then live events follow without a gap) and ``requireHello``
  (``true``: nothing is sent until the client's first ``options_update``);
* client messages ``{"type": "options_update", "payload": {"wantedCollections": [...],
  "wantedDids": [...], "maxMessageSizeBytes": N}}`` replace the filters at any time (an empty
  list means everything, as on the real service);
* events ``{"did", "time_us", "kind": "commit", "commit": {"rev", "operation", "collection",
  "rkey", "record", "cid"}}`` (``record`` and ``cid`` only for creates and updates), in
  ``time_us`` order, ``time_us`` strictly increasing.

Tests publish with :meth:`FakeJetstream.create` and :meth:`FakeJetstream.delete`, see what
each connection asked for in :attr:`FakeJetstream.connections`, and cut every connection with
:meth:`FakeJetstream.drop`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


@dataclass
class Subscription:
    """What one connection asked for."""

    cursor: int | None
    collections: set[str]
    dids: set[str]
    hello: threading.Event = field(default_factory=threading.Event)
    updates: int = 0
    closed: bool = False


class FakeJetstream:
    """Jetstream on ``ws://127.0.0.1:PORT/subscribe`` (module docstring)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.connections: list[Subscription] = []
        self._cond = threading.Condition()
        self._last_us = 0
        self._drop = 0
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None)
        self.port = int(self._server.socket.getsockname()[1])
        self.url = f"ws://127.0.0.1:{self.port}/subscribe"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeJetstream:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._thread.join(10)

    # -- publishing ---------------------------------------------------------------------------

    def _time_us(self) -> int:
        self._last_us = max(self._last_us + 1, int(time.time() * 1_000_000))
        return self._last_us

    def create(self, did: str, record: dict[str, Any], *, rkey: str | None = None) -> dict[str, Any]:
        """Publish a post ``record`` by ``did``; returns the event (``uri`` added for tests)."""
        rkey = rkey or f"3l{secrets.token_hex(5)}"
        with self._cond:
            event = {
                "did": did,
                "time_us": self._time_us(),
                "kind": "commit",
                "commit": {
                    "rev": f"3l{secrets.token_hex(6)}",
                    "operation": "create",
                    "collection": record.get("$type", "app.bsky.feed.post"),
                    "rkey": rkey,
                    "record": record,
                    "cid": f"bafyrei{secrets.token_hex(20)}",
                },
            }
            self.events.append(event)
            self._cond.notify_all()
        return {**event, "uri": f"at://{did}/app.bsky.feed.post/{rkey}"}

    def delete(self, did: str, rkey: str) -> dict[str, Any]:
        with self._cond:
            event = {
                "did": did,
                "time_us": self._time_us(),
                "kind": "commit",
                "commit": {
                    "rev": f"3l{secrets.token_hex(6)}",
                    "operation": "delete",
                    "collection": "app.bsky.feed.post",
                    "rkey": rkey,
                },
            }
            self.events.append(event)
            self._cond.notify_all()
        return event

    def drop(self) -> None:
        """Close every open connection, as a restarting Jetstream does."""
        with self._cond:
            self._drop += 1
            self._cond.notify_all()

    def wait_for_connection(self, count: int, timeout: float) -> Subscription:
        """The ``count``-th connection, once it has said hello."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._cond.wait_for(lambda: len(self.connections) >= count, timeout)
            subscription = self.connections[count - 1]
        subscription.hello.wait(max(0.0, deadline - time.monotonic()))
        return subscription

    # -- serving ------------------------------------------------------------------------------

    def _handle(self, ws: ServerConnection) -> None:
        request = ws.request
        assert request is not None
        split = urlsplit(request.path)
        if split.path != "/subscribe":
            ws.close(1008, "not found")
            return
        query = parse_qs(split.query)
        cursor = int(query["cursor"][-1]) if query.get("cursor") else None
        sub = Subscription(cursor, set(query.get("wantedCollections", [])), set(query.get("wantedDids", [])))
        if query.get("requireHello", ["false"])[-1] != "true":
            sub.hello.set()
        with self._cond:
            # Where playback starts is fixed before the client can say hello, so no event
            # published after the connection opened is missed.
            if cursor is not None:
                position = next(
                    (i for i, e in enumerate(self.events) if e["time_us"] >= cursor), len(self.events)
                )
            else:
                position = len(self.events)
            self.connections.append(sub)
            drops = self._drop
            self._cond.notify_all()
        threading.Thread(target=self._read, args=(ws, sub), daemon=True).start()
        try:
            while not sub.closed:
                with self._cond:
                    self._cond.wait_for(
                        lambda: (
                            (sub.hello.is_set() and position < len(self.events))  # noqa: B023 -- read at once
                            or self._drop != drops
                            or sub.closed
                        ),
                        timeout=0.2,
                    )
                    if self._drop != drops:
                        break
                    pending = self.events[position:] if sub.hello.is_set() else []
                    position += len(pending)
                for event in pending:
                    if _wanted(sub, event):
                        ws.send(json.dumps(event))
        except ConnectionClosed:
            pass
        finally:
            sub.closed = True
            ws.close()

    def _read(self, ws: ServerConnection, sub: Subscription) -> None:
        try:
            for message in ws:
                data = json.loads(message)
                if data.get("type") != "options_update":
                    continue
                payload = data.get("payload") or {}
                with self._cond:
                    sub.collections = set(payload.get("wantedCollections") or [])
                    sub.dids = set(payload.get("wantedDids") or [])
                    sub.updates += 1
                    sub.hello.set()
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            sub.closed = True


def _wanted(sub: Subscription, event: dict[str, Any]) -> bool:
    collection = event.get("commit", {}).get("collection")
    if sub.collections and collection not in sub.collections:
        return False
    return not sub.dids or event["did"] in sub.dids
