"""``listen``: one long-running service for every push the inventory's platforms offer.

It runs, each on a thread of its own, the HTTP server (health and Meta webhooks), one Mastodon
stream per Mastodon account with a user token, Jetstream for the Bluesky accounts (when
``ARCHIVE_JETSTREAM_URL`` is set), the journal's flusher and the targeted-capture worker. An
account without push (no token, a platform that pushes nothing: YouTube) is simply not
followed; a stream that fails reconnects on its own; nothing of one account stops another.

:meth:`ListenService.stop` (SIGTERM or SIGINT in ``archivectl listen``) closes the streams,
stops answering webhooks, flushes what is pending to the store and returns.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from archive_lib.capture.tokens import env_tokens
from archive_lib.clock import Clock, IdFactory, SystemClock
from archive_lib.errors import ArchiveError
from archive_lib.evidence.signing import Signer
from archive_lib.models import Account, Inventory
from archive_lib.push.jetstream import Jetstream
from archive_lib.push.journal import PushJournal
from archive_lib.push.mastodon_stream import MastodonStream
from archive_lib.push.meta import MetaDeliveries
from archive_lib.push.received import Received
from archive_lib.push.server import ListenServer
from archive_lib.push.targets import CaptureRecent, TargetQueue
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListenOptions:
    """Where to listen and what to follow; the defaults suit production."""

    host: str = "127.0.0.1"
    port: int = 8080
    meta_verify_token: str | None = None
    meta_app_secret: str | None = None
    jetstream_url: str | None = None
    flush_seconds: float = 2.0
    batch_seconds: float = 10.0
    stream_first_retry: float = 1.0
    stream_max_retry: float = 60.0
    stream_read_timeout: float = 60.0
    jetstream_refresh_seconds: float = 300.0


class ListenService:
    """The service (module docstring). :meth:`start` binds and starts; :meth:`stop` flushes."""

    def __init__(
        self,
        inventory: Inventory,
        store: ObjectStore,
        options: ListenOptions,
        *,
        capture: CaptureRecent | None = None,
        tokens: Callable[[Account], str | None] = env_tokens,
        clock: Clock | None = None,
        ids: IdFactory | None = None,
        signer: Signer | None = None,
    ) -> None:
        self.inventory = inventory
        self.store = store
        self.options = options
        self.clock = clock or SystemClock()
        self.stop_event = threading.Event()
        self.targets = TargetQueue(inventory, store, capture, batch_seconds=options.batch_seconds)
        streams = self._mastodon_tokens(tokens)
        secrets = [t for t in streams.values() if t]
        secrets += [s for s in (options.meta_app_secret, options.meta_verify_token) if s]
        self.journal = PushJournal(
            store,
            clock=self.clock,
            ids=ids,
            flush_seconds=options.flush_seconds,
            secrets=secrets,
            operator=inventory.organisation,
            on_stored=self._queue_threads,
            signer=signer,
        )
        self.deliveries = MetaDeliveries(inventory.accounts)
        self.server = ListenServer(
            (options.host, options.port),
            journal=self.journal,
            deliveries=self.deliveries,
            verify_token=options.meta_verify_token,
            app_secret=options.meta_app_secret,
            clock=self.clock,
        )
        self.mastodon = [
            MastodonStream(
                account,
                token,
                self.journal,
                self.targets,
                self.stop_event,
                clock=self.clock,
                contact=inventory.contact,
                first_retry=options.stream_first_retry,
                max_retry=options.stream_max_retry,
                read_timeout=options.stream_read_timeout,
            )
            for account, token in ((self.inventory.account(a), t) for a, t in streams.items())
        ]
        bluesky = [a for a in inventory.accounts if a.platform == "bluesky"]
        self.jetstream = (
            Jetstream(
                options.jetstream_url,
                bluesky,
                store,
                self.journal,
                self.targets,
                self.stop_event,
                clock=self.clock,
                first_retry=options.stream_first_retry,
                max_retry=options.stream_max_retry,
                refresh_seconds=options.jetstream_refresh_seconds,
            )
            if options.jetstream_url and bluesky
            else None
        )
        self._threads: list[threading.Thread] = []
        self._journal_stop = threading.Event()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def _mastodon_tokens(self, tokens: Callable[[Account], str | None]) -> dict[str, str]:
        found = {}
        for account in self.inventory.accounts:
            if account.platform != "mastodon":
                continue
            try:
                token = tokens(account)
            except ArchiveError as exc:
                log.warning("%s: no stream (%s); it is captured by polling only", account.id, exc)
                continue
            if not token:
                log.info("%s: no user token, so no stream; it is captured by polling only", account.id)
                continue
            found[account.id] = token
        return found

    def _queue_threads(self, received: Received) -> None:
        for thread in received.threads:
            self.targets.thread(received.account.id, thread)

    def start(self) -> None:
        self.journal.load_dedupe(self.inventory.accounts)
        self._spawn("journal", lambda: self.journal.run(self._journal_stop))
        self._spawn("targets", lambda: self.targets.run(self.stop_event))
        self._spawn("http", lambda: self.server.serve_forever(poll_interval=0.2))
        for stream in self.mastodon:
            self._spawn(f"mastodon-{stream.account.id}", stream.run)
        if self.jetstream is not None:
            self._spawn("jetstream", self.jetstream.run)
        log.info(
            "listening on %s:%d: Meta webhooks %s, %d Mastodon streams, Jetstream %s",
            self.options.host,
            self.port,
            "on" if self.options.meta_app_secret and self.deliveries.accounts else "off",
            len(self.mastodon),
            "on" if self.jetstream is not None else "off",
        )

    def _spawn(self, name: str, target: Callable[[], object]) -> None:
        thread = threading.Thread(target=target, name=f"listen-{name}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop following, stop answering, store what is pending."""
        self.server.healthy = False
        self.stop_event.set()
        self.server.shutdown()
        self._journal_stop.set()
        for thread in self._threads:
            # The journal's last flush is waited for; a stream blocked in a read is not (its
            # thread ends with the process, holding nothing that is not in the journal).
            thread.join(timeout if thread.name == "listen-journal" else 2.0)
        self.server.server_close()
        self.journal.flush()
        log.info(
            "stopped; %d pushed things stored, %d waiting", self.journal.stored_count, self.journal.pending
        )
