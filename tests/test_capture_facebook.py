"""Facebook Pages, end to end: fake Graph API over HTTP → WARC + Parquet → file store.

Two nights of a Page: posts (the Page's and a visitor's), comments at every depth, attachments,
an edit, a hidden and un-hidden comment, deletions confirmed by Graph's 100/33, throttling,
an expired token, transient errors, a re-run, and no token in any stored byte or log line.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import subprocess
from collections.abc import Iterator

import pytest

from archive_lib.connectors.facebook import UNKNOWN_AUTHOR_ID
from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage import FileStore
from tests.fakes.graph_server import FakeGraph
from tests.graph_helpers import NIGHT_1, NIGHT_2, NOW, TOKEN, GraphTown, by_id, graph_town
from tests.helpers import (
    PROCESS_TIMEOUT,
    assert_pointers_resolve,
    assert_warc_files_valid,
    capture_command,
    latest_versions,
    write_inventory,
)


@pytest.fixture
def town(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> Iterator[GraphTown]:
    yield from graph_town(tmp_path, caplog)


def test_two_nights_of_a_page(town: GraphTown, caplog: pytest.LogCaptureFixture) -> None:
    w = town.world
    photo = w.add_file("badhuset.jpg", b"\xff\xd8\xff\xe0 badhuset jpeg", "image/jpeg")
    post = w.post(
        town.page,
        "Badhuset stänger för renovering från måndag. Simhallen i Åhus har utökade öppettider.",
        at=town.ago(days=3),
        attachments=[w.photo(photo, "Badhuset från Västra Storgatan")],
    )
    question = w.comment(post, town.anna, "När öppnar det igen? <3", at=town.ago(days=2.9))
    answer = w.comment(question, town.page, "Enligt plan den 1 mars.", at=town.ago(days=2.8))
    deeper = w.comment(
        answer, town.mats, "Gäller det Åhus också? <script>alert(1)</script>", at=town.ago(days=2.7)
    )
    ghost = w.add_person("Okänd", shares_profile=False)
    anonymous = w.comment(post, ghost, "Bra initiativ!", at=town.ago(days=2.5))
    to_hide = w.comment(post, town.mats, "Skräp till kommunen", at=town.ago(days=2.4))
    to_delete = w.comment(post, town.anna, "Fel tråd, förlåt", at=town.ago(days=2.3))
    visitor = w.post(
        town.page, "Varför är gatlyktorna på Härlövsvägen släckta?", author=town.anna, at=town.ago(days=1)
    )
    old = w.post(town.page, "Välkommen till kommunens sida!", at=town.ago(days=400))
    old_comment = w.comment(old, town.anna, "Hej!", at=town.ago(days=399))

    first = town.night(NIGHT_1, "ks-facebook").results[0]

    assert first.status == "ok", first.error
    rows = town.rows()
    items = by_id(rows)
    expected = [post, question, answer, deeper, anonymous, to_hide, to_delete, visitor, old, old_comment]
    assert set(items) == {o.id for o in expected}
    assert first.counts.posts_new == 3 and first.counts.comments_new == 7
    assert items[deeper.id][0]["parent_id"] == answer.id and items[deeper.id][0]["post_id"] == post.id
    assert items[question.id][0]["parent_id"] == post.id
    assert items[question.id][0]["text"] == "När öppnar det igen? <3"  # verbatim: plain text
    assert items[deeper.id][0]["text"] == "Gäller det Åhus också? <script>alert(1)</script>"
    assert items[answer.id][0]["author_is_account"] is True
    assert items[question.id][0]["author_name"] == "Anna Lindqvist"
    assert items[visitor.id][0]["item_type"] == "post" and items[visitor.id][0]["author_is_account"] is False
    assert items[anonymous.id][0]["author_id"] == UNKNOWN_AUTHOR_ID
    assert "unknown" in items[anonymous.id][0]["author_name"]
    assert items[question.id][0]["hidden"] is False
    media = items[post.id][0]["media"]
    assert len(media) == 1 and media[0]["http_status"] == 200 and media[0]["size"] == len(photo.data)
    assert first.counts.media_files == 1
    run = town.runs(NIGHT_1)["ks-facebook"]
    assert run["credential_status"] == "ok"
    assert {t["post_id"]: t["reported_comments"] for t in run["threads"]}[post.id] == 6
    assert any("without their author" in n for n in run["notes"])
    assert_pointers_resolve(town.store, rows)
    assert_warc_files_valid(town.folder / "archive")

    # The second night: a new post, a reply deep in the thread, an edit, a hidden comment, a deletion.
    town.fake.advance(days=1)
    new_post = w.post(town.page, "Julmarknad på Stora torg i helgen.", at=town.ago(hours=5))
    deepest = w.comment(deeper, town.page, "Nej, Åhus har öppet som vanligt.", at=town.ago(hours=4))
    w.edit(post, "Badhuset stänger för renovering från måndag 2 december.")
    w.hide(to_hide)
    w.delete(to_delete)
    late = w.comment(old, town.mats, "Finns det en app?", at=town.ago(hours=3))  # old post, count moves

    second = town.night(NIGHT_2, "ks-facebook").results[0]

    assert second.status == "ok", second.error
    items = by_id(town.rows())
    assert [r["event"] for r in items[post.id]] == ["new", "edited"]
    edited = items[post.id][1]
    assert edited["text"] == "Badhuset stänger för renovering från måndag 2 december."
    assert edited["content_sha256"] != items[post.id][0]["content_sha256"]
    assert edited["edited_at"] is not None and edited["media"][0]["sha256"] == media[0]["sha256"]
    assert [r["event"] for r in items[to_hide.id]] == ["new", "hidden"]
    assert items[to_hide.id][1]["hidden"] is True
    assert [r["event"] for r in items[to_delete.id]] == ["new", "deleted"]
    assert items[deepest.id][0]["parent_id"] == deeper.id and items[deepest.id][0]["event"] == "new"
    assert items[new_post.id][0]["event"] == "new"
    assert items[late.id][0]["post_id"] == old.id
    assert second.counts.deleted == 1 and second.counts.hidden == 1 and second.counts.edited == 1
    assert second.counts.media_files == 0  # the photo is archived already
    assert_pointers_resolve(town.store, [r for r in town.rows() if r["event"] != "deleted"])

    # The third night: the comment is shown again.
    town.fake.advance(days=1)
    w.hide(to_hide, False)
    third = town.night(dt.date(2026, 11, 22), "ks-facebook").results[0]
    assert third.status == "ok"
    assert [r["event"] for r in by_id(town.rows())[to_hide.id]] == ["new", "hidden", "unhidden"]

    stored = town.stored_bytes()
    assert TOKEN.encode() not in stored
    assert b"access_token=REDACTED" in stored  # Graph's paging links and our request URLs
    assert TOKEN not in caplog.text


def test_the_same_night_twice_changes_nothing(town: GraphTown) -> None:
    post = town.world.post(town.page, "Sophämtningen flyttas en dag.", at=town.ago(days=1))
    town.world.comment(post, town.anna, "Tack för infon!", at=town.ago(hours=20))
    assert town.night(NIGHT_1, "ks-facebook").results[0].status == "ok"
    before = sorted(p.name for p in (town.folder / "archive").rglob("*"))
    again = town.night(NIGHT_1, "ks-facebook").results[0]
    assert again.skipped and again.http_requests == 0
    assert sorted(p.name for p in (town.folder / "archive").rglob("*")) == before
    # A second night with nothing new writes no versions.
    town.fake.advance(days=1)
    quiet = town.night(NIGHT_2, "ks-facebook").results[0]
    assert quiet.status == "ok" and quiet.counts.versions == 0 and quiet.counts.unchanged == 2


def test_old_posts_are_read_again_only_when_their_comment_count_moves(town: GraphTown) -> None:
    w = town.world
    old = w.post(town.page, "Sommarens badplatser.", at=town.ago(days=100))
    w.comment(old, town.anna, "Är Hammarsjön öppen?", at=town.ago(days=99))
    w.comment(old, town.page, "Ja, hela sommaren.", at=town.ago(days=99))
    recent = w.post(town.page, "Höstlovsaktiviteter.", at=town.ago(days=2))
    w.comment(recent, town.mats, "Finns det något för tonåringar?", at=town.ago(days=1))
    assert town.night(NIGHT_1, "ks-facebook").results[0].status == "ok"

    def threads_read() -> set[str]:
        read = {p.split("/")[1] for p, _ in town.fake.requests if p.endswith("/comments")}
        town.fake.requests.clear()
        return read

    assert threads_read() == {old.id, recent.id}
    town.fake.advance(days=1)
    assert town.night(NIGHT_2, "ks-facebook").results[0].counts.versions == 0
    assert threads_read() == {recent.id}  # the old thread's count did not move
    town.fake.advance(days=1)
    late = w.comment(old, town.mats, "Och nästa sommar?", at=town.ago(hours=1))
    third = town.night(dt.date(2026, 11, 22), "ks-facebook").results[0]
    assert third.counts.comments_new == 1 and threads_read() == {old.id, recent.id}
    assert by_id(town.rows())[late.id][0]["post_id"] == old.id


def test_a_throttle_waits_on_the_fake_clock_then_succeeds(town: GraphTown) -> None:
    post = town.world.post(town.page, "Vattenavstängning på Näsby i natt.", at=town.ago(days=1))
    town.world.comment(post, town.anna, "Hur länge?", at=town.ago(hours=20))
    town.world.inject(80001, match="/comments", regain_minutes=2)
    town.world.inject(4, match="/feed")

    result = town.night(NIGHT_1, "ks-facebook").results[0]

    assert result.status == "ok", result.error
    assert result.counts.comments_new == 1
    assert any(w >= 120 for w in town.clock.waits)  # estimated_time_to_regain_access: 2 minutes
    assert len(town.clock.waits) >= 2


def test_a_throttled_walk_marks_nothing_deleted(town: GraphTown) -> None:
    post = town.world.post(town.page, "Ny förskola i Vilan.", at=town.ago(days=1))
    gone = town.world.comment(post, town.anna, "Äntligen!", at=town.ago(hours=20))
    assert town.night(NIGHT_1, "ks-facebook").results[0].status == "ok"
    town.fake.advance(days=1)
    town.world.delete(gone)
    town.world.inject(613, match="/comments", count=100, regain_minutes=60)  # beyond our patience

    result = town.night(NIGHT_2, "ks-facebook").results[0]

    assert result.status == "failed" and "comments of" in (result.error or "")
    assert result.counts.deleted == 0
    assert [r["event"] for r in by_id(town.rows())[gone.id]] == ["new"]


def test_a_listing_that_fails_part_way_marks_no_post_deleted(town: GraphTown) -> None:
    posts = [town.world.post(town.page, f"Kungörelse {n}", at=town.ago(days=n + 1)) for n in range(3)]
    assert town.night(NIGHT_1, "ks-facebook").results[0].status == "ok"
    town.fake.advance(days=1)
    town.world.delete(posts[0])
    town.world.inject(None, status=502, match="/feed", count=100)

    result = town.night(NIGHT_2, "ks-facebook").results[0]

    assert result.status == "failed" and result.retryable and result.counts.deleted == 0
    assert all(r["event"] == "new" for r in town.rows())
    assert not any(p.endswith(posts[0].id) for p in town.fake.paths())  # not even looked up


def test_the_platforms_own_count_is_recorded_beside_what_it_returned(town: GraphTown) -> None:
    post = town.world.post(town.page, "Medborgardialog om nya cykelvägar.", at=town.ago(days=1))
    for n in range(3):
        town.world.comment(post, town.anna, f"Synpunkt {n}", at=town.ago(hours=20 - n))
    town.world.count_extra[post.id] = 2  # Graph counts comments its privacy filter then withholds
    result = town.night(NIGHT_1, "ks-facebook").results[0]
    assert result.status == "ok" and result.counts.comments_new == 3
    threads = town.runs(NIGHT_1)["ks-facebook"]["threads"]
    assert threads == [{"post_id": post.id, "reported_comments": 5}]


def test_usage_headers_near_the_limit_slow_the_walk(town: GraphTown) -> None:
    for n in range(3):
        town.world.post(town.page, f"Nyhet {n}", at=town.ago(days=1 + n))
    town.world.usage = {"call_count": 95, "total_cputime": 30, "total_time": 40}
    result = town.night(NIGHT_1, "ks-facebook").results[0]
    assert result.status == "ok"
    assert town.clock.waits and all(w >= 60 for w in town.clock.waits)


def test_an_expired_token_fails_that_page_only_and_names_it(town: GraphTown) -> None:
    town.world.post(town.page, "Kommunfullmäktige sammanträder i kväll.", at=town.ago(days=1))
    town.world.post(town.library, "Nya ljudböcker i appen.", at=town.ago(days=1))
    town.token.expires_at = town.ago(hours=1)

    night = town.night(NIGHT_1, "ks-facebook", "bib-facebook")

    results = {r.account_id: r for r in night.results}
    failed = results["ks-facebook"]
    assert failed.status == "failed" and not failed.retryable
    assert "token expired" in (failed.error or "") and "$KS_FB" in (failed.error or "")
    assert results["bib-facebook"].status == "ok" and results["bib-facebook"].counts.posts_new == 1
    runs = town.runs(NIGHT_1)
    assert runs["ks-facebook"]["credential_status"] == "expired"
    assert runs["bib-facebook"]["credential_status"] == "ok"


def test_a_page_without_a_token_is_refused_with_a_reason(town: GraphTown) -> None:
    del town.tokens["ks-facebook"]
    result = town.night(NIGHT_1, "ks-facebook").results[0]
    assert result.status == "failed" and "needs a Page access token" in (result.error or "")
    assert town.runs(NIGHT_1)["ks-facebook"]["credential_status"] == "missing"
    assert town.fake.requests == []


def test_token_health_records_the_expiry(town: GraphTown) -> None:
    town.world.post(town.page, "Hej!", at=town.ago(days=1))
    expiry = NOW + dt.timedelta(days=45)
    town.token.data_access_expires_at = expiry
    assert town.night(NIGHT_1, "ks-facebook").results[0].status == "ok"
    run = town.runs(NIGHT_1)["ks-facebook"]
    assert run["credential_status"] == "ok"
    assert run["credential_expires_at"] == expiry


def test_transient_errors_are_retried(town: GraphTown) -> None:
    post = town.world.post(town.page, "Biblioteket har öppet i helgen.", at=town.ago(days=1))
    town.world.comment(post, town.anna, "Toppen!", at=town.ago(hours=20))
    town.world.inject(2, match="/feed")
    town.world.inject(1, match="/comments")
    town.world.inject(None, status=502, match="/comments")

    result = town.night(NIGHT_1, "ks-facebook").results[0]

    assert result.status == "ok", result.error
    assert result.counts.posts_new == 1 and result.counts.comments_new == 1


def test_short_and_empty_pages_with_a_next_are_followed_to_the_end(town: GraphTown) -> None:
    posts = [town.world.post(town.page, f"Meddelande {n}", at=town.ago(days=n + 1)) for n in range(5)]
    for n in range(4):
        town.world.comment(posts[0], town.anna, f"Kommentar {n}", at=town.ago(hours=20 - n))
    town.world.short_pages = True
    result = town.night(NIGHT_1, "ks-facebook").results[0]
    assert result.status == "ok", result.error
    assert result.counts.posts_new == 5 and result.counts.comments_new == 4
    assert any(q.get("after") is not None for p, q in town.fake.requests if p.endswith("/feed"))


def test_a_repeating_cursor_is_a_failed_walk_not_an_endless_one(town: GraphTown) -> None:
    post = town.world.post(town.page, "Trafikomläggning vid Östra Boulevarden.", at=town.ago(days=1))
    for n in range(3):
        town.world.comment(post, town.anna, f"Fråga {n}", at=town.ago(hours=20 - n))
    town.world.repeat_cursor = True
    result = town.night(NIGHT_1, "ks-facebook").results[0]
    assert result.status == "failed" and "repeated a next-page cursor" in (result.error or "")


def test_a_deleted_post_takes_its_comments_with_it(town: GraphTown) -> None:
    post = town.world.post(town.page, "Felaktig information, se nästa inlägg.", at=town.ago(days=1))
    comment = town.world.comment(post, town.anna, "Vilket inlägg?", at=town.ago(hours=20))
    assert town.night(NIGHT_1, "ks-facebook").results[0].status == "ok"
    town.fake.advance(days=1)
    town.world.delete(post)
    result = town.night(NIGHT_2, "ks-facebook").results[0]
    assert result.status == "ok", result.error
    latest = latest_versions(town.rows())
    assert latest[post.id]["event"] == "deleted" and latest[comment.id]["event"] == "deleted"
    assert latest[post.id]["text"] == "Felaktig information, se nästa inlägg."  # the last version stays


def test_a_token_that_reads_only_public_content_is_refused(town: GraphTown) -> None:
    post = town.world.post(town.page, "Öppettider i jul.", at=town.ago(days=1))
    town.world.comment(post, town.anna, "Tack!", at=town.ago(hours=20))
    town.world.ppca = True
    result = town.night(NIGHT_1, "ks-facebook").results[0]
    assert result.status == "failed" and "Page Public Content Access" in (result.error or "")
    assert town.runs(NIGHT_1)["ks-facebook"]["credential_status"] == "refused"


def test_archivectl_captures_a_page_end_to_end(tmp_path: pathlib.Path) -> None:
    with FakeGraph(NOW) as fake:
        town = GraphTown(fake, tmp_path)
        post = fake.world.post(town.page, "Välkommen på öppet hus i stadshuset!", at=town.ago(days=1))
        fake.world.comment(post, town.anna, "Vilken tid?", at=town.ago(hours=20))
        inventory = write_inventory(tmp_path, fake.api_base, town.accounts("ks-facebook"))
        store = (tmp_path / "archive").as_uri()
        done = subprocess.run(
            capture_command(inventory, store, night="2026-11-20"),
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            check=False,
            env={**os.environ, "KS_FB": TOKEN},
        )
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout + done.stderr
    runs = runs_of_night(FileStore(store), NIGHT_1)
    assert runs[0]["status"] == "ok" and runs[0]["counts"]["comments_new"] == 1
    assert TOKEN.encode() not in town.stored_bytes()


def test_the_inventory_defaults_to_the_current_graph_version(tmp_path: pathlib.Path) -> None:
    from archive_lib.connectors import PLATFORMS
    from archive_lib.inventory import load_inventory

    accounts = [
        {
            "id": "ks-facebook",
            "platform": "facebook",
            "handle": "104738251207919",
            "api_base": None,
            "token_env": "T",
        },
        {
            "id": "ks-instagram",
            "platform": "instagram",
            "handle": "17841406338772941",
            "api_base": None,
            "token_env": "T",
        },
        {
            "id": "kfn-facebook",
            "platform": "facebook",
            "handle": "kfn",
            "api_base": "https://graph.facebook.com/v25.0",
            "token_env": "T",
        },
    ]
    inventory = load_inventory(write_inventory(tmp_path, "unused", accounts))
    bases = [a.api_base for a in inventory.accounts]
    assert bases == ["https://graph.facebook.com/v26.0"] * 2 + ["https://graph.facebook.com/v25.0"]
    assert not PLATFORMS["facebook"].needs_api_base and not PLATFORMS["instagram"].needs_api_base
