"""Instagram, end to end: fake Graph API over HTTP → WARC + Parquet → file store.

Two nights of a business account: posts (image, carousel, video), comments and their replies,
a caption edit, a hidden and un-hidden comment, deletions confirmed by 100/33, the API's blind
spots reported, throttling, an expired token, transient errors, a re-run, and no token in any
stored byte or log line.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import subprocess
from collections.abc import Iterator

import pytest

from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage import FileStore
from tests.fakes.graph_server import FakeGraph
from tests.graph_helpers import NIGHT_1, NIGHT_2, NOW, TOKEN, GraphTown, by_id, graph_town
from tests.helpers import (
    PROCESS_TIMEOUT,
    assert_pointers_resolve,
    assert_warc_files_valid,
    capture_command,
    write_inventory,
)


@pytest.fixture
def town(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> Iterator[GraphTown]:
    yield from graph_town(tmp_path, caplog)


def jpeg(name: str, town: GraphTown) -> object:
    return town.world.add_file(name, b"\xff\xd8\xff\xe0 " + name.encode(), "image/jpeg")


def test_two_nights_of_an_instagram_account(town: GraphTown, caplog: pytest.LogCaptureFixture) -> None:
    w, ig = town.world, town.ig
    image = w.add_file("vattenriket.jpg", b"\xff\xd8\xff\xe0 vattenriket", "image/jpeg")
    first_photo = w.add_file("torg1.jpg", b"\xff\xd8\xff\xe0 torg1", "image/jpeg")
    second_photo = w.add_file("torg2.jpg", b"\xff\xd8\xff\xe0 torg2", "image/jpeg")
    post = w.ig_media(ig, "Höstkväll i Vattenriket 🍂 #kristianstad", files=[image], at=town.ago(days=3))
    carousel = w.ig_media(ig, "Nya Stora torg <3", files=[first_photo, second_photo], at=town.ago(days=2))
    comment = w.ig_comment(post, "178414000001", "annalind", "Så vackert! <script>", at=town.ago(days=2.9))
    reply = w.ig_comment(comment, ig.id, ig.username, "@annalind Tack!", at=town.ago(days=2.8))
    nested = w.ig_comment(
        reply, "178414000002", "mats_ohlsson", "@kristianstadskommun Var?", at=town.ago(days=2.7)
    )
    to_hide = w.ig_comment(
        carousel, "178414000002", "mats_ohlsson", "Slöseri med skattepengar", at=town.ago(days=1.9)
    )
    to_delete = w.ig_comment(carousel, "178414000001", "annalind", "Fel bild?", at=town.ago(days=1.8))
    w.ig_comment(post, "178414000003", "restricted_user", "dolt", at=town.ago(days=2.5), restricted=True)

    first = town.night(NIGHT_1, "ks-instagram").results[0]

    assert first.status == "ok", first.error
    rows = town.rows()
    items = by_id(rows)
    assert set(items) == {post.id, carousel.id, comment.id, reply.id, nested.id, to_hide.id, to_delete.id}
    assert first.counts.posts_new == 2 and first.counts.comments_new == 5
    assert items[comment.id][0]["text"] == "Så vackert! <script>"
    assert items[carousel.id][0]["text"] == "Nya Stora torg <3"
    assert items[reply.id][0]["parent_id"] == comment.id and items[reply.id][0]["author_is_account"] is True
    assert items[nested.id][0]["parent_id"] == comment.id  # one level of replies on Instagram
    assert (
        items[comment.id][0]["author_handle"] == "annalind" and items[comment.id][0]["parent_id"] == post.id
    )
    assert [m["size"] for m in items[carousel.id][0]["media"]] == [
        len(first_photo.data),
        len(second_photo.data),
    ]
    assert first.counts.media_files == 3
    run = town.runs(NIGHT_1)["ks-instagram"]
    assert any("restricted users" in warning and post.id in warning for warning in run["warnings"])
    assert {t["post_id"]: t["reported_comments"] for t in run["threads"]}[post.id] == 4
    assert_pointers_resolve(town.store, rows)
    assert_warc_files_valid(town.folder / "archive")

    town.fake.advance(days=1)
    new = w.ig_media(
        ig, "Julbelysningen tänds på fredag ✨", files=[jpeg("jul.jpg", town)], at=town.ago(hours=6)
    )
    late = w.ig_comment(new, "178414000001", "annalind", "Äntligen!", at=town.ago(hours=5))
    late_reply = w.ig_comment(late, ig.id, ig.username, "@annalind Välkommen!", at=town.ago(hours=4))
    w.edit(post, "Höstkväll i Vattenriket 🍂 Foto: Johan Nilsson #kristianstad")
    w.hide(to_hide)
    w.delete(to_delete)

    second = town.night(NIGHT_2, "ks-instagram").results[0]

    assert second.status == "ok", second.error
    items = by_id(town.rows())
    assert [r["event"] for r in items[post.id]] == ["new", "edited"]
    assert items[post.id][1]["text"].endswith("Foto: Johan Nilsson #kristianstad")
    assert [r["event"] for r in items[to_hide.id]] == ["new", "hidden"]
    assert [r["event"] for r in items[to_delete.id]] == ["new", "deleted"]
    assert items[late_reply.id][0]["parent_id"] == late.id
    assert second.counts.posts_new == 1 and second.counts.comments_new == 2
    assert second.counts.media_files == 1

    town.fake.advance(days=1)
    w.hide(to_hide, False)
    w.delete(new)
    third = town.night(dt.date(2026, 11, 22), "ks-instagram").results[0]
    assert third.status == "ok", third.error
    items = by_id(town.rows())
    assert [r["event"] for r in items[to_hide.id]] == ["new", "hidden", "unhidden"]
    assert [items[i][-1]["event"] for i in (new.id, late.id, late_reply.id)] == ["deleted"] * 3

    assert TOKEN.encode() not in town.stored_bytes()
    assert TOKEN not in caplog.text


def test_more_replies_than_fit_inline_are_read_from_the_replies_edge(town: GraphTown) -> None:
    post = town.world.ig_media(
        town.ig, "Tävling: bästa bilden från Åhus!", files=[jpeg("ahus.jpg", town)], at=town.ago(days=2)
    )
    top = town.world.ig_comment(post, "178414000001", "annalind", "Min bild!", at=town.ago(hours=30))
    replies = [
        town.world.ig_comment(
            top, f"1784140000{n:02d}", f"granne{n}", f"Snygg {n}", at=town.ago(hours=29 - n)
        )
        for n in range(30)
    ]
    result = town.night(NIGHT_1, "ks-instagram").results[0]
    assert result.status == "ok", result.error
    assert result.counts.comments_new == 31
    assert {r.id for r in replies} <= set(by_id(town.rows()))
    assert any(p.endswith(f"{top.id}/replies") for p in town.fake.paths())


def test_rerun_is_idempotent_and_quiet_nights_write_nothing(town: GraphTown) -> None:
    post = town.world.ig_media(town.ig, "Sommarlov!", files=[jpeg("sol.jpg", town)], at=town.ago(days=1))
    town.world.ig_comment(post, "178414000001", "annalind", "Härligt", at=town.ago(hours=20))
    assert town.night(NIGHT_1, "ks-instagram").results[0].status == "ok"
    assert town.night(NIGHT_1, "ks-instagram").results[0].skipped
    town.fake.advance(days=1)
    quiet = town.night(NIGHT_2, "ks-instagram").results[0]
    assert quiet.status == "ok" and quiet.counts.versions == 0 and quiet.counts.media_files == 0


def test_a_throttle_waits_then_succeeds_and_a_failed_walk_deletes_nothing(town: GraphTown) -> None:
    post = town.world.ig_media(
        town.ig, "Skridskobanan är öppen", files=[jpeg("is.jpg", town)], at=town.ago(days=1)
    )
    comment = town.world.ig_comment(post, "178414000001", "annalind", "Vilka tider?", at=town.ago(hours=20))
    town.world.inject(4, match="/media", regain_minutes=3)
    first = town.night(NIGHT_1, "ks-instagram").results[0]
    assert first.status == "ok", first.error
    assert any(w >= 180 for w in town.clock.waits)

    town.fake.advance(days=1)
    town.world.delete(comment)
    town.world.inject(32, match="/comments", count=100, regain_minutes=120)
    second = town.night(NIGHT_2, "ks-instagram").results[0]
    assert second.status == "failed" and second.counts.deleted == 0
    assert [r["event"] for r in by_id(town.rows())[comment.id]] == ["new"]


def test_an_expired_token_fails_the_account_with_a_reason(town: GraphTown) -> None:
    town.world.ig_media(town.ig, "Hej", files=[jpeg("hej.jpg", town)], at=town.ago(days=1))
    town.world.post(town.library, "Bokcirkel på torsdag.", at=town.ago(days=1))
    town.token.invalidated = True
    night = town.night(NIGHT_1, "ks-instagram", "bib-facebook")
    results = {r.account_id: r for r in night.results}
    assert results["ks-instagram"].status == "failed"
    assert "token expired" in (results["ks-instagram"].error or "")
    assert results["bib-facebook"].status == "ok"
    assert town.runs(NIGHT_1)["ks-instagram"]["credential_status"] == "expired"


def test_transient_errors_and_a_missing_video_file(town: GraphTown) -> None:
    video = town.world.add_file("reel.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    reel = town.world.ig_media(
        town.ig, "Vårt nya reportage", files=[video], media_type="VIDEO", at=town.ago(days=1)
    )
    reel.copyrighted_music = True
    town.world.inject(1, match="/media")
    town.world.inject(None, status=503, match="/comments")
    result = town.night(NIGHT_1, "ks-instagram").results[0]
    assert result.status == "ok", result.error
    warnings = town.runs(NIGHT_1)["ks-instagram"]["warnings"]
    assert any("copyrighted music" in w for w in warnings)


def test_archivectl_captures_an_instagram_account(tmp_path: pathlib.Path) -> None:
    with FakeGraph(NOW) as fake:
        town = GraphTown(fake, tmp_path)
        post = fake.world.ig_media(town.ig, "Öppet hus", files=[jpeg("hus.jpg", town)], at=town.ago(days=1))
        fake.world.ig_comment(post, "178414000001", "annalind", "Kommer!", at=town.ago(hours=20))
        inventory = write_inventory(tmp_path, fake.api_base, town.accounts("ks-instagram"))
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


def test_a_host_without_debug_token_still_captures(town: GraphTown) -> None:
    # graph.instagram.com (Instagram Login) has no debug_token: the walk shows the token works.
    town.world.ig_media(town.ig, "Hej från Åhus", files=[jpeg("hej.jpg", town)], at=town.ago(days=1))
    town.world.inject(100, match="/debug_token", message="(#100) Unsupported get request.")
    result = town.night(NIGHT_1, "ks-instagram").results[0]
    assert result.status == "ok", result.error
    run = town.runs(NIGHT_1)["ks-instagram"]
    assert run["credential_status"] == "ok" and run["credential_expires_at"] is None
