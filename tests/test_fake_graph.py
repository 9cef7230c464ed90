"""The fake Graph API answers like the real one: documented shapes, paging, errors, headers.

The contract tests compare the fake's answers with the documented bodies in
:mod:`tests.fakes.graph_reference`; the rest pins the behaviour the connectors rely on. The
last tests read the fake's error answers through the archive's HTTP door, so the Graph error
classification is tested on the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import urllib3

from archive_lib.connectors import graph
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.policy import Backoff, HttpPolicy, Throttle
from archive_lib.errors import AccountNotFoundError, AuthError, ProtocolError, TokenExpiredError
from archive_lib.models import Exchange, RecordRef
from tests.fakes import graph_reference as ref
from tests.fakes.graph_server import FakeGraph
from tests.fakes.graph_state import FbPage, FbPost
from tests.helpers import EVENT_TIMEOUT

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
TOKEN = "EAAGm0PX4ZCpsBAcontract" + "k7" * 30
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


class Built:
    def __init__(self, fake: FakeGraph) -> None:
        w = fake.world
        self.fake = fake
        self.page: FbPage = w.add_page("Kristianstads kommun", "kristianstadskommun")
        self.ig = w.add_ig_user("kristianstadskommun", "Kristianstads kommun", self.page)
        w.add_token(TOKEN, self.page)
        anna = w.add_person("Anna Lindqvist")
        photo = w.add_file("torg.jpg", b"\xff\xd8 torg", "image/jpeg")
        self.post: FbPost = w.post(
            self.page, "Stora torg", at=NOW - dt.timedelta(days=1), attachments=[w.photo(photo)]
        )
        self.comment = w.comment(
            self.post, anna, "Fint!", at=NOW - dt.timedelta(hours=20), attachment=w.photo(photo)
        )
        self.reply = w.comment(self.comment, self.page, "Tack!", at=NOW - dt.timedelta(hours=19))
        for n in range(4):
            w.post(self.page, f"Nyhet {n}", at=NOW - dt.timedelta(days=2 + n))
        w.ig_media(self.ig, "Hösten", files=[photo], at=NOW - dt.timedelta(days=3))
        self.media = w.ig_media(self.ig, "Vattenriket", files=[photo], at=NOW - dt.timedelta(days=1))
        self.ig_comment = w.ig_comment(
            self.media, "178414000001", "annalind", "Vackert", at=NOW - dt.timedelta(hours=3)
        )
        self.ig_reply = w.ig_comment(
            self.ig_comment, self.ig.id, self.ig.username, "Tack", at=NOW - dt.timedelta(hours=2)
        )


@pytest.fixture
def built() -> Iterator[Built]:
    with FakeGraph(NOW) as fake:
        yield Built(fake)


def get(built: Built, path: str, token: str | None = TOKEN, **params: Any) -> tuple[int, Any, Any]:
    query = {**params, **({"access_token": token} if token else {})}
    url = f"{built.fake.api_base}/{path}?{urlencode(query)}" if not path.startswith("http") else path
    response = urllib3.request("GET", url, timeout=EVENT_TIMEOUT, retries=False)
    return response.status, response.headers, json.loads(response.data)


def test_facebook_answers_carry_the_documented_keys_and_types(built: Built) -> None:
    fields = (
        "id,message,created_time,updated_time,permalink_url,status_type,full_picture,shares,"
        "attachments{media_type,type,media,target,url},comments.summary(true).limit(0),reactions.summary(true).limit(0)"
    )
    status, _, feed = get(built, f"{built.page.id}/feed", fields=fields, limit=1)  # the post with a photo
    assert status == 200 and ref.shape_errors(feed, ref.FEED_PAGE) == []
    fields = "id,comment_count,created_time,like_count,message,permalink_url"
    status, _, comments = get(
        built, f"{built.post.id}/comments", fields=fields, filter="stream", summary="true", limit=1
    )
    assert ref.shape_errors(comments, ref.COMMENTS_PAGE) == []
    fields = (
        "id,message,created_time,from,comment_count,like_count,is_hidden,is_private,can_comment,can_hide,"
        "can_remove,permalink_url,attachment"
    )
    status, _, comment = get(built, built.comment.id, fields=fields)
    assert ref.shape_errors(comment, ref.COMMENT) == []
    status, _, token = get(built, "debug_token", input_token=TOKEN)
    assert ref.shape_errors(token, ref.DEBUG_TOKEN) == []


def test_instagram_answers_carry_the_documented_keys_and_types(built: Built) -> None:
    fields = "id,comments_count,like_count,media_type,media_url,permalink,timestamp"
    status, _, media = get(built, f"{built.ig.id}/media", fields=fields, limit=1)
    assert status == 200 and ref.shape_errors(media, ref.IG_MEDIA_PAGE) == []
    built.fake.world.ig_comment(built.media, "178414000002", "mats", "Ja!", at=NOW - dt.timedelta(hours=1))
    status, _, comments = get(built, f"{built.media.id}/comments", limit=1)
    assert ref.shape_errors(comments, ref.IG_COMMENTS_PAGE) == []
    fields = "id,text,timestamp,username,like_count,hidden,media,user,replies"
    status, _, comment = get(built, built.ig_comment.id, fields=fields)
    assert ref.shape_errors(comment, ref.IG_COMMENT) == []
    status, _, replies = get(built, f"{built.ig_comment.id}/replies")
    assert ref.shape_errors(replies, ref.IG_REPLIES) == []


def test_errors_and_usage_headers_carry_the_documented_shape(built: Built) -> None:
    w = built.fake.world
    w.delete(built.post)
    status, headers, body = get(built, built.post.id)
    assert status == 400 and ref.shape_errors(body, ref.GONE) == []
    w.delete(built.media)
    status, _, body = get(built, built.media.id)
    assert ref.shape_errors(body, ref.IG_GONE) == [] and body["error"]["type"] == "IGApiException"
    w.inject(4)
    status, _, body = get(built, f"{built.page.id}/feed")
    assert status == 400 and ref.shape_errors(body, ref.THROTTLED) == []
    w.inject(190, subcode=460)
    status, _, body = get(built, f"{built.page.id}/feed")
    assert ref.shape_errors(body, ref.ERROR) == []
    status, headers, _ = get(built, f"{built.page.id}/feed")
    assert ref.shape_errors(json.loads(headers["X-App-Usage"]), ref.APP_USAGE) == []
    buc = json.loads(headers["X-Business-Use-Case-Usage"])
    assert ref.shape_errors(next(iter(buc.values())), next(iter(ref.BUC_USAGE.values()))) == []
    for reference in (ref.FEED_PAGE, ref.COMMENT, ref.IG_COMMENT, ref.DEBUG_TOKEN):
        assert ref.shape_errors(reference, reference) == [], "references conform to themselves"


def test_ids_times_and_next_links_look_like_graphs(built: Built) -> None:
    _, headers, feed = get(built, f"{built.page.id}/feed", fields="id,created_time,updated_time", limit=2)
    first = feed["data"][0]
    assert re.fullmatch(rf"{built.page.id}_\d+", first["id"])
    assert TIME.match(first["created_time"]) and TIME.match(first["updated_time"])
    _, _, comments = get(built, f"{built.post.id}/comments", filter="stream", fields="id,parent")
    assert all(re.fullmatch(r"\d+_\d+", c["id"]) for c in comments["data"])
    assert comments["data"][1]["parent"] == {"id": built.comment.id}
    assert "parent" not in comments["data"][0]
    nxt = feed["paging"]["next"]
    query = dict(parse_qsl(urlsplit(nxt).query))
    assert nxt.startswith(built.fake.base_url) and query["access_token"] == TOKEN and query["limit"] == "2"
    assert query["fields"] == "id,created_time,updated_time"
    # Followed to the end: 5 posts, 3 pages, and the last has no next.
    seen = [p["id"] for p in feed["data"]]
    while "next" in feed.get("paging", {}):
        _, _, feed = get(built, feed["paging"]["next"])
        seen += [p["id"] for p in feed["data"]]
    assert len(seen) == len(set(seen)) == 5
    assert headers["facebook-api-version"] == "v26.0"
    raw = urllib3.request(
        "GET", f"{built.fake.api_base}/{built.post.id}?fields=permalink_url&access_token={TOKEN}"
    ).data
    assert b"\\/" in raw  # Graph escapes slashes in JSON strings


def test_since_and_until_switch_to_time_based_paging(built: Built) -> None:
    since = int((NOW - dt.timedelta(days=30)).timestamp())
    status, _, page = get(
        built, f"{built.page.id}/posts", fields="id,message,created_time", since=since, limit=2
    )
    assert status == 200 and ref.shape_errors(page, ref.TIME_PAGE) == []
    assert "cursors" not in page["paging"]
    seen = [p["id"] for p in page["data"]]
    while "next" in page["paging"]:
        _, _, page = get(built, page["paging"]["next"])
        seen += [p["id"] for p in page["data"]]
    assert len(seen) == len(set(seen)) == 5
    assert "next" not in page["paging"] and "previous" in page["paging"]


def test_any_version_prefix_and_the_bearer_header_are_accepted(built: Built) -> None:
    url = f"{built.fake.base_url}/v24.0/{built.page.id}?fields=id,name"
    response = urllib3.request("GET", url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status == 200 and json.loads(response.data)["name"] == "Kristianstads kommun"


def test_short_and_empty_pages_still_carry_a_next(built: Built) -> None:
    built.fake.world.short_pages = True
    _, _, page = get(built, f"{built.page.id}/feed", limit=25)
    sizes = [len(page["data"])]
    while "next" in page.get("paging", {}):
        _, _, page = get(built, page["paging"]["next"])
        sizes.append(len(page["data"]))
    assert 0 in sizes[:-1] and sum(sizes) == 5 and max(sizes) < 25


def test_unknown_fields_missing_and_unknown_tokens_are_refused_as_graph_does(built: Built) -> None:
    status, _, body = get(built, f"{built.page.id}/feed", fields="id,caption")
    assert (
        status == 400
        and body["error"]["code"] == 100
        and "nonexisting field (caption)" in body["error"]["message"]
    )
    status, _, body = get(built, f"{built.page.id}/feed", token=None)
    assert status == 400 and body["error"]["code"] == 2500
    status, _, body = get(built, f"{built.page.id}/feed", token="EAAnotatoken")
    assert body["error"]["code"] == 190


def test_instagram_replies_are_one_level_and_restricted_comments_are_withheld(built: Built) -> None:
    w = built.fake.world
    deeper = w.ig_comment(built.ig_reply, "178414000002", "mats", "Och jag", at=NOW)
    w.ig_comment(built.media, "178414000003", "troll", "dolt", at=NOW, restricted=True)
    assert deeper.parent_id == built.ig_comment.id
    _, _, comments = get(built, f"{built.media.id}/comments", fields="id,text,replies{id,text,parent_id}")
    assert [c["id"] for c in comments["data"]] == [built.ig_comment.id]
    assert [r["id"] for r in comments["data"][0]["replies"]["data"]] == [built.ig_reply.id, deeper.id]
    _, _, media = get(built, built.media.id, fields="comments_count")
    assert media["comments_count"] == 4  # counts what the API does not return


class _Records:
    def __call__(self, exchange: Exchange) -> RecordRef:
        return RecordRef("k", 0, 1, "<urn:uuid:x>", exchange.url, exchange.received_at, exchange.status)


class _Clock:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def now(self) -> dt.datetime:
        return NOW + dt.timedelta(seconds=sum(self.waits))

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


def _client(built: Built) -> tuple[HttpClient, _Clock]:
    clock = _Clock()
    http = HttpClient(
        _Records(),
        clock=clock,
        token=TOKEN,
        token_origin=built.fake.base_url,
        rules=graph.RULES,
        policy=HttpPolicy(max_attempts=2, max_rate_retries=1),
    )
    return http, clock


@pytest.mark.parametrize(
    ("code", "subcode", "expected"),
    [
        (190, 463, TokenExpiredError),
        (190, 460, TokenExpiredError),
        (10, None, AuthError),
        (200, None, AuthError),
        (100, None, ProtocolError),
        (100, 33, graph.GraphObjectGone),
        (803, None, AccountNotFoundError),
    ],
)
def test_graph_errors_are_classified_by_code(
    built: Built, code: int, subcode: int | None, expected: type
) -> None:
    http, _ = _client(built)
    built.fake.world.inject(code, subcode=subcode)
    with pytest.raises(expected) as raised:
        http.get(f"{built.fake.api_base}/{built.page.id}", allow=())
    if code == 190:
        assert "token expired" in str(raised.value)


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001, 1, 2])
def test_throttles_and_transient_errors_are_retried(built: Built, code: int) -> None:
    http, clock = _client(built)
    built.fake.world.inject(code, regain_minutes=7 if code == 80001 else None)
    response = http.get(f"{built.fake.api_base}/{built.page.id}", allow=())
    assert response.status == 200 and len(clock.waits) == 1
    verdict = graph.classify(response)
    assert verdict is None  # a success holds no error
    if code == 80001:
        assert clock.waits[0] >= 7 * 60


def test_verdicts_for_throttle_and_transient_bodies(built: Built) -> None:
    http, _ = _client(built)
    built.fake.world.inject(4, regain_minutes=3)
    response = http.get(f"{built.fake.api_base}/{built.page.id}", allow=(400,))
    verdict = graph.classify(response)
    assert isinstance(verdict, Throttle) and verdict.wait == 180
    built.fake.world.inject(2)
    response = http.get(f"{built.fake.api_base}/{built.page.id}", allow=(503,))
    assert isinstance(graph.classify(response), Backoff)


def test_usage_headers_pace_the_walk(built: Built) -> None:
    http, _ = _client(built)
    built.fake.world.usage = {"call_count": 50, "total_cputime": 10, "total_time": 10}
    response = http.get(f"{built.fake.api_base}/{built.page.id}", allow=())
    assert graph.pause_after(response) is None
    built.fake.world.usage = {"call_count": 20, "total_cputime": 92, "total_time": 10}
    response = http.get(f"{built.fake.api_base}/{built.page.id}", allow=())
    assert graph.pause_after(response) == graph.USAGE_SLOW_PAUSE
    built.fake.world.usage = {"call_count": 100, "total_cputime": 92, "total_time": 10}
    response = http.get(f"{built.fake.api_base}/{built.page.id}", allow=())
    assert graph.pause_after(response) == graph.USAGE_FULL_PAUSE
