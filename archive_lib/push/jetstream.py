"""Bluesky through Jetstream (``ARCHIVE_JETSTREAM_URL``, a websocket), filtered to the accounts.

The connection asks for ``app.bsky.feed.post`` only, with ``requireHello=true``: the first
message the archive sends is an ``options_update`` with ``wantedDids``, the inventoried
accounts' DIDs and those of the people who replied in their hot threads (read from the archive,
then added as replies arrive, each addition sent as a new ``options_update``; Jetstream takes up
to 10,000). A person's first reply cannot be pushed (Jetstream filters by author): the hot pass
finds it, and the next refresh of the wanted DIDs (every ``refresh_seconds``) adds its author.

Each event is a JSON object with ``did``, ``time_us`` and ``kind``; for ``kind`` ``commit``, a
``commit`` with ``operation`` (``create``, ``update``, ``delete``), ``collection``, ``rkey`` and,
for creates, ``record`` and ``cid``. Kept, archived as received (a WARC ``resource`` record of
the message) with their thread queued:

* creates of posts by an account, and of replies whose thread root or parent is an account's
  post or a thread the archive holds: each becomes an item version at once;
* deletes of posts the archive holds for an account.

The cursor (``time_us`` of the last event handled) is checkpointed in the store after each
flush that stored what came before it (:data:`archive_lib.layout.JETSTREAM_CURSORS`: one small
object per checkpoint, increasing keys, the newest wins), and a restart resumes from it, a few
seconds early (``rewind_us``): what comes twice is stored once as an item (the archive knows it),
its record again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

import urllib3
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

from archive_lib import layout
from archive_lib.clock import Clock
from archive_lib.metadata.parts import account_parts, read_rows
from archive_lib.models import Account, ItemSnapshot, RecordRef
from archive_lib.push.items import BlueskyReader
from archive_lib.push.journal import JournalFull, PushJournal
from archive_lib.push.received import Received
from archive_lib.push.targets import TargetQueue
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore
from archive_lib.values import ident

log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
MAX_MESSAGE_BYTES = 1024 * 1024
MAX_WANTED = 10_000
HOT_HOURS = 72
#: Cursor checkpoints are kept a year (they are resumption points, not records).
CURSOR_RETENTION_DAYS = 366


def newest_cursor(store: ObjectStore) -> int | None:
    """The newest Jetstream cursor checkpoint in the store, if any."""
    last = None
    for key in store.list(layout.JETSTREAM_CURSORS):
        value = layout.jetstream_cursor_of(key)
        if value is not None:
            last = value
    return last


class Jetstream:
    """Follows Jetstream for the inventory's Bluesky accounts until ``stop`` is set."""

    def __init__(
        self,
        url: str,
        accounts: Sequence[Account],
        store: ObjectStore,
        journal: PushJournal,
        targets: TargetQueue,
        stop: threading.Event,
        *,
        clock: Clock,
        resolve: Callable[[Account], str] | None = None,
        first_retry: float = 1.0,
        max_retry: float = 60.0,
        refresh_seconds: float = 300.0,
        rewind_us: int = 5_000_000,
        cursor_seconds: float = 0.0,
    ) -> None:
        if not url.startswith(("ws://", "wss://")):
            raise ValueError(f"ARCHIVE_JETSTREAM_URL must be a ws:// or wss:// URL, not {url[:60]!r}")
        self.url = url
        self.accounts = list(accounts)
        self.store = store
        self.journal = journal
        self.targets = targets
        self.stop = stop
        self.clock = clock
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.refresh_seconds = refresh_seconds
        self.rewind_us = rewind_us
        self.cursor_seconds = cursor_seconds
        self._resolve = resolve or resolve_did
        self.dids: dict[str, Account] = {}  # the accounts' own DIDs
        self.readers: dict[str, BlueskyReader] = {}
        self.wanted: set[str] = set()
        self.threads: dict[str, tuple[Account, str]] = {}  # item uri -> (account, thread root uri)
        self.cursor: int | None = None  # time_us of the last event handled
        self._written: int | None = None
        self._written_at = 0.0
        self._lock = threading.Lock()
        self.connections = 0
        journal.checkpoints.append(self._checkpoint)

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> None:
        self.cursor = self._written = newest_cursor(self.store)
        wait = self.first_retry
        while not self.stop.is_set():
            delivered = False
            try:
                if not self.dids:
                    self._resolve_accounts()
                self._refresh_wanted()
                delivered = self._connect_once()
            except Exception as exc:
                log.warning("Jetstream: the connection ended: %s", exc)
            if self.stop.is_set():
                return
            wait = self.first_retry if delivered else min(wait * 2, self.max_retry)
            self.stop.wait(wait)

    def _connect_once(self) -> bool:
        params: dict[str, Any] = {"wantedCollections": POST, "requireHello": "true"}
        if self.cursor is not None:
            params["cursor"] = max(0, self.cursor - self.rewind_us)
        target = f"{self.url}{'&' if '?' in self.url else '?'}{urlencode(params)}"
        delivered = False
        with connect(target, max_size=MAX_MESSAGE_BYTES, open_timeout=10, close_timeout=2) as ws:
            self.connections += 1
            sent: set[str] = set()
            refreshed = self.clock.now()
            while not self.stop.is_set():
                with self._lock:
                    wanted = set(self.wanted)
                if wanted != sent:
                    ws.send(json.dumps(_options(wanted)))
                    sent = wanted
                if (self.clock.now() - refreshed).total_seconds() >= self.refresh_seconds:
                    self._refresh_wanted()
                    refreshed = self.clock.now()
                try:
                    message = ws.recv(timeout=1.0)
                except TimeoutError:
                    continue
                except WebSocketException:
                    return delivered
                delivered = True
                self._message(message)
        return delivered

    # -- what is wanted -------------------------------------------------------------------------

    def _resolve_accounts(self) -> None:
        for account in self.accounts:
            try:
                did = self._resolve(account)
            except Exception as exc:  # an account without a DID is left to polling
                log.warning("%s: its DID could not be resolved (%s); it is not followed", account.id, exc)
                continue
            self.dids[did] = account
            self.readers[account.id] = BlueskyReader(account, did)

    def _refresh_wanted(self) -> None:
        """The accounts' DIDs, and who replied in their threads of the last days (from the archive)."""
        wanted = set(self.dids)
        since = self.clock.now() - dt.timedelta(hours=HOT_HOURS)
        for did, account in self.dids.items():
            for part in account_parts(self.store, account.id):
                if part.last_created < since:
                    continue
                for row in read_rows(self.store, part.key):
                    self.threads.setdefault(row["item_id"], (account, row["post_id"]))
                    self.threads.setdefault(row["post_id"], (account, row["post_id"]))
                    if row["author_id"] and row["author_id"] != did:
                        wanted.add(row["author_id"])
        with self._lock:
            self.wanted |= set(sorted(wanted)[:MAX_WANTED])

    # -- events -------------------------------------------------------------------------------

    def _message(self, message: str | bytes) -> None:
        raw = message.encode() if isinstance(message, str) else message
        try:
            event = json.loads(raw)
        except ValueError:
            return
        if not isinstance(event, dict):
            return
        time_us = event.get("time_us")
        commit = event.get("commit")
        did = ident(event.get("did"))
        if (
            event.get("kind") == "commit"
            and isinstance(commit, dict)
            and did
            and commit.get("collection") == POST
        ):
            self._commit(did, commit, raw)
        if isinstance(time_us, int) and not isinstance(time_us, bool):
            with self._lock:
                self.cursor = max(self.cursor or 0, time_us)

    def _commit(self, did: str, commit: dict[str, Any], raw: bytes) -> None:
        rkey = ident(commit.get("rkey"))
        if not rkey:
            return
        uri = f"at://{did}/{POST}/{rkey}"
        operation = commit.get("operation")
        if operation in ("create", "update") and isinstance(commit.get("record"), dict):
            record = commit["record"]
            place = self._place(did, uri, record)
            if place is None:
                return
            account, root = place
            self.threads[uri] = (account, root)
            # Who takes part in the account's threads: their next replies are pushed. A person
            # who replied is known once a reply of theirs was seen; one the account answered, now.
            parent = (
                _uri(record.get("reply", {}).get("parent")) if isinstance(record.get("reply"), dict) else None
            )
            people = {did, parent.split("/")[2] if parent and parent.count("/") >= 3 else ""}
            with self._lock:
                for person in people - set(self.dids) - {""}:
                    if len(self.wanted) < MAX_WANTED:
                        self.wanted.add(person)
            reader = self.readers[account.id]
            cid = str(commit.get("cid") or "")
            seen = self.clock.now()

            def item(ref: RecordRef) -> list[ItemSnapshot]:
                return [reader.snapshot(uri, cid, record, did, seen, ref)]

            self._keep(account, raw, root, item)
        elif operation == "delete":
            known = self.threads.get(uri)
            if known is not None:
                self._keep(known[0], raw, known[1], None)

    def _place(self, did: str, uri: str, record: dict[str, Any]) -> tuple[Account, str] | None:
        """The account and thread root a post belongs to, or ``None`` when it is none of theirs."""
        reply = record.get("reply") if isinstance(record.get("reply"), dict) else None
        if reply is None:
            account = self.dids.get(did)
            return (account, uri) if account is not None else None
        root = _uri(reply.get("root"))
        parent = _uri(reply.get("parent"))
        for candidate in (root, parent):
            if candidate and candidate in self.threads:
                return self.threads[candidate][0], self.threads[candidate][1]
        for candidate in (root, parent):
            owner = (
                self.dids.get(candidate.split("/")[2]) if candidate and candidate.count("/") >= 3 else None
            )
            if owner is not None and root:
                return owner, root
        account = self.dids.get(did)
        if account is not None and root:
            return account, root  # the account's answer in someone else's thread
        return None

    def _keep(self, account: Account, raw: bytes, thread: str, item: Any) -> None:
        received = Received(
            account=account,
            source="jetstream",
            record_type="resource",
            url=self.url,
            payload=raw,
            content_type="application/json",
            received_at=self.clock.now(),
            threads=(thread,),
            item=item,
        )
        try:
            self.journal.add(received)
        except JournalFull as exc:
            log.error("Jetstream: an event could not be held: %s", exc)

    # -- the cursor ---------------------------------------------------------------------------

    def _checkpoint(self) -> Callable[[], None] | None:
        """Called as a flush takes its batch: the cursor that is safe once that batch is stored."""
        with self._lock:
            cursor = self.cursor
        if cursor is None or cursor == self._written:
            return None

        def commit() -> None:
            now = self.clock.now().timestamp()
            if self._written is not None and now - self._written_at < self.cursor_seconds:
                return
            retention = ObjectRetention(
                "jetstream-cursor", (self.clock.now() + dt.timedelta(days=CURSOR_RETENTION_DAYS)).date()
            )
            body = json.dumps({"cursor": cursor, "url": self.url}).encode() + b"\n"
            self.store.put(
                layout.jetstream_cursor_key(cursor), body, retention=retention, tags={"kind": "cursor"}
            )
            self._written, self._written_at = cursor, now

        return commit


def _options(wanted: set[str]) -> dict[str, Any]:
    return {
        "type": "options_update",
        "payload": {
            "wantedCollections": [POST],
            "wantedDids": sorted(wanted),
            "maxMessageSizeBytes": MAX_MESSAGE_BYTES,
        },
    }


def _uri(ref: object) -> str | None:
    return ref.get("uri") if isinstance(ref, dict) and isinstance(ref.get("uri"), str) else None


def resolve_did(account: Account) -> str:
    """The account's DID: its handle when that is a DID, else asked of the AppView (getProfile)."""
    if account.handle.startswith("did:"):
        return account.handle
    base = (account.api_base or "https://public.api.bsky.app").rstrip("/")
    pool = urllib3.PoolManager(timeout=urllib3.Timeout(total=10.0), retries=urllib3.Retry(total=2))
    response = pool.request("GET", f"{base}/xrpc/app.bsky.actor.getProfile", fields={"actor": account.handle})
    if response.status != 200:
        raise RuntimeError(f"getProfile answered HTTP {response.status}")
    did = ident(json.loads(response.data).get("did"))
    if not did:
        raise RuntimeError("getProfile gave no DID")
    return did
