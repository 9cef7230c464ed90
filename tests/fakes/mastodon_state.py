"""The fake Mastodon instance's data: accounts, statuses, revisions and the indexes over them.

Records here are plain mutable dataclasses guarded by :attr:`MastodonState.lock`; the HTTP layer
reads them under the same lock and renders JSON with :mod:`tests.fakes.mastodon_render`.

The queries follow Mastodon's own code, not intuition:

* listing (``AccountStatusesFilter`` + ``Paginable``): ``min_id`` takes the ids just above it,
  ascending, then reverses; otherwise the newest ids below ``max_id`` and above ``since_id``;
* ``exclude_replies`` keeps a status when it is not a reply or replies to its own author
  (``Status.without_replies``);
* context (``Status::ThreadingConcern``): descendants in depth-first order with children by
  ascending id (``ORDER BY path``), the limit and depth applied *before* invisible statuses are
  filtered out, then self-replies moved to the front; ancestors are the nearest ``limit`` ones,
  oldest first;
* deleting a status destroys the row: its replies survive but their ``in_reply_to_id`` becomes
  null (foreign key ``ON DELETE NULLIFY`` in db/schema.rb) and its boosts are deleted with it.
  A *reported* status is only discarded (kept for moderators): it disappears from the API but
  its replies stay attached to the thread.

Every index is per account or per status (sorted id lists), so a page or a context call costs
the size of that page or thread, not of the whole instance.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import struct
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tests.fakes.mastodon_clock import FakeClock, SnowflakeIds, as_utc
from tests.fakes.mastodon_html import extract_mentions, extract_tags

VISIBILITIES = ("public", "unlisted", "private", "direct")
DISTRIBUTABLE = ("public", "unlisted")
MediaSpec = tuple[str, bytes, str, "str | None"]


class NotFound(LookupError):
    """No such record (what Mastodon answers with 404 ``Record not found``)."""


@dataclass(eq=False)
class Account:
    """A local (``domain is None``) or remote account known to the instance."""

    id: int
    username: str
    domain: str | None
    display_name: str
    note: str
    created_at: dt.datetime
    locked: bool = False
    bot: bool = False
    group: bool = False
    discoverable: bool = True
    fields: list[tuple[str, str]] = field(default_factory=list)
    followers_count: int = 0
    following_count: int = 0
    statuses_count: int = 0
    last_status_at: dt.datetime | None = None
    followers: set[int] = field(default_factory=set)

    @property
    def acct(self) -> str:
        """``user`` for a local account, ``user@domain`` for a remote one."""
        return self.username if self.domain is None else f"{self.username}@{self.domain}"


@dataclass(eq=False)
class Media:
    """One uploaded file, served by the fake under ``/system/media_attachments/files/``."""

    id: int
    filename: str
    data: bytes
    mime: str
    description: str | None
    width: int | None
    height: int | None
    key: str
    # A remote file the instance no longer holds (media cache cleaned): the API points at
    # ``/media_proxy/:id/original``, which fetches it from the origin again on request.
    needs_redownload: bool = False

    @property
    def type(self) -> str:
        """Mastodon's attachment type for the MIME type."""
        if self.mime == "image/gif":
            return "gifv"
        major = self.mime.split("/", 1)[0]
        return major if major in ("image", "video", "audio") else "unknown"

    @property
    def extension(self) -> str:
        """The file extension Mastodon would store the file under."""
        known = {"image/jpeg": "jpeg", "image/png": "png", "image/gif": "mp4", "image/webp": "webp"}
        if self.mime in known:
            return known[self.mime]
        suffix = self.filename.rsplit(".", 1)[-1].lower() if "." in self.filename else "bin"
        return suffix or "bin"

    @property
    def partition(self) -> str:
        """Paperclip's ``id_partition``: the zero-padded id in groups of three digits."""
        digits = f"{self.id:09d}"
        return "/".join(digits[i : i + 3] for i in range(0, len(digits) - len(digits) % 3, 3))


@dataclass(eq=False)
class Poll:
    """A poll attached to one revision of a status (editing the options makes a new poll)."""

    id: int
    options: tuple[str, ...]
    expires_at: dt.datetime
    multiple: bool = False


@dataclass(eq=False)
class Revision:
    """One version of a status's editable content, as ``/history`` lists it."""

    content: str
    spoiler_text: str
    sensitive: bool
    media: tuple[Media, ...]
    poll: Poll | None
    at: dt.datetime
    tags: tuple[str, ...]
    mention_ids: tuple[int, ...]


@dataclass(eq=False)
class Status:
    """A status (post, reply or boost) and its revisions, oldest first."""

    id: int
    account: Account
    created_at: dt.datetime
    visibility: str
    language: str | None
    revisions: list[Revision]
    in_reply_to_id: int | None = None
    in_reply_to_account_id: int | None = None
    reblog_of_id: int | None = None
    application: str | None = "Web"
    card: dict[str, object] | None = None
    replies_count: int = 0
    reblogs_count: int = 0
    favourites_count: int = 0
    quotes_count: int = 0
    quote_of_id: int | None = None  # the status this one quotes (Mastodon 4.4+)
    quote_state: str = "accepted"  # as the quoted author decided; "revoked" after a revocation
    pinned: bool = False
    deleted: bool = False
    discarded: bool = False

    @property
    def current(self) -> Revision:
        """The live revision."""
        return self.revisions[-1]

    @property
    def edited_at(self) -> dt.datetime | None:
        """When the status was last edited, or ``None`` if never."""
        return self.revisions[-1].at if len(self.revisions) > 1 else None

    @property
    def is_reply(self) -> bool:
        """Mastodon's ``reply`` column: true for replies, even after the parent was deleted."""
        return self.in_reply_to_account_id is not None

    @property
    def gone(self) -> bool:
        """Deleted or discarded: invisible through the API."""
        return self.deleted or self.discarded


@dataclass(eq=False)
class AsyncRefresh:
    """A context the instance is completing in the background (``Mastodon-Async-Refresh``).

    The next ``reads`` reads of the context carry the header and lack the ``pending`` replies
    (and everything below them): the remote replies not fetched yet. ``retry`` is sent as given,
    so hostile values can be served.
    """

    refresh_id: str
    reads: int
    retry: str
    pending: set[int]
    result_count: int | None = None

    def header(self) -> str:
        """``id="<id>", retry=<seconds>`` as async_refreshes_concern.rb writes it, with the
        ``result_count`` newer servers add."""
        value = f'id="{self.refresh_id}", retry={self.retry}'
        return value if self.result_count is None else f"{value}, result_count={self.result_count}"


@dataclass(frozen=True)
class Viewer:
    """Who is asking: anonymous, an app-only token, or a user token (optionally an account)."""

    token: str | None = None
    user: bool = False
    account_id: int | None = None

    @property
    def signed_in(self) -> bool:
        """True for a user token: lifts the context limits and can see private statuses."""
        return self.user


ANONYMOUS = Viewer()


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk, or ``None`` for anything else."""
    if len(data) >= 24 and data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    return None


class MastodonState:
    """All records of one fake instance, with the indexes the routes need."""

    def __init__(self, clock: FakeClock, ids: SnowflakeIds | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.ids = ids or SnowflakeIds()
        self.local_domains: set[str] = set()
        self.accounts: dict[int, Account] = {}
        self.statuses: dict[int, Status] = {}
        self.media_by_key: dict[str, Media] = {}
        self.async_refreshes: dict[int, AsyncRefresh] = {}
        self._by_handle: dict[tuple[str, str | None], int] = {}
        self._by_url: dict[str, int] = {}
        self._account_statuses: dict[int, list[int]] = {}
        self._children: dict[int, list[int]] = {}
        self._reblogs: dict[int, list[int]] = {}

    # ----------------------------------------------------------------- accounts

    def add_account(
        self,
        username: str,
        display_name: str,
        *,
        domain: str | None,
        note: str,
        created_at: dt.datetime,
        **options: object,
    ) -> Account:
        """Register an account; ``options`` are further :class:`Account` fields."""
        handle = (username.lower(), domain.lower() if domain else None)
        with self.lock:
            if handle in self._by_handle:
                raise ValueError(f"account {username}@{domain or 'local'} already exists")
            account = Account(
                id=self.ids.next_id(created_at),
                username=username,
                domain=domain,
                display_name=display_name,
                note=note,
                created_at=as_utc(created_at),
                **options,  # type: ignore[arg-type]
            )
            self.accounts[account.id] = account
            self._by_handle[handle] = account.id
            self._account_statuses[account.id] = []
            return account

    def register_url(self, url: str, account: Account) -> None:
        """Remember an account's profile URL so mentions in HTML can be resolved to it."""
        with self.lock:
            self._by_url[url] = account.id

    def account(self, account_id: int | str) -> Account:
        """The account with this id."""
        try:
            return self.accounts[int(account_id)]
        except (KeyError, ValueError):
            raise NotFound(f"account {account_id}") from None

    def lookup(self, acct: str) -> Account:
        """Resolve ``user``, ``@user`` or ``user@domain`` (the local domain means local)."""
        text = acct.strip().removeprefix("@")
        username, _, domain = text.partition("@")
        key_domain: str | None = domain.lower() or None
        if key_domain in self.local_domains:
            key_domain = None
        account_id = self._by_handle.get((username.lower(), key_domain))
        if account_id is None:
            raise NotFound(f"account {acct}")
        return self.accounts[account_id]

    def follow(self, follower: Account, followed: Account) -> None:
        """Make ``follower`` follow ``followed`` (lets a user token see private statuses)."""
        with self.lock:
            if follower.id not in followed.followers:
                followed.followers.add(follower.id)
                followed.followers_count += 1
                follower.following_count += 1

    # ----------------------------------------------------------------- statuses

    def status(self, status_id: int | str) -> Status:
        """The status with this id, deleted or not."""
        try:
            return self.statuses[int(status_id)]
        except (KeyError, ValueError):
            raise NotFound(f"status {status_id}") from None

    def media_owner(self, media_id: int) -> tuple[Media, Account] | None:
        """A media record by id and the author of the status it is attached to."""
        for status in self.statuses.values():
            for revision in status.revisions:
                for media in revision.media:
                    if media.id == media_id:
                        return media, status.account
        return None

    def make_media(self, specs: Iterable[MediaSpec], at: dt.datetime) -> tuple[Media, ...]:
        """Media records for ``(filename, bytes, mime, description)`` tuples."""
        made = []
        for filename, data, mime, description in specs:
            media_id = self.ids.next_id(at)
            size = png_size(data)
            key = hashlib.sha256(f"{media_id}:{filename}".encode()).hexdigest()[:16]
            media = Media(
                id=media_id,
                filename=filename,
                data=data,
                mime=mime,
                description=description,
                width=size[0] if size else None,
                height=size[1] if size else None,
                key=key,
            )
            self.media_by_key[key] = media
            made.append(media)
        return tuple(made)

    def make_poll(self, options: Sequence[str] | None, at: dt.datetime) -> Poll | None:
        """A poll open for one day, or ``None`` when there are no options."""
        if not options:
            return None
        return Poll(self.ids.next_id(at), tuple(options), at + dt.timedelta(days=1))

    def make_revision(
        self,
        content: str,
        *,
        spoiler_text: str,
        sensitive: bool,
        media: tuple[Media, ...],
        poll: Poll | None,
        at: dt.datetime,
    ) -> Revision:
        """A revision, with hashtags and mentions read from ``content``."""
        mention_ids = tuple(
            self._by_url[url] for url in extract_mentions(content) if url in self._by_url
        )
        return Revision(
            content=content,
            spoiler_text=spoiler_text,
            sensitive=sensitive or bool(spoiler_text),
            media=media,
            poll=poll,
            at=at,
            tags=tuple(extract_tags(content)),
            mention_ids=mention_ids,
        )

    def insert(self, status: Status) -> Status:
        """Store a new status and update the indexes and counters it touches."""
        with self.lock:
            self.statuses[status.id] = status
            bisect.insort(self._account_statuses[status.account.id], status.id)
            if status.in_reply_to_id is not None:
                bisect.insort(self._children.setdefault(status.in_reply_to_id, []), status.id)
                parent = self.statuses[status.in_reply_to_id]
                if status.visibility in DISTRIBUTABLE:
                    parent.replies_count += 1
            if status.reblog_of_id is not None:
                self._reblogs.setdefault(status.reblog_of_id, []).append(status.id)
                self.statuses[status.reblog_of_id].reblogs_count += 1
            if status.visibility != "direct":
                status.account.statuses_count += 1
            last = status.account.last_status_at
            if last is None or status.created_at > last:
                status.account.last_status_at = status.created_at
            return status

    def remove(self, status: Status, *, reported: bool = False) -> None:
        """Delete a status as Mastodon's RemoveStatusService does (see the module docstring)."""
        with self.lock:
            if status.gone:
                return
            for reblog_id in list(self._reblogs.pop(status.id, [])):
                self.remove(self.statuses[reblog_id], reported=reported)
            ids = self._account_statuses[status.account.id]
            index = bisect.bisect_left(ids, status.id)
            if index < len(ids) and ids[index] == status.id:
                del ids[index]
            if status.visibility != "direct":
                status.account.statuses_count -= 1
            parent = self.statuses.get(status.in_reply_to_id or -1)
            if parent is not None and status.visibility in DISTRIBUTABLE:
                parent.replies_count = max(0, parent.replies_count - 1)
            if status.reblog_of_id is not None:
                original = self.statuses[status.reblog_of_id]
                original.reblogs_count = max(0, original.reblogs_count - 1)
                siblings = self._reblogs.get(original.id, [])
                if status.id in siblings:
                    siblings.remove(status.id)
            status.pinned = False
            if reported:
                status.discarded = True
                return
            status.deleted = True
            if parent is not None:
                siblings = self._children.get(parent.id, [])
                if status.id in siblings:
                    siblings.remove(status.id)
            for child_id in self._children.pop(status.id, []):
                self.statuses[child_id].in_reply_to_id = None

    # ------------------------------------------------------------------ queries

    def permitted(self, status: Status, viewer: Viewer) -> bool:
        """Whether ``viewer`` may see ``status`` (StatusPolicy#show?)."""
        if status.gone:
            return False
        if status.visibility in DISTRIBUTABLE:
            return True
        if not viewer.signed_in or viewer.account_id is None:
            return False
        if viewer.account_id == status.account.id:
            return True
        if viewer.account_id in status.current.mention_ids:
            return True
        return status.visibility == "private" and viewer.account_id in status.account.followers

    def account_statuses(
        self,
        account: Account,
        viewer: Viewer,
        *,
        limit: int,
        max_id: int | None = None,
        since_id: int | None = None,
        min_id: int | None = None,
        exclude_replies: bool = False,
        exclude_reblogs: bool = False,
        only_media: bool = False,
        pinned: bool = False,
        tagged: str | None = None,
    ) -> list[Status]:
        """One page of an account's statuses, newest first, as the REST API pages them."""

        def wanted(status: Status) -> bool:
            if not self.permitted(status, viewer):
                return False
            self_reply = status.in_reply_to_account_id == status.account.id
            if exclude_replies and status.is_reply and not self_reply:
                return False
            if (exclude_reblogs or only_media or tagged) and status.reblog_of_id is not None:
                return False
            if only_media and not status.current.media:
                return False
            if pinned and not status.pinned:
                return False
            return not tagged or tagged.lower() in (tag.lower() for tag in status.current.tags)

        if limit <= 0:
            return []
        ids = self._account_statuses.get(account.id, [])
        page: list[Status] = []
        if min_id is not None:
            index = bisect.bisect_right(ids, min_id)
            while index < len(ids) and len(page) < limit:
                status_id = ids[index]
                if max_id is not None and status_id >= max_id:
                    break
                status = self.statuses[status_id]
                if wanted(status):
                    page.append(status)
                index += 1
            page.reverse()
            return page
        index = bisect.bisect_left(ids, max_id) if max_id is not None else len(ids)
        while index > 0 and len(page) < limit:
            index -= 1
            status_id = ids[index]
            if since_id is not None and status_id <= since_id:
                break
            status = self.statuses[status_id]
            if wanted(status):
                page.append(status)
        return page

    def ancestors(self, status: Status, viewer: Viewer, limit: int) -> list[Status]:
        """The nearest ``limit`` ancestors (visible ones only), oldest first."""
        chain: list[Status] = []
        parent_id = status.in_reply_to_id
        while parent_id is not None and len(chain) < limit:
            parent = self.statuses.get(parent_id)
            if parent is None or parent.deleted:
                break
            chain.append(parent)
            parent_id = parent.in_reply_to_id
        chain.reverse()
        return [item for item in chain if self.permitted(item, viewer)]

    def descendants(
        self, status: Status, viewer: Viewer, limit: int, depth: int | None
    ) -> list[Status]:
        """Descendants in Mastodon's order: depth-first by id, cut, filtered, self-replies first."""
        found: list[Status] = []
        stack: list[tuple[int, int]] = [
            (child, 1) for child in reversed(self._children.get(status.id, []))
        ]
        while stack and len(found) < limit:
            status_id, level = stack.pop()
            child = self.statuses[status_id]
            found.append(child)
            if depth is None or level < depth:
                stack.extend(
                    (grandchild, level + 1)
                    for grandchild in reversed(self._children.get(status_id, []))
                )
        visible = [item for item in found if self.permitted(item, viewer)]
        # promote_by!: every self-reply moves ahead of the first other reply, order kept.
        promoted = [item for item in visible if item.in_reply_to_account_id == item.account.id]
        others = [item for item in visible if item.in_reply_to_account_id != item.account.id]
        return promoted + others
