"""Frozen records that pass between the archive's parts.

Platform data is normalised into these types by the connectors; everything after a connector
(versioning, WARC pointers, Parquet rows, run results) is platform-neutral.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from archive_lib.retention_classes import RetentionClass

ItemType = Literal["post", "comment"]
Event = Literal["new", "edited", "deleted", "restored"]
RunStatus = Literal["ok", "failed"]


@dataclass(frozen=True)
class Account:
    """One inventoried account (a line of a board's *förteckning*)."""

    id: str
    board: str
    platform: str
    handle: str
    retention: RetentionClass
    api_base: str | None = None
    token_env: str | None = None
    token_connection: str | None = None
    responsible: str | None = None
    substitute: str | None = None
    responsible_email: str | None = None
    substitute_email: str | None = None
    active_from: dt.date | None = None
    active_to: dt.date | None = None
    recheck_days: int = 30
    line: int | None = None  # where the account starts in the inventory file

    def is_active(self, day: dt.date) -> bool:
        """Whether the account is to be captured on the night of ``day``."""
        if self.active_from and day < self.active_from:
            return False
        return not (self.active_to and day > self.active_to)


@dataclass(frozen=True)
class Inventory:
    """The account inventory: the organisation, its retention classes and its accounts."""

    path: str
    organisation: str
    retention_classes: Mapping[str, RetentionClass]
    accounts: tuple[Account, ...]
    contact: str | None = None

    def account(self, account_id: str) -> Account:
        for account in self.accounts:
            if account.id == account_id:
                return account
        raise KeyError(account_id)

    def active_on(self, day: dt.date) -> tuple[Account, ...]:
        return tuple(a for a in self.accounts if a.is_active(day))


@dataclass(frozen=True)
class Exchange:
    """One HTTP request and the response to it, as they went over the wire.

    ``body`` is the response's entity body exactly as received (still content-encoded, e.g.
    gzip; transfer encoding already removed), seekable and positioned at 0. Request headers are
    those we sent, credentials included: redaction happens when the exchange is written. A body
    the client stopped reading (too large, past the deadline, a broken connection) is the part
    received, with ``truncated`` saying why (the WARC record's ``WARC-Truncated`` value).
    """

    method: str
    url: str
    request_headers: tuple[tuple[str, str], ...]
    http_version: str  # "HTTP/1.1"
    status: int
    reason: str
    response_headers: tuple[tuple[str, str], ...]
    body: BinaryIO
    body_length: int
    sent_at: dt.datetime
    received_at: dt.datetime
    peer_ip: str | None = None
    truncated: str | None = None  # why the body is not whole: "length", "time" or "disconnect"


@dataclass(frozen=True)
class WarcPointer:
    """Where one WARC record lives: the file's key, where the record starts in it, how many bytes
    it takes (one whole gzip member) and the ``WARC-Record-ID`` found there.

    The pointer stored beside every item version and attachment: the ``warc_*`` columns of the
    items table are written and read by one pair of functions,
    :func:`archive_lib.metadata.schema.pointer_columns` and
    :func:`~archive_lib.metadata.schema.pointer_of`; :mod:`archive_lib.warc.reader` opens it.
    """

    warc_key: str
    offset: int
    length: int
    record_id: str


@dataclass(frozen=True)
class RecordRef(WarcPointer):
    """A response record just written: its pointer, and what the response was."""

    target_uri: str
    date: dt.datetime  # WARC-Date of the record: when the response was received
    status: int  # HTTP status of the response

    @classmethod
    def at(cls, pointer: WarcPointer, *, target_uri: str, date: dt.datetime, status: int) -> RecordRef:
        """The record ``pointer`` leads to, with what is known of its response."""
        return cls(
            pointer.warc_key, pointer.offset, pointer.length, pointer.record_id, target_uri, date, status
        )


@dataclass(frozen=True)
class MediaFile:
    """One attachment of an item version and the archived download of its file."""

    media_id: str
    media_type: str
    url: str | None
    description: str | None = None
    record: RecordRef | None = None  # the response that delivered (or refused) the file
    sha256: str | None = None  # of the file's bytes when the download succeeded
    size: int | None = None
    error: str | None = None  # why the file could not be fetched tonight (it is tried again later)


@dataclass(frozen=True)
class QuoteRef:
    """The post an item quotes, as far as the platform shows it, and the quote's state.

    ``state`` is Mastodon's (``pending``, ``accepted``, ``rejected``, ``revoked``, ``deleted``,
    ``unauthorized``, ``blocked_account``, ``blocked_domain``, ``muted_account``; a state this
    archive does not know is kept as ``unauthorized``); Bluesky's quoted-record views map to
    ``accepted``, ``deleted`` (not found), ``revoked`` (detached) and ``blocked_account``.
    """

    item_id: str | None
    url: str | None
    state: str | None


@dataclass(frozen=True)
class ItemSnapshot:
    """One state of one post or comment, as the platform showed it in one response."""

    item_id: str
    item_type: ItemType
    post_id: str
    parent_id: str | None
    author_id: str
    author_name: str
    author_handle: str
    author_is_account: bool
    text: str
    url: str | None
    created_at: dt.datetime | None  # None: the platform's value could not be read (see unparsed)
    edited_at: dt.datetime | None
    content_sha256: str
    record: RecordRef
    language: str | None = None
    content_warning: str | None = None
    sensitive: bool = False
    visibility: str | None = None
    media: tuple[MediaFile, ...] = ()
    poll_options: tuple[str, ...] = ()
    hidden: bool | None = None  # hidden by the account (Facebook, Instagram); None: not reported
    quote: QuoteRef | None = None  # the post this one quotes, if any
    unparsed: tuple[tuple[str, str], ...] = ()  # (field, value as sent) the archive could not read

    @property
    def version_time(self) -> dt.datetime | None:
        """When this state came into being: the last edit, else the creation (if known)."""
        return self.edited_at or self.created_at


@dataclass(frozen=True)
class RunCounts:
    """What one account's night found."""

    posts_new: int = 0
    comments_new: int = 0
    edited: int = 0
    deleted: int = 0
    restored: int = 0
    hidden: int = 0
    unhidden: int = 0
    media: int = 0  # versions that only add files an earlier night could not fetch
    unchanged: int = 0
    media_files: int = 0
    threads_checked: int = 0

    @property
    def versions(self) -> int:
        return (
            self.posts_new
            + self.comments_new
            + self.edited
            + self.deleted
            + self.restored
            + self.hidden
            + self.unhidden
            + self.media
        )


@dataclass(frozen=True)
class RunResult:
    """The outcome of one account's night, as printed by the CLI and returned by Airflow tasks."""

    run_id: str
    account_id: str
    platform: str
    run_date: dt.date
    status: RunStatus
    error: str | None = None
    counts: RunCounts = field(default_factory=RunCounts)
    http_requests: int = 0
    bytes_stored: int = 0
    skipped: bool = False  # the night was already captured; nothing was done
    retryable: bool = False
    objects: tuple[str, ...] = ()
