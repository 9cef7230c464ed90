"""Nights of capture, end to end: fake Mastodon over HTTP → WARC + Parquet → file store.

Covers the first night (whole history, threads at any depth, edit histories, media), a second
night with new posts, new comments, an edit and deletions, idempotent re-runs, quiet nights,
and what a night reads from the store.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import NightResult, capture_night
from archive_lib.inventory import load_inventory
from archive_lib.models import Inventory
from archive_lib.storage import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_png import make_png
from tests.helpers import (
    FakeClock,
    assert_pointers_resolve,
    assert_warc_files_valid,
    latest_versions,
    read_items,
    write_inventory,
)

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT_1 = dt.date(2026, 11, 20)
NIGHT_2 = dt.date(2026, 11, 21)


class World:
    """One fake instance, one municipal account and its citizens, one store."""

    def __init__(self, fake: FakeMastodon, folder: pathlib.Path) -> None:
        self.fake = fake
        self.folder = folder
        self.town = fake.add_account("kristianstad", "Kristianstads kommun")
        self.anna = fake.add_account("anna", "Anna Lindqvist")
        self.mats = fake.add_account("mats", "Mats Ohlsson", domain="other.example")
        self.clock = FakeClock(fake)
        self.store = FileStore(f"file://{folder / 'archive'}")

    def inventory(self, **account: Any) -> Inventory:
        fields = {"id": "ks-mastodon", "handle": "kristianstad", **account}
        return load_inventory(write_inventory(self.folder, self.fake.base_url, [fields]))

    def night(self, day: dt.date, inventory: Inventory | None = None, **options: Any) -> NightResult:
        return capture_night(
            inventory or self.inventory(),
            self.store,
            day,
            clock=self.clock,
            options=CaptureOptions(**options),
        )

    def post(self, text: str, *, days_ago: float = 0, **kw: Any) -> str:
        at = self.fake.clock.now() - dt.timedelta(days=days_ago)
        return str(self.fake.post(self.town, self.fake.html(text), at=at, **kw)["id"])

    def reply(self, author: Any, text: str, to: str, *, days_ago: float = 0, **kw: Any) -> str:
        at = self.fake.clock.now() - dt.timedelta(days=days_ago)
        return str(self.fake.post(author, self.fake.html(text), in_reply_to=to, at=at, **kw)["id"])

    def rows(self) -> list[dict[str, Any]]:
        return read_items(self.store)

    def files(self) -> list[str]:
        return sorted(
            str(p.relative_to(self.folder)) for p in (self.folder / "archive").rglob("*") if p.is_file()
        )


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeMastodon(now=NOW) as fake:
        yield World(fake, tmp_path)


def only(result: NightResult) -> Any:
    assert len(result.results) == 1
    return result.results[0]


def test_first_night_captures_posts_and_every_comment_at_any_depth(world: World) -> None:
    post = world.post("Badhuset stänger för renovering från måndag. #badhuset", days_ago=3)
    question = world.reply(world.anna, "När öppnar det igen?", post, days_ago=2.9)
    answer = world.reply(world.town, "Enligt plan den 1 mars.", question, days_ago=2.8)
    deeper = world.reply(world.mats, "Tack! Gäller det simhallen i Åhus också?", answer, days_ago=2.7)
    deepest = world.reply(world.town, "Nej, Åhus har öppet som vanligt.", deeper, days_ago=2.6)
    old_post = world.post("Välkommen till kommunens konto!", days_ago=400)
    old_comment = world.reply(world.anna, "Hej!", old_post, days_ago=399)

    result = only(world.night(NIGHT_1))

    assert result.status == "ok", result.error
    rows = world.rows()
    by_id = {r["item_id"]: r for r in rows}
    assert set(by_id) == {post, question, answer, deeper, deepest, old_post, old_comment}
    assert len(rows) == len(by_id)  # one version each
    assert by_id[post]["item_type"] == "post" and by_id[post]["parent_id"] is None
    assert by_id[deepest]["item_type"] == "comment"
    assert by_id[deepest]["parent_id"] == deeper and by_id[deepest]["post_id"] == post
    assert by_id[deepest]["author_is_account"] is True
    assert by_id[deeper]["author_is_account"] is False
    assert by_id[deeper]["author_handle"] == "mats@other.example"
    assert by_id[deeper]["author_name"] == "Mats Ohlsson"
    assert by_id[question]["text"] == "När öppnar det igen?"
    assert by_id[post]["text"] == "Badhuset stänger för renovering från måndag. #badhuset"
    assert {r["event"] for r in rows} == {"new"} and {r["version"] for r in rows} == {1}
    assert by_id[old_comment]["post_id"] == old_post
    for row in rows:
        assert row["platform"] == "mastodon" and row["account_id"] == "ks-mastodon"
        assert row["board"] == "Kommunstyrelsen" and row["retention_class"] == "bevaras"
        assert row["retain_until"] is None  # bevaras: permanent
        assert row["created_at"].tzinfo is not None and row["observed_at"].tzinfo is not None
        assert row["run_id"] == result.run_id
    assert result.counts.posts_new == 2 and result.counts.comments_new == 5
    assert_pointers_resolve(world.store, rows)
    assert assert_warc_files_valid(world.folder / "archive") > 0


def test_first_night_keeps_edit_history_and_media(world: World) -> None:
    png = make_png(4, 3, (10, 120, 200))
    post = world.post(
        "Kommunfullmäktige sammanträder kl 18.00.",
        days_ago=2,
        media=[("karta.png", png, "image/png", "Karta över rådhuset")],
    )
    world.fake.advance(hours=1)
    world.fake.edit(post, world.fake.html("Kommunfullmäktige sammanträder kl 18.30."))
    world.fake.advance(hours=1)
    world.fake.edit(post, world.fake.html("Kommunfullmäktige sammanträder kl 18.30 i rådhuset."))

    result = only(world.night(NIGHT_1, inventory=world.inventory(retention="gallras-efter-2-ar")))

    assert result.status == "ok", result.error
    versions = sorted((r for r in world.rows() if r["item_id"] == post), key=lambda r: r["version"])
    assert [(v["version"], v["event"]) for v in versions] == [(1, "new"), (2, "edited"), (3, "edited")]
    assert [v["text"] for v in versions] == [
        "Kommunfullmäktige sammanträder kl 18.00.",
        "Kommunfullmäktige sammanträder kl 18.30.",
        "Kommunfullmäktige sammanträder kl 18.30 i rådhuset.",
    ]
    assert versions[0]["edited_at"] is None
    assert versions[1]["edited_at"] < versions[2]["edited_at"]
    assert len({v["content_sha256"] for v in versions}) == 3
    assert all(v["retain_until"] == dt.date(2028, 11, 20) for v in versions)
    media = versions[-1]["media"]
    assert (
        len(media) == 1
        and media[0]["http_status"] == 200
        and media[0]["description"] == "Karta över rådhuset"
    )
    assert media[0]["size"] == len(png)
    assert result.counts.media_files == 1  # the same file is not fetched again for every version
    assert_pointers_resolve(world.store, world.rows())
    # The media host is another origin: it never saw a token and got no more than one request.
    media_requests = [r for r in world.fake.requests if "/system/media_attachments/" in r.path]
    assert len(media_requests) == 1 and media_requests[0].host.startswith("localhost")


def test_second_night_records_new_posts_new_comments_an_edit_and_deletions(world: World) -> None:
    post = world.post("Snöröjningen har börjat i hela kommunen.", days_ago=5)
    complaint = world.reply(world.anna, "Ingen plogbil på Vilan än.", post, days_ago=4.9)
    answer = world.reply(world.town, "Vi skickar en bil i eftermiddag.", complaint, days_ago=4.8)
    doomed = world.reply(world.mats, "Skandal!!", post, days_ago=4.7)
    doomed_post = world.post("Fel information, tas bort.", days_ago=4)
    doomed_post_comment = world.reply(world.anna, "Vad stod det?", doomed_post, days_ago=3.9)
    first = only(world.night(NIGHT_1))
    assert first.status == "ok"
    before = {(r["item_id"], r["version"]): r for r in world.rows()}

    world.fake.advance(days=1)
    new_post = world.post("Nu är alla gator plogade. Tack för ert tålamod!")
    new_comment = world.reply(world.anna, "Tack, nu är det fint på Vilan.", post)
    world.fake.edit(complaint, world.fake.html("Ingen plogbil på Vilan än. Uppdatering: nu kom den!"))
    world.fake.delete(doomed)
    world.fake.delete(doomed_post)

    second = only(world.night(NIGHT_2))

    assert second.status == "ok", second.error
    rows = world.rows()
    for key, row in before.items():  # nothing of the first night was lost or rewritten
        assert {(r["item_id"], r["version"]): r for r in rows}[key] == row
    tonight = [r for r in rows if r["run_id"] == second.run_id]
    events = {(r["item_id"], r["event"], r["version"]) for r in tonight}
    assert events == {
        (new_post, "new", 1),
        (new_comment, "new", 1),
        (complaint, "edited", 2),
        (doomed, "deleted", 2),
        (doomed_post, "deleted", 2),
    }
    latest = latest_versions(rows)
    assert latest[complaint]["text"].endswith("Uppdatering: nu kom den!")
    assert latest[doomed]["text"] == "Skandal!!"  # the deleted row keeps what was said
    assert latest[answer]["version"] == 1
    # The comment under the deleted post is still on the platform (Mastodon keeps replies).
    assert latest[doomed_post_comment]["event"] == "new"
    assert second.counts.posts_new == 1 and second.counts.comments_new == 1
    assert second.counts.edited == 1 and second.counts.deleted == 2
    assert_pointers_resolve(world.store, rows)
    assert_warc_files_valid(world.folder / "archive")


def test_the_same_night_twice_changes_nothing(world: World) -> None:
    post = world.post("Biblioteket har öppet till 20 i kväll.", days_ago=1)
    world.reply(world.anna, "Toppen!", post, days_ago=0.5)
    first = only(world.night(NIGHT_1))
    files = world.files()
    requests = len(world.fake.requests)

    again = only(world.night(NIGHT_1))

    assert again.skipped and again.status == "ok" and again.run_id == first.run_id
    assert world.files() == files
    assert len(world.fake.requests) == requests  # not even the platform was asked


def test_a_quiet_night_writes_no_versions_but_accounts_for_itself(world: World) -> None:
    post = world.post("Val till kommunfullmäktige den 13 september.", days_ago=2)
    world.reply(world.anna, "Var röstar jag?", post, days_ago=1)
    only(world.night(NIGHT_1))
    count = len(world.rows())
    world.fake.advance(days=1)

    quiet = only(world.night(NIGHT_2))

    assert quiet.status == "ok"
    assert quiet.counts.versions == 0 and quiet.counts.threads_checked == 1
    assert len(world.rows()) == count
    kinds = Counter(
        key.split("/")[0] + ("/" + key.split("/")[1] if key.startswith("metadata") else "")
        for key in quiet.objects
    )
    assert kinds == Counter({"warc": 1, "metadata/runs": 1})  # evidence of the check, no items part


def test_later_nights_recheck_only_the_window_and_read_only_recent_parts(world: World) -> None:
    old = world.post("Sommarlovsaktiviteter 2025.", days_ago=200)
    world.reply(world.anna, "Finns det simskola?", old, days_ago=199)
    first = only(world.night(NIGHT_1))
    world.fake.advance(days=1)
    recent = world.post("Ny cykelbana på Härlövsvägen.")
    late_comment = world.reply(world.mats, "Sent omsider, men bra.", old)  # outside the window

    reads: list[str] = []
    original_open = world.store.open

    def counting_open(key: str) -> Any:
        reads.append(key)
        return original_open(key)

    world.store.open = counting_open  # type: ignore[method-assign]
    second = only(world.night(NIGHT_2))
    del world.store.open

    assert second.status == "ok"
    context_calls = [r.path for r in world.fake.requests if r.path.endswith("/context")]
    assert f"/api/v1/statuses/{recent}/context" in context_calls
    assert context_calls.count(f"/api/v1/statuses/{old}/context") == 1  # the first night only
    tonight = {r["item_id"] for r in world.rows() if r["run_id"] == second.run_id}
    assert tonight == {recent}
    assert late_comment not in tonight  # the 200-day-old thread is outside the 30-day window
    # The first night's items part holds only old items: tonight read its runs row, not the part.
    assert [k for k in reads if k.startswith("metadata/items/")] == []
    assert [k for k in reads if k.startswith("metadata/runs/")] == [
        f"metadata/runs/run_date=2026-11-20/{first.run_id}.parquet"
    ]
