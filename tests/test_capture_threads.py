"""How a night follows threads: context limits, answers in old and foreign threads, what is out of
scope (private replies, boosts, dates outside the inventory's active period), and rate limits."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator

import pytest

from archive_lib.connectors.policy import HttpPolicy
from archive_lib.layout import runs_key
from archive_lib.metadata.runs import read_run_row
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import assert_pointers_resolve, latest_versions
from tests.test_capture_nights import NIGHT_1, NIGHT_2, NOW, World, only


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[World]:
    with FakeMastodon(now=NOW) as fake:
        yield World(fake, tmp_path)


def _chain(world: World, root: str, length: int, days_ago: float) -> list[str]:
    """A reply chain ``length`` deep below ``root``, alternating citizen and municipality."""
    ids, parent = [], root
    for n in range(length):
        author = world.anna if n % 2 == 0 else world.town
        parent = world.reply(author, f"Svar nummer {n + 1} i tråden.", parent, days_ago=days_ago - n / 1000)
        ids.append(parent)
    return ids


def test_threads_past_the_anonymous_context_limits_are_completed(world: World) -> None:
    post = world.post("Vad tycker du om nya torget?", days_ago=3)
    deep = _chain(world, post, 26, days_ago=2.9)  # deeper than the anonymous depth limit of 20
    wide = [world.reply(world.mats, f"Åsikt {n}", post, days_ago=2.5) for n in range(20)]
    nested = [world.reply(world.anna, f"Håller med om {n}", w, days_ago=2.4) for n, w in enumerate(wide)]
    nested += [
        world.reply(world.town, f"Tack för synpunkten {n}", w, days_ago=2.3) for n, w in enumerate(wide)
    ]
    assert len(deep) + len(wide) + len(nested) > 60

    result = only(world.night(NIGHT_1))

    assert result.status == "ok", result.error
    captured = {r["item_id"] for r in world.rows()}
    assert set(deep) | set(wide) | set(nested) | {post} <= captured
    row = read_run_row(world.store, NIGHT_1, result.run_id)
    assert row is not None and row["warnings"] == []


def test_replies_the_platform_never_returns_are_reported_not_hidden(world: World) -> None:
    post = world.post("Säg vad du tycker om bussarna!", days_ago=3)
    flat = [world.reply(world.mats, f"Synpunkt {n}", post, days_ago=2.9 - n / 1000) for n in range(70)]

    result = only(world.night(NIGHT_1))

    assert result.status == "ok"  # a documented API limit is a warning, not a failed night
    captured = {r["item_id"] for r in world.rows()}
    assert 55 <= len(captured & set(flat)) < 70
    row = read_run_row(world.store, NIGHT_1, result.run_id)
    assert row is not None and len(row["warnings"]) == 1
    assert post in row["warnings"][0] and "user token" in row["warnings"][0]


def test_a_user_token_lifts_the_limits(world: World) -> None:
    token = "user-token-" + "k" * 40
    world.fake.add_token(token, account=world.town)
    post = world.post("Säg vad du tycker om bussarna!", days_ago=3)
    flat = [world.reply(world.mats, f"Synpunkt {n}", post, days_ago=2.9 - n / 1000) for n in range(70)]

    import os

    os.environ["KS_TOKEN"] = token
    try:
        result = only(world.night(NIGHT_1, inventory=world.inventory(token_env="KS_TOKEN")))
    finally:
        del os.environ["KS_TOKEN"]

    assert result.status == "ok"
    assert set(flat) <= {r["item_id"] for r in world.rows()}
    row = read_run_row(world.store, NIGHT_1, result.run_id)
    assert row is not None and row["warnings"] == []


def test_an_answer_in_an_old_thread_brings_the_thread_back_without_duplicates(world: World) -> None:
    old = world.post("Förskolornas sommarstängning 2026.", days_ago=90)
    early = world.reply(world.anna, "Vilka veckor?", old, days_ago=89)
    world.reply(world.town, "Vecka 28–31.", early, days_ago=88)
    only(world.night(NIGHT_1))
    world.fake.advance(days=1)
    question = world.reply(world.mats, "Gäller det även fritids?", old)
    answer = world.reply(world.town, "Ja, fritids följer förskolan.", question)

    second = only(world.night(NIGHT_2))

    assert second.status == "ok", second.error
    rows = world.rows()
    tonight = {r["item_id"]: r for r in rows if r["run_id"] == second.run_id}
    assert set(tonight) == {question, answer}
    assert tonight[question]["post_id"] == old and tonight[answer]["parent_id"] == question
    assert len(rows) == len({(r["item_id"], r["version"]) for r in rows}) == 5


def test_an_answer_in_someone_elses_thread_is_captured_with_its_branch(world: World) -> None:
    foreign = world.fake.post(
        world.anna, world.fake.html("Varför är det så mörkt i Tivoliparken?"), at=NOW - dt.timedelta(days=1)
    )["id"]
    answer = world.reply(world.town, "Vi byter belysningen nästa vecka.", foreign, days_ago=0.9)
    thanks = world.reply(world.anna, "Tack för svaret!", answer, days_ago=0.8)

    result = only(world.night(NIGHT_1))

    assert result.status == "ok", result.error
    rows = {r["item_id"]: r for r in world.rows()}
    assert set(rows) == {answer, thanks}  # the citizen's own post is not the municipality's record
    assert rows[answer]["item_type"] == "comment" and rows[answer]["post_id"] == foreign
    assert rows[answer]["parent_id"] == foreign and rows[thanks]["parent_id"] == answer
    assert_pointers_resolve(world.store, list(rows.values()))


def test_private_replies_and_boosts_are_not_captured(world: World) -> None:
    post = world.post("Öppet hus på räddningstjänsten i lördag.", days_ago=1)
    private = world.reply(world.anna, "Får barn följa med?", post, days_ago=0.9, visibility="private")
    boosted = world.fake.post(
        world.mats, world.fake.html("Loppis i Åhus på söndag"), at=NOW - dt.timedelta(days=1)
    )
    world.fake.reblog(world.town, boosted["id"])

    only(world.night(NIGHT_1))

    captured = {r["item_id"] for r in world.rows()}
    assert captured == {post}
    assert private not in captured


def test_only_the_inventory_period_is_captured(world: World) -> None:
    before = world.post("Från tiden före kontot inventerades.", days_ago=40)
    inside = world.post("Kontot används från och med nu.", days_ago=10)
    inventory = world.inventory(active_from=(NOW - dt.timedelta(days=20)).date().isoformat())

    only(world.night(NIGHT_1, inventory=inventory))

    captured = {r["item_id"] for r in world.rows()}
    assert inside in captured and before not in captured


def test_rate_limits_are_waited_out_on_the_platforms_clock(tmp_path: pathlib.Path) -> None:
    with FakeMastodon(now=NOW, paging_limit=3, paging_period=900, api_limit=8, api_period=300) as fake:
        world = World(fake, tmp_path)
        posts = [world.post(f"Nyhet nummer {n}", days_ago=10 - n / 10) for n in range(90)]

        result = only(world.night(NIGHT_1))  # the default patience covers a 15-minute window

        assert result.status == "ok", result.error
        assert set(posts) <= {r["item_id"] for r in world.rows()}
        assert world.clock.waits and max(world.clock.waits) <= 901  # waited for resets, never forever
        statuses = [r for r in fake.requests if r.path.endswith("/statuses")]
        assert len(statuses) >= 3  # paged
        # Every answer, throttled ones included, is evidence in the WARC files.
        assert result.http_requests == len(fake.requests)


def test_a_rate_limit_that_outlasts_our_patience_fails_the_account_as_retryable(
    tmp_path: pathlib.Path,
) -> None:
    with FakeMastodon(now=NOW, paging_limit=1, paging_period=3600) as fake:
        world = World(fake, tmp_path)
        for n in range(90):
            world.post(f"Nyhet nummer {n}", days_ago=10 - n / 10)

        result = only(world.night(NIGHT_1, http=HttpPolicy(max_rate_wait=60)))

        assert result.status == "failed" and result.retryable
        assert "rate limit" in (result.error or "")
        row = read_run_row(world.store, NIGHT_1, result.run_id)
        assert row is not None and row["status"] == "failed" and row["high_water"] is None
        assert world.store.exists(runs_key(NIGHT_1, result.run_id))
        # What was captured before the limit is kept, and the next night goes on from there.
        kept = latest_versions(world.rows())
        assert kept
