"""Attachment files that cannot be fetched: recorded as failed, the night goes on, later nights
try again and record the file in a ``media`` version that changes nothing else."""

from __future__ import annotations

import datetime as dt
import hashlib
import pathlib
from collections.abc import Iterator

import pytest

from archive_lib.metadata.runs import read_run_row
from archive_lib.registry.thread import load_thread
from archive_lib.search.index import SearchIndex
from archive_lib.search.items import content_versions, item_state, version_time
from archive_lib.search.query import SearchQuery
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_png import make_png
from tests.helpers import assert_pointers_resolve
from tests.test_capture_nights import NIGHT_1, NIGHT_2, NOW, World, only

NIGHT_3 = NIGHT_2 + dt.timedelta(days=1)


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeMastodon(now=NOW) as fake:
        yield World(fake, tmp_path)


def test_an_unreachable_remote_attachment_fails_no_night_and_is_archived_when_it_comes_back(
    world: World, tmp_path: pathlib.Path
) -> None:
    """A remote reply whose cached file was removed: the status's ``url`` is the instance's
    ``/media_proxy/:id/original`` (mastodon/mastodon app/serializers/rest/media_attachment_serializer.rb,
    ``media_proxy_url(object.id, :original)`` when ``needs_redownload?``), which answers 500 while
    the origin cannot be reached and redirects to the downloaded file once it can
    (app/controllers/media_proxy_controller.rb). MediaAttachment body as in
    https://docs.joinmastodon.org/entities/MediaAttachment/ (``remote_url`` set for remote files)."""
    png = make_png(5, 4, (200, 40, 40))
    post = world.post("Bilder från skridskobanan?", days_ago=2)
    reply = world.reply(
        world.mats,
        "Här är en!",
        post,
        days_ago=1.9,
        media=[("bana.png", png, "image/png", "Isbanan i Tivoliparken")],
    )
    (media_id,) = world.fake.evict_media(reply)
    world.fake.origins_down.add("other.example")
    attachment = world.fake.status_json(reply)["media_attachments"][0]
    assert attachment["url"] == f"{world.fake.base_url}/media_proxy/{media_id}/original"

    first = only(world.night(NIGHT_1))

    assert first.status == "ok", first.error
    (failed,) = [r for r in world.rows() if r["item_id"] == reply]
    (file,) = failed["media"]
    assert file["http_status"] == 500 and file["sha256"] is None and "500" in (file["error"] or "")
    assert file["warc_key"] is not None  # the last 500 is the evidence
    run = read_run_row(world.store, NIGHT_1, first.run_id)
    assert run is not None
    (warning,) = run["warnings"]
    assert media_id in warning and "HTTP 500" in warning
    assert first.counts.media_files == 0
    assert {r["item_id"] for r in world.rows()} == {post, reply}  # the rest of the night was kept

    world.fake.advance(days=1)
    world.fake.origins_down.clear()
    second = only(world.night(NIGHT_2))

    assert second.status == "ok", second.error
    versions = sorted((r for r in world.rows() if r["item_id"] == reply), key=lambda r: r["version"])
    assert [(v["version"], v["event"]) for v in versions] == [(1, "new"), (2, "media")]
    fixed = versions[1]
    assert fixed["content_sha256"] == failed["content_sha256"] and fixed["text"] == failed["text"]
    assert fixed["edited_at"] is None and fixed["run_id"] == second.run_id
    (file,) = fixed["media"]
    assert file["http_status"] == 200 and file["error"] is None
    assert file["sha256"] == hashlib.sha256(png).hexdigest() and file["size"] == len(png)
    assert second.counts.media == 1 and second.counts.media_files == 1 and second.counts.edited == 0
    run = read_run_row(world.store, NIGHT_2, second.run_id)
    assert run is not None and run["warnings"] == [] and run["counts"]["media"] == 1
    assert_pointers_resolve(world.store, world.rows())

    # The readers: not edited, no new version of the content, dated by the answer it repeats.
    assert item_state(versions) == "new" and content_versions(versions) == 1
    assert version_time(versions[0]) == failed["created_at"]
    index = SearchIndex(world.store, tmp_path / "index")
    index.refresh()
    assert [h["item_id"] for h in index.search(SearchQuery("skridskobanan")).hits] == [post]
    thread = load_thread(world.store, index, reply)
    (item,) = [i for _, i in thread.items() if i.item_id == reply]
    assert item.state == "new" and [v["event"] for v in item.versions] == ["new", "media"]
    (reply_hit,) = [h for h in index.search(SearchQuery("Här är en")).hits if h["item_id"] == reply]
    assert reply_hit["event"] == "new" and reply_hit["versions"] == 1

    world.fake.advance(days=1)
    third = only(world.night(NIGHT_3))
    assert third.status == "ok" and third.counts.versions == 0  # settled: nothing more to add
    media_requests = [r for r in world.fake.requests if r.path.startswith("/media_proxy/")]
    assert len(media_requests) == 5 + 1  # five attempts on the first night, one on the second
