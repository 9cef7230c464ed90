"""Mastodon's ``user`` stream (server-sent events) for an account with a user token.

``GET {api_base}/api/v1/streaming/user`` with the account's token (the token needs
``read:notifications`` and ``read:statuses``; it is sent only to the account's own instance).
The server greets with ``:)``, sends a ``:thump`` comment every 15 seconds and writes each
event's ``event:`` and ``data:`` lines separately, so they may arrive in separate chunks
(:mod:`.sse`). What is kept:

* ``notification`` with a status (a mention: how replies reach the account, also ``status``,
  ``update`` and ``quote``): archived as received (a WARC ``resource`` record of the event's
  bytes), its thread queued, and the status made an item version when it answers the account
  (it replies to one of its statuses, or to an item the archive holds);
* ``update`` and ``status.update`` of the account's own statuses and of replies to it: the same;
* ``delete`` of a status the archive holds for the account: archived as received, its thread
  queued (the capture confirms the deletion by a direct lookup, as every capture does).

Events without a status (``follow``, ``favourite`` notifications, ``filters_changed``,
``announcement``) and statuses of other people's home timeline are read and left.

The connection is re-made whenever it ends or is silent for ``read_timeout`` seconds (no
heartbeat): the first retry after ``first_retry`` seconds, then doubling up to ``max_retry``;
a connection that delivered anything resets the wait. Nothing is replayed after a reconnect,
so every reconnect queues a recent pass of the account's hot threads.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from typing import Any

import urllib3

from archive_lib.clock import Clock
from archive_lib.connectors.policy import user_agent
from archive_lib.models import Account, ItemSnapshot, RecordRef
from archive_lib.push.items import MastodonReader
from archive_lib.push.journal import JournalFull, PushJournal
from archive_lib.push.received import Received
from archive_lib.push.sse import SseEvent, SseParser, StreamTooLarge
from archive_lib.push.targets import TargetQueue
from archive_lib.values import ident

log = logging.getLogger(__name__)

READ_BYTES = 64 * 1024
MAX_REMEMBERED = 100_000
_STATUS_NOTIFICATIONS = frozenset({"mention", "status", "update", "quote"})


class MastodonStream:
    """Follows one account's ``user`` stream until ``stop`` is set (module docstring)."""

    def __init__(
        self,
        account: Account,
        token: str,
        journal: PushJournal,
        targets: TargetQueue,
        stop: threading.Event,
        *,
        clock: Clock,
        contact: str | None = None,
        first_retry: float = 1.0,
        max_retry: float = 60.0,
        read_timeout: float = 60.0,
    ) -> None:
        if not account.api_base:
            raise ValueError(f"{account.id}: a Mastodon account needs api_base")
        self.account = account
        self.journal = journal
        self.targets = targets
        self.stop = stop
        self.clock = clock
        self.api = account.api_base.rstrip("/")
        self.url = f"{self.api}/api/v1/streaming/user"
        self.first_retry = first_retry
        self.max_retry = max_retry
        self._token = token
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "text/event-stream",
            "User-Agent": user_agent(contact),
        }
        self._pool = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=10.0, read=read_timeout), retries=False
        )
        self.me: str | None = None
        self._reader: MastodonReader | None = None
        self.connections = 0
        self.events = 0
        # Threads of the statuses this stream kept, until the archive holds them (a reply may
        # arrive before the flush that stores its parent).
        self._threads: OrderedDict[str, str] = OrderedDict()

    def run(self) -> None:
        wait = self.first_retry
        while not self.stop.is_set():
            delivered = False
            try:
                delivered = self._connect_once()
            except Exception as exc:  # a stream never stops listen: log, wait, connect again
                log.warning(
                    "%s: the stream ended: %s", self.account.id, exc, extra={"account_id": self.account.id}
                )
            if self.stop.is_set():
                return
            wait = self.first_retry if delivered else min(wait * 2, self.max_retry)
            if self.connections:
                # Nothing is replayed after a reconnect: the account's hot threads are read again.
                self.targets.recent(self.account.id)
            self.stop.wait(wait)

    def _connect_once(self) -> bool:
        if self.me is None:
            self.me = self._own_id()
            self._reader = MastodonReader(self.account, self.me)
        response = self._pool.request("GET", self.url, headers=self._headers, preload_content=False)
        try:
            if response.status != 200:
                raise RuntimeError(f"{self.url} answered HTTP {response.status}")
            self.connections += 1
            log.info("%s: following %s", self.account.id, self.url, extra={"account_id": self.account.id})
            parser = SseParser()
            delivered = False
            while not self.stop.is_set():
                chunk = response.read1(READ_BYTES)
                if not chunk:
                    return delivered
                delivered = True
                try:
                    events = parser.feed(chunk)
                except StreamTooLarge as exc:
                    raise RuntimeError(str(exc)) from None
                for event in events:
                    self._event(event)
            return delivered
        finally:
            response.release_conn()
            response.close()

    def _own_id(self) -> str:
        response = self._pool.request(
            "GET", f"{self.api}/api/v1/accounts/verify_credentials", headers=self._headers, retries=False
        )
        if response.status != 200:
            raise RuntimeError(f"verify_credentials answered HTTP {response.status}")
        own = ident(json.loads(response.data).get("id"))
        if not own:
            raise RuntimeError("verify_credentials gave no account id")
        return own

    # -- events -------------------------------------------------------------------------------

    def _event(self, event: SseEvent) -> None:
        self.events += 1
        if event.name == "delete":
            self._delete(event)
            return
        if event.name not in ("notification", "update", "status.update"):
            return  # filters_changed, announcement, conversation, ...
        try:
            payload = json.loads(event.data)
        except ValueError:
            log.warning("%s: a %s event that is not JSON was left", self.account.id, event.name)
            return
        if not isinstance(payload, dict):
            return
        if event.name == "notification":
            if payload.get("type") not in _STATUS_NOTIFICATIONS or not isinstance(
                payload.get("status"), dict
            ):
                return  # follow, favourite, reblog ...: no record of the account's threads
            status = payload["status"]
        else:
            status = payload
        thread = self._thread_of(status)
        if thread is None:
            return
        self._threads[str(status["id"])] = thread
        while len(self._threads) > MAX_REMEMBERED:
            self._threads.popitem(last=False)
        self._keep(event, (thread,), status)

    def _thread_of(self, status: dict[str, Any]) -> str | None:
        """The thread of the account ``status`` belongs to, or ``None`` when it is not the account's."""
        status_id = ident(status.get("id"))
        author = (
            ident((status.get("account") or {}).get("id"))
            if isinstance(status.get("account"), dict)
            else None
        )
        parent = ident(status.get("in_reply_to_id"))
        if status_id is None:
            return None
        if parent is None:
            return status_id if author == self.me else None
        if parent in self._threads:
            return self._threads[parent]
        known = self.journal.known(self.account, parent)
        if known is not None:
            return known.post_id
        if ident(status.get("in_reply_to_account_id")) == self.me or author == self.me:
            return parent  # the parent is the account's, not archived yet: it stands for the root
        return None

    def _delete(self, event: SseEvent) -> None:
        status_id = event.data.strip()
        thread = self._threads.get(status_id)
        if thread is None:
            known = self.journal.known(self.account, status_id)
            if known is None:
                return  # a status of the home timeline the archive does not hold
            thread = known.post_id
        self._keep(event, (thread,), None)

    def _keep(self, event: SseEvent, threads: tuple[str, ...], status: dict[str, Any] | None) -> None:
        reader = self._reader
        post_id = threads[0]

        def item(ref: RecordRef) -> list[ItemSnapshot]:
            if status is None or reader is None:
                return []
            snapshot = reader.snapshot(status, ref, post_id)
            return [snapshot] if snapshot is not None else []

        received = Received(
            account=self.account,
            source="mastodon",
            record_type="resource",
            url=self.url,
            payload=event.raw,
            content_type="text/event-stream; charset=utf-8",
            received_at=self.clock.now(),
            threads=threads,
            item=item,
        )
        try:
            self.journal.add(received)
        except JournalFull as exc:
            log.error("%s: a pushed event could not be held: %s", self.account.id, exc)
