"""Tests of the fake Bluesky AppView itself: XRPC routes, cursors, threads, errors, rate limits.

The contract test compares the fake's bodies with the documented ones in
:mod:`tests.fakes.bluesky_reference` (same keys, same JSON types), so the fake cannot drift.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from tests.fakes import bluesky_reference as ref
from tests.fakes.bluesky import FakeBluesky, sample_image
from tests.fakes.shape_check import shape_errors
from tests.helpers import EVENT_TIMEOUT

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
URI = re.compile(r"^at://did:plc:[a-z2-7]{24}/app\.bsky\.feed\.post/[2-7a-z]{13}$")


@pytest.fixture
def fake() -> Iterator[FakeBluesky]:
    with FakeBluesky(now=NOW) as bsky:
        yield bsky


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(
        retries=False, timeout=urllib3.Timeout(connect=EVENT_TIMEOUT, read=EVENT_TIMEOUT)
    )
    yield pool
    pool.clear()


def xrpc(
    http: urllib3.PoolManager, fake: FakeBluesky, method: str, **params: Any
) -> urllib3.BaseHTTPResponse:
    fields: list[tuple[str, str]] = []
    for name, value in params.items():
        for item in value if isinstance(value, list) else [value]:
            fields.append((name, str(item)))
    return http.request("GET", f"{fake.base_url}/xrpc/{method}", fields=fields)


def test_profile_resolves_a_handle_to_a_did(fake: FakeBluesky, http: urllib3.PoolManager) -> None:
    town = fake.add_actor("kristianstad.se", "Kristianstads kommun")
    body = xrpc(http, fake, "app.bsky.actor.getProfile", actor="kristianstad.se").json()
    assert body["did"] == town.did and body["handle"] == "kristianstad.se"
    assert xrpc(http, fake, "com.atproto.identity.resolveHandle", handle="kristianstad.se").json() == {
        "did": town.did
    }
    missing = xrpc(http, fake, "app.bsky.actor.getProfile", actor="nobody.bsky.social")
    assert missing.status == 400 and missing.json() == ref.PROFILE_NOT_FOUND


def test_author_feed_pages_by_cursor_and_filters(fake: FakeBluesky, http: urllib3.PoolManager) -> None:
    town = fake.add_actor("kristianstad.se", "Kommunen")
    anna = fake.add_actor("anna.bsky.social", "Anna")
    posts = [fake.post(town, f"Inlägg {n}", at=NOW - dt.timedelta(hours=10 - n)) for n in range(5)]
    foreign = fake.post(anna, "Annas inlägg", at=NOW - dt.timedelta(hours=20))
    answer = fake.post(town, "Svar till Anna", reply_to=foreign, at=NOW - dt.timedelta(hours=1))
    own_thread = fake.post(town, "Fortsättning", reply_to=posts[4], at=NOW - dt.timedelta(minutes=30))
    fake.repost(town, foreign, at=NOW - dt.timedelta(minutes=10))
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"actor": town.did, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = xrpc(http, fake, "app.bsky.feed.getAuthorFeed", **params).json()
        seen += [(i["post"]["uri"], "reason" in i) for i in page["feed"]]
        cursor = page.get("cursor")
        if not cursor:
            break
        assert STAMP.match(cursor)
    assert seen[0] == (foreign.uri, True)  # the repost, newest, with a reason
    assert {u for u, _ in seen} == {p.uri for p in posts} | {answer.uri, own_thread.uri, foreign.uri}
    threads = xrpc(
        http, fake, "app.bsky.feed.getAuthorFeed", actor=town.did, filter="posts_and_author_threads"
    ).json()
    uris = {i["post"]["uri"] for i in threads["feed"] if "reason" not in i}
    assert own_thread.uri in uris and answer.uri not in uris
    no_replies = xrpc(
        http, fake, "app.bsky.feed.getAuthorFeed", actor=town.did, filter="posts_no_replies"
    ).json()
    assert {i["post"]["uri"] for i in no_replies["feed"] if "reason" not in i} == {p.uri for p in posts}
    assert xrpc(http, fake, "app.bsky.feed.getAuthorFeed", actor=town.did, limit=101).status == 400
    assert all(URI.match(p.uri) for p in posts)


def test_threads_nest_deeply_and_show_deletions_and_blocks(
    fake: FakeBluesky, http: urllib3.PoolManager
) -> None:
    town = fake.add_actor("kristianstad.se", "Kommunen")
    anna = fake.add_actor("anna.bsky.social", "Anna")
    troll = fake.add_actor("troll.bsky.social", "Troll")
    root = fake.post(town, "Rot")
    chain, parent = [], root
    for n in range(10):
        parent = fake.post(anna if n % 2 == 0 else town, f"Nivå {n + 1}", reply_to=parent)
        chain.append(parent)
    fake.post(troll, "Otrevligt", reply_to=root)
    troll.taken_down = True
    body = xrpc(http, fake, "app.bsky.feed.getPostThread", uri=root.uri, depth=1000, parentHeight=0).json()
    node, depth = body["thread"], 0
    types = [r["$type"] for r in node["replies"]]
    assert sorted(types) == ["app.bsky.feed.defs#blockedPost", "app.bsky.feed.defs#threadViewPost"]
    while True:
        children = [r for r in node.get("replies", []) if r["$type"].endswith("#threadViewPost")]
        if not children:
            break
        node, depth = children[0], depth + 1
    assert depth == 10
    shallow = xrpc(http, fake, "app.bsky.feed.getPostThread", uri=root.uri).json()  # depth 6 by default
    fake.delete(chain[4])
    leaf = xrpc(http, fake, "app.bsky.feed.getPostThread", uri=chain[5].uri, parentHeight=2).json()
    assert leaf["thread"]["parent"] == {
        "$type": "app.bsky.feed.defs#notFoundPost",
        "uri": chain[4].uri,
        "notFound": True,
    }
    gone = xrpc(http, fake, "app.bsky.feed.getPostThread", uri=chain[4].uri)
    assert gone.status == 400 and gone.json() == {
        "error": "NotFound",
        "message": f"Post not found: {chain[4].uri}",
    }
    assert shape_errors(gone.json(), ref.NOT_FOUND) == []
    posts = xrpc(http, fake, "app.bsky.feed.getPosts", uris=[chain[3].uri, chain[4].uri]).json()
    assert [p["uri"] for p in posts["posts"]] == [chain[3].uri]
    assert xrpc(http, fake, "app.bsky.feed.getPosts", uris=[root.uri] * 26).status == 400
    assert shallow["thread"]["replies"]


def test_rate_limit_headers_and_429(fake: FakeBluesky, http: urllib3.PoolManager) -> None:
    fake.add_actor("kristianstad.se", "Kommunen")
    fake.rate_limit, fake.rate_window = 2, 300
    first = xrpc(http, fake, "app.bsky.actor.getProfile", actor="kristianstad.se")
    reset = int(first.headers["RateLimit-Reset"])
    assert first.headers["RateLimit-Remaining"] == "1" and first.headers["RateLimit-Policy"] == "2;w=300"
    assert reset == int((NOW + dt.timedelta(seconds=300)).timestamp())
    xrpc(http, fake, "app.bsky.actor.getProfile", actor="kristianstad.se")
    limited = xrpc(http, fake, "app.bsky.actor.getProfile", actor="kristianstad.se")
    assert limited.status == 429 and limited.json() == ref.RATE_LIMITED
    assert all(name in limited.headers for name in ref.RATE_LIMIT_HEADERS)
    fake.advance(300)
    assert xrpc(http, fake, "app.bsky.actor.getProfile", actor="kristianstad.se").status == 200


def test_contract_fake_bodies_have_the_documented_keys_and_types(
    fake: FakeBluesky, http: urllib3.PoolManager
) -> None:
    town = fake.add_actor("kristianstad.se", "Kristianstads kommun")
    anna = fake.add_actor("anna.bsky.social", "Anna")
    quoted = fake.post(town, "Vårflod i Vattenriket", at=NOW - dt.timedelta(hours=3))
    embed = fake.quote_with_images(town, quoted, [(sample_image(3), "Hammarsjön")])
    post = fake.post(town, "Se bilden!", embed=embed, at=NOW - dt.timedelta(hours=2))
    reply = fake.post(anna, "Fint!", reply_to=post, at=NOW - dt.timedelta(hours=1))
    fake.post(town, "Tack!", reply_to=reply, at=NOW - dt.timedelta(minutes=30))

    thread = xrpc(http, fake, "app.bsky.feed.getPostThread", uri=post.uri).json()
    assert shape_errors(thread, ref.THREAD) == []
    feed = xrpc(http, fake, "app.bsky.feed.getAuthorFeed", actor=town.did, limit=1).json()
    assert shape_errors(feed, ref.AUTHOR_FEED) == []
    assert shape_errors(ref.THREAD, ref.THREAD) == [] and shape_errors(ref.AUTHOR_FEED, ref.AUTHOR_FEED) == []
    image = http.request("GET", thread["thread"]["post"]["embed"]["media"]["images"][0]["fullsize"])
    assert image.status == 200 and image.data == sample_image(3)


def test_demo_content_has_the_cases_the_connector_must_handle(
    fake: FakeBluesky, http: urllib3.PoolManager
) -> None:
    from tests.fakes.bluesky_sample import populate_demo

    info = populate_demo(fake)
    feed = xrpc(http, fake, "app.bsky.feed.getAuthorFeed", actor=info["did"], limit=100).json()["feed"]
    assert any("reason" in item for item in feed)
    thread = xrpc(http, fake, "app.bsky.feed.getPostThread", uri=info["posts"][1], depth=10).json()["thread"]
    assert any(r["$type"].endswith("#blockedPost") for r in thread["replies"])
    naive = fake.posts[info["roles"]["naive_created_at"]]
    assert not naive.record["createdAt"].endswith("Z") and "+" not in naive.record["createdAt"]
