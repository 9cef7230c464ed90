"""Disposal and legal holds on S3 (moto's server over loopback, buckets with Object Lock).

The archive is captured with the store's clock in 2020, so each object's COMPLIANCE lock ends
with its class's retain-until date (2022) and has passed; a second archive is written with the
real clock, so its objects carry the day's lock a late capture gets, still active. What the
server refuses is reported, never bypassed. moto enforces COMPLIANCE locks and legal holds on
deletes of versions written by single-part PUTs, which is how the store writes.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import TYPE_CHECKING

import pytest

from archive_lib.audit import audit_period, run_audit
from archive_lib.audit.run import AuditOptions
from archive_lib.errors import LifecycleRefusedError, ObjectProtectedError
from archive_lib.lifecycle.dispose import dispose
from archive_lib.lifecycle.holds import place_hold, release_hold, scope_for_account, scope_for_items
from archive_lib.metadata.disposals import intent_key_of, protocol_key, read_document
from archive_lib.metadata.parquet import read_parquet_bytes
from archive_lib.registry.thread import ItemNotFoundError, load_thread
from archive_lib.retention_classes import ObjectRetention
from archive_lib.search import SearchIndex, SearchQuery
from archive_lib.storage import FileStore, S3Store
from archive_lib.storage.base import read_warrant
from tests.fakes.s3 import new_bucket
from tests.helpers import DECISION
from tests.lifecycle_world import NIGHT_1, NIGHT_2, LifecycleWorld, copy_into, lifecycle_template

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

#: When the archive was written: the morning after its second night.
CAPTURED = dt.datetime.combine(NIGHT_2, dt.time(10), tzinfo=dt.UTC)
__all__ = ["lifecycle_template"]  # a fixture


@pytest.fixture
def world(
    lifecycle_template: LifecycleWorld, tmp_path: pathlib.Path, locked_bucket: str, s3_client: S3Client
) -> LifecycleWorld:
    url = f"s3://{locked_bucket}/arkiv"
    built = copy_into(lifecycle_template, S3Store(url, client=s3_client, clock=lambda: CAPTURED), tmp_path)
    # From now on the store runs on the real clock, as archivectl's does.
    return LifecycleWorld(S3Store(url, client=s3_client), built.inventory_path, built.ids)


def versions(client: S3Client, bucket: str, key: str) -> int:
    listed = client.list_object_versions(Bucket=bucket, Prefix=f"arkiv/{key}")
    found = [
        v
        for v in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]
        if v["Key"] == f"arkiv/{key}"
    ]
    return len(found)


def holding_objects(world: LifecycleWorld, account_id: str, item_id: str) -> set[str]:
    """The items parts with a version of the item and the WARC files those versions point into."""
    found = set()
    for key in world.store.list(f"metadata/items/account_id={account_id}/"):
        with world.store.open(key) as handle:
            rows = read_parquet_bytes(handle.read()).to_pylist()
        for row in rows:
            if row["item_id"] == item_id:
                found |= {key, row["warc_key"]}
    return found


def legal_holds(world: LifecycleWorld, prefix: str) -> dict[str, bool]:
    return {key: world.store.stat(key).legal_hold for key in world.store.list(prefix)}


def test_a_hold_sets_the_legal_hold_on_the_right_objects_and_its_release_lifts_it(
    world: LifecycleWorld, tmp_path: pathlib.Path
) -> None:
    index = SearchIndex(world.store, tmp_path / "index")
    index.refresh()
    item = world.ids["angry"]
    expected = holding_objects(world, "ks-mastodon", item)
    assert len(expected) == 2  # the night's items part and WARC file
    assert not any(legal_holds(world, "warc/mastodon/ks-mastodon/").values())

    first = place_hold(
        world.store,
        scope_for_items(index, [item], None),
        reason="Begäran",
        reference="KS 2026/900",
        actor="arkivarie",
    )
    second = place_hold(
        world.store,
        scope_for_items(index, [item], None),
        reason="Överklagan",
        reference="KS 2026/901",
        actor="arkivarie",
    )
    assert set(first.objects) == expected
    ks = {
        **legal_holds(world, "warc/mastodon/ks-mastodon/"),
        **legal_holds(world, "metadata/items/account_id=ks-mastodon/"),
    }
    assert {key for key, on in ks.items() if on} == expected

    _, lifted = release_hold(world.store, first.id, reason="Ärendet avslutat", actor="arkivarie")
    assert lifted == []  # the second hold still covers every object
    assert all(world.store.stat(key).legal_hold for key in expected)
    _, lifted = release_hold(world.store, second.id, reason="Ärendet avslutat", actor="arkivarie")
    assert set(lifted) == expected
    assert not any(world.store.stat(key).legal_hold for key in expected)

    # A permanent class's objects are written with a legal hold; a hold's release never lifts it.
    permanent = place_hold(
        world.store,
        scope_for_account(["arkiv-mastodon"], "arkiv-mastodon", None, None),
        reason="Granskning",
        reference="KS 2026/902",
        actor="arkivarie",
    )
    assert permanent.objects
    release_hold(world.store, permanent.id, reason="Klar", actor="arkivarie")
    assert all(world.store.stat(key).legal_hold for key in permanent.objects)


def test_the_audit_finds_a_held_object_whose_legal_hold_was_lifted_behind_its_back(
    world: LifecycleWorld, s3_client: S3Client, tmp_path: pathlib.Path
) -> None:
    hold = place_hold(
        world.store,
        scope_for_account(["ks-mastodon"], "ks-mastodon", dt.date(2020, 11, 20), None),
        reason="Begäran",
        reference="KS 2026/900",
        actor="arkivarie",
    )
    key = sorted(hold.objects)[0]
    assert isinstance(world.store, S3Store)
    s3_client.put_object_legal_hold(
        Bucket=world.store.bucket, Key=f"arkiv/{key}", LegalHold={"Status": "OFF"}
    )
    period = audit_period(dt.date(2020, 11, 20), dt.date(2020, 11, 21), dt.datetime.now(dt.UTC))
    report = run_audit(world.store, world.inventory, period, options=AuditOptions(full=False))
    found = [p for p in report.problems if p.kind == "hold_not_applied"]
    assert [p.key for p in found] == [key]
    [listed] = report.lifecycle["holds"]
    assert listed["hold_id"] == hold.id and listed["objects_checked"] == len(hold.objects)


def test_a_disposal_deletes_every_version_of_exactly_the_due_objects(
    world: LifecycleWorld, s3_client: S3Client, tmp_path: pathlib.Path
) -> None:
    assert isinstance(world.store, S3Store)
    expected = world.run_objects("ks-mastodon")
    others = world.stored_keys() - set(expected)
    index = SearchIndex(world.store, tmp_path / "index")
    index.refresh()
    assert index.locate(world.ids["question"])

    result = dispose(world.store, world.inventory, DECISION, actor="arkivarie")

    assert result.refused == []
    assert {o["key"]: o["sha256"] for o in result.objects} == {k: o["sha256"] for k, o in expected.items()}
    assert all(versions(s3_client, world.store.bucket, key) == 0 for key in expected)
    assert world.stored_keys() >= others
    protocol = read_document(world.store, str(result.protocol_key))
    assert {o["key"] for o in protocol["objects"]} == set(expected)
    assert world.store.stat(str(result.protocol_key)).legal_hold  # kept permanently

    index.refresh()
    assert index.search(SearchQuery(text="simhallen")).hits == []
    with pytest.raises(ItemNotFoundError, match=f"disposed of by decision {DECISION}"):
        load_thread(world.store, index, world.ids["question"])
    period = audit_period(NIGHT_1, NIGHT_2, dt.datetime.now(dt.UTC))
    report = run_audit(world.store, world.inventory, period, options=AuditOptions(full=True))
    assert report.nights["ks-mastodon"] == {"2020-11-20": "disposed", "2020-11-21": "disposed"}
    assert not {p.kind for p in report.problems} & {
        "object_missing",
        "night_missing",
        "object_not_in_manifest",
    }


def test_held_and_locked_objects_are_refused_and_stay(
    world: LifecycleWorld, s3_client: S3Client, tmp_path: pathlib.Path
) -> None:
    index = SearchIndex(world.store, tmp_path / "index")
    index.refresh()
    held = place_hold(
        world.store,
        scope_for_items(index, [world.ids["angry"]], None),
        reason="Begäran",
        reference="KS 2026/900",
        actor="a",
    )
    before = world.stored_keys()

    result = dispose(world.store, world.inventory, DECISION, actor="arkivarie")

    refused = {r["key"]: r["reason"] for r in result.refused}
    assert set(held.objects) <= set(refused)
    assert all(f"under legal hold {held.id}" in refused[key] for key in held.objects)
    assert set(held.objects) <= world.stored_keys()
    # The night-one manifest and runs part stay with the held objects they account for.
    assert any(key.startswith("manifests/2020-11-20/ks-mastodon_") for key in refused)
    assert world.stored_keys() == before - {o["key"] for o in result.objects} | {
        k for k in world.stored_keys() if k.startswith(("events/", "disposals/"))
    }


def test_an_active_compliance_lock_is_authoritative(
    lifecycle_template: LifecycleWorld, tmp_path: pathlib.Path, s3_client: S3Client
) -> None:
    # Written with the real clock: a late capture of an old night is locked for a day.
    url = f"s3://{new_bucket(s3_client, object_lock=True)}/arkiv"
    world = copy_into(lifecycle_template, S3Store(url, client=s3_client), tmp_path)
    before = world.stored_keys()

    result = dispose(world.store, world.inventory, DECISION, actor="arkivarie")

    assert result.objects == [] and result.protocol_key is None
    assert {r["key"] for r in result.refused} == set(world.run_objects("ks-mastodon"))
    assert any("Object Lock COMPLIANCE until" in r["reason"] for r in result.refused)
    assert world.stored_keys() == before


def test_the_stores_refuse_a_delete_without_a_warrant_for_it(
    tmp_path: pathlib.Path, s3_client: S3Client
) -> None:
    day = dt.date.today()
    s3 = S3Store(f"s3://{new_bucket(s3_client, object_lock=True)}/arkiv", client=s3_client)
    files = FileStore((tmp_path / "files").as_uri())
    for store in (s3, files):
        store.put(
            "warc/locked.warc.gz",
            b"locked",
            retention=ObjectRetention("gallras", day + dt.timedelta(days=30)),
            tags={},
        )
        store.put("warc/kept.warc.gz", b"kept", retention=ObjectRetention("bevaras", None), tags={})
        store.put(
            "warc/other.warc.gz", b"other", retention=ObjectRetention("gallras", dt.date(2020, 1, 1)), tags={}
        )
        key = protocol_key(dt.datetime.now(dt.UTC), "gallring-test-1")
        intent = {
            "decision": {"id": DECISION},
            "objects": [
                {"key": "warc/locked.warc.gz"},
                {"key": "warc/kept.warc.gz"},
                {"key": "events/x.jsonl"},
            ],
        }
        store.put(
            intent_key_of(key), json.dumps(intent).encode(), retention=ObjectRetention("p", None), tags={}
        )
        warrant = read_warrant(store, intent_key_of(key))
        for refused in ("warc/locked.warc.gz", "warc/kept.warc.gz", "warc/other.warc.gz", "events/x.jsonl"):
            with pytest.raises(ObjectProtectedError):
                store.dispose(refused, warrant)
        assert {"warc/locked.warc.gz", "warc/kept.warc.gz", "warc/other.warc.gz"} <= set(store.list("warc/"))


def test_a_decision_no_class_names_is_refused(world: LifecycleWorld) -> None:
    before = world.stored_keys()
    with pytest.raises(LifecycleRefusedError, match="names the decision 'KS 1999/1'"):
        dispose(world.store, world.inventory, "KS 1999/1", actor="arkivarie")
    assert world.stored_keys() == before
