"""The object store: one interface, no delete.

Everything the archive keeps (WARC files, Parquet metadata, manifests) is written through an
:class:`ObjectStore`. Objects are written once and never replaced or removed; the interface has
no delete or overwrite operation on purpose.

To add a store, implement the protocol below in a module of its own and register its URL scheme
in :func:`archive_lib.storage.open_store`. The contract every implementation keeps:

* ``put`` is create-only and atomic: readers see the whole object or nothing. When the key is
  already taken by an object with the same SHA-256 the call succeeds and returns that object's
  description (so a retried write is harmless); when it is taken by different bytes it raises
  :class:`~archive_lib.errors.ObjectExistsError` and changes nothing.
* ``put`` stores the object's retention (retention class and retain-until date, or permanent)
  and its tags with it, and verifies the SHA-256 of what was stored.
* Keys are relative to the store URL, use ``/`` as separator, and never start with ``/``.
* ``list`` yields keys in lexicographic (byte) order, so ``start_after`` can skip old partitions
  without reading them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol, runtime_checkable

from archive_lib.retention_classes import ObjectRetention


@dataclass(frozen=True)
class StoredObject:
    """What the store holds under one key."""

    key: str
    size: int
    sha256: str  # lowercase hex
    retention: ObjectRetention | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    locked_until: dt.datetime | None = None  # S3: the Object Lock retain-until date actually set
    lock_mode: str | None = None  # S3: COMPLIANCE / GOVERNANCE; file store: "read-only"
    legal_hold: bool = False


@runtime_checkable
class ObjectStore(Protocol):
    """Create-only object storage. See the module docstring for the contract."""

    url: str

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        retention: ObjectRetention,
        tags: Mapping[str, str],
    ) -> StoredObject:
        """Store ``data`` (bytes or a seekable binary file positioned at 0) under ``key`` once."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the whole object; the caller closes it."""
        ...

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the object starting at ``offset``."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "", start_after: str | None = None) -> Iterator[str]:
        """Keys under ``prefix`` in byte order, strictly after ``start_after`` when given."""
        ...

    def stat(self, key: str) -> StoredObject:
        """Size, SHA-256, retention, lock and tags of one object."""
        ...
