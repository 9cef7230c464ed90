"""The one walk rule (archive_lib.connectors.walk): deletions, seen tonight, files.

The rule itself is tested here on small in-memory lookups; what it means on a platform (a
complete thread walk and a 404, a failed or throttled walk or lookup, the account's answers seen
once, attachments fetched once) against the fake Mastodon over loopback.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from archive_lib.connectors import walk
from archive_lib.connectors.base import CapturePlan, Gone, Observation, Seen, Trouble
from archive_lib.connectors.policy import HttpPolicy
from archive_lib.errors import ProtocolError, TransientPlatformError
from archive_lib.models import Account, ItemSnapshot, MediaFile, RecordRef
from archive_lib.retention_classes import RetentionClass
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_png import make_png
from tests.helpers import latest_versions
from tests.test_capture_nights import NIGHT_1, NIGHT_2, NOW, World, only

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _record(uri: str, status: int = 404) -> RecordRef:
    return RecordRef("warc/x.warc.gz", 0, 100, f"<urn:uuid:{uri}>", uri, T0, status)


def _snapshot(item_id: str, *, by_account: bool = False, digest: str = "d", **extra: object) -> ItemSnapshot:
    fields: dict[str, object] = {
        "item_id": item_id,
        "item_type": "comment",
        "post_id": "p1",
        "parent_id": "p1",
        "author_id": "a",
        "author_name": "A",
        "author_handle": "a",
        "author_is_account": by_account,
        "text": "hej",
        "url": None,
        "created_at": T0,
        "edited_at": None,
        "content_sha256": digest,
        "record": _record(f"https://example.test/{item_id}", 200),
        **extra,
    }
    return ItemSnapshot(**fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Item:
    """An archived item as a connector reads it (the KnownItemView protocol)."""

    item_id: str
    item_type: str = "comment"
    post_id: str = "p1"
    parent_id: str | None = None
    author_is_account: bool = False
    created_at: dt.datetime | None = T0
    content_sha256: str = "d"
    deleted: bool = False

    @property
    def version_time(self) -> dt.datetime | None:
        return self.created_at


class Known:
    """What the archive holds (the KnownView protocol), in memory."""

    def __init__(self, *items: Item, high_water: str | None = None) -> None:
        self.items = {i.item_id: i for i in items}
        self.high_water = high_water

    def latest(self, item_id: str, created_at: dt.datetime | None = None) -> Item | None:
        return self.items.get(item_id)

    def thread(self, post_id: str) -> list[Item]:
        return [i for i in self.items.values() if i.post_id == post_id]

    def below(self, item_id: str) -> set[str]:
        found, stack = set(), [item_id]
        while stack:
            parent = stack.pop()
            for child in (i.item_id for i in self.items.values() if i.parent_id == parent):
                found.add(child)
                stack.append(child)
        return found

    def account_items_since(self, moment: dt.datetime) -> list[Item]:
        return [
            i
            for i in self.items.values()
            if i.author_is_account and not i.deleted and (i.created_at is None or i.created_at >= moment)
        ]


class Platform:
    """A lookup: ids it says are gone, ids it shows, ids whose lookup fails; and what was asked."""

    def __init__(self, gone: set[str] = frozenset(), failing: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        self.gone, self.failing = gone, failing
        self.asked: list[list[str]] = []

    def look_up(self, ids: list[str]) -> Iterator[walk.Answer]:
        self.asked.append(list(ids))
        for item_id in ids:
            if item_id in self.failing:
                raise TransientPlatformError(f"HTTP 503 for {item_id}")
            if item_id in self.gone:
                yield walk.Absent(item_id, _record(f"https://example.test/{item_id}"))
            else:
                yield Seen(_snapshot(item_id))


def _plan(known: Known, *, until: dt.datetime | None = None, since: dt.datetime | None = None) -> CapturePlan:
    account = Account("ks", "Kommunstyrelsen", "mastodon", "kristianstad", RetentionClass("bevaras", None))
    return CapturePlan(account, NOW.date(), T0, since, until, known)


# -- deletions: the rule ---------------------------------------------------------------------------


def test_only_the_platforms_absent_answer_becomes_gone_with_its_evidence() -> None:
    platform = Platform(gone={"c2"})

    observations = list(walk.confirm({"c1", "c2"}, platform.look_up))

    assert [type(o) for o in observations] == [Seen, Gone]
    gone = observations[1]
    assert isinstance(gone, Gone) and gone.item_id == "c2"
    assert gone.record.target_uri == "https://example.test/c2" and gone.record.status == 404


def test_missing_items_are_asked_for_in_the_platforms_order_and_batches() -> None:
    platform = Platform()

    list(walk.confirm({"10", "9", "100", "11"}, platform.look_up, order=lambda i: (len(i), i), batch=3))

    assert platform.asked == [["9", "10", "11"], ["100"]]


def test_nothing_is_looked_up_when_nothing_is_missing() -> None:
    platform = Platform()

    assert list(walk.confirm(set(), platform.look_up)) == []
    assert platform.asked == []


def test_a_lookup_that_fails_never_yields_gone() -> None:
    platform = Platform(gone={"c1", "c2"}, failing={"c2"})
    observations: list[Observation] = []

    with pytest.raises(TransientPlatformError):
        observations.extend(walk.confirm({"c1", "c2", "c3"}, platform.look_up))

    assert [o.item_id for o in observations if isinstance(o, Gone)] == ["c1"]  # c2 failed, c3 never asked


def test_a_failed_part_of_a_walk_is_trouble_and_ends_that_part() -> None:
    def read(part: str) -> list[str]:
        raise ProtocolError(f"{part}: expected a list")

    steps = walk.attempt("thread 42", read, "context")
    observations = []
    with pytest.raises(StopIteration) as stop:
        while True:
            observations.append(next(steps))

    assert observations == [Trouble("thread 42: context: expected a list")]
    assert stop.value.value is None


def test_a_part_that_reads_gives_its_value_and_no_trouble() -> None:
    steps = walk.attempt("thread 42", lambda n: [n], 7)

    with pytest.raises(StopIteration) as stop:
        next(steps)

    assert stop.value.value == [7]


def test_a_defect_is_not_mistaken_for_platform_trouble() -> None:
    def read() -> None:
        raise KeyError("id")

    with pytest.raises(KeyError):
        list(walk.attempt("thread 42", read))


def test_a_post_gone_after_the_listing_takes_its_thread_along_before_the_next_candidate() -> None:
    known = Known(Item("p1", "post", "p1"), Item("p2", "post", "p2"), Item("c1", post_id="p1"))
    platform = Platform(gone={"p1", "c1", "p2"})
    threads: list[str] = []

    def thread(post_id: str) -> Iterator[Observation]:
        threads.append(post_id)
        return walk.confirm(walk.live_items(known, post_id) - {post_id}, platform.look_up)

    candidates = [known.items["p1"], known.items["c1"], known.items["p2"]]
    observations = list(walk.confirm_unlisted(candidates, platform.look_up, thread))

    assert [o.item_id for o in observations if isinstance(o, Gone)] == ["p1", "c1", "c1", "p2"]
    assert platform.asked == [["p1"], ["c1"], ["c1"], ["p2"]]  # p1's thread before the next candidate
    assert threads == ["p1", "p2"]  # a gone comment brings no thread along


def test_a_post_the_lookup_still_shows_brings_no_thread_lookups() -> None:
    known = Known(Item("p1", "post", "p1"), Item("c1", post_id="p1"))
    platform = Platform()

    observations = list(
        walk.confirm_unlisted([known.items["p1"]], platform.look_up, lambda p: iter(()), batch=50)
    )

    assert [type(o) for o in observations] == [Seen]
    assert platform.asked == [["p1"]]


def test_candidates_are_reached_one_by_one_so_what_a_lookup_showed_is_not_asked_again() -> None:
    known = Known(
        Item("p1", "post", "p1", author_is_account=True),
        Item("c1", post_id="p1", author_is_account=True),
    )
    seen = walk.SeenTonight("the account's items")
    platform = Platform(gone={"p1"})

    def thread(post_id: str) -> Iterator[Observation]:
        for observation in walk.confirm(walk.live_items(known, post_id) - {post_id}, platform.look_up):
            if isinstance(observation, Seen):
                seen.saw(observation.snapshot, known.latest(observation.snapshot.item_id))
            yield observation

    unlisted = walk.unlisted(known, _plan(known), listed=set(), seen=seen)
    list(walk.confirm_unlisted(unlisted, platform.look_up, thread))

    assert platform.asked == [["p1"], ["c1"]]  # c1, shown by its post's lookups, is not asked again


def test_unlisted_are_the_accounts_live_items_of_the_window_not_listed_nor_seen() -> None:
    until = T0 + dt.timedelta(days=10)
    known = Known(
        Item("listed", "post", "listed", author_is_account=True),
        Item("seen", post_id="listed", author_is_account=True),
        Item("missing", "post", "missing", author_is_account=True),
        Item("unknown-time", "post", "unknown-time", author_is_account=True, created_at=None),
        Item("citizen", post_id="listed"),
        Item("old", "post", "old", author_is_account=True, created_at=T0 - dt.timedelta(days=1)),
        Item("after", "post", "after", author_is_account=True, created_at=until),
        Item("gone", "post", "gone", author_is_account=True, deleted=True),
    )

    found = walk.unlisted(known, _plan(known, until=until), {"listed"}, {"seen"})

    assert sorted(k.item_id for k in found) == ["missing", "unknown-time"]


def test_live_items_and_live_below_leave_out_what_is_recorded_gone() -> None:
    known = Known(
        Item("p1", "post", "p1"),
        Item("c1", parent_id="p1"),
        Item("c2", parent_id="c1"),
        Item("c3", parent_id="c1", deleted=True),
        Item("c4", parent_id="c2", item_type="comment"),
        Item("x", post_id="p2", parent_id="p2"),
    )

    assert walk.live_items(known, "p1") == {"p1", "c1", "c2", "c4"}
    assert walk.live_items(known, "p1", kind="comment") == {"c1", "c2", "c4"}
    assert walk.live_below(known, "c1") == {"c2", "c4"}


def test_the_listing_reaches_back_to_the_older_of_last_nights_newest_and_the_window() -> None:
    window = T0
    newer = (T0 + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    older = (T0 - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    since = T0 - dt.timedelta(days=1)

    assert walk.listing_stop(_plan(Known())) is None  # the first night: everything
    assert walk.listing_stop(_plan(Known(), since=since)) == since
    assert walk.listing_stop(_plan(Known(high_water=newer))) == window
    assert walk.listing_stop(_plan(Known(high_water=older))) == T0 - dt.timedelta(days=3)
    assert walk.listing_stop(_plan(Known(high_water=older), since=since)) == since
    assert walk.listing_stop(_plan(Known(high_water="not a time"))) == window


# -- seen tonight and media: the rule ---------------------------------------------------------------


def test_seen_tonight_keeps_every_item_or_only_the_accounts() -> None:
    every = walk.SeenTonight("every item")
    account = walk.SeenTonight("the account's items")
    for seen in (every, account):
        seen.saw(_snapshot("103270115826048975"))  # a citizen's reply, unknown to the archive
        seen.saw(_snapshot("at://did:plc:town/app.bsky.feed.post/3k", by_account=True))
        seen.saw(_snapshot("UgyZ1jqk"), Item("UgyZ1jqk", author_is_account=True))  # archived as ours
        seen.saw(_snapshot("UgyZ1jqk"))  # seen twice, kept once

    assert "103270115826048975" in every and "103270115826048975" not in account
    for seen in (every, account):
        assert "at://did:plc:town/app.bsky.feed.post/3k" in seen and "UgyZ1jqk" in seen
        assert "never-seen" not in seen
    assert len(every) == 3 and len(account) == 2


@pytest.mark.parametrize(
    ("known", "becomes"),
    [
        (None, True),
        (Item("c1", content_sha256="d"), False),
        (Item("c1", content_sha256="other"), True),
        (Item("c1", content_sha256="d", deleted=True), True),
    ],
)
def test_a_version_is_new_back_from_gone_or_changed(known: Item | None, becomes: bool) -> None:
    assert walk.becomes_version(known, _snapshot("c1", digest="d")) is becomes


class Archiver:
    """Records what a walk asks of the night's media archiver."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def fetch(self, media_id: str, media_type: str, url: str | None, description: str | None) -> MediaFile:
        self.asked.append(media_id)
        return MediaFile(media_id, media_type, url, description, _record(url or media_id, 200), "sha", 1)


def test_files_are_asked_for_each_attachment_or_only_those_with_a_url() -> None:
    image = MediaFile("img", "image", "https://cdn.test/img.png", "alt")
    media = (image, MediaFile("vid", "video", None, None))
    snapshot = _snapshot("c1", media=media)
    archiver = Archiver()

    every = walk.with_files(snapshot, archiver)  # type: ignore[arg-type]
    with_url = walk.with_files(snapshot, archiver, only_with_url=True)  # type: ignore[arg-type]

    assert archiver.asked == ["img", "vid", "img"]
    assert all(m.record is not None for m in every.media)
    assert with_url.media[0].record is not None and with_url.media[1] == media[1]
    assert walk.with_files(_snapshot("c2"), archiver) == _snapshot("c2")  # type: ignore[arg-type]
    assert archiver.asked == ["img", "vid", "img"]


# -- on a platform: the fake Mastodon over loopback ------------------------------------------------


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeMastodon(now=NOW) as fake:
        yield World(fake, tmp_path)


def _thread_with_a_doomed_comment(world: World) -> tuple[str, str, str]:
    post = world.post("Biblioteket har nya öppettider.", days_ago=3)
    kept = world.reply(world.anna, "Äntligen söndagsöppet!", post, days_ago=2.9)
    doomed = world.reply(world.mats, "Vem betalar?", post, days_ago=2.8)
    assert only(world.night(NIGHT_1)).status == "ok"
    world.fake.advance(days=1)
    world.fake.delete(doomed)
    world.fake.requests.clear()
    return post, kept, doomed


def test_a_complete_thread_without_a_comment_and_a_404_record_it_deleted(world: World) -> None:
    _, kept, doomed = _thread_with_a_doomed_comment(world)

    result = only(world.night(NIGHT_2))

    assert result.status == "ok", result.error
    latest = latest_versions(world.rows())
    assert latest[doomed]["event"] == "deleted" and latest[kept]["event"] == "new"
    assert latest[doomed]["source_url"].endswith(f"/api/v1/statuses/{doomed}")  # the 404 is the evidence
    assert world.fake.requests.matching(rf"/statuses/{kept}$") == []  # shown by the walk: not looked up


def test_a_thread_walk_that_fails_looks_up_nothing_and_deletes_nothing(world: World) -> None:
    post, _, doomed = _thread_with_a_doomed_comment(world)
    world.fake.inject(rf"/statuses/{post}/context", 503, count=100)

    result = only(world.night(NIGHT_2))

    assert result.status == "failed" and f"thread {post}" in (result.error or "")
    assert result.counts.deleted == 0
    assert world.fake.requests.matching(rf"/statuses/{doomed}$") == []
    assert latest_versions(world.rows())[doomed]["event"] == "new"


def test_a_lookup_that_keeps_failing_deletes_nothing(world: World) -> None:
    _, _, doomed = _thread_with_a_doomed_comment(world)
    world.fake.inject(rf"/statuses/{doomed}$", 503, count=100)

    result = only(world.night(NIGHT_2))

    assert result.status == "failed" and result.retryable
    assert result.counts.deleted == 0
    assert world.fake.requests.matching(rf"/statuses/{doomed}$")  # asked, and the answers were 503s
    assert latest_versions(world.rows())[doomed]["event"] == "new"


def test_a_throttled_lookup_deletes_nothing(world: World) -> None:
    _, _, doomed = _thread_with_a_doomed_comment(world)
    world.fake.inject(rf"/statuses/{doomed}$", 429, count=100, headers={"Retry-After": "3600"})

    result = only(world.night(NIGHT_2, http=HttpPolicy(max_rate_wait=60)))

    assert result.status == "failed" and result.retryable and "rate limit" in (result.error or "")
    assert result.counts.deleted == 0
    assert latest_versions(world.rows())[doomed]["event"] == "new"


def test_an_answer_of_the_account_shown_in_its_thread_is_not_walked_again(world: World) -> None:
    post = world.post("Vi bygger om Stora torg.", days_ago=2)
    question = world.reply(world.anna, "När blir det klart?", post, days_ago=1.9)
    answer = world.reply(world.town, "I maj, om vädret tillåter.", question, days_ago=1.8)

    result = only(world.night(NIGHT_1))

    assert result.status == "ok", result.error
    assert world.fake.requests.matching(rf"/statuses/{post}/context")
    # Seen tonight in its thread: no walk of its own.
    assert world.fake.requests.matching(rf"/statuses/{answer}/context") == []
    rows = [r for r in world.rows() if r["item_id"] == answer]
    assert len(rows) == 1 and rows[0]["author_is_account"]


def _files_fetched(world: World) -> int:
    return sum(1 for r in world.fake.requests if "/media_attachments/" in r.path)


def test_an_attachment_is_fetched_once_and_an_edit_that_keeps_it_points_to_the_archived_file(
    world: World,
) -> None:
    png = make_png(4, 4, (200, 40, 40))
    post = world.post("Så här blir torget.", days_ago=2, media=[("torget.png", png, "image/png", "Torget")])
    assert only(world.night(NIGHT_1)).status == "ok"
    assert _files_fetched(world) == 1
    first = latest_versions(world.rows())[post]["media"][0]
    world.fake.advance(days=1)
    world.fake.edit(post, world.fake.html("Så här blir torget i vår."))
    world.fake.requests.clear()

    second = only(world.night(NIGHT_2))

    assert second.status == "ok" and second.counts.edited == 1
    assert _files_fetched(world) == 0
    edited = latest_versions(world.rows())[post]
    assert edited["version"] == 2 and edited["media"][0]["warc_record_id"] == first["warc_record_id"]
