"""Bluesky as it is today: galleries (``app.bsky.embed.gallery``), quote posts, and authors whose
handle does not verify (``handle.invalid``)."""

from __future__ import annotations

import hashlib
import pathlib
from collections.abc import Iterator

import pytest

from tests.fakes.bluesky import FakeBluesky, sample_image
from tests.helpers import assert_pointers_resolve, read_items
from tests.test_capture_bluesky import NIGHT_1, NOW, World


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeBluesky(now=NOW) as fake:
        yield World(fake, tmp_path)


def test_galleries_are_captured_like_images_alone_and_inside_a_quote(world: World) -> None:
    """Record and view bodies of ``app.bsky.embed.gallery`` as the lexicon
    (bluesky-social/atproto lexicons/app/bsky/embed/gallery.json) defines them: record items
    ``#image`` ``{image: blob, alt, aspectRatio}`` (at most 20), view items ``#viewImage``
    ``{fullsize, thumbnail, alt, aspectRatio}`` with CDN URLs
    ``https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg``; and ``recordWithMedia``
    whose ``media`` may be a gallery (lexicons/app/bsky/embed/recordWithMedia.json), its
    ``record`` an ``app.bsky.embed.record#view`` with a ``#viewRecord`` (the quoted post)."""
    images = [(sample_image(20 + n), f"Bild {n + 1} från Tivoliparken") for n in range(6)]
    gallery = world.post(world.town, "Invigningen i bilder", days_ago=1, gallery=images)
    quoted = world.post(world.anna, "Vilken fin park!", days_ago=0.9)
    again = [images[0], (sample_image(40), "Kvällen")]
    quote = world.post(
        world.town,
        "Tack Anna!",
        days_ago=0.8,
        embed=world.fake.quote_with_images(world.town, quoted, again, gallery=True),
    )

    result = world.night(NIGHT_1)

    assert result.status == "ok", result.error
    rows = {r["item_id"]: r for r in read_items(world.store)}
    media = rows[gallery.uri]["media"]
    assert [m["media_type"] for m in media] == ["image"] * 6
    assert [m["description"] for m in media] == [alt for _, alt in images]
    assert [m["sha256"] for m in media] == [hashlib.sha256(data).hexdigest() for data, _ in images]
    assert all(m["http_status"] == 200 and "/img/feed_fullsize/" in m["url"] for m in media)
    quote_media = rows[quote.uri]["media"]
    assert [(m["media_type"], m["description"]) for m in quote_media] == [
        ("image", "Bild 1 från Tivoliparken"),
        ("image", "Kvällen"),
        ("quote", None),
    ]
    assert quote_media[0]["sha256"] == media[0]["sha256"]
    # The quoted post fills the quote column; a plain post has none.
    url = f"https://bsky.app/profile/{world.anna.did}/post/{quoted.rkey}"
    assert rows[quote.uri]["quote"] == {"item_id": quoted.uri, "url": url, "state": "accepted"}
    assert rows[gallery.uri]["quote"] is None
    assert result.counts.media_files == 7  # the picture shown twice was fetched once, by blob cid
    assert world.run_row(result, NIGHT_1)["notes"] == []  # nothing kept by name only
    assert_pointers_resolve(world.store, list(rows.values()))


def test_an_author_whose_handle_does_not_verify_gets_a_url_by_did(world: World) -> None:
    """profileViewBasic with ``"handle": "handle.invalid"`` (INVALID_HANDLE of
    bluesky-social/atproto packages/syntax/src/handle.ts, sent by the AppView when the handle's
    DNS or well-known record no longer points at the DID)."""
    post = world.post(world.town, "Öppet hus på stadsbiblioteket", days_ago=1)
    reply = world.post(world.mats, "Kommer!", days_ago=0.9, reply_to=post)
    world.mats.handle_valid = False

    result = world.night(NIGHT_1)

    assert result.status == "ok", result.error
    rows = {r["item_id"]: r for r in read_items(world.store)}
    row = rows[reply.uri]
    assert row["author_handle"] == "handle.invalid"  # as sent
    assert row["author_id"] == world.mats.did
    assert row["url"] == f"https://bsky.app/profile/{world.mats.did}/post/{reply.rkey}"
    assert rows[post.uri]["url"] == f"https://bsky.app/profile/kristianstad.se/post/{post.rkey}"
