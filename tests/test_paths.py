"""Platform values in URL paths: one segment each, whatever they hold."""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import pytest

from archive_lib.connectors.paths import segment
from archive_lib.errors import ProtocolError
from tests.fakes.mastodon import FakeMastodon
from tests.test_capture_nights import NIGHT_1, NOW, World, only


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("103270115826048975", "103270115826048975"),  # a Mastodon status id
        ("123456789_987654321", "123456789_987654321"),  # a Graph post id
        ("kristianstad.kommun", "kristianstad.kommun"),
        ("../../admin", "..%2F..%2Fadmin"),
        ("a/b?c#d", "a%2Fb%3Fc%23d"),
        ("did:plc:abc", "did%3Aplc%3Aabc"),
        ("100%", "100%25"),
        ("ö", "%C3%B6"),
        (42, "42"),
    ],
)
def test_any_value_is_one_segment(value: object, expected: str) -> None:
    assert segment(value) == expected


@pytest.mark.parametrize("value", ["", ".", ".."])
def test_values_that_cannot_be_a_segment_are_refused(value: str) -> None:
    with pytest.raises(ProtocolError, match="path segment"):
        segment(value)


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeMastodon(now=NOW) as fake:
        yield World(fake, tmp_path)


def test_a_traversal_id_from_the_platform_stays_one_segment(world: World) -> None:
    """An instance answering ``accounts/lookup`` with an Account whose ``id`` is ``../../admin``
    (Account body as in https://docs.joinmastodon.org/entities/Account/, id altered): the
    connector asks for that account's statuses, never for a path outside ``/api/v1/accounts/``."""
    account = world.fake.account_json(world.town)
    world.fake.inject(r"^/api/v1/accounts/lookup", 200, body={**account, "id": "../../admin"})

    result = only(world.night(NIGHT_1))

    assert result.status == "failed" and "404" in (result.error or "")  # no such account there
    paths = [r.path for r in world.fake.requests]
    assert "/api/v1/accounts/..%2F..%2Fadmin/statuses" in paths
    assert all(p.startswith("/api/v1/accounts/") for p in paths), paths
