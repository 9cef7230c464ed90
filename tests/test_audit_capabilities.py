"""The audit asks the store what it can do, not what it is.

The same archive is audited through its own store and through :class:`~tests.plain_store.PlainStore`,
a store with the bare :class:`~archive_lib.storage.base.ObjectStore` protocol: through the
plain one, the audit checks what every store reports (bytes, sizes, SHA-256, tags) and nothing a
store has to say about its protection (read-only files and sidecars, Object Lock) or its
versions.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from archive_lib.audit.report import AuditReport
from archive_lib.storage import FileStore, S3Store
from archive_lib.storage.base import ObjectStore
from tests.audit_world import AuditWorld, kinds
from tests.fakes.mastodon import FakeMastodon
from tests.plain_store import PlainStore

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT = dt.date(2026, 11, 20)


def _world(fake: FakeMastodon, folder: pathlib.Path, store: ObjectStore) -> AuditWorld:
    world = AuditWorld(fake, folder, store)
    post = fake.post(world.town, fake.html("Simhallen har nya tider."), at=NOW - dt.timedelta(hours=5))
    fake.post(world.anna, fake.html("Även helger?"), in_reply_to=post["id"], at=NOW - dt.timedelta(hours=4))
    assert world.capture(NIGHT, "ks-mastodon").status == "ok"
    return world


def _audit_through(world: AuditWorld, store: ObjectStore) -> AuditReport:
    own = world.store
    world.store = store
    try:
        return world.audit(NIGHT, NIGHT)
    finally:
        world.store = own


def _found(report: AuditReport, key: str) -> set[str]:
    return {p.kind for p in report.problems if p.key == key}


@pytest.fixture
def file_world(tmp_path: pathlib.Path) -> Iterator[AuditWorld]:
    with FakeMastodon(now=NOW) as fake:
        yield _world(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()))


@pytest.fixture
def s3_world(tmp_path: pathlib.Path, locked_bucket: str, s3_client: S3Client) -> Iterator[AuditWorld]:
    with FakeMastodon(now=NOW) as fake:
        yield _world(fake, tmp_path, S3Store(f"s3://{locked_bucket}/arkiv", client=s3_client))


def test_a_clean_archive_is_clean_through_a_plain_store(file_world: AuditWorld, s3_world: AuditWorld) -> None:
    for world in (file_world, s3_world):
        own = world.audit(NIGHT, NIGHT)
        plain = _audit_through(world, PlainStore(world.store))
        assert own.problems == plain.problems == []
        assert plain.fixity == own.fixity
        assert plain.fixity["protection_checked"] == plain.fixity["objects_total"] > 0


def test_a_plain_store_is_audited_for_tags_but_not_for_read_only_files(file_world: AuditWorld) -> None:
    store = file_world.store
    assert isinstance(store, FileStore)
    [key] = list(store.list("warc/"))
    path = store.root / key
    path.chmod(0o644)  # writable, bytes unchanged
    (path.parent / f".{path.name}.meta.json").unlink()  # no sidecar: no retention, no tags

    own = file_world.audit(NIGHT, NIGHT)
    plain = _audit_through(file_world, PlainStore(store))

    assert _found(own, key) == {"object_writable", "sidecar_mismatch", "tags_mismatch"}
    assert _found(plain, key) == {"tags_mismatch"}
    assert [p for p in plain.problems if p.kind == "tags_mismatch"] == [
        p for p in own.problems if p.kind == "tags_mismatch"
    ]
    assert kinds(own) - kinds(plain) == {"object_writable", "sidecar_mismatch"}


def test_a_plain_store_is_audited_for_bytes_but_not_for_object_lock_or_versions(
    s3_world: AuditWorld, locked_bucket: str, s3_client: S3Client
) -> None:
    store = s3_world.store
    [key] = list(store.list("metadata/items/account_id=ks-mastodon/"))
    # Behind the archive's back: new, unlocked bytes over an archived object.
    s3_client.put_object(Bucket=locked_bucket, Key=f"arkiv/{key}", Body=b"PAR1 forged PAR1")

    own = s3_world.audit(NIGHT, NIGHT)
    plain = _audit_through(s3_world, PlainStore(store))

    common = {"checksum_mismatch", "size_mismatch", "parquet_unreadable", "tags_mismatch"}
    assert _found(own, key) == common | {"object_overwritten", "object_not_locked"}
    assert _found(plain, key) == common
