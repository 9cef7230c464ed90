"""``Mastodon-Async-Refresh`` on a thread's context: wait as the server asks and read again,
within caps per context and per night; a thread still refreshing after that is a warning.

The header is built as mastodon/mastodon app/controllers/concerns/async_refreshes_concern.rb
writes it: ``response.headers['Mastodon-Async-Refresh'] = "id=\\"#{async_refresh.id}\\",
retry=#{retry_seconds}"`` (newer servers add ``, result_count=<n>``), absent once finished; the
context body is the documented ``{ancestors, descendants}`` of
https://docs.joinmastodon.org/methods/statuses/#context.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator

import pytest

from archive_lib.connectors import mastodon_refresh
from archive_lib.connectors.mastodon_refresh import AsyncRefresh, RefreshBudget, parse
from archive_lib.metadata.runs import read_run_row
from tests.fakes.mastodon import FakeMastodon
from tests.test_capture_nights import NIGHT_1, NOW, World, only


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeMastodon(now=NOW) as fake:
        yield World(fake, tmp_path)


def _context_reads(world: World, status_id: str) -> int:
    return sum(1 for r in world.fake.requests if r.path == f"/api/v1/statuses/{status_id}/context")


def test_a_refreshing_context_is_read_again_after_the_suggested_wait(world: World) -> None:
    post = world.post("Vad tycker ni om nya busslinjen?", days_ago=1)
    local = world.reply(world.anna, "Bra!", post, days_ago=0.9)
    remote = world.reply(world.mats, "Den går för sällan.", post, days_ago=0.8)
    below = world.reply(world.town, "Vi ser över turtätheten.", remote, days_ago=0.7)
    world.fake.async_refresh(post, reads=2, retry="4", pending=[remote], result_count=1)

    result = only(world.night(NIGHT_1))

    assert result.status == "ok", result.error
    assert {r["item_id"] for r in world.rows()} == {post, local, remote, below}
    assert _context_reads(world, post) == 3  # two answers with the header, then the whole thread
    assert world.clock.waits.count(4.0) == 2
    row = read_run_row(world.store, NIGHT_1, result.run_id)
    assert row is not None and row["warnings"] == []


def test_a_context_that_never_finishes_is_a_warning_naming_the_thread(world: World) -> None:
    post = world.post("Synpunkter på torget?", days_ago=1)
    local = world.reply(world.anna, "Fler bänkar.", post, days_ago=0.9)
    remote = world.reply(world.mats, "Mer grönt.", post, days_ago=0.8)
    world.fake.async_refresh(post, reads=1000, retry="99999999999", pending=[remote])

    result = only(world.night(NIGHT_1))

    assert result.status == "ok", result.error  # what the server had is archived
    assert {r["item_id"] for r in world.rows()} == {post, local}  # the remote reply never came
    waits = [w for w in world.clock.waits if w == mastodon_refresh.MAX_WAIT]
    assert sum(waits) <= mastodon_refresh.CONTEXT_BUDGET and waits  # a huge retry is capped
    assert _context_reads(world, post) <= mastodon_refresh.MAX_READS
    row = read_run_row(world.store, NIGHT_1, result.run_id)
    assert row is not None
    refreshing = [w for w in row["warnings"] if "Mastodon-Async-Refresh" in w]
    assert len(refreshing) == 1 and f"thread {post}" in refreshing[0]


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ('id="context:1:refresh", retry=3', 3.0),
        ('id="context:1:refresh", retry=3, result_count=12', 3.0),
        ('id="x", retry=-20', mastodon_refresh.MIN_WAIT),
        ('id="x", retry=0', mastodon_refresh.MIN_WAIT),
        ('id="x", retry=abc', mastodon_refresh.DEFAULT_WAIT),
        ('id="x", retry=1e400', mastodon_refresh.DEFAULT_WAIT),
        ('id="x", retry=nan', mastodon_refresh.DEFAULT_WAIT),
        ('id="x", retry=99999999999999999999', mastodon_refresh.MAX_WAIT),
        ('id="x"', mastodon_refresh.DEFAULT_WAIT),
        ("garbage", mastodon_refresh.DEFAULT_WAIT),
        ('retry="7", id="y"', 7.0),
    ],
)
def test_hostile_headers_are_read_leniently(header: str, wait: float) -> None:
    refresh = parse(header)
    assert refresh is not None and refresh.wait == wait


def test_no_header_means_the_refresh_is_over() -> None:
    assert parse(None) is None and parse("  ") is None
    assert parse('id="context:1:refresh", retry=3') == AsyncRefresh("context:1:refresh", 3.0)


class _Clock:
    def __init__(self) -> None:
        self.slept = 0.0

    def now(self) -> dt.datetime:
        return NOW + dt.timedelta(seconds=self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept += seconds


def test_the_night_budget_caps_every_context_together() -> None:
    clock = _Clock()
    budget = RefreshBudget(clock.sleep, night=100.0)
    refresh = AsyncRefresh(None, mastodon_refresh.MAX_WAIT)
    spent = []
    for _ in range(10):  # ten contexts, each refreshing for ever
        waited, reads = 0.0, 1
        while (wait := budget.wait(refresh, reads, waited)) is not None:
            waited, reads = waited + wait, reads + 1
        spent.append(waited)
    assert clock.slept == sum(spent) <= 100.0
    assert spent[0] == 60.0 and spent[1] == 30.0 and spent[2:] == [0.0] * 8
