"""The connector interface: what every platform module provides.

A connector walks one account on one platform for one night and *reports what it saw*; it
never decides what is new, what is an edit or what to store. It yields observations:

* :class:`Seen`: an item (post or comment) in the state the platform showed in one response.
  Yield older states first when the platform reveals them (an edit history), then the current.
* :class:`Gone`: the platform confirmed an item no longer exists. Yield it only when a complete
  listing no longer held the item *and* a direct lookup of the item answered "gone" (Mastodon
  404, Graph error 100/33 ...). A throttled, failed or truncated walk must never yield Gone.
* :class:`Trouble`: part of the walk failed but the rest could go on (one thread could not be
  read). The night is recorded as failed with these reasons, after everything else is kept.
* :class:`Incomplete`: the platform would not show everything (a documented API limit). The
  night stays successful, but the reason is recorded as a warning for the archivist.
* :class:`HighWater`: the listing walk completed; the value lets the next night ask only for
  newer posts. Platform-specific and opaque to the rest of the archive.
* :class:`ThreadChecked`: one thread was read in full (for the night's counts), with the number
  of comments the platform itself reports for it where it does (the audit compares).
* :class:`Note`: an outcome worth recording that is neither a failure nor a gap (comments
  disabled on a video).
* :class:`TokenHealth`: what the platform said about the token (valid, and when it expires).
* :class:`QuotaUsed`: units of a metered API spent so far tonight (YouTube); the last one counts.

A snapshot's ``hidden`` is the item's visibility where the platform reports it (a comment the
account hid on Facebook or Instagram); a change of it alone becomes a ``hidden`` or
``unhidden`` version, so the registrar sees the visible, hidden, deleted timeline.

The capture core (:mod:`archive_lib.capture.account`) turns observations into versions by comparing
content digests with what the store already holds. The connector may read that too, as ``plan.known``
(:class:`KnownView`: the questions a connector may ask of it), to decide what to re-check and what
to look up; it never reads the store itself. What a walk may call gone, what it remembers of the
items it saw and which versions get their files is one rule for every platform
(:mod:`archive_lib.connectors.walk`).

Errors that end the walk are raised: :class:`~archive_lib.errors.AuthError` (bad token;
:class:`~archive_lib.errors.TokenExpiredError` when the platform says it expired),
:class:`~archive_lib.errors.QuotaExceededError`, :class:`~archive_lib.errors.RateLimitedError`,
:class:`~archive_lib.errors.TransientPlatformError`.
Everything received before the error is kept.

To add a platform: subclass nothing, implement :class:`Connector` in
``archive_lib/connectors/<platform>.py``, build every request through the given
:class:`~archive_lib.connectors.http.HttpClient` (so it is recorded, redacted and rate-limited),
put every platform value that goes into a URL path through
:func:`~archive_lib.connectors.paths.segment`, follow the walk rule of
:mod:`archive_lib.connectors.walk` (confirm deletions with its :func:`~.walk.confirm`, remember
what was seen with its :class:`~.walk.SeenTonight`, get files through :class:`MediaArchiver` with
its :func:`~.walk.with_files`), and register the module in
:data:`archive_lib.connectors.PLATFORMS`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from archive_lib.errors import ProtocolError, TransientPlatformError
from archive_lib.models import Account, ItemSnapshot, MediaFile, RecordRef

if TYPE_CHECKING:
    from archive_lib.connectors.http import HttpClient


class KnownItemView(Protocol):
    """The latest archived version of one item, in the fields a connector compares.

    Its id and type (``post`` or ``comment``), its thread (``post_id``), whether the account
    wrote it, when it was created (UTC; ``None`` where that could not be read), its content digest
    (:func:`content_digest`), whether the latest version records it as gone (``deleted``), and
    when its author wrote that version (``version_time``: edited, else created).
    """

    @property
    def item_id(self) -> str: ...

    @property
    def item_type(self) -> str: ...

    @property
    def post_id(self) -> str: ...

    @property
    def author_is_account(self) -> bool: ...

    @property
    def created_at(self) -> dt.datetime | None: ...

    @property
    def content_sha256(self) -> str: ...

    @property
    def deleted(self) -> bool: ...

    @property
    def version_time(self) -> dt.datetime | None: ...


class KnownView(Protocol):
    """What a connector may ask of what the archive already holds for the account.

    The capture core passes its state of the account in (see
    :class:`archive_lib.metadata.state.KnownState`); a connector reads it only through these
    questions, so connectors never depend on how or where the archive is stored.
    """

    @property
    def high_water(self) -> str | None:
        """The listing's high-water mark of the last successful night, as the connector wrote it."""
        ...

    @property
    def items(self) -> Mapping[str, KnownItemView]:
        """Every item the state holds, by id: what it has read so far and tonight's versions, less
        tonight's items from before the re-check window once they are stored (the questions below
        read those back; a night has seen them all already)."""
        ...

    def latest(self, item_id: str, created_at: dt.datetime | None = None) -> KnownItemView | None:
        """The latest archived version of ``item_id``; give ``created_at`` for an item that may be
        older than the re-check window, so it is looked for where it can be."""
        ...

    def thread(self, post_id: str) -> Iterable[KnownItemView]:
        """The archived items of the thread rooted at ``post_id`` (deleted ones included)."""
        ...

    def below(self, item_id: str) -> Iterable[str]:
        """Ids of every archived item in the branch below ``item_id``."""
        ...

    def account_items_since(self, moment: dt.datetime) -> Iterable[KnownItemView]:
        """Live items written by the account itself, created at or after ``moment`` (or at an
        unknown time)."""
        ...


@dataclass(frozen=True)
class CapturePlan:
    """What one night of one account must cover.

    A *hot pass* (``hot_from`` set) covers only the posts created since ``hot_from``, with their
    whole threads: its ``capture_from`` and ``recheck_from`` are ``hot_from`` (or later), so the
    listing stops there and the walk rule's deletion check covers only those threads. A
    *targeted* capture (``threads`` set) reads only the threads rooted at those post ids;
    connectors that cannot (``targeted_threads`` false on the class) make a hot pass instead.
    """

    account: Account
    run_date: dt.date
    recheck_from: dt.datetime  # items created at or after this are re-checked tonight (UTC)
    capture_from: dt.datetime | None  # nothing older is captured (active_from), UTC
    capture_until: dt.datetime | None  # nothing newer is captured (end of active_to), UTC
    known: KnownView
    hot_from: dt.datetime | None = None  # a hot pass: the posts created since then only
    threads: tuple[str, ...] | None = None  # a targeted capture: these threads only

    @property
    def first_night(self) -> bool:
        return self.known.high_water is None


@dataclass(frozen=True)
class Seen:
    snapshot: ItemSnapshot


@dataclass(frozen=True)
class Gone:
    item_id: str
    record: RecordRef


@dataclass(frozen=True)
class Trouble:
    message: str


@dataclass(frozen=True)
class Incomplete:
    message: str


@dataclass(frozen=True)
class HighWater:
    value: str


@dataclass(frozen=True)
class ThreadChecked:
    post_id: str
    reported_comments: int | None = None  # the platform's own count for the thread, if it gives one


@dataclass(frozen=True)
class Note:
    message: str


@dataclass(frozen=True)
class TokenHealth:
    valid: bool
    expires_at: dt.datetime | None = None  # UTC; None when the token does not expire or it is unknown


@dataclass(frozen=True)
class QuotaUsed:
    units: int


Observation = Seen | Gone | Trouble | Incomplete | HighWater | ThreadChecked | Note | TokenHealth | QuotaUsed


class Connector(Protocol):
    """One platform's walk of one account for one night. See the module docstring."""

    platform: ClassVar[str]
    # Optional: ``http_rules: ClassVar[HttpRules]`` for platforms whose errors live in the body or
    # whose credential is a query parameter (see :class:`~archive_lib.connectors.policy.HttpRules`).

    def __init__(
        self, account: Account, http: HttpClient, media: MediaArchiver, authenticated: bool
    ) -> None: ...

    def capture(self, plan: CapturePlan) -> Iterator[Observation]:
        """Walk the account and yield what was seen, in the order it was seen."""
        ...


class MediaArchiver:
    """Downloads attachment files once and remembers where each one went.

    A file already archived (by an earlier night, or earlier tonight) is not fetched again: the
    new item version points to the existing record. A file the platform refuses for good
    (404, 410, 403) is recorded with that response as its evidence. A file that cannot be had
    after the HTTP client's retries (a server error, a broken connection, a media host that keeps
    throttling, a response that breaks the protocol) never costs the account its night: it is
    recorded as failed (its ``error``, and the last response received as evidence, if any), a
    warning is added to :attr:`warnings` for the night, and it is not asked for again tonight.
    A later night that sees the item again within the re-check window tries it again (see
    :meth:`archive_lib.capture.versions.Versioner.seen`).
    """

    def __init__(
        self,
        http: HttpClient,
        known: dict[str, MediaFile],
    ) -> None:
        self._http = http
        self._known = known
        self._failed: dict[str, MediaFile] = {}
        self.downloaded = 0
        self.warnings: list[str] = []

    def fetch(self, media_id: str, media_type: str, url: str | None, description: str | None) -> MediaFile:
        known = self._known.get(media_id)
        if known is not None and known.record is not None and known.record.status == 200:
            if known.description == description and known.url == url:
                return known
            return MediaFile(media_id, media_type, url, description, known.record, known.sha256, known.size)
        if not url:
            return MediaFile(media_id, media_type, url, description)
        failed = self._failed.get(media_id)
        if failed is not None:
            return dataclasses.replace(failed, media_type=media_type, url=url, description=description)
        try:
            response = self._http.get(url, accept="*/*", allow=(403, 404, 410))
        except (TransientPlatformError, ProtocolError) as exc:
            evidence = exc.record
            media = MediaFile(media_id, media_type, url, description, evidence, error=str(exc))
            self._failed[media_id] = media
            status = f"HTTP {evidence.status}" if evidence is not None else "no response"
            self.warnings.append(
                f"attachment {media_id} could not be fetched ({status}): {exc}; "
                "it is tried again on later nights while its post is re-checked"
            )
            return media
        sha = size = None
        if response.status == 200:
            data = response.exchange.body
            data.seek(0)
            digest = hashlib.sha256()
            size = 0
            while chunk := data.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
            data.seek(0)
            sha = digest.hexdigest()
            self.downloaded += 1
        media = MediaFile(media_id, media_type, url, description, response.record, sha, size)
        self._known[media_id] = media
        return media


def content_digest(
    *,
    text: str,
    content_warning: str | None = None,
    sensitive: bool = False,
    media: Sequence[MediaFile] = (),
    poll_options: Sequence[str] = (),
    extra: dict[str, Any] | None = None,
) -> str:
    """SHA-256 over what the author controls, so that only a real edit changes it.

    Counters (replies, favourites), rendering details (HTML markup, CDN URLs) and the time of
    capture are left out on purpose.
    """
    canonical = {
        "text": text,
        "content_warning": content_warning or "",
        "sensitive": bool(sensitive),
        "media": [
            {"id": m.media_id, "type": m.media_type, "description": m.description or ""} for m in media
        ],
        "poll": list(poll_options),
        **(extra or {}),
    }
    encoded = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()
