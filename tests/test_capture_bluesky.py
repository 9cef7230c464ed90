"""Bluesky nights end to end: fake AppView over HTTP → WARC + Parquet → file store.

Two nights with new posts, replies nested deeply, answers in other people's threads, a record
rewritten (new ``cid``: the only kind of edit Bluesky has), an unchanged post seen again, deletions
confirmed by ``NotFound``; odd ``createdAt`` values, an unknown embed type, replies from a
taken-down account; rate limits that wait on the fake clock, transient errors, a failed walk that
marks nothing deleted; idempotent re-runs and ``archivectl capture``.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import capture_night
from archive_lib.inventory import load_inventory
from archive_lib.metadata.runs import read_run_row, runs_of_night
from archive_lib.models import Inventory
from archive_lib.storage import FileStore
from tests.fakes.bluesky import Actor, FakeBluesky, Post, sample_image
from tests.helpers import (
    PROCESS_TIMEOUT,
    FakeClock,
    archivectl,
    assert_warc_files_valid,
    capture_command,
    latest_versions,
    open_record,
    read_items,
    write_inventory,
)

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT_1 = dt.date(2026, 11, 20)
NIGHT_2 = dt.date(2026, 11, 21)


class World:
    def __init__(self, fake: FakeBluesky, folder: pathlib.Path) -> None:
        self.fake = fake
        self.folder = folder
        self.town: Actor = fake.add_actor("kristianstad.se", "Kristianstads kommun")
        self.anna: Actor = fake.add_actor("annalind.bsky.social", "Anna Lindqvist")
        self.mats: Actor = fake.add_actor("mats.bsky.social", "Mats Ohlsson")
        self.clock = FakeClock(fake)  # type: ignore[arg-type]
        self.store = FileStore(f"file://{folder / 'archive'}")

    def inventory(self, **account: Any) -> Inventory:
        fields = {"id": "ks-bluesky", "platform": "bluesky", "handle": "kristianstad.se", **account}
        return load_inventory(write_inventory(self.folder, self.fake.base_url, [fields]))

    def night(self, day: dt.date, **options: Any) -> Any:
        result = capture_night(
            self.inventory(), self.store, day, clock=self.clock, options=CaptureOptions(**options)
        )
        assert len(result.results) == 1
        return result.results[0]

    def post(
        self, author: Actor, text: str, *, days_ago: float, reply_to: Post | None = None, **kw: Any
    ) -> Post:
        at = self.fake.clock.now() - dt.timedelta(days=days_ago)
        return self.fake.post(author, text, reply_to=reply_to, at=at, **kw)

    def run_row(self, result: Any, day: dt.date) -> dict[str, Any]:
        row = read_run_row(self.store, day, result.run_id)
        assert row is not None
        return row


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeBluesky(now=NOW) as fake:
        yield World(fake, tmp_path)


def _chain(world: World, root: Post, length: int, days_ago: float) -> list[Post]:
    posts, parent = [], root
    for n in range(length):
        author = world.anna if n % 2 == 0 else world.town
        parent = world.post(author, f"Svar på nivå {n + 1}", days_ago=days_ago - n / 1000, reply_to=parent)
        posts.append(parent)
    return posts


def test_first_night_captures_posts_deep_threads_answers_elsewhere_and_images(world: World) -> None:
    link = "Läs mer på kristianstad.se/bad"
    facets = [
        {
            "index": {"byteStart": 12, "byteEnd": 30},
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://kristianstad.se/bad"}],
        }
    ]
    post = world.post(
        world.town, link, days_ago=3, images=[(sample_image(1), "Badhuset i Kristianstad")], facets=facets
    )
    chain = _chain(world, post, 12, days_ago=2.9)
    side = world.post(world.mats, "Och <script>alert(1)</script> parkeringen?", days_ago=2.5, reply_to=post)
    foreign = world.post(world.anna, "Vem ansvarar för gatlyktorna på Vilan?", days_ago=2)
    answer = world.post(world.town, "Det gör tekniska förvaltningen.", days_ago=1.9, reply_to=foreign)
    below_answer = world.post(world.anna, "Tack!", days_ago=1.8, reply_to=answer)
    world.fake.repost(world.town, foreign, at=world.fake.clock.now() - dt.timedelta(days=1))
    odd = world.post(world.town, "Ny tid för mötet", days_ago=1, created_at="2026-11-19T10:00:00.123456")
    future = world.post(
        world.town, "Fel klocka i appen", days_ago=0.5, created_at="2027-01-01T00:00:00+14:00"
    )
    unknown = world.post(
        world.town,
        "Bilder från invigningen",
        days_ago=0.4,
        embed=(
            {"$type": "app.bsky.embed.notYetKnown", "items": []},
            {"$type": "app.bsky.embed.notYetKnown#view", "items": [{"x": 1}]},
        ),
    )

    result = world.night(NIGHT_1)

    assert result.status == "ok", result.error
    rows = read_items(world.store)
    by_id = {r["item_id"]: r for r in rows}
    expected = [post, *chain, side, answer, below_answer, odd, future, unknown]
    assert set(by_id) == {p.uri for p in expected}
    assert foreign.uri not in by_id  # someone else's post, only shared: not the account's
    assert by_id[post.uri]["text"] == link and by_id[post.uri]["item_type"] == "post"
    assert by_id[side.uri]["text"] == "Och <script>alert(1)</script> parkeringen?"
    deepest = by_id[chain[-1].uri]
    assert deepest["parent_id"] == chain[-2].uri and deepest["post_id"] == post.uri
    assert by_id[answer.uri]["post_id"] == foreign.uri and by_id[below_answer.uri]["parent_id"] == answer.uri
    assert by_id[answer.uri]["author_is_account"] and not by_id[below_answer.uri]["author_is_account"]
    assert by_id[post.uri]["url"] == f"https://bsky.app/profile/kristianstad.se/post/{post.rkey}"
    (image,) = by_id[post.uri]["media"]
    assert image["http_status"] == 200 and image["description"] == "Badhuset i Kristianstad"
    assert by_id[odd.uri]["created_at"] == dt.datetime(2026, 11, 19, 10, 0, 0, 123456, tzinfo=dt.UTC)
    assert by_id[future.uri]["created_at"] == future.indexed_at  # a clock ahead of the AppView: indexedAt
    assert [m["media_type"] for m in by_id[unknown.uri]["media"]] == ["app.bsky.embed.notYetKnown#view"]
    run = world.run_row(result, NIGHT_1)
    assert any("app.bsky.embed.notYetKnown#view" in n for n in run["notes"])
    reported = {t["post_id"]: t["reported_comments"] for t in run["threads"]}
    assert reported[post.uri] == 13 and reported[foreign.uri] == 1
    assert run["credential_status"] == "none" and run["warnings"] == []
    for row in rows:
        record = open_record(world.store, row["warc_key"], row["warc_offset"], row["warc_length"])
        assert row["item_id"].encode() in record.payload
    assert_warc_files_valid(world.folder / "archive")


def test_second_night_records_new_items_a_rewrite_and_confirmed_deletions(world: World) -> None:
    post = world.post(world.town, "Snöröjningen har börjat.", days_ago=5)
    chain = _chain(world, post, 4, days_ago=4.9)
    rude = world.post(world.mats, "Skandal!!", days_ago=4.5, reply_to=post)
    doomed = world.post(world.town, "Fel information, tas bort.", days_ago=4)
    doomed_reply = world.post(world.anna, "Vad stod det?", days_ago=3.9, reply_to=doomed)
    first = world.night(NIGHT_1)
    assert first.status == "ok", first.error
    before = {(r["item_id"], r["version"]): r for r in read_items(world.store)}

    world.fake.advance(days=1)
    new_post = world.post(world.town, "Alla gator är plogade.", days_ago=0.1)
    deeper = world.post(world.mats, "Inte på Näsby!", days_ago=0.05, reply_to=chain[-1])
    world.fake.rewrite(chain[0], "Svar på nivå 1 (rättat)")
    world.fake.delete(rude)
    world.fake.delete(doomed)

    second = world.night(NIGHT_2)

    assert second.status == "ok", second.error
    rows = read_items(world.store)
    assert {(r["item_id"], r["version"]): r for r in rows if (r["item_id"], r["version"]) in before} == before
    tonight = {(r["item_id"], r["event"], r["version"]) for r in rows if r["run_id"] == second.run_id}
    assert tonight == {
        (new_post.uri, "new", 1),
        (deeper.uri, "new", 1),
        (chain[0].uri, "edited", 2),
        (rude.uri, "deleted", 2),
        (doomed.uri, "deleted", 2),
    }
    latest = latest_versions(rows)
    assert latest[chain[0].uri]["text"] == "Svar på nivå 1 (rättat)"
    assert latest[deeper.uri]["parent_id"] == chain[-1].uri and latest[deeper.uri]["post_id"] == post.uri
    assert latest[doomed_reply.uri]["event"] == "new"  # a reply outlives its deleted root
    assert latest[post.uri]["version"] == 1  # seen again unchanged: nothing added
    record = open_record(
        world.store,
        latest[rude.uri]["warc_key"],
        latest[rude.uri]["warc_offset"],
        latest[rude.uri]["warc_length"],
    )
    assert record.status == 400 and b"NotFound" in record.payload
    assert second.counts.unchanged > 0


def test_the_same_night_twice_changes_nothing(world: World) -> None:
    post = world.post(world.town, "Biblioteket har öppet till 20.", days_ago=1)
    world.post(world.anna, "Toppen!", days_ago=0.5, reply_to=post)
    first = world.night(NIGHT_1)
    files = sorted((world.folder / "archive").rglob("*"))
    asked = len(world.fake.requests)

    again = world.night(NIGHT_1)

    assert again.skipped and again.run_id == first.run_id
    assert sorted((world.folder / "archive").rglob("*")) == files and len(world.fake.requests) == asked


def test_rate_limits_wait_on_the_fake_clock(world: World) -> None:
    posts = [world.post(world.town, f"Inlägg {n}", days_ago=2 - n / 10) for n in range(4)]
    for post in posts:
        world.post(world.anna, "Bra!", days_ago=0.5, reply_to=post)
    world.fake.rate_limit, world.fake.rate_window = 3, 60

    result = world.night(NIGHT_1)

    assert result.status == "ok", result.error
    assert result.counts.posts_new == 4 and result.counts.comments_new == 4
    assert world.clock.waits and all(0 < w <= 61 + 1 for w in world.clock.waits)
    assert [r.status for r in world.fake.requests if r.status == 429] == []  # it waited before asking


def test_a_429_with_ratelimit_headers_is_waited_out(world: World) -> None:
    world.post(world.town, "Inlägg", days_ago=1)
    reset = int((NOW + dt.timedelta(seconds=42)).timestamp())
    headers = {
        "RateLimit-Limit": "3000",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(reset),
        "RateLimit-Policy": "3000;w=300",
    }
    world.fake.inject_error("getAuthorFeed", 429, "RateLimitExceeded", "Rate Limit Exceeded", headers)
    world.fake.inject_error("getPostThread", 503, "NotEnoughResources", "try later")

    result = world.night(NIGHT_1)

    assert result.status == "ok", result.error
    assert world.clock.waits[0] == pytest.approx(43.0)  # until the reset, plus the margin
    assert len(world.clock.waits) == 2  # and one backoff for the 503


def test_a_failed_thread_walk_marks_nothing_deleted(world: World) -> None:
    post = world.post(world.town, "Öppet hus på räddningstjänsten.", days_ago=2)
    reply = world.post(world.anna, "Kan barn följa med?", days_ago=1.5, reply_to=post)
    world.night(NIGHT_1)
    world.fake.advance(days=1)
    world.fake.delete(reply)
    world.fake.inject_error("getPostThread", 502, "UpstreamFailure", "upstream failed", count=5)

    result = world.night(NIGHT_2)

    assert result.status == "failed" and "thread" in (result.error or "")
    assert result.counts.deleted == 0
    assert latest_versions(read_items(world.store))[reply.uri]["event"] == "new"


def test_replies_from_taken_down_accounts_are_a_warning(world: World) -> None:
    troll = world.fake.add_actor("troll.bsky.social", "Troll")
    post = world.post(world.town, "Välkommen till kommunens konto!", days_ago=1)
    world.post(troll, "Spam", days_ago=0.5, reply_to=post)
    troll.taken_down = True

    result = world.night(NIGHT_1)

    assert result.status == "ok"
    (warning,) = world.run_row(result, NIGHT_1)["warnings"]
    assert post.uri in warning and "blocked or taken-down" in warning


def test_an_unknown_handle_fails_the_account(world: World) -> None:
    inventory = world.inventory(handle="finns-inte.bsky.social")
    night = capture_night(inventory, world.store, NIGHT_1, clock=world.clock)
    result = night.results[0]
    assert result.status == "failed" and "Profile not found" in (result.error or "")


def test_archivectl_capture_end_to_end(world: World) -> None:
    post = world.post(world.town, "Kommunfullmäktige sänds live i kväll.", days_ago=1)
    world.post(world.anna, "Var hittar jag länken?", days_ago=0.5, reply_to=post)
    inventory = world.folder / "inventory.yaml"
    world.inventory()
    store = f"file://{world.folder / 'archive'}"

    done = subprocess.run(
        capture_command(inventory, store),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
        env=dict(os.environ),
    )

    assert done.returncode == 0, done.stderr
    (run,) = runs_of_night(FileStore(store), NIGHT_1)
    assert (
        run["platform"] == "bluesky"
        and run["counts"]["posts_new"] == 1
        and run["counts"]["comments_new"] == 1
    )


def test_the_sample_account_is_captured_whole(tmp_path: pathlib.Path) -> None:
    from tests.fakes.bluesky_sample import populate_demo

    with FakeBluesky(now=NOW) as fake:
        info = populate_demo(fake)
        world = World(fake, tmp_path)
        result = world.night(NIGHT_1)

        assert result.status == "ok", result.error
        rows = latest_versions(read_items(world.store))
        taken_down = info["roles"]["taken_down_reply"]
        assert (set(info["posts"]) | set(info["comments"])) - {taken_down} == set(rows)
        run = world.run_row(result, NIGHT_1)
        assert len(run["warnings"]) == 1 and "taken-down" in run["warnings"][0]
        assert rows[info["roles"]["answer_in_citizen_thread"]]["author_is_account"] is True
        assert rows[info["roles"]["deep_reply"]]["post_id"] == info["roles"]["images_and_link"]


def test_nights_that_did_not_run_leave_no_gap(world: World) -> None:
    world.post(world.town, "Första inlägget", days_ago=1)
    world.night(NIGHT_1)
    world.fake.advance(days=60)
    missed = world.post(world.town, "Under uppehållet", days_ago=45)  # older than the window tonight

    result = world.night(NIGHT_1 + dt.timedelta(days=60))

    assert result.status == "ok"
    assert missed.uri in {r["item_id"] for r in read_items(world.store)}


def test_a_feed_that_ends_early_marks_nothing_deleted(world: World) -> None:
    posts = [world.post(world.town, f"Inlägg {n}", days_ago=10 - n / 20) for n in range(110)]
    world.night(NIGHT_1)
    world.fake.advance(days=1)
    world.fake.early_end = 1  # the AppView drops the cursor after one page (atproto#2616)

    result = world.night(NIGHT_2)

    assert result.status == "ok"
    assert result.counts.deleted == 0
    assert {r["event"] for r in latest_versions(read_items(world.store)).values()} == {"new"}
    looked_up = world.fake.requests.matching(r"getPostThread\?.*depth=0")
    oldest = {p.rkey for p in posts[:10]}  # the ones the short listing did not reach
    assert len(looked_up) == 10 and all(any(k in r.target for k in oldest) for r in looked_up)


def test_a_cursor_that_repeats_ends_the_night_instead_of_looping(world: World) -> None:
    post = world.post(world.town, "Inlägg", days_ago=1)
    page = {"cursor": "2026-11-19T10:00:00.000Z", "feed": [{"post": world.fake.post_view(post)}]}
    world.fake.control.inject("getAuthorFeed", 200, 3, page, None)

    result = world.night(NIGHT_1)

    assert result.status == "failed" and "repeated a next-page cursor" in (result.error or "")
    assert len(world.fake.requests.matching("getAuthorFeed")) == 2



@pytest.mark.parametrize(
    "created_at",
    ["0099-11-19T10:00:00.000Z", "9999-12-31T23:59:59.999Z", "not a time", "2026-11-19T10:00:00+25:00"],
)
def test_a_reply_with_an_odd_created_at_is_archived_once_and_found(
    world: World, tmp_path: pathlib.Path, created_at: str
) -> None:
    # Any Bluesky user can send a reply whose client-written createdAt is in the year 99, in the
    # year 9999 or no time at all (the lexicon asks for a datetime; the AppView passes it on).
    post = world.post(world.town, "Vinterväghållningen börjar i natt.", days_ago=1)
    text = "Plogbilen har inte varit på Kanalgatan."
    reply = world.post(world.anna, text, days_ago=0.5, reply_to=post, created_at=created_at)

    first = world.night(NIGHT_1)
    second = world.night(NIGHT_2)

    assert (first.status, second.status) == ("ok", "ok"), (first.error, second.error)
    assert second.counts.comments_new == 0 and second.counts.versions == 0  # nothing archived twice
    (row,) = [r for r in read_items(world.store) if r["item_id"] == reply.uri]
    if created_at.startswith("0099"):
        assert row["created_at"] == dt.datetime(99, 11, 19, 10, tzinfo=dt.UTC)  # the author's, however odd
        assert row["unparsed"] == []
    elif created_at.startswith("9999"):  # later than the AppView saw it: a wrong clock, its time
        assert row["created_at"] == reply.indexed_at and row["unparsed"] == []
    else:  # unreadable: the AppView's time, and the value as sent
        assert row["created_at"] == reply.indexed_at
        assert row["unparsed"] == [{"field": "record.createdAt", "value": f'"{created_at}"'}]
    # The registrars find it.
    index = str(tmp_path / "index")
    found = subprocess.run(
        archivectl("search", "Kanalgatan", "--store", world.store.url, "--index", index, "--format", "json"),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    assert reply.uri in found.stdout and text in found.stdout
