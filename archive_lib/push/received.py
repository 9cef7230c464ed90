"""What a platform pushed, as the journal takes it: one record to archive, what it names."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from archive_lib.models import Account, ItemSnapshot, RecordRef

#: Reads the items a pushed payload carries, once its record is written (the pointer).
ItemFromRecord = Callable[[RecordRef], Sequence[ItemSnapshot]]


@dataclass(frozen=True)
class Received:
    """One thing received from a platform, to be archived for ``account``.

    ``record_type`` is ``request`` for a delivery a platform made to the archive (a webhook),
    ``resource`` for a message on a stream the archive holds open. ``threads`` are the post ids
    of the threads it names (queued for a targeted capture once it is stored); ``item`` makes
    the item version the payload carries, if it carries one; ``dedupe`` is a key the journal
    stores only once (a Meta delivery has no id and is retried: the digest of its body).
    """

    account: Account
    source: str  # meta, mastodon, jetstream
    record_type: str
    url: str
    payload: bytes
    content_type: str
    received_at: dt.datetime
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "POST"
    peer_ip: str | None = None
    threads: tuple[str, ...] = ()
    item: ItemFromRecord | None = field(default=None, compare=False)
    dedupe: str | None = None
