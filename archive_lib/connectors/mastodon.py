"""Mastodon (and compatible servers) through the public v1 REST API.

What a night reads, for one account:

1. ``GET /api/v1/accounts/lookup?acct=HANDLE`` for the account's id.
2. ``GET /api/v1/accounts/:id/statuses?limit=40&exclude_reblogs=true``, newest first, following
   the ``Link: rel="next"`` URLs verbatim, down to the older of the last night's high-water
   mark and the start of the re-check window (the first night: to the end, or ``active_from``).
   Every top-level status of the account is a *post*; the account's replies are *comments*.
3. ``GET /api/v1/statuses/:id/context`` for every listed post: its whole thread (replies from
   anyone at any depth, the account's own answers included); read again after the suggested
   wait while the server answers ``Mastodon-Async-Refresh`` (see :mod:`.mastodon_refresh`).
   Anonymous callers get at most 60 descendants and depth 20, so a thread that hits those
   limits is completed by reading the context of each status whose ``replies_count`` exceeds
   the replies seen.
4. The account's replies that were not in one of those threads (answers in older threads, or in
   someone else's thread) get ``context`` too: an old own thread is re-read whole; in a foreign
   thread the account's reply and the replies below it are captured.
5. ``GET /api/v1/statuses/:id/history`` when an item is new and edited, or changed since the
   archived version: every version the platform still knows becomes a version row.
6. ``GET /api/v1/statuses/:id`` to confirm that an archived item missing from a complete
   listing or thread is gone (404/410 means deleted; anything else leaves it alone).
7. Attachment files, once each, from wherever ``url`` points (usually a media host without the
   token).

Only ``public`` and ``unlisted`` statuses become items. Boosts (reblogs) are not captured.
Quote posts (Mastodon 4.4+, ``quote``) are recorded with the quoted status's id, URL and the
quote's state; the state is part of the digest, so a quote its author revokes is a new version.
Known blind spot: replies from other servers that this instance never fetched are not in
``context`` (Mastodon's documented limitation); nothing on the API reveals them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from archive_lib.connectors import walk
from archive_lib.connectors.base import HighWater, Incomplete, Seen, ThreadChecked, content_digest
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.idset import IdSet
from archive_lib.connectors.mastodon_refresh import HEADER as REFRESH
from archive_lib.connectors.mastodon_refresh import RefreshBudget
from archive_lib.connectors.mastodon_refresh import parse as parse_refresh
from archive_lib.connectors.mastodon_replies import ReplyLedger
from archive_lib.connectors.pages import PageTrail
from archive_lib.connectors.paths import segment
from archive_lib.errors import AccountNotFoundError, ProtocolError
from archive_lib.models import Account, ItemSnapshot, ItemType, MediaFile, QuoteRef, RecordRef
from archive_lib.text import html_to_text
from archive_lib.values import Fields, dicts, ident, mapping, moment

if TYPE_CHECKING:
    from archive_lib.connectors.base import CapturePlan, KnownView, MediaArchiver, Observation

log = logging.getLogger(__name__)

PAGE_SIZE = 40
PUBLIC = frozenset({"public", "unlisted"})
QUOTE_STATES = frozenset(
    {
        "pending",
        "accepted",
        "rejected",
        "revoked",
        "deleted",
        "unauthorized",
        "blocked_account",
        "blocked_domain",
        "muted_account",
    }
)
Status = dict[str, Any]


@dataclass
class _Fetched:
    """A status and the response it came in."""

    status: Status
    record: RecordRef


class MastodonConnector:
    """The Mastodon walk of one account for one night (see the module docstring)."""

    platform: ClassVar[str] = "mastodon"
    targeted_threads: ClassVar[bool] = True  # reads one thread alone (see _targeted)

    def __init__(self, account: Account, http: HttpClient, media: MediaArchiver, authenticated: bool) -> None:
        if not account.api_base:
            raise ValueError(f"{account.id}: a Mastodon account needs api_base")
        self.account = account
        self.http = http
        self.media = media
        self.api = f"{account.api_base.rstrip('/')}/api/v1"
        self.me = ""
        self.threads_read = IdSet()
        self.expanded = IdSet()  # statuses whose context was read tonight
        self.ledger = ReplyLedger()
        self.plan: CapturePlan
        self.known: KnownView
        # Every status: an answer of the account in its own thread asks about its ancestors, anyone's.
        self.seen_tonight = walk.SeenTonight("every item")
        self.unreadable = 0  # statuses without a usable id, tonight
        self.still_refreshing: dict[str, float] = {}  # status id -> seconds waited in vain
        self.refresh_budget: RefreshBudget

    # -- the walk -------------------------------------------------------------------------

    def capture(self, plan: CapturePlan) -> Iterator[Observation]:
        self.plan, self.known = plan, plan.known
        self.refresh_budget = RefreshBudget(lambda seconds: self.http.wait(seconds, self.api))
        self.me = self._lookup_account()
        if plan.threads is not None:
            yield from self._targeted(plan.threads)
            return
        listed = IdSet()
        replies: list[_Fetched] = []
        newest = plan.known.high_water
        for fetched in self._listing():
            status = fetched.status
            if _newer(status["id"], newest):
                newest = status["id"]
            if not self._in_scope(status):
                continue
            listed.add(status["id"])
            if status["in_reply_to_id"] is None:
                yield from self._item(fetched, "post", status["id"])
                yield from self._thread(fetched.status)
                self.ledger.settle(keep=self.still_refreshing)
            else:
                replies.append(fetched)
        for fetched in reversed(replies):  # oldest first: earlier answers often open the thread
            if fetched.status["id"] not in self.seen_tonight:
                yield from self._reply(fetched)
                self.ledger.settle(keep=self.still_refreshing)
        yield from self._complete_threads()
        yield from self._gaps()
        yield from self._refreshing()
        yield from walk.confirm_unlisted(
            walk.unlisted(self.known, plan, listed, self.seen_tonight),
            self._look_up,
            lambda post_id: self._confirm(walk.live_items(self.known, post_id) - {post_id}),
        )
        if self.unreadable:
            yield Incomplete(
                f"{self.unreadable} statuses without a usable id were kept in the WARC records only"
            )
        yield HighWater(newest or "0")

    def _targeted(self, threads: tuple[str, ...]) -> Iterator[Observation]:
        """Only the threads rooted at ``threads``: each root looked up (``statuses/:id``), then
        its whole thread as a night reads it, deletions confirmed by the same rule. A root the
        server no longer shows is left to the next hot pass, whose complete listing decides."""
        for post_id in dict.fromkeys(threads):
            url = f"{self.api}/statuses/{segment(post_id)}"
            response = yield from walk.attempt(f"thread {post_id}", self.http.get, url)
            if response is None or response.status in (404, 410):
                continue
            status = _status(response.json_object())
            if status is None or not self._in_scope(status):
                continue
            fetched = _Fetched(status, response.record)
            if status["in_reply_to_id"] is None and _author(status) == self.me:
                yield from self._item(fetched, "post", status["id"])
                yield from self._thread(status)
            elif _author(status) == self.me:
                yield from self._reply(fetched)
            self.ledger.settle(keep=self.still_refreshing)
        yield from self._complete_threads()
        yield from self._gaps()

    def _lookup_account(self) -> str:
        handle = self.account.handle
        response = self.http.get(f"{self.api}/accounts/lookup", {"acct": handle})
        if response.status in (404, 410):
            host = urlsplit(self.api).netloc
            raise AccountNotFoundError(f"{host} has no account @{handle} (HTTP {response.status})")
        data = response.json_object()
        account_id = ident(data.get("id"))
        if account_id is None:
            raise ProtocolError(f"{response.where}: the account has no usable id")
        return account_id

    def _listing(self) -> Iterator[_Fetched]:
        """The account's statuses, newest first, down to where tonight's walk may stop."""
        plan = self.plan
        url: str | None = f"{self.api}/accounts/{segment(self.me)}/statuses"
        params: dict[str, str | int] | None = {"limit": PAGE_SIZE, "exclude_reblogs": "true"}
        trail = PageTrail(f"{url}")
        while url:
            response = self.http.get(url, params, allow=())
            params = None
            page = response.json()
            if not isinstance(page, list):
                raise ProtocolError(f"{response.where}: expected a list of statuses")
            if not page:
                return
            for status in self._statuses(page):
                created = _created(status)
                if created is not None and plan.capture_from and created < plan.capture_from:
                    return
                if (
                    plan.known.high_water is not None
                    and not _newer(status["id"], plan.known.high_water)
                    and created is not None
                    and created < plan.recheck_from
                ):
                    return
                yield _Fetched(status, response.record)
            # Mastodon sends rel="next" only after a full page: its absence ends the walk.
            url = response.links().get("next")
            if url:
                trail.follow(url)

    def _in_scope(self, status: Status) -> bool:
        if status.get("reblog") or status["visibility"] not in PUBLIC:
            return False
        until, created = self.plan.capture_until, _created(status)
        return not (until and created is not None and created >= until)

    def _statuses(self, found: object) -> list[Status]:
        """The statuses of a JSON list, each read leniently (see :func:`_status`)."""
        out = []
        for raw in found if isinstance(found, list) else ():
            status = _status(raw)
            if status is None:
                self.unreadable += 1
            else:
                out.append(status)
        return out

    # -- threads --------------------------------------------------------------------------

    def _thread(self, root: Status) -> Iterator[Observation]:
        """A post of the account and every reply below it, read once a night."""
        root_id = root["id"]
        if not self.threads_read.add(root_id):
            return
        descendants = yield from walk.attempt(f"thread {root_id}", self._descendants, root)
        if descendants is None:
            return  # failed, or the post went between the listing and now (the next night confirms it)
        for fetched in descendants:
            yield from self._item(fetched, "comment", root_id)
        shown = {f.status["id"] for f in descendants} | {root_id}
        yield from self._confirm(walk.live_items(self.known, root_id) - shown)
        yield ThreadChecked(root_id)

    def _reply(self, reply: _Fetched) -> Iterator[Observation]:
        """An answer of the account that tonight's threads did not show.

        In an older thread of the account the whole thread is read again (new comments may have
        come in since it left the re-check window). In someone else's thread, or where even the
        whole thread does not show the answer (context limits), the answer, the statuses above
        it in the account's thread, and the branch below it are captured.
        """
        reply_id = reply.status["id"]
        context = yield from walk.attempt(f"thread of reply {reply_id}", self._context, reply_id)
        if context is None:
            return
        data, record = context
        ancestors = self._statuses(data.get("ancestors"))
        root = ancestors[0] if ancestors else None
        if root is not None and root["in_reply_to_id"] is None and _author(root) == self.me:
            post_id = root["id"]
            if post_id not in self.threads_read:
                if self._in_scope(root):
                    yield from self._item(_Fetched(root, record), "post", post_id)
                yield from self._thread(root)
            if reply_id in self.seen_tonight:
                return
            for ancestor in ancestors:
                if ancestor["id"] not in self.seen_tonight:
                    kind: ItemType = "post" if ancestor is root else "comment"
                    yield from self._item(_Fetched(ancestor, record), kind, post_id)
        else:
            post_id = root["id"] if root is not None else str(reply.status["in_reply_to_id"])
        yield from self._item(reply, "comment", post_id)
        what = f"branch of reply {reply_id}"
        branch = yield from walk.attempt(what, self._descendants, reply.status, first=(data, record))
        if branch is None:
            return
        for fetched in branch:
            yield from self._item(fetched, "comment", post_id)
        shown = {f.status["id"] for f in branch}
        yield from self._confirm(walk.live_below(self.known, reply_id) - shown)
        yield ThreadChecked(post_id)

    def _complete_threads(self) -> Iterator[Observation]:
        """Read the context of any status still showing fewer replies than it counts.

        Answers found through the account's own replies can reveal statuses that the thread's
        first context had cut off; their other replies are only reachable from them.
        """
        while pending := [s for s, _, _ in self.ledger.owed() if s not in self.expanded]:
            for status_id in pending:
                self.expanded.add(status_id)
                context = yield from walk.attempt(f"replies below {status_id}", self._context, status_id)
                if context is None:
                    continue
                data, record = context
                for status in self._statuses(data.get("descendants")):
                    yield from self._item(_Fetched(status, record), "comment", self._post_of(status_id))

    def _post_of(self, status_id: str) -> str:
        """The thread of a status owed replies (the ledger keeps those until the night ends)."""
        post_id = self.ledger.post_of(status_id)
        assert post_id is not None
        return post_id

    def _gaps(self) -> Iterator[Observation]:
        """Replies the platform counts but never showed tonight, one warning per thread."""
        missing: dict[str, list[str]] = defaultdict(list)
        for status_id, short, post_id in self.ledger.owed():
            missing[post_id].append(f"{short} below {status_id}")
        for post_id, parts in sorted(missing.items()):
            yield Incomplete(
                f"thread {post_id}: Mastodon counts public replies it did not return ({', '.join(parts)}); "
                "anonymous readers see at most 60 replies per context, a user token of the account lifts that"
            )

    def _refreshing(self) -> Iterator[Observation]:
        """Contexts the server was still completing when tonight's waits were spent."""
        by_thread: dict[str, list[str]] = defaultdict(list)
        for status_id, waited in sorted(self.still_refreshing.items()):
            post_id = self.ledger.post_of(status_id)
            by_thread[status_id if post_id is None else post_id].append(f"{status_id} after {waited:.0f} s")
        for post_id, parts in sorted(by_thread.items()):
            yield Incomplete(
                f"thread {post_id}: Mastodon was still fetching replies from other servers "
                f"(Mastodon-Async-Refresh) when the archive stopped waiting ({', '.join(parts)}); "
                "the replies it had are archived, and the thread is read again on later nights"
            )

    def _context(self, status_id: str) -> tuple[dict[str, Any], RecordRef] | None:
        """The context of ``status_id``, read again while the server fetches remote replies
        (``Mastodon-Async-Refresh``, within the caps of :mod:`.mastodon_refresh`)."""
        url = f"{self.api}/statuses/{segment(status_id)}/context"
        reads, waited = 1, 0.0
        response = self.http.get(url)
        while response.status not in (404, 410) and (refresh := parse_refresh(response.header(REFRESH))):
            wait = self.refresh_budget.wait(refresh, reads, waited)
            if wait is None:
                self.still_refreshing[status_id] = waited
                break
            waited += wait
            reads += 1
            response = self.http.get(url)
        else:
            self.still_refreshing.pop(status_id, None)
        if response.status in (404, 410):
            return None
        return response.json_object(), response.record

    def _descendants(
        self, anchor: Status, first: tuple[dict[str, Any], RecordRef] | None = None
    ) -> list[_Fetched] | None:
        """Every public reply below ``anchor``, completing contexts the server cut short.

        Anonymous readers get at most 60 descendants (counted before hidden ones are dropped)
        and depth 20, and an app-only token does not lift that. So, whatever the token: any
        status whose ``replies_count`` exceeds the replies seen below it gets a context of its
        own. What even that cannot reach (more direct replies than the limit) is reported.
        """
        anchor_id = anchor["id"]
        context = first or self._context(anchor_id)
        if context is None:
            return None
        data, record = context
        found: dict[str, _Fetched] = {}
        for status in self._statuses(data.get("descendants")):
            found.setdefault(status["id"], _Fetched(status, record))
        self.expanded.add(anchor_id)
        while True:
            short = self._short_of_replies(anchor, found)
            pending = [i for i in short if i not in self.expanded]
            if not pending:
                break
            for status_id in pending:
                self.expanded.add(status_id)
                more = self._context(status_id)
                if more is None:
                    continue
                more_data, more_record = more
                for status in self._statuses(more_data.get("descendants")):
                    found.setdefault(status["id"], _Fetched(status, more_record))
        return list(found.values())

    @staticmethod
    def _short_of_replies(anchor: Status, found: dict[str, _Fetched]) -> dict[str, int]:
        """Statuses (anchor included) with fewer replies seen than their ``replies_count``."""
        children: dict[str, int] = defaultdict(int)
        for fetched in found.values():
            parent = fetched.status["in_reply_to_id"]
            if parent is not None:
                children[parent] += 1
        short = {}
        for status in [anchor, *(f.status for f in found.values())]:
            missing = status["replies_count"] - children[status["id"]]
            if missing > 0:
                short[status["id"]] = missing
        return short

    # -- deletions (the rule is :mod:`.walk`'s) ---------------------------------------------

    def _confirm(self, item_ids: set[str]) -> Iterator[Observation]:
        """Look up statuses missing from a complete walk, in id order."""
        return walk.confirm(item_ids, self._look_up, order=_id_key)

    def _look_up(self, item_ids: list[str]) -> Iterator[walk.Answer]:
        """``statuses/:id`` for each: 404 or 410 says it is gone; a public status is seen again."""
        for item_id in item_ids:
            response = self.http.get(f"{self.api}/statuses/{segment(item_id)}")
            if response.status in (404, 410):
                yield walk.Absent(item_id, response.record)
                continue
            status = _status(response.json_object())
            known = self.known.latest(item_id)
            if status is not None and known is not None and status["visibility"] in PUBLIC:
                yield from self._item(
                    _Fetched(status, response.record),
                    known.item_type,  # type: ignore[arg-type]
                    known.post_id,
                )

    # -- items ----------------------------------------------------------------------------

    def _item(self, fetched: _Fetched, item_type: ItemType, post_id: str) -> Iterator[Observation]:
        """The versions of one status that the archive may lack, oldest first."""
        status = fetched.status
        if status["visibility"] not in PUBLIC:
            return
        created = _created(status)
        if self.plan.capture_from and created is not None and created < self.plan.capture_from:
            return
        status_id = status["id"]
        self.ledger.saw(status_id, post_id, status["replies_count"], status["in_reply_to_id"])
        current = self._snapshot(status, status, fetched.record, item_type, post_id)
        self.seen_tonight.saw(current)
        known = self.known.latest(status_id, created)
        if not walk.becomes_version(known, current):
            yield Seen(current)
            return
        if status.get("edited_at") and (known is None or not known.deleted):
            # Earlier versions the archive lacks; an item back from the dead is just seen again.
            since = known.version_time if known is not None else None
            yield from self._history(status, item_type, post_id, since)
        yield Seen(walk.with_files(current, self.media))

    def _history(
        self, status: Status, item_type: ItemType, post_id: str, since: dt.datetime | None
    ) -> Iterator[Observation]:
        response = self.http.get(f"{self.api}/statuses/{segment(status['id'])}/history")
        if response.status in (404, 410):
            return
        edits = response.json()
        if not isinstance(edits, list):
            raise ProtocolError(f"{response.url}: expected a list of edits")
        for index, edit in enumerate(edits[:-1]):  # the last one is the current version
            if not isinstance(edit, dict):
                continue
            version = dict(status)
            version.update({k: edit.get(k) for k in ("content", "spoiler_text", "sensitive", "poll")})
            version["media_attachments"] = dicts(edit.get("media_attachments"))
            version["edited_at"] = None if index == 0 else edit.get("created_at")
            when = moment(version["edited_at"]) or _created(status)
            if since is not None and when is not None and when <= since:
                continue
            snapshot = self._snapshot(version, status, response.record, item_type, post_id)
            yield Seen(walk.with_files(snapshot, self.media))

    def _snapshot(
        self,
        version: Status,
        status: Status,
        record: RecordRef,
        item_type: ItemType,
        post_id: str,
    ) -> ItemSnapshot:
        """The item as ``version`` (the status, or one state from its history) shows it.

        Attachments are described but not fetched: the digest does not depend on the files, so
        only a version that is going to be archived needs them (:func:`.walk.with_files`).
        """
        fields = Fields()
        fields.unparsed.extend(status["_unparsed"])
        author = status["account"]
        media = tuple(self._media(m) for m in dicts(version.get("media_attachments")))
        poll = mapping(version.get("poll"))
        options = tuple(fields.text("poll_options", o.get("title")) for o in dicts(poll.get("options")))
        text = html_to_text(fields.text("text", version.get("content")))
        warning = fields.opt_text("content_warning", version.get("spoiler_text")) or None
        sensitive = fields.flag("sensitive", version.get("sensitive"))
        edited = version.get("edited_at")
        quote = _quote(version.get("quote"))
        # Only a quote enters the digest, so statuses without one keep the digest they had.
        extra = {"quote": {"id": quote.item_id, "state": quote.state}} if quote is not None else None
        return ItemSnapshot(
            item_id=status["id"],
            item_type=item_type,
            post_id=post_id,
            parent_id=status["in_reply_to_id"],
            author_id=author["id"],
            author_name=fields.text("author_name", author.get("display_name") or author.get("username")),
            author_handle=fields.text("author_handle", author.get("acct")),
            author_is_account=author["id"] == self.me,
            text=text,
            url=fields.opt_text("url", status.get("url") or status.get("uri")),
            created_at=fields.time("created_at", status.get("created_at")),
            edited_at=fields.time("edited_at", edited) if edited else None,
            content_sha256=content_digest(
                text=text,
                content_warning=warning,
                sensitive=sensitive,
                media=media,
                poll_options=options,
                extra=extra,
            ),
            record=record,
            language=fields.opt_text("language", status.get("language")),
            content_warning=warning,
            sensitive=sensitive,
            visibility=status["visibility"],
            media=media,
            poll_options=options,
            quote=quote,
            unparsed=tuple(fields.unparsed),
        )

    def pushed_snapshot(self, raw: object, record: RecordRef, post_id: str) -> ItemSnapshot | None:
        """A status a platform pushed (the streaming API), read as this walk reads statuses.

        ``None`` for a status without a usable id or that is not public or unlisted. Needs
        :attr:`me`, the account's own id, to be set.
        """
        status = _status(raw)
        if status is None or status["visibility"] not in PUBLIC:
            return None
        item_type: ItemType = "comment" if status["in_reply_to_id"] else "post"
        return self._snapshot(status, status, record, item_type, post_id)

    @staticmethod
    def _media(attachment: dict[str, Any]) -> MediaFile:
        url = attachment.get("url") or attachment.get("remote_url")
        description = attachment.get("description")
        return MediaFile(
            media_id=ident(attachment.get("id")) or (url if isinstance(url, str) else ""),
            media_type=str(attachment.get("type") or "unknown"),
            url=url if isinstance(url, str) else None,
            description=description if isinstance(description, str) else None,
        )


def _status(raw: object) -> Status | None:
    """A status as the rest of the walk reads it, or ``None`` when it has no usable id.

    Ids become text (``id``, ``in_reply_to_id``, ``account.id``), ``replies_count`` a number,
    ``visibility`` text or ``None``; what had to be read leniently is noted in ``_unparsed``
    for the item's row. Everything else stays as the server sent it.
    """
    if not isinstance(raw, dict):
        return None
    fields = Fields()
    status_id = fields.ident("id", raw.get("id"))
    if status_id is None:
        return None
    account = mapping(raw.get("account"))
    visibility = raw.get("visibility")
    if not isinstance(visibility, str):
        fields.note("visibility", visibility)
        visibility = None
    return {
        **raw,
        "id": status_id,
        "in_reply_to_id": fields.ident("in_reply_to_id", raw.get("in_reply_to_id")),
        "account": {**account, "id": fields.ident("account.id", account.get("id")) or ""},
        "visibility": visibility,
        "replies_count": fields.count("replies_count", raw.get("replies_count")),
        "_unparsed": fields.unparsed,
    }


def _created(status: Status) -> dt.datetime | None:
    return moment(status.get("created_at"))


def _quote(value: object) -> QuoteRef | None:
    """A status's ``quote``: a Quote (``quoted_status``, shown only while accepted) or, nested
    in a quote, a ShallowQuote (``quoted_status_id``). See the module docstring."""
    if not isinstance(value, dict):
        return None
    state = value.get("state")
    state = state if isinstance(state, str) and state in QUOTE_STATES else "unauthorized"
    quoted = value.get("quoted_status")
    if isinstance(quoted, dict) and ident(quoted.get("id")) is not None:
        url = quoted.get("url") or quoted.get("uri")
        return QuoteRef(ident(quoted.get("id")), url if isinstance(url, str) else None, state)
    return QuoteRef(ident(value.get("quoted_status_id")), None, state)


def _author(status: Status) -> str:
    return str(status["account"]["id"])


def _id_key(status_id: str) -> tuple[int, str]:
    return (len(status_id), status_id)


def _newer(status_id: str, than: str | None) -> bool:
    """Whether ``status_id`` sorts after ``than``; ids are numeric strings that sort by time."""
    if than is None:
        return True
    try:
        return int(status_id) > int(than)
    except ValueError:
        return _id_key(status_id) > _id_key(than)
