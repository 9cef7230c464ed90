"""The audit of an S3 store (moto's server over loopback, a bucket with Object Lock).

moto's HeadObject returns ``ObjectLockMode``, ``ObjectLockRetainUntilDate`` and the legal hold,
and GetObjectTagging works; that is what the audit reads (moto lacks GetObjectRetention).
"""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from archive_lib.metadata.manifest import manifests_of
from archive_lib.storage import S3Store
from tests.audit_world import AuditWorld, kinds
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import read_items

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT = dt.date(2026, 11, 20)


@pytest.fixture
def world(tmp_path: pathlib.Path, locked_bucket: str, s3_client: S3Client) -> Iterator[AuditWorld]:
    with FakeMastodon(now=NOW) as fake:
        store = S3Store(f"s3://{locked_bucket}/arkiv", client=s3_client)
        world = AuditWorld(fake, tmp_path, store)
        post = fake.post(
            world.town, fake.html("Simhallen i Åhus har nya tider."), at=NOW - dt.timedelta(hours=5)
        )
        fake.post(
            world.anna,
            fake.html("Gäller det även helger?"),
            in_reply_to=post["id"],
            at=NOW - dt.timedelta(hours=4),
        )
        world.accounts = [
            {"id": "ks-mastodon", "handle": "kristianstad"},
            {"id": "bibliotek-mastodon", "handle": "kristianstad-bib", "retention": "gallras-efter-2-ar"},
        ]
        fake.add_account("kristianstad-bib", "Biblioteken")
        for account_id in ("ks-mastodon", "bibliotek-mastodon"):
            assert world.capture(NIGHT, account_id).status == "ok"
        yield world


def test_locked_objects_pass(world: AuditWorld) -> None:
    report = world.audit(NIGHT, NIGHT)
    assert report.problems == []
    assert report.fixity["protection_checked"] == report.fixity["objects_total"] > 0
    classes = report.retention["classes"]
    assert classes["bevaras"]["objects"] > 0 and classes["gallras-efter-2-ar"]["objects"] > 0


def test_an_object_put_without_object_lock_is_found(
    world: AuditWorld, locked_bucket: str, s3_client: S3Client
) -> None:
    # Behind the archive's back: a plain PutObject, no lock, no tags, no manifest.
    key = "warc/mastodon/ks-mastodon/2026/11/20/extra.warc.gz"
    s3_client.put_object(Bucket=locked_bucket, Key=f"arkiv/{key}", Body=b"not a capture")

    report = world.audit(NIGHT, NIGHT, full=False)  # found even outside the rotating sample

    found = {p.kind for p in report.problems if p.key == key}
    assert {"object_not_in_manifest", "object_not_locked"} <= found


def test_an_archived_object_replaced_by_an_unlocked_version_is_found(
    world: AuditWorld, locked_bucket: str, s3_client: S3Client
) -> None:
    store = world.store
    [key] = [k for k in store.list("metadata/items/account_id=ks-mastodon/")]
    # The locked version cannot be removed, but a new current version can be put over it.
    s3_client.put_object(Bucket=locked_bucket, Key=f"arkiv/{key}", Body=b"PAR1 forged PAR1")

    # Found on every audit from the version listing, not only when the rotating sample reaches it.
    world.clock = _Later(world.clock)  # type: ignore[assignment]
    report = world.audit(NIGHT, NIGHT + dt.timedelta(days=1), full=False, period_days=1000)

    found = {p.kind for p in report.problems if p.key == key}
    assert report.fixity["objects_verified"] < report.fixity["objects_total"]
    assert {"object_overwritten", "object_not_locked", "checksum_mismatch", "size_mismatch"} <= found
    assert "parquet_unreadable" in found
    assert "tags_mismatch" in found
    assert "object_not_in_manifest" not in kinds(report)


class _Later:
    """The audit runs a day after the capture."""

    def __init__(self, clock: object) -> None:
        self._clock = clock

    def now(self) -> dt.datetime:
        return self._clock.now() + dt.timedelta(days=1)  # type: ignore[attr-defined,no-any-return]

    def sleep(self, seconds: float) -> None:
        raise AssertionError("the audit never waits")


def test_a_shortened_retention_is_found(world: AuditWorld, locked_bucket: str, s3_client: S3Client) -> None:
    store = world.store
    [key] = [k for k in store.list("manifests/") if "bibliotek" in k and k.endswith(".json")]
    head = s3_client.head_object(Bucket=locked_bucket, Key=f"arkiv/{key}")
    # moto accepts shortening a COMPLIANCE retention (real S3 refuses it); the audit notices.
    s3_client.put_object_retention(
        Bucket=locked_bucket,
        Key=f"arkiv/{key}",
        VersionId=head["VersionId"],
        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": dt.datetime(2027, 1, 1, tzinfo=dt.UTC)},
    )

    report = world.audit(NIGHT, NIGHT)

    found = {p.kind for p in report.problems if p.key == key}
    assert found == {"lock_mode_mismatch", "retention_mismatch"}


def test_a_late_capture_of_an_old_night_is_locked_for_a_day_and_audits_clean(
    tmp_path: pathlib.Path, locked_bucket: str, s3_client: S3Client
) -> None:
    # The night of three years ago, captured now, in a class kept two years: its retain-until
    # date has passed, which AWS refuses. The records are captured and locked all the same.
    old = dt.date(2023, 11, 20)
    with FakeMastodon(now=NOW) as fake:
        store = S3Store(f"s3://{locked_bucket}/arkiv", client=s3_client, clock=lambda: fake.clock.now())
        world = AuditWorld(fake, tmp_path, store)
        fake.post(world.town, fake.html("Biblioteket har öppet i kväll."), at=NOW - dt.timedelta(hours=5))
        world.accounts = [{"id": "ks-mastodon", "handle": "kristianstad", "retention": "gallras-efter-2-ar"}]
        result = world.capture(old, "ks-mastodon")
        assert result.status == "ok", result.error
        for key in result.objects:
            stored = store.stat(key)
            assert stored.lock_mode == "COMPLIANCE"
            assert stored.locked_until is not None and stored.locked_until.date() == dt.date(2026, 11, 21)
        report = world.audit(old, old)
    assert "retention_mismatch" not in kinds(report), report.problems
    assert report.fixity["protection_checked"] > 0


def test_an_export_log_passes_with_its_legal_hold(world: AuditWorld, tmp_path: pathlib.Path) -> None:
    from archive_lib.registry.export import ExportRequest, make_export
    from archive_lib.search import SearchIndex

    index = SearchIndex(world.store, tmp_path / "index")
    index.refresh()
    [post] = [r for r in read_items(world.store) if r["item_type"] == "post"]
    request = ExportRequest("Granskning", "KS 2026/7", "registrator", item_ids=(post["item_id"],))
    exported = make_export(world.store, index, request, tmp_path / "utlamnande.zip")

    report = world.audit(NIGHT, NIGHT)

    assert report.problems == []
    assert report.fixity["objects_verified"] == report.fixity["objects_total"]
    assert world.store.stat(exported.log_key).legal_hold


def test_an_unlocked_object_of_an_interrupted_run_is_listed_and_left_to_the_audit(
    world: AuditWorld, locked_bucket: str, s3_client: S3Client, caplog: pytest.LogCaptureFixture
) -> None:
    """The create-only put that completes a file store's missing sidecar cannot lock or tag an
    object S3 already holds: the next run's recovery tries, says so, and the audit reports it."""
    store = world.store
    [source] = [k for k in store.list("warc/mastodon/ks-mastodon/")]
    next_night = NIGHT + dt.timedelta(days=1)
    key = "warc/mastodon/ks-mastodon/2026/11/21/ks-mastodon_20261121T010000Z_abcd-00001.warc.gz"
    with store.open(source) as handle:
        s3_client.put_object(Bucket=locked_bucket, Key=f"arkiv/{key}", Body=handle.read())

    world.fake.advance(days=1)
    with caplog.at_level(logging.WARNING, logger="archive_lib.capture.recovery"):
        assert world.capture(next_night, "ks-mastodon").status == "ok"

    assert (
        f"{key} of interrupted run ks-mastodon_20261121T010000Z_abcd was stored without its retention "
        "and tags: could not be restored (the audit reports it)"
    ) in caplog.messages
    [manifest] = [m for m in manifests_of(store, "ks-mastodon", next_night) if m["status"] == "interrupted"]
    assert key in {o["key"] for o in manifest["objects"]}
    report = world.audit(next_night, next_night)
    assert {p.kind for p in report.problems if p.key == key} >= {"object_not_locked"}
