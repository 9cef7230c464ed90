"""The streaming API of the fake Mastodon: ``GET /api/v1/streaming/user`` as server-sent events.

Follows mastodon/mastodon ``streaming/index.js`` (``streamToHttp``, ``channelsForUserStream``):

* a user token is required (``Authorization: Bearer`` or ``access_token``); otherwise 401 with
  ``{"error": ...}`` as JSON, as the streaming server's error middleware answers;
* the answer is ``200`` with ``Content-Type: text/event-stream``, ``Cache-Control: no-store``
  and ``Transfer-Encoding: chunked``; the first bytes are the comment ``:)``, then a ``:thump``
  comment every heartbeat (15 s on a real server; :attr:`FakeMastodon.stream_heartbeat`);
* each event is written as two writes, so two chunks: ``event: NAME\\n`` and then
  ``data: PAYLOAD\\n\\n``; the payload is JSON for objects and the bare id for ``delete``
  (``typeof payload === 'object' ? JSON.stringify(payload) : payload``);
* the ``user`` stream carries the account's home timeline (``update``, ``status.update``,
  ``delete``) and its notifications (``notification``): a reply to one of its statuses is a
  ``mention`` notification with the status, a follow a ``follow`` notification without one;
  ``filters_changed`` comes with no payload object.

Nothing is replayed: a client that reconnects gets only what happens after.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StreamEvent:
    name: str
    payload: str


class StreamHub:
    """Open ``user`` streams per account id, and what is published to them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: dict[int, list[queue.Queue[StreamEvent | None]]] = {}
        self._ids = itertools.count(1)
        self.opened = 0
        self.delivered: list[tuple[int, StreamEvent]] = []
        self.recipients: dict[int, set[int]] = {}  # status id -> accounts it was streamed to

    def open(self, account_id: int) -> queue.Queue[StreamEvent | None]:
        inbox: queue.Queue[StreamEvent | None] = queue.Queue()
        with self._lock:
            self._streams.setdefault(account_id, []).append(inbox)
            self.opened += 1
        return inbox

    def close(self, account_id: int, inbox: queue.Queue[StreamEvent | None]) -> None:
        with self._lock:
            inboxes = self._streams.get(account_id, [])
            if inbox in inboxes:
                inboxes.remove(inbox)

    def open_count(self, account_id: int) -> int:
        with self._lock:
            return len(self._streams.get(account_id, []))

    def publish(self, account_id: int, name: str, payload: Any, *, status_id: int | None = None) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        event = StreamEvent(name, text)
        with self._lock:
            if status_id is not None:
                self.recipients.setdefault(status_id, set()).add(account_id)
            for inbox in self._streams.get(account_id, []):
                inbox.put(event)
                self.delivered.append((account_id, event))

    def notification_id(self) -> str:
        return str(next(self._ids))

    def drop_all(self) -> None:
        """End every open stream (a restarting streaming server)."""
        with self._lock:
            for inboxes in self._streams.values():
                for inbox in inboxes:
                    inbox.put(None)
