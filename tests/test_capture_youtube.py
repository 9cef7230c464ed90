"""YouTube nights end to end: fake Data API over HTTP → WARC + Parquet → file store.

Two nights with new videos, new comments and replies (beyond the five shown inline), an edited
comment, deletions confirmed by direct lookup, comments disabled as a note; throttles that wait
on the fake clock, a transient outage, an invalid and an expired key, a spent quota; the quota
units the runs row reports against those the fake counted; and the key in no stored byte.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import pathlib
import subprocess
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import NightResult, capture_night
from archive_lib.connectors import youtube as yt
from archive_lib.connectors.policy import HttpPolicy
from archive_lib.inventory import load_inventory
from archive_lib.metadata.runs import read_run_row, runs_of_night
from archive_lib.models import Inventory
from archive_lib.storage import FileStore
from tests.fakes.youtube import Channel, Comment, FakeYouTube, Video
from tests.helpers import (
    PROCESS_TIMEOUT,
    FakeClock,
    all_bytes,
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
KEY = "AIzaSyD-kristianstad-TEST-0123456789abc"
KEY_ENV = "KS_YOUTUBE_KEY_TEST"


class World:
    """One fake YouTube, the municipality's channel, citizens' comments, one store."""

    def __init__(self, fake: FakeYouTube, folder: pathlib.Path) -> None:
        self.fake = fake
        self.folder = folder
        fake.add_key(KEY)
        self.channel: Channel = fake.add_channel("kristianstadkommun", "Kristianstads kommun")
        self.clock = FakeClock(fake)  # type: ignore[arg-type]
        self.store = FileStore(f"file://{folder / 'archive'}")

    def inventory(self, **account: Any) -> Inventory:
        fields = {
            "id": "ks-youtube",
            "platform": "youtube",
            "handle": "@kristianstadkommun",
            "token_env": KEY_ENV,
            **account,
        }
        return load_inventory(write_inventory(self.folder, self.fake.base_url, [fields]))

    def night(self, day: dt.date, **options: Any) -> Any:
        os.environ[KEY_ENV] = KEY
        try:
            result: NightResult = capture_night(
                self.inventory(), self.store, day, clock=self.clock, options=CaptureOptions(**options)
            )
        finally:
            del os.environ[KEY_ENV]
        assert len(result.results) == 1
        return result.results[0]

    def video(self, title: str, *, days_ago: float, **kw: Any) -> Video:
        return self.fake.upload(
            self.channel, title, f"{title}. Mer på kristianstad.se", at=self.ago(days_ago), **kw
        )

    def comment(
        self, video: Video, author: str, text: str, *, days_ago: float, reply_to: Comment | None = None
    ) -> Comment:
        return self.fake.comment(video, author, text, reply_to=reply_to, at=self.ago(days_ago))

    def ago(self, days: float) -> dt.datetime:
        return self.fake.clock.now() - dt.timedelta(days=days)

    def run_row(self, result: Any, day: dt.date) -> dict[str, Any]:
        row = read_run_row(self.store, day, result.run_id)
        assert row is not None
        return row

    def stored_bytes(self) -> bytes:
        return b"".join(all_bytes(p) for p in (self.folder / "archive").rglob("*") if p.is_file())


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeYouTube(now=NOW) as fake:
        yield World(fake, tmp_path)


def test_first_night_captures_videos_threads_all_replies_and_thumbnails(world: World) -> None:
    budget = world.video("Budgeten 2027 på två minuter", days_ago=5, tags=["budget", "kommunfullmäktige"])
    question = world.comment(budget, "Anna Lindqvist", "Varför höjs taxan för <b>vatten</b>? <3", days_ago=4)
    replies = [
        world.comment(
            budget,
            "Mats Ohlsson" if n % 2 else "Kristianstads kommun",
            f"Svar {n}",
            days_ago=3.9 - n / 100,
            reply_to=question,
        )
        for n in range(8)
    ]
    other = world.comment(budget, "Sara Björk", "Bra förklarat!\nTack.", days_ago=3)
    closed = world.video("Minnesstund på Stora torg", days_ago=2, comments_disabled=True)
    own = world.fake.comment(
        budget, "Kristianstads kommun", "Mer om taxan på kristianstad.se/vatten", at=world.ago(2)
    )
    own.author_channel = world.channel.id

    result = world.night(NIGHT_1)

    assert result.status == "ok", result.error
    rows = read_items(world.store)
    by_id = {r["item_id"]: r for r in rows}
    assert set(by_id) == {budget.id, closed.id, question.id, other.id, own.id, *(r.id for r in replies)}
    video = by_id[budget.id]
    assert video["item_type"] == "post" and video["post_id"] == budget.id and video["parent_id"] is None
    assert (
        video["text"]
        == "Budgeten 2027 på två minuter\n\nBudgeten 2027 på två minuter. Mer på kristianstad.se"
    )
    assert (
        video["url"] == f"https://www.youtube.com/watch?v={budget.id}" and video["author_is_account"] is True
    )
    assert video["created_at"] == budget.published_at
    (thumb,) = video["media"]
    assert (
        thumb["http_status"] == 200
        and thumb["size"] == len(budget.thumbnail)
        and thumb["media_type"] == "thumbnail"
    )
    assert by_id[question.id]["text"] == "Varför höjs taxan för <b>vatten</b>? <3"  # textOriginal, verbatim
    assert by_id[other.id]["text"] == "Bra förklarat!\nTack."
    assert by_id[replies[7].id]["parent_id"] == question.id and by_id[replies[7].id]["post_id"] == budget.id
    assert by_id[own.id]["author_is_account"] is True and by_id[question.id]["author_is_account"] is False
    assert (
        result.counts.posts_new == 2 and result.counts.comments_new == 11 and result.counts.media_files == 2
    )
    run = world.run_row(result, NIGHT_1)
    assert run["notes"] == [f"video {closed.id} (Minnesstund på Stora torg): comments are disabled"]
    assert run["threads"] == [{"post_id": budget.id, "reported_comments": 11}]
    assert run["credential_status"] == "ok" and run["status"] == "ok"
    assert run["api_units"] == world.fake.units_used == 6  # channel, playlist, videos, 2 videos, 1 replies
    parent_calls = world.fake.requests.matching(r"/comments\?.*parentId=")
    assert len(parent_calls) == 1  # only the thread with more replies than shown inline
    for row in rows:
        record = open_record(world.store, row["warc_key"], row["warc_offset"], row["warc_length"])
        assert row["item_id"].encode() in record.payload
        assert "key=REDACTED" in row["source_url"]
    assert_warc_files_valid(world.folder / "archive")
    assert KEY.encode() not in world.stored_bytes()
    thumb_requests = [r for r in world.fake.requests if r.path.startswith("/vi/")]
    assert thumb_requests and all("key" not in r.query for r in thumb_requests)


def test_second_night_records_new_items_an_edit_and_confirmed_deletions(world: World) -> None:
    budget = world.video("Budgeten 2027", days_ago=5)
    question = world.comment(budget, "Anna Lindqvist", "När beslutas budgeten?", days_ago=4)
    answer = world.comment(budget, "Kristianstads kommun", "Den 14 juni.", days_ago=3.9, reply_to=question)
    rude = world.comment(budget, "Troll", "Skandal!!", days_ago=3.8)
    rude_reply = world.comment(budget, "Bo", "Lugna ner dig.", days_ago=3.7, reply_to=rude)
    doomed = world.video("Felaktig film", days_ago=3)
    doomed_comment = world.comment(doomed, "Anna Lindqvist", "Fel datum?", days_ago=2.9)
    first = world.night(NIGHT_1)
    assert first.status == "ok", first.error
    before = {(r["item_id"], r["version"]): r for r in read_items(world.store)}

    world.fake.advance(days=1)
    world.fake.reset_quota()
    fresh = world.video("Nya cykelbanor", days_ago=0.2)
    world.comment(fresh, "Sara Björk", "Äntligen!", days_ago=0.1)
    later = world.comment(
        budget, "Mats Ohlsson", "Och när börjar den gälla?", days_ago=0.5, reply_to=question
    )
    world.fake.edit_comment(question, "När beslutas budgeten? (Jag menar för 2027.)")
    world.fake.delete_comment(rude)
    world.fake.delete_video(doomed)

    second = world.night(NIGHT_2)

    assert second.status == "ok", second.error
    rows = read_items(world.store)
    assert {(r["item_id"], r["version"]): r for r in rows if (r["item_id"], r["version"]) in before} == before
    tonight = {(r["item_id"], r["event"], r["version"]) for r in rows if r["run_id"] == second.run_id}
    new_comment = next(r["item_id"] for r in rows if r["text"] == "Äntligen!")
    assert tonight == {
        (fresh.id, "new", 1),
        (new_comment, "new", 1),
        (later.id, "new", 1),
        (question.id, "edited", 2),
        (rude.id, "deleted", 2),
        (rude_reply.id, "deleted", 2),
        (doomed.id, "deleted", 2),
        (doomed_comment.id, "deleted", 2),
    }
    latest = latest_versions(rows)
    assert latest[question.id]["edited_at"] == question.updated_at
    assert latest[rude.id]["text"] == "Skandal!!"  # the deleted row keeps what was said
    assert latest[answer.id]["version"] == 1
    for item in (rude.id, doomed.id):  # each deletion points at the lookup that came back empty
        record = open_record(
            world.store, latest[item]["warc_key"], latest[item]["warc_offset"], latest[item]["warc_length"]
        )
        assert record.status == 200 and b'"items": []' in record.payload
        assert item in latest[item]["source_url"]
    run = world.run_row(second, NIGHT_2)
    assert run["api_units"] == world.fake.units_used
    assert KEY.encode() not in world.stored_bytes()


def test_the_same_night_twice_changes_nothing(world: World) -> None:
    video = world.video("Valvaka", days_ago=1)
    world.comment(video, "Anna", "Spännande!", days_ago=0.5)
    first = world.night(NIGHT_1)
    files = sorted(p for p in (world.folder / "archive").rglob("*"))
    asked = len(world.fake.requests)

    again = world.night(NIGHT_1)

    assert again.skipped and again.run_id == first.run_id
    assert sorted(p for p in (world.folder / "archive").rglob("*")) == files
    assert len(world.fake.requests) == asked


def test_quiet_old_videos_are_not_re_read_until_their_turn(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = world.video("Sommarlov", days_ago=20)
    comment = world.comment(old, "Anna", "Finns det simskola?", days_ago=19)
    world.night(NIGHT_1)
    night = next(
        NIGHT_2 + dt.timedelta(days=n)
        for n in range(yt.ROTATION_NIGHTS)
        if (zlib.crc32(old.id.encode()) + (NIGHT_2 + dt.timedelta(days=n)).toordinal()) % yt.ROTATION_NIGHTS
    )
    turn = next(
        NIGHT_2 + dt.timedelta(days=n)
        for n in range(yt.ROTATION_NIGHTS)
        if not (zlib.crc32(old.id.encode()) + (NIGHT_2 + dt.timedelta(days=n)).toordinal())
        % yt.ROTATION_NIGHTS
    )
    world.fake.edit_comment(comment, "Finns det simskola i Åhus?")  # an edit leaves the count as it was
    world.fake.reset_quota()
    world.fake.requests.clear()

    quiet = world.night(night)

    assert quiet.status == "ok" and quiet.counts.edited == 0
    assert world.fake.requests.matching("/commentThreads") == []
    assert world.run_row(quiet, night)["api_units"] == world.fake.units_used == 3
    assert "unchanged comment count" in world.run_row(quiet, night)["notes"][0]

    later = world.night(turn) if turn > night else None
    if later is None:  # the turn came first: the count differing also triggers the walk
        world.comment(old, "Bo", "Ja, i Åhus.", days_ago=0)
        later = world.night(night + dt.timedelta(days=1))
    assert later.status == "ok" and later.counts.edited == 1
    assert latest_versions(read_items(world.store))[comment.id]["text"] == "Finns det simskola i Åhus?"


def test_throttles_wait_on_the_fake_clock_and_a_transient_error_is_retried(world: World) -> None:
    video = world.video("Trafikinfo", days_ago=1)
    world.comment(video, "Anna", "Tack!", days_ago=0.5)
    world.fake.inject_error("/commentThreads", "rateLimitExceeded", count=2)
    world.fake.inject_error("/videos", "backendError", count=1)

    result = world.night(NIGHT_1)

    assert result.status == "ok", result.error
    assert result.counts.comments_new == 1
    assert len(world.clock.waits) == 3 and sum(world.clock.waits) > 0  # two throttles, one backoff
    assert world.run_row(result, NIGHT_1)["api_units"] == world.fake.units_used


def test_a_failed_comment_walk_marks_nothing_deleted(world: World) -> None:
    video = world.video("Bibliotekets öppettider", days_ago=2)
    comment = world.comment(video, "Anna", "Öppet på söndag?", days_ago=1.5)
    world.night(NIGHT_1)
    world.fake.advance(days=1)
    world.fake.delete_comment(comment)
    world.fake.inject_error("/commentThreads", "backendError", count=5)

    result = world.night(NIGHT_2, http=HttpPolicy(max_attempts=5))

    assert result.status == "failed" and "comments of video" in (result.error or "")
    assert result.counts.deleted == 0
    assert latest_versions(read_items(world.store))[comment.id]["event"] == "new"
    assert world.run_row(result, NIGHT_2)["api_units"] == world.fake.units_used - 4  # night 1 cost 4


def test_an_invalid_key_fails_the_account_naming_the_key(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="archive_lib")
    world.video("Film", days_ago=1)
    world.fake.valid_keys.clear()

    result = world.night(NIGHT_1)

    assert result.status == "failed" and not result.retryable
    assert f"${KEY_ENV}" in (result.error or "") and "API key" in (result.error or "")
    run = world.run_row(result, NIGHT_1)
    assert run["credential_status"] == "refused" and run["api_units"] == 0 == world.fake.units_used
    assert "API key" in caplog.text and KEY not in caplog.text
    assert KEY.encode() not in world.stored_bytes()


def test_an_expired_key_is_reported_as_expired(world: World) -> None:
    world.video("Film", days_ago=1)
    world.fake.expire_key(KEY)

    result = world.night(NIGHT_1)

    assert result.status == "failed" and "expired" in (result.error or "")
    assert world.run_row(result, NIGHT_1)["credential_status"] == "expired"


def test_a_spent_quota_stops_the_account_and_keeps_the_work(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="archive_lib")
    videos = [world.video(f"Film {n}", days_ago=3 - n / 10) for n in range(4)]
    for video in videos:
        world.comment(video, "Anna", f"Kommentar till {video.title}", days_ago=1)
    world.fake.quota_limit = 5  # channel, playlist, videos, then two videos' comments

    result = world.night(NIGHT_1)

    assert result.status == "failed" and not result.retryable
    assert "quota" in (result.error or "")
    run = world.run_row(result, NIGHT_1)
    assert run["api_units"] == world.fake.units_used == 5 and run["credential_status"] == "ok"
    rows = read_items(world.store)
    assert {r["item_type"] for r in rows} == {"post", "comment"}
    assert sum(r["item_type"] == "comment" for r in rows) == 2  # what was captured is kept
    assert run["high_water"] is None  # the next night walks again
    assert "quota" in caplog.text and KEY not in caplog.text
    assert KEY.encode() not in world.stored_bytes()


def test_archivectl_capture_end_to_end_without_the_key_in_any_byte_or_log(world: World) -> None:
    video = world.video("Kommunfullmäktige 28 november", days_ago=1)
    world.comment(video, "Anna", "Sänds det live?", days_ago=0.5)
    inventory = world.folder / "inventory.yaml"
    world.inventory()  # writes it
    store = f"file://{world.folder / 'archive'}"

    done = subprocess.run(
        capture_command(inventory, store, "-v"),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
        env={**os.environ, KEY_ENV: KEY},
    )

    assert done.returncode == 0, done.stderr
    assert "ks-youtube" in done.stdout
    assert KEY not in done.stdout + done.stderr
    assert KEY.encode() not in world.stored_bytes()
    (run,) = runs_of_night(FileStore(store), NIGHT_1)
    assert run["api_units"] == world.fake.units_used and run["counts"]["comments_new"] == 1


def test_the_sample_channel_is_captured_whole(tmp_path: pathlib.Path) -> None:
    from tests.fakes.youtube_sample import populate_demo

    with FakeYouTube(now=NOW) as fake:
        info = populate_demo(fake)
        world = World(fake, tmp_path)
        inventory = load_inventory(
            write_inventory(
                tmp_path,
                fake.base_url,
                [{"id": "ks-youtube", "platform": "youtube", "handle": info["handle"], "token_env": KEY_ENV}],
            )
        )
        os.environ[KEY_ENV] = info["key"]
        try:
            result = capture_night(inventory, world.store, NIGHT_1, clock=world.clock).results[0]
        finally:
            del os.environ[KEY_ENV]

        assert result.status == "ok", result.error
        rows = latest_versions(read_items(world.store))
        assert set(info["videos"]) | set(info["comments"]) == set(rows)
        assert info["roles"]["held_for_review"] not in rows  # the API key cannot see it
        assert rows[info["roles"]["hostile_markup"]]["text"].startswith("<script>")
        assert rows[info["roles"]["edited_comment"]]["edited_at"] is not None
        run = world.run_row(result, NIGHT_1)
        sorting = info["videos"][1]
        captured = sum(1 for r in rows.values() if r["post_id"] == sorting and r["item_type"] == "comment")
        reported = {t["post_id"]: t["reported_comments"] for t in run["threads"]}
        assert reported[sorting] == captured + 1  # the counter includes the held comment
        assert run["api_units"] == fake.units_used


def test_nights_that_did_not_run_leave_no_gap(world: World) -> None:
    world.video("Första filmen", days_ago=1)
    world.night(NIGHT_1)
    world.fake.advance(days=60)
    missed = world.video("Under uppehållet", days_ago=45)  # older than the 30-day window tonight
    world.fake.reset_quota()

    result = world.night(NIGHT_1 + dt.timedelta(days=60))

    assert result.status == "ok"
    assert missed.id in {r["item_id"] for r in read_items(world.store)}


def test_inventory_defaults_the_api_hosts_of_youtube_and_bluesky(tmp_path: pathlib.Path) -> None:
    import yaml

    document = {
        "organisation": "Kristianstads kommun",
        "retention_classes": {"bevaras": {"keep": "permanent"}},
        "accounts": [
            {
                "id": "ks-youtube",
                "platform": "youtube",
                "handle": "@kristianstadskommun",
                "token_env": KEY_ENV,
            },
            {"id": "ks-bluesky", "platform": "bluesky", "handle": "kristianstad.se"},
        ],
    }
    for account in document["accounts"]:
        account.update(board="Kommunstyrelsen", responsible="Anna", substitute="Bo", retention="bevaras")
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    inventory = load_inventory(path)

    assert inventory.account("ks-youtube").api_base == "https://www.googleapis.com/youtube/v3"
    assert inventory.account("ks-bluesky").api_base == "https://public.api.bsky.app"


def test_a_channel_id_works_as_the_handle(world: World) -> None:
    video = world.video("Film", days_ago=1)
    os.environ[KEY_ENV] = KEY
    try:
        inventory = world.inventory(handle=world.channel.id)
        result = capture_night(inventory, world.store, NIGHT_1, clock=world.clock).results[0]
    finally:
        del os.environ[KEY_ENV]
    assert result.status == "ok" and video.id in {r["item_id"] for r in read_items(world.store)}
    assert world.fake.requests.matching(f"/channels\\?.*id={world.channel.id}")


def test_a_video_that_vanishes_during_its_comment_walk_marks_nothing_deleted(world: World) -> None:
    video = world.video("Film", days_ago=2)
    comment = world.comment(video, "Anna", "Hej", days_ago=1)
    world.night(NIGHT_1)
    world.fake.advance(days=1)
    world.fake.delete_comment(comment)
    world.fake.inject_error("/commentThreads", "videoNotFound")

    result = world.night(NIGHT_2)

    assert result.status == "ok" and result.counts.deleted == 0
    assert world.fake.requests.matching(r"/comments\?.*id=") == []


def test_a_page_token_that_repeats_ends_the_night_instead_of_looping(world: World) -> None:
    for n in range(3):
        world.video(f"Film {n}", days_ago=3 - n)
    stuck = {
        "kind": "youtube#playlistItemListResponse",
        "etag": "x",
        "nextPageToken": "CAEQAA",
        "pageInfo": {"totalResults": 3, "resultsPerPage": 50},
        "items": [],
    }
    world.fake.control.inject("/playlistItems", 200, 3, stuck, None)

    result = world.night(NIGHT_1)

    assert result.status == "failed" and "repeated a next-page cursor" in (result.error or "")
    assert len(world.fake.requests.matching("/playlistItems")) == 2
