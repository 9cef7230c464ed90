"""The rules under hot passes: the merge of concurrent versions, the write lease, the budget."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from archive_lib.capture.budget import hot_pass_refusal
from archive_lib.capture.lease import WriteLease, lease_key
from archive_lib.capture.merge import rebase
from archive_lib.capture.recent import capture_recent
from archive_lib.inventory import load_inventory
from archive_lib.metadata.manifest import manifests_of
from archive_lib.metadata.runs import runs_of_night, write_run_row
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage import FileStore
from tests.graph_helpers import GraphTown, graph_town
from tests.helpers import write_inventory

T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def row(
    item: str, version: int, event: str, digest: str, *, seen: int = 0, edited: int | None = None
) -> dict[str, Any]:
    return {
        "item_id": item,
        "item_type": "comment",
        "version": version,
        "event": event,
        "content_sha256": digest,
        "hidden": None,
        "observed_at": T0 + dt.timedelta(seconds=seen),
        "created_at": T0 - dt.timedelta(hours=1),
        "edited_at": None if edited is None else T0 + dt.timedelta(seconds=edited),
        "media": [],
    }


def test_a_version_another_run_stored_is_dropped_and_the_rest_renumbered() -> None:
    stored = [(row("a", 1, "new", "x", seen=1), "part-1"), (row("b", 1, "new", "y", seen=1), "part-1")]
    pending = [
        row("a", 1, "new", "x", seen=2),  # the same version: dropped
        row("b", 1, "new", "z", seen=2),  # b changed since: an edit after the stored one
        row("c", 1, "new", "w", seen=2),  # only this run saw c
    ]
    merged = rebase(pending, stored)
    assert [(r["item_id"], r["version"], r["event"]) for r in merged.kept] == [
        ("b", 2, "edited"),
        ("c", 1, "new"),
    ]
    assert [(r["item_id"], before) for r, before in merged.dropped] == [("a", "new")]
    assert merged.latest["a"] == (stored[0][0], "part-1")


def test_an_older_state_and_a_second_deletion_are_dropped() -> None:
    stored = [(row("a", 1, "new", "x0", seen=1), "p"), (row("a", 2, "edited", "x1", seen=5, edited=4), "p")]
    stored += [(row("d", 1, "new", "q", seen=1), "p"), (row("d", 2, "deleted", "q", seen=5), "p")]
    pending = [
        row("a", 1, "new", "x0", seen=6),  # from an edit history: older than the stored edit
        row("a", 2, "edited", "x1", seen=6, edited=4),  # the stored edit again
        row("d", 2, "deleted", "q", seen=6),  # gone, as already stored
    ]
    merged = rebase(pending, stored)
    assert merged.kept == []
    assert len(merged.dropped) == 3


def test_an_item_seen_again_after_a_stored_deletion_is_restored() -> None:
    stored = [(row("a", 1, "new", "x", seen=1), "p"), (row("a", 2, "deleted", "x", seen=2), "p")]
    merged = rebase([row("a", 1, "new", "x", seen=3)], stored)
    assert [(r["version"], r["event"]) for r in merged.kept] == [(3, "restored")]


class ManualClock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.at += dt.timedelta(seconds=seconds)


def _lease(store: FileStore, run_id: str, clock: ManualClock) -> WriteLease:
    return WriteLease(
        store,
        "ks-mastodon",
        run_id,
        kind="recent",
        clock=clock,
        retention=ObjectRetention("bevaras", None),
        tags={"account": "ks-mastodon", "platform": "mastodon", "kind": "lease"},
        seconds=15,
    )


def test_the_write_lease_lets_one_run_commit_at_a_time(tmp_path: pathlib.Path) -> None:
    store = FileStore(f"file://{tmp_path / 'archive'}")
    clock = ManualClock(dt.datetime(2026, 11, 20, 10, 0, 1, tzinfo=dt.UTC))  # 1 s into a slot
    first, second = (
        _lease(store, "ks-mastodon_20261120T100000Z_aaaa", clock),
        _lease(store, "ks-mastodon_20261120T100000Z_bbbb", clock),
    )
    first.acquire()
    assert first.hold_on() and clock.slept == []  # uncontended: no wait
    second.acquire()  # the slot is taken: it waits for the next one
    assert clock.slept == [pytest.approx(14.01)]
    assert first.hold_on() is False  # first's slot ran out and second holds the next one
    assert [o.key for o in second.taken] == [lease_key("ks-mastodon", int(clock.now().timestamp() // 15), 15)]
    # Near the end of its slot a holder takes the next one before it writes.
    clock.at += dt.timedelta(seconds=12)
    assert second.hold_on() is True
    assert len(second.taken) == 2


def test_a_hot_pass_is_skipped_and_recorded_when_the_youtube_quota_runs_low(tmp_path: pathlib.Path) -> None:
    path = write_inventory(
        tmp_path,
        "http://127.0.0.1:9",
        [
            {"id": "ks-youtube", "platform": "youtube", "handle": "@kristianstad", "token_env": "YT_KEY"},
            {"id": "ks-facebook", "platform": "facebook", "handle": "123", "token_env": "FB_TOKEN"},
        ],
    )
    inventory = load_inventory(path)
    store = FileStore(f"file://{tmp_path / 'archive'}")
    youtube, facebook = inventory.account("ks-youtube"), inventory.account("ks-facebook")
    now = T0
    assert hot_pass_refusal(store, youtube, now) is None
    assert hot_pass_refusal(store, facebook, now) is None
    retention = ObjectRetention("bevaras", None)
    for account, extra in ((youtube, {"api_units": 7600}), (facebook, {"api_usage_percent": 82.0})):
        base = {
            "run_id": f"{account.id}_20261120T090000Z_abcd",
            "account_id": account.id,
            "platform": account.platform,
            "board": account.board,
            "run_date": dt.date(2026, 11, 20),
            "started_at": now - dt.timedelta(minutes=30),
            "finished_at": now - dt.timedelta(minutes=20),
            "status": "ok",
            "counts": {},
            "http_requests": 10,
            "bytes_stored": 0,
            "software": "x",
            "retention_class": "bevaras",
        }
        write_run_row(store, account, {**base, **extra}, kind="nightly", retention=retention)
    assert "7600 of 10000 units" in (hot_pass_refusal(store, youtube, now) or "")
    assert "82 %" in (hot_pass_refusal(store, facebook, now) or "")
    assert hot_pass_refusal(store, facebook, now + dt.timedelta(hours=2)) is None  # Graph's window passed

    # The pass records the skip and does not fail (no platform is asked: none runs on port 9).
    clock = ManualClock(now)
    result = capture_recent(inventory, store, now=now, clock=clock)
    assert result.ok
    assert all(r.skipped for r in result.results)
    skipped = [r for r in runs_of_night(store, dt.date(2026, 11, 20)) if r["kind"] == "recent"]
    assert {(r["account_id"], r["status"]) for r in skipped} == {
        ("ks-youtube", "skipped"),
        ("ks-facebook", "skipped"),
    }
    assert all(r["notes"][0].startswith("hot pass skipped: ") for r in skipped)
    assert {
        m["status"] for m in manifests_of(store, "ks-youtube", dt.date(2026, 11, 20)) if m["kind"] == "recent"
    } == {"skipped"}


@pytest.fixture
def town(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> Iterator[GraphTown]:
    yield from graph_town(tmp_path, caplog)


def test_a_facebook_hot_pass_reads_the_recent_threads_and_then_stops_for_the_usage_headers(
    town: GraphTown,
) -> None:
    from archive_lib.capture.account import CaptureOptions
    from archive_lib.models import Account

    w = town.world
    old = w.post(town.page, "Välkommen till kommunens sida!", at=town.ago(days=40))
    w.comment(old, town.anna, "Hej!", at=town.ago(days=39))
    post = w.post(town.page, "Badhuset stänger på måndag.", at=town.ago(hours=3))
    keep = w.comment(post, town.anna, "Varför då?", at=town.ago(hours=2))
    hide = w.comment(post, town.mats, "Skräp", at=town.ago(hours=1))
    gone = w.comment(post, town.anna, "Fel tråd", at=town.ago(hours=1))

    def tokens(account: Account) -> str | None:
        return town.tokens.get(account.id)

    inventory = town.inventory("ks-facebook")

    def hot_pass() -> Any:
        return capture_recent(
            inventory,
            town.store,
            hours=6,
            tokens=tokens,
            clock=town.clock,
            options=CaptureOptions(lease_seconds=5),
        )

    assert hot_pass().ok
    w.hide(hide)
    w.delete(gone)
    w.usage = {"call_count": 80, "total_time": 10, "total_cputime": 10}
    town.fake.advance(minutes=15)
    assert hot_pass().ok
    rows = town.rows()
    events = {(r["item_id"], r["version"], r["event"]) for r in rows}
    assert {
        (post.id, 1, "new"),
        (keep.id, 1, "new"),
        (hide.id, 2, "hidden"),
        (gone.id, 2, "deleted"),
    } <= events
    assert old.id not in {r["item_id"] for r in rows}  # outside the window: not read
    assert not any(f"/{old.id}/comments" in path for path, _ in town.fake.requests)
    # The usage headers said 80 %: the next pass is skipped, recorded, not failed.
    town.fake.advance(minutes=15)
    third = hot_pass()
    assert third.ok and third.results[0].skipped
    runs = sorted(runs_of_night(town.store, town.clock.now().date()), key=lambda r: r["started_at"])
    assert [r["status"] for r in runs] == ["ok", "ok", "skipped"]
    assert runs[1]["api_usage_percent"] == 80.0


class _DiesAtManifest(FileStore):
    """A file store whose process dies (as if killed) when a run writes its manifest."""

    def put(self, key: str, data: Any, **kw: Any) -> Any:
        if key.startswith("manifests/"):
            raise SystemExit("killed before the manifest")
        return super().put(key, data, **kw)


def test_the_night_leaves_a_running_hot_pass_alone_and_completes_it_once_it_is_stale(
    tmp_path: pathlib.Path,
) -> None:
    from archive_lib.capture.account import capture_account
    from tests.fakes.mastodon import FakeMastodon
    from tests.helpers import FakeClock

    with FakeMastodon(now=T0) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        post = fake.post(town, fake.html("Nyhet"), at=T0 - dt.timedelta(hours=1))
        fake.post("kristianstad", fake.html("Svar"), in_reply_to=post["id"], at=T0 - dt.timedelta(minutes=30))
        inventory = load_inventory(
            write_inventory(tmp_path, fake.base_url, [{"id": "ks-mastodon", "handle": "kristianstad"}])
        )
        url = f"file://{tmp_path / 'archive'}"
        clock = FakeClock(fake)
        with pytest.raises(SystemExit):
            capture_recent(inventory, _DiesAtManifest(url), hours=6, clock=clock)
        store = FileStore(url)
        night = dt.date(2026, 11, 20)
        assert manifests_of(store, "ks-mastodon", night) == []
        account = inventory.account("ks-mastodon")
        fake.advance(minutes=30)  # the hot pass may still be going: the night leaves it alone
        assert capture_account(account, store, night, clock=clock).status == "ok"
        assert [m["kind"] for m in manifests_of(store, "ks-mastodon", night)] == ["nightly"]
        fake.advance(hours=3)  # now it is stale: the next night accounts for its objects
        capture_account(account, store, dt.date(2026, 11, 21), clock=clock)
        completed = [m for m in manifests_of(store, "ks-mastodon", night) if m["status"] == "interrupted"]
        assert [m["kind"] for m in completed] == ["recent"]
        assert any(o["kind"] == "lease" for o in completed[0]["objects"])
