"""A comment kept from a Meta webhook has the digest the nightly capture computes from the Graph
API, so the night after writes nothing new for it (and an edit since the push is an ``edited``)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from collections.abc import Iterator

import pytest

from archive_lib.metadata.parts import read_rows
from archive_lib.push.journal import PushJournal
from archive_lib.push.meta import MetaDeliveries
from tests.graph_helpers import NIGHT_1, GraphClock, GraphTown, by_id, graph_town


@pytest.fixture
def town(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> Iterator[GraphTown]:
    yield from graph_town(tmp_path, caplog)


def _push(town: GraphTown, comments: list[tuple[str, str, str, str]]) -> None:
    """Deliver ``(post id, comment id, author id, message)`` as one Meta ``feed`` delivery."""
    inventory = town.inventory("ks-facebook")
    people = {p.id: p.name for p in (town.anna, town.mats)}
    changes = [
        {
            "field": "feed",
            "value": {
                "from": {"id": author, "name": people[author]},
                "post_id": post_id,
                "comment_id": comment_id,
                "created_time": int(town.fake.clock.now().timestamp()),
                "item": "comment",
                "parent_id": post_id,
                "verb": "add",
                "message": message,
            },
        }
        for post_id, comment_id, author, message in comments
    ]
    body = json.dumps(
        {"object": "page", "entry": [{"id": town.page.id, "time": 0, "changes": changes}]}
    ).encode()
    journal = PushJournal(town.store, clock=GraphClock(town.fake))
    for received in MetaDeliveries(inventory.accounts).read(
        body,
        url="https://arkiv.example/webhooks/meta",
        headers=[],
        received_at=dt.datetime.now(dt.UTC),
        peer_ip=None,
    ):
        journal.add(received)
    journal.flush()
    assert journal.stored_count == 1


def test_a_pushed_comment_is_unchanged_for_the_night_after(town: GraphTown) -> None:
    post = town.world.post(town.page, "Badhuset stänger för renovering.", at=town.ago(hours=3))
    kept = town.world.comment(post, town.anna, "När öppnar det igen?", at=town.ago(hours=2))
    edited = town.world.comment(post, town.mats, "Bra!", at=town.ago(hours=1))
    _push(
        town,
        [
            (post.id, kept.id, town.anna.id, "När öppnar det igen?"),
            (post.id, edited.id, town.mats.id, "Bra!"),
        ],
    )
    town.world.edit(edited, "Bra! Tack för beskedet.")
    assert town.night(NIGHT_1, "ks-facebook").ok
    versions = by_id(town.rows())
    kinds = _run_kinds(town)
    # The night wrote nothing for the comment pushed as it still is, an edit for the other.
    assert [(r["event"], kinds[r["run_id"]]) for r in versions[kept.id]] == [("new", "push")]
    assert [(r["event"], r["text"], kinds[r["run_id"]]) for r in versions[edited.id]] == [
        ("new", "Bra!", "push"),
        ("edited", "Bra! Tack för beskedet.", "nightly"),
    ]
    assert [(r["event"], kinds[r["run_id"]]) for r in versions[post.id]] == [("new", "nightly")]


def _run_kinds(town: GraphTown) -> dict[str, str]:
    return {
        row["run_id"]: row["kind"]
        for key in town.store.list("metadata/runs/")
        for row in read_rows(town.store, key)
    }
