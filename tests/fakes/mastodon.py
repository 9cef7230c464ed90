"""A fake Mastodon instance over loopback HTTP: the test double for the Mastodon connector.

It implements the read-only slice of the v1 REST API that the archive uses, following Mastodon's
own code (controllers, serializers, threading concern, rack-attack) rather than its prose docs;
see /work/shared/reference/platform-apis.md section 4 and the module docstrings of
``mastodon_state`` (queries), ``mastodon_api`` (routes and params), ``mastodon_render`` (JSON),
``mastodon_ratelimit`` (throttles) and ``mastodon_http`` (wire format).

Routes: ``/api/v1/accounts/lookup``, ``/api/v1/accounts/:id``, ``/api/v1/accounts/:id/statuses``,
``/api/v1/statuses/:id``, ``…/context``, ``…/history``; ``/media_proxy/:id/:style`` for remote
files the instance must fetch again; media under
``/system/media_attachments/files/`` on ``http://localhost:PORT`` (a different host name from the
API's ``http://127.0.0.1:PORT``, like a files CDN).

Usage::

    with FakeMastodon() as fake:
        fake.set_time(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC))
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        fake.add_account("anna", "Anna", domain="other.example")
        post = fake.post(town, fake.html("Badhuset öppnar igen! #kristianstad"))
        fake.post("anna@other.example", fake.html("Äntligen!"), in_reply_to=post["id"])
        client = Client(fake.base_url, sleep=fake.sleep)   # whatever the test drives
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from tests.fakes.mastodon_clock import FakeClock, as_utc
from tests.fakes.mastodon_control import ControlPlane, Hold, Injection, RequestLog
from tests.fakes.mastodon_html import MentionTarget, text_to_html
from tests.fakes.mastodon_http import FakeHTTPServer
from tests.fakes.mastodon_ratelimit import RateLimiter
from tests.fakes.mastodon_render import Renderer
from tests.fakes.mastodon_state import (
    VISIBILITIES,
    Account,
    AsyncRefresh,
    MastodonState,
    MediaSpec,
    NotFound,
    Status,
    Viewer,
)
from tests.fakes.mastodon_streaming import StreamHub

AccountRef = Mapping[str, Any] | Account | int | str
StatusRef = Mapping[str, Any] | Status | int | str
_INVALID_KINDS = ("revoked", "expired")


class FakeMastodon:
    """An in-memory Mastodon instance served on ``127.0.0.1`` (port chosen by the OS).

    The socket is bound on construction, so :attr:`base_url` is known before :meth:`start`;
    content can be added before or after starting. Control attributes, all changeable any time:

    * ``valid_tokens`` (user tokens), ``app_tokens`` (client-credentials tokens: accepted, but
      treated as logged out, as Mastodon does), ``token_accounts`` (token → account id);
    * ``limited_mode``: anonymous API requests get 401 (whitelist / limited federation mode);
    * ``origins_down``: remote domains whose servers cannot be reached (``/media_proxy`` 500s);
    * ``gzip``, ``chunked``: response encoding; ``retry_after``: add ``Retry-After`` to 429s;
    * ``limiter``: the :class:`RateLimiter` (``api_limit``, ``paging_limit``, … ``enabled``);
    * ``requests``: the :class:`RequestLog` of every request received.
    """

    def __init__(
        self,
        *,
        gzip: bool = True,
        chunked: bool = True,
        retry_after: bool = False,
        now: dt.datetime | None = None,
        api_limit: int = 300,
        api_period: int = 300,
        paging_limit: int = 300,
        paging_period: int = 900,
        user_limit: int = 1500,
    ) -> None:
        self.clock = FakeClock(now)
        self.state = MastodonState(self.clock)
        self.limiter = RateLimiter(
            self.clock,
            api_limit=api_limit,
            api_period=api_period,
            user_limit=user_limit,
            paging_limit=paging_limit,
            paging_period=paging_period,
        )
        self.control = ControlPlane()
        self.requests = RequestLog()
        self.gzip = gzip
        self.chunked = chunked
        self.retry_after = retry_after
        self.limited_mode = False
        self.origins_down: set[str] = set()
        self.valid_tokens: set[str] = set()
        self.app_tokens: set[str] = set()
        self.token_accounts: dict[str, int] = {}
        self._invalid_tokens: dict[str, str] = {}
        self.stopping = threading.Event()
        self.streams = StreamHub()
        self.stream_heartbeat = 15.0  # seconds between ``:thump`` comments, as on a real server
        self._server = FakeHTTPServer(self)
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.files_url = f"http://localhost:{self.port}"
        self.domain = f"127.0.0.1:{self.port}"
        self.state.local_domains.update({self.domain, f"localhost:{self.port}"})
        self._thread: threading.Thread | None = None
        self._closed = False

    # -------------------------------------------------------------- lifecycle

    def start(self) -> FakeMastodon:
        """Serve requests on a daemon thread (idempotent)."""
        if self._closed:
            raise RuntimeError("a stopped FakeMastodon cannot be restarted")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"fake-mastodon-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: held requests are dropped unanswered, open connections closed."""
        if self._closed:
            return
        self._closed = True
        self.stopping.set()
        self.control.release_all()
        if self._thread is not None:
            self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeMastodon:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ clock

    def set_time(self, moment: dt.datetime) -> None:
        """Fix the fake clock at ``moment`` (naive means UTC)."""
        self.clock.set(moment)

    def advance(
        self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0, days: float = 0.0
    ) -> None:
        """Move the fake clock forward."""
        self.clock.advance(seconds + 60 * minutes + 3600 * hours + 86400 * days)

    def sleep(self, seconds: float) -> None:
        """A sleep function for the client under test: advances the clock, returns at once."""
        self.clock.sleep(seconds)

    # ----------------------------------------------------------------- tokens

    def add_token(
        self, token: str, *, account: AccountRef | None = None, app_only: bool = False
    ) -> str:
        """Accept ``token``: a user token (of ``account``, if given) or an app-only token."""
        self._invalid_tokens.pop(token, None)
        if app_only:
            self.app_tokens.add(token)
        else:
            self.valid_tokens.add(token)
            if account is not None:
                self.token_accounts[token] = self._account(account).id
        return token

    def revoke_token(self, token: str, *, reason: str = "revoked") -> None:
        """Invalidate ``token``; later requests get 401 saying it was revoked (or ``expired``)."""
        if reason not in _INVALID_KINDS:
            raise ValueError(f"reason must be one of {_INVALID_KINDS}")
        self.valid_tokens.discard(token)
        self.app_tokens.discard(token)
        self._invalid_tokens[token] = reason

    def token_kind(self, token: str | None) -> str | None:
        """``None`` (no token), ``user``, ``app``, ``revoked``, ``expired`` or ``unknown``."""
        if token is None:
            return None
        if token in self.valid_tokens:
            return "user"
        if token in self.app_tokens:
            return "app"
        return self._invalid_tokens.get(token, "unknown")

    # ---------------------------------------------------------------- content

    def html(self, text: str) -> str:
        """Plain text as Mastodon-style HTML for this instance (links, #tags, known @mentions)."""

        def resolve(username: str, domain: str | None) -> MentionTarget | None:
            try:
                account = self.state.lookup(f"{username}@{domain}" if domain else username)
            except NotFound:
                return None
            return MentionTarget(self._renderer().account_url(account), account.username)

        return text_to_html(text, base_url=self.base_url, resolve=resolve)

    def add_account(
        self,
        username: str,
        display_name: str,
        *,
        domain: str | None = None,
        bot: bool = False,
        locked: bool = False,
        note: str = "",
        fields: Sequence[tuple[str, str]] = (),
        created_at: dt.datetime | None = None,
        followers_count: int = 0,
        following_count: int = 0,
    ) -> dict[str, Any]:
        """Create an account (remote when ``domain`` is given) and return its Account JSON."""
        account = self.state.add_account(
            username,
            display_name,
            domain=domain,
            note=self.html(note) if note else "",
            created_at=as_utc(created_at) if created_at else self.clock.now(),
            bot=bot,
            locked=locked,
            fields=list(fields),
            followers_count=followers_count,
            following_count=following_count,
        )
        self.state.register_url(self._renderer().account_url(account), account)
        return self.account_json(account)

    def post(
        self,
        account: AccountRef,
        content_html: str,
        *,
        in_reply_to: StatusRef | None = None,
        visibility: str = "public",
        spoiler_text: str = "",
        sensitive: bool = False,
        language: str | None = "sv",
        media: Sequence[MediaSpec] | None = None,
        poll_options: Sequence[str] | None = None,
        at: dt.datetime | None = None,
        application: str | None = "Web",
        card: Mapping[str, Any] | None = None,
        quote: StatusRef | None = None,
    ) -> dict[str, Any]:
        """Publish a status (a reply when ``in_reply_to`` is given, a quote post when ``quote``
        is: accepted at once, as for a public status whose author lets anyone quote it);
        returns its Status JSON.

        ``media`` items are ``(filename, bytes, mime, description)``; ``at`` defaults to the
        fake clock's now. The JSON is rendered for an anonymous reader but without the
        visibility check, so private statuses can be inspected too.
        """
        if visibility not in VISIBILITIES:
            raise ValueError(f"visibility must be one of {VISIBILITIES}")
        author = self._account(account)
        moment = as_utc(at) if at else self.clock.now()
        with self.state.lock:
            parent = self._status(in_reply_to) if in_reply_to is not None else None
            if parent is not None and parent.gone:
                raise ValueError("cannot reply to a deleted status")
            quoted = self._status(quote) if quote is not None else None
            if quoted is not None and quoted.gone:
                raise ValueError("cannot quote a deleted status")
            revision = self.state.make_revision(
                content_html,
                spoiler_text=spoiler_text,
                sensitive=sensitive,
                media=self.state.make_media(media or (), moment),
                poll=self.state.make_poll(poll_options, moment),
                at=moment,
            )
            status = Status(
                id=self.state.ids.next_id(moment),
                account=author,
                created_at=moment,
                visibility=visibility,
                language=language,
                revisions=[revision],
                in_reply_to_id=parent.id if parent else None,
                in_reply_to_account_id=parent.account.id if parent else None,
                application=application,
                card=dict(card) if card is not None else None,
                quote_of_id=quoted.id if quoted is not None else None,
            )
            self.state.insert(status)
            if quoted is not None:
                quoted.quotes_count += 1
        rendered = self.status_json(status)
        self._stream_status(status, parent, rendered)
        return rendered

    def edit(
        self,
        status: StatusRef,
        content_html: str | None = None,
        *,
        spoiler_text: str | None = None,
        sensitive: bool | None = None,
        media: Sequence[MediaSpec] | None = None,
        poll_options: Sequence[str] | None = None,
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Edit a status: ``None`` keeps a field; ``media=[]`` or ``poll_options=[]`` removes it.

        A new revision is recorded (``/history`` grows, ``edited_at`` is set to ``at``).
        """
        moment = as_utc(at) if at else self.clock.now()
        with self.state.lock:
            record = self._status(status)
            if record.gone or record.reblog_of_id is not None:
                raise ValueError("only a live, non-boost status can be edited")
            old = record.current
            new_media = old.media if media is None else self.state.make_media(media, moment)
            unchanged = old.poll is not None and tuple(poll_options or ()) == old.poll.options
            if poll_options is None or unchanged:
                poll = old.poll
            else:
                poll = self.state.make_poll(poll_options, moment)
            revision = self.state.make_revision(
                old.content if content_html is None else content_html,
                spoiler_text=old.spoiler_text if spoiler_text is None else spoiler_text,
                sensitive=old.sensitive if sensitive is None else sensitive,
                media=new_media,
                poll=poll,
                at=moment,
            )
            record.revisions.append(revision)
        return self.status_json(record)

    def delete(self, status: StatusRef, *, reported: bool = False) -> None:
        """Delete a status; afterwards every route answers 404 for it.

        Its replies stay (``in_reply_to_id`` becomes null and they drop out of the thread) and its
        boosts go with it. ``reported=True`` models a status kept for moderation: it vanishes
        from the API but its replies remain attached to the thread.
        """
        with self.state.lock:
            record = self._status(status)
            self.state.remove(record, reported=reported)
        for account_id in sorted(self.streams.recipients.get(record.id, set())):
            self.streams.publish(account_id, "delete", str(record.id))

    def reblog(
        self, account: AccountRef, status: StatusRef, *, at: dt.datetime | None = None
    ) -> dict[str, Any]:
        """Boost a public or unlisted status; the boost appears in the booster's listing."""
        booster = self._account(account)
        moment = as_utc(at) if at else self.clock.now()
        with self.state.lock:
            original = self._status(status)
            if original.reblog_of_id is not None:
                original = self.state.statuses[original.reblog_of_id]
            if original.gone or original.visibility not in ("public", "unlisted"):
                raise ValueError("only live public or unlisted statuses can be boosted")
            revision = self.state.make_revision(
                "", spoiler_text="", sensitive=False, media=(), poll=None, at=moment
            )
            boost = Status(
                id=self.state.ids.next_id(moment),
                account=booster,
                created_at=moment,
                visibility="public",
                language=None,
                revisions=[revision],
                reblog_of_id=original.id,
            )
            self.state.insert(boost)
        return self.status_json(boost)

    def set_quote_state(self, status: StatusRef, state: str = "revoked") -> None:
        """Change a quote post's state, e.g. ``revoked`` when the quoted author revokes it
        (``POST /api/v1/statuses/:id/quotes/:quoting_status_id/revoke``); any string is kept, so
        states newer than the archive can be served too."""
        with self.state.lock:
            record = self._status(status)
            if record.quote_of_id is None:
                raise ValueError("not a quote post")
            if record.quote_state == "accepted" and state != "accepted":
                self.state.statuses[record.quote_of_id].quotes_count -= 1
            record.quote_state = state

    def async_refresh(
        self,
        status: StatusRef,
        *,
        reads: int = 1,
        retry: str = "3",
        pending: Sequence[StatusRef] = (),
        result_count: int | None = None,
    ) -> None:
        """Make the next ``reads`` reads of ``status``'s context answer with
        ``Mastodon-Async-Refresh`` (``retry`` sent verbatim) and without the ``pending`` replies,
        as while the instance fetches missing remote replies; then the full context."""
        with self.state.lock:
            record = self._status(status)
            self.state.async_refreshes[record.id] = AsyncRefresh(
                refresh_id=f"context:{record.id}:refresh",
                reads=reads,
                retry=retry,
                pending={self._status(p).id for p in pending},
                result_count=result_count,
            )

    def evict_media(self, status: StatusRef) -> list[str]:
        """Drop a remote status's cached files, as ``tootctl media remove`` does: the API then
        points at ``/media_proxy/:id/original`` until a request downloads them again (and fails
        with 500 while their origin is in :attr:`origins_down`). Returns the attachments' ids."""
        with self.state.lock:
            record = self._status(status)
            if record.account.domain is None:
                raise ValueError("only a remote status's files are cached copies")
            for media in record.current.media:
                media.needs_redownload = True
            return [str(m.id) for m in record.current.media]

    def pin(self, status: StatusRef, pinned: bool = True) -> None:
        """Pin (or unpin) a status on its author's profile (the ``pinned`` listing filter)."""
        with self.state.lock:
            self._status(status).pinned = pinned

    def favourite(self, status: StatusRef, count: int = 1) -> None:
        """Add ``count`` favourites to a status's ``favourites_count``."""
        with self.state.lock:
            self._status(status).favourites_count += count

    def follow(self, follower: AccountRef, followed: AccountRef) -> None:
        """``follower`` follows ``followed`` (a token of the follower then sees private posts);
        ``followed`` gets a ``follow`` notification (without a status) on its stream."""
        who, whom = self._account(follower), self._account(followed)
        self.state.follow(who, whom)
        self.streams.publish(whom.id, "notification", self._notification("follow", who, None))

    # ------------------------------------------------------------- streaming

    def stream_event(self, account: AccountRef, name: str, payload: Any = "undefined") -> None:
        """Send any event on ``account``'s open user streams (``filters_changed``, ...)."""
        self.streams.publish(self._account(account).id, name, payload)

    def drop_streams(self) -> None:
        """End every open stream, as a restarting streaming server does."""
        self.streams.drop_all()

    def _stream_status(self, status: Status, parent: Status | None, rendered: dict[str, Any]) -> None:
        """What the user streams see of a new status: the author's and followers' home
        timelines get ``update``; the author of the status it replies to a ``mention``."""
        if status.visibility == "direct":
            return
        home = {status.account.id, *status.account.followers}
        for account_id in sorted(home):
            self.streams.publish(account_id, "update", rendered, status_id=status.id)
        if parent is not None and parent.account.id != status.account.id and parent.account.domain is None:
            payload = self._notification("mention", status.account, rendered)
            self.streams.publish(parent.account.id, "notification", payload, status_id=status.id)

    def _notification(self, kind: str, account: Account, status: dict[str, Any] | None) -> dict[str, Any]:
        notification_id = self.streams.notification_id()
        payload: dict[str, Any] = {
            "id": notification_id,
            "type": kind,
            "created_at": self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "group_key": f"ungrouped-{notification_id}",
            "account": self.account_json(account),
        }
        if status is not None:
            payload["status"] = status
        return payload

    # ------------------------------------------------------------ inspection

    def account_json(self, account: AccountRef) -> dict[str, Any]:
        """An account's JSON as the API renders it."""
        with self.state.lock:
            return self._renderer().account(self._account(account))

    def status_json(self, status: StatusRef, *, token: str | None = None) -> dict[str, Any]:
        """A status's JSON as ``token`` (default: anonymous) would get it, ignoring visibility."""
        viewer = Viewer(
            token, self.token_kind(token) == "user", self.token_accounts.get(token or "")
        )
        with self.state.lock:
            return Renderer(self.state, self.base_url, self.files_url, viewer).status(
                self._status(status)
            )

    def status_record(self, status: StatusRef) -> Status:
        """The internal record of a status (deleted ones included)."""
        return self._status(status)

    # ---------------------------------------------------------- fault control

    def inject(
        self,
        path_regex: str,
        status: int = 503,
        count: int = 1,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Injection:
        """Answer the next ``count`` matching requests with ``status`` instead of the route.

        Without ``body`` a realistic one is used: nginx HTML for 502/503/504, Mastodon's
        ``{"error": ...}`` JSON otherwise. Injected answers bypass rate limiting and auth.
        """
        return self.control.inject(path_regex, status, count, body, dict(headers or {}))

    def disconnect(self, path_regex: str, count: int = 1) -> Injection:
        """Close the connection without answering the next ``count`` matching requests."""
        return self.control.inject(path_regex, None, count, None, None)

    def stall(self, path_regex: str, count: int = 1) -> Hold:
        """Hold matching requests until the client disconnects, ``release()`` or :meth:`stop`.

        For read-timeout tests: the client gives up, the fake notices and drops the request.
        """
        return self.control.hold(path_regex, count, "stall")

    def gate(self, path_regex: str, count: int = 1) -> Hold:
        """Block matching requests until ``gate.release()``; ``gate.reached`` says one arrived.

        For crash tests: kill or stop the client while it waits. :meth:`stop` drops held
        requests unanswered and does not hang.
        """
        return self.control.hold(path_regex, count, "gate")

    def release_all(self) -> None:
        """Release every gate and stall."""
        self.control.release_all()

    # -------------------------------------------------------------- helpers

    def _renderer(self) -> Renderer:
        return Renderer(self.state, self.base_url, self.files_url, Viewer())

    def _account(self, ref: AccountRef) -> Account:
        if isinstance(ref, Account):
            return ref
        if isinstance(ref, Mapping):
            return self.state.account(str(ref["id"]))
        text = str(ref)
        if text.isdigit() and int(text) in self.state.accounts:
            return self.state.accounts[int(text)]
        return self.state.lookup(text)

    def _status(self, ref: StatusRef) -> Status:
        if isinstance(ref, Status):
            return ref
        if isinstance(ref, Mapping):
            return self.state.status(str(ref["id"]))
        return self.state.status(ref)
