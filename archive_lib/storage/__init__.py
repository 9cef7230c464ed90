"""Object stores: open one from its URL.

``file:///absolute/path`` opens a :class:`FileStore` (read-only files with sidecars),
``s3://bucket/optional/prefix`` an :class:`S3Store` (COMPLIANCE Object Lock). To add a store,
implement :class:`ObjectStore` in a module of its own and add its scheme to :func:`open_store`.
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from archive_lib.errors import StoreConfigError
from archive_lib.storage.base import ObjectStore, StoredObject
from archive_lib.storage.file import FileStore

if TYPE_CHECKING:
    from archive_lib.storage.s3 import S3Store

__all__ = ["FileStore", "ObjectStore", "S3Store", "StoredObject", "open_store"]


def open_store(url: str) -> ObjectStore:
    """The store at ``url``; StoreConfigError for an unknown scheme or an unusable store."""
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme == "file":
        return FileStore(url)
    if scheme == "s3":
        from archive_lib.storage.s3 import S3Store

        return S3Store(url)
    raise StoreConfigError(
        f"unknown object store URL {url!r}: use file:///absolute/path or s3://bucket/prefix"
    )


def __getattr__(name: str) -> Any:
    # boto3 is imported with the S3 store only: some 30 MiB a process with a file store never
    # needs (the search index build is measured by bench/search_bench.py).
    if name == "S3Store":
        from archive_lib.storage.s3 import S3Store

        return S3Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
