"""Mastodon quote posts (4.4+): the quoted status and the quote's state, a revocation as a new
version, and digests of statuses without a quote left as they were."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from archive_lib.connectors.base import content_digest
from tests.fakes.mastodon import FakeMastodon
from tests.test_capture_nights import NIGHT_1, NIGHT_2, NOW, World, only


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeMastodon(now=NOW) as fake:
        yield World(fake, tmp_path)


def test_quote_posts_record_the_quoted_status_and_a_revocation_is_a_new_version(world: World) -> None:
    """Status ``quote`` as a Quote entity ``{"state", "quoted_status": Status|null}``, the quoted
    status shown only while ``accepted`` (https://docs.joinmastodon.org/entities/Quote/,
    mastodon/documentation content/en/entities/Quote.md); states from the same page, an unknown
    one read as ``unauthorized``; ``"quote": null`` on statuses without one (the Status example
    of https://docs.joinmastodon.org/entities/Status/)."""
    quoted = world.fake.post(world.anna, world.fake.html("Nya cykelbanan är klar!"), at=NOW)
    plain = world.post("Välkomna till öppet hus!", days_ago=0.5)
    quoting = world.post("Så bra! Vi bjuder på kaffe vid invigningen.", days_ago=0.2, quote=quoted["id"])
    odd = world.post("Se detta.", days_ago=0.1, quote=quoted["id"])
    world.fake.set_quote_state(odd, "superseded")  # a state newer than this archive

    first = only(world.night(NIGHT_1))

    assert first.status == "ok", first.error
    rows = {r["item_id"]: r for r in world.rows()}
    assert rows[quoting]["quote"] == {"item_id": quoted["id"], "url": quoted["url"], "state": "accepted"}
    assert rows[odd]["quote"] == {"item_id": None, "url": None, "state": "unauthorized"}
    assert rows[plain]["quote"] is None
    # A status without a quote keeps the digest it had before quotes were read.
    assert rows[plain]["content_sha256"] == content_digest(text="Välkomna till öppet hus!")

    world.fake.advance(days=1)
    world.fake.set_quote_state(quoting, "revoked")
    second = only(world.night(NIGHT_2))

    assert second.status == "ok", second.error
    versions = sorted((r for r in world.rows() if r["item_id"] == quoting), key=lambda r: r["version"])
    assert [(v["version"], v["event"]) for v in versions] == [(1, "new"), (2, "edited")]
    assert versions[1]["quote"] == {"item_id": None, "url": None, "state": "revoked"}
    assert versions[1]["text"] == versions[0]["text"]
    assert versions[0]["quote"]["item_id"] == quoted["id"]  # the first version keeps what was quoted
    tonight = {r["item_id"] for r in world.rows() if r["run_id"] == second.run_id}
    assert tonight == {quoting}  # nothing else looks changed
