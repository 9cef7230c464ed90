"""The stores' optional capabilities: what each says about itself, and what it reports.

The audit asks a store for a capability (``isinstance`` on the capability's protocol), never for
its class; these tests pin what the file store and the S3 store (moto over loopback) answer, and
that a store with the bare protocol answers neither.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import TYPE_CHECKING

import pytest

from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage import FileStore, ObjectStore, S3Store, open_store
from archive_lib.storage.base import MIN_LOCK, ProtectedStore, Protection, VersionedStore
from tests.plain_store import PlainStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NOW = dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.UTC)
TEN_YEARS = ObjectRetention("k10", dt.date(2036, 3, 1))
PERMANENT = ObjectRetention("bevaras", None)
TAGS = {"kind": "warc"}


@pytest.fixture
def file_store(tmp_path: pathlib.Path) -> FileStore:
    return FileStore((tmp_path / "archive").as_uri())


@pytest.fixture
def s3_store(locked_bucket: str) -> S3Store:
    return S3Store(f"s3://{locked_bucket}/arkiv", clock=lambda: NOW)


def test_the_file_store_protects_with_read_only_files_and_keeps_no_versions(file_store: FileStore) -> None:
    assert isinstance(file_store, ProtectedStore)
    assert file_store.protection is Protection.READ_ONLY_FILES
    assert not isinstance(file_store, VersionedStore)
    opened = open_store(file_store.url)
    assert isinstance(opened, ProtectedStore) and opened.protection is Protection.READ_ONLY_FILES


def test_a_file_store_object_reports_its_read_only_file_and_sidecar(file_store: FileStore) -> None:
    file_store.put("a/b.bin", b"data", retention=TEN_YEARS, tags=TAGS)
    stored = file_store.stat("a/b.bin")
    assert stored.lock_mode == "read-only"
    assert stored.retention == TEN_YEARS and dict(stored.tags) == TAGS

    path = file_store.root / "a" / "b.bin"
    path.chmod(0o644)
    (file_store.root / "a" / ".b.bin.meta.json").unlink()
    tampered = file_store.stat("a/b.bin")
    assert tampered.lock_mode is None
    assert tampered.retention is None and dict(tampered.tags) == {}


def test_the_s3_store_protects_with_object_lock_and_keeps_versions(s3_store: S3Store) -> None:
    assert isinstance(s3_store, ProtectedStore)
    assert s3_store.protection is Protection.OBJECT_LOCK
    assert isinstance(s3_store, VersionedStore)
    opened = open_store(s3_store.url)
    assert isinstance(opened, ProtectedStore) and opened.protection is Protection.OBJECT_LOCK
    assert isinstance(opened, VersionedStore)


def test_an_s3_object_reports_its_lock_and_legal_hold(s3_store: S3Store) -> None:
    s3_store.put("a/ten.bin", b"ten", retention=TEN_YEARS, tags=TAGS)
    s3_store.put("a/kept.bin", b"kept", retention=PERMANENT, tags=TAGS)
    s3_store.put("a/late.bin", b"late", retention=ObjectRetention("k2", dt.date(2020, 1, 1)), tags=TAGS)

    ten, kept, late = (s3_store.stat(f"a/{name}.bin") for name in ("ten", "kept", "late"))
    assert (ten.lock_mode, ten.locked_until, ten.legal_hold) == (
        "COMPLIANCE",
        dt.datetime(2036, 3, 1, tzinfo=dt.UTC),
        False,
    )
    assert (kept.lock_mode, kept.legal_hold, kept.retention) == ("COMPLIANCE", True, PERMANENT)
    assert late.locked_until == NOW + MIN_LOCK  # the retain-until date had passed


def test_version_counts_find_bytes_put_over_a_key(
    s3_store: S3Store, s3_client: S3Client, locked_bucket: str
) -> None:
    s3_store.put("a/one.bin", b"one", retention=TEN_YEARS, tags=TAGS)
    s3_store.put("b/two.bin", b"two", retention=TEN_YEARS, tags=TAGS)
    s3_store.put("a/one.bin", b"one", retention=TEN_YEARS, tags=TAGS)  # a retry: no new version
    assert s3_store.version_counts() == {"a/one.bin": 1, "b/two.bin": 1}

    s3_client.put_object(Bucket=locked_bucket, Key="arkiv/b/two.bin", Body=b"forged")
    s3_client.put_object(Bucket=locked_bucket, Key="elsewhere/b/two.bin", Body=b"outside the prefix")

    assert s3_store.version_counts() == {"a/one.bin": 1, "b/two.bin": 2}
    assert s3_store.version_counts("b/") == {"b/two.bin": 2}
    assert s3_store.version_counts("c/") == {}


def test_a_store_with_the_bare_protocol_has_no_capability(file_store: FileStore, s3_store: S3Store) -> None:
    for inner in (file_store, s3_store):
        plain = PlainStore(inner)
        assert isinstance(plain, ObjectStore)
        assert not isinstance(plain, ProtectedStore)
        assert not isinstance(plain, VersionedStore)
