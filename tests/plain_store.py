"""A store with the :class:`~archive_lib.storage.base.ObjectStore` protocol and nothing more.

It wraps a real store and passes on the protocol's operations alone, so it has none of the
optional capabilities (protection, versions): what the archive does with a store it knows
nothing else about.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import BinaryIO

from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore, StoredObject


class PlainStore:
    """The protocol's operations of ``inner``, nothing else."""

    def __init__(self, inner: ObjectStore) -> None:
        self._inner = inner
        self.url = inner.url

    def put(
        self, key: str, data: bytes | BinaryIO, *, retention: ObjectRetention, tags: Mapping[str, str]
    ) -> StoredObject:
        return self._inner.put(key, data, retention=retention, tags=tags)

    def open(self, key: str) -> BinaryIO:
        return self._inner.open(key)

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        return self._inner.read_range(key, offset, length)

    def exists(self, key: str) -> bool:
        return self._inner.exists(key)

    def list(self, prefix: str = "", start_after: str | None = None) -> Iterator[str]:
        return self._inner.list(prefix, start_after)

    def stat(self, key: str) -> StoredObject:
        return self._inner.stat(key)
