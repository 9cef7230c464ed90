"""Tests of the fake YouTube Data API itself: routes, paging, errors and quota as documented.

The contract test compares the fake's bodies with the documented ones in
:mod:`tests.fakes.youtube_reference` (same keys, same JSON types), so the fake cannot drift.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from tests.fakes import youtube_reference as ref
from tests.fakes.shape_check import shape_errors
from tests.fakes.youtube import Channel, FakeYouTube, page_token, read_token
from tests.helpers import EVENT_TIMEOUT

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
KEY = "AIzaSyFAKEkey0123456789abcdefghijklmnop"
STAMP_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$")
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def fake() -> Iterator[FakeYouTube]:
    with FakeYouTube(now=NOW) as yt:
        yt.add_key(KEY)
        yield yt


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(
        retries=False, timeout=urllib3.Timeout(connect=EVENT_TIMEOUT, read=EVENT_TIMEOUT)
    )
    yield pool
    pool.clear()


def call(
    http: urllib3.PoolManager, fake: FakeYouTube, resource: str, **params: Any
) -> urllib3.BaseHTTPResponse:
    params.setdefault("key", KEY)
    return http.request("GET", f"{fake.base_url}/{resource}", fields={k: str(v) for k, v in params.items()})


def channel_with_videos(fake: FakeYouTube, count: int) -> Channel:
    channel = fake.add_channel("kristianstadkommun", "Kristianstads kommun")
    for n in range(count):
        fake.upload(channel, f"Film {n}", at=NOW - dt.timedelta(days=count - n))
    return channel


def test_handle_leads_to_the_uploads_playlist(fake: FakeYouTube, http: urllib3.PoolManager) -> None:
    channel = channel_with_videos(fake, 1)
    body = call(http, fake, "channels", part="snippet,contentDetails", forHandle="@KristianstadKommun").json()
    assert body["items"][0]["id"] == channel.id and channel.id.startswith("UC") and len(channel.id) == 24
    assert body["items"][0]["contentDetails"]["relatedPlaylists"]["uploads"] == "UU" + channel.id[2:]
    empty = call(http, fake, "channels", part="snippet", forHandle="@nobody").json()
    assert empty["items"] == []  # unknown handle: no error, no item
    both = call(http, fake, "channels", part="snippet", forHandle="@x", id="UCx")
    assert both.status == 400 and both.json()["error"]["errors"][0]["reason"] == "incompatibleParameters"


def test_playlist_pages_default_to_5_and_end_without_a_token(
    fake: FakeYouTube, http: urllib3.PoolManager
) -> None:
    channel = channel_with_videos(fake, 12)
    first = call(
        http, fake, "playlistItems", part="snippet,contentDetails", playlistId=channel.uploads
    ).json()
    assert len(first["items"]) == 5 and first["nextPageToken"] == "CAUQAA"
    dates = [i["contentDetails"]["videoPublishedAt"] for i in first["items"]]
    assert dates == sorted(dates, reverse=True) and all(STAMP_MS.match(d) for d in dates)
    seen, token = [], None
    while True:
        params = {"pageToken": token} if token else {}
        page = call(
            http,
            fake,
            "playlistItems",
            part="contentDetails",
            playlistId=channel.uploads,
            maxResults=50,
            **params,
        ).json()
        seen += [i["contentDetails"]["videoId"] for i in page["items"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert len(seen) == len(set(seen)) == 12
    assert (
        call(http, fake, "playlistItems", part="id", playlistId=channel.uploads, maxResults=51).status == 400
    )
    bad = call(http, fake, "playlistItems", part="id", playlistId=channel.uploads, pageToken="garbage!")
    assert bad.status == 400 and bad.json()["error"]["errors"][0]["reason"] == "invalidPageToken"
    missing = call(http, fake, "playlistItems", part="id", playlistId="UUnothere")
    assert missing.status == 404 and missing.json()["error"]["errors"][0]["reason"] == "playlistNotFound"
    assert read_token(page_token(10)) == 10 and page_token(10) == "CAoQAA"  # as in the documented page


def test_videos_list_omits_deleted_and_disabled_counts(fake: FakeYouTube, http: urllib3.PoolManager) -> None:
    channel = fake.add_channel("k", "K")
    live = fake.upload(channel, "Live", tags=["kommun"])
    quiet = fake.upload(channel, "Quiet", comments_disabled=True)
    gone = fake.upload(channel, "Gone")
    fake.comment(live, "Anna", "Hej")
    fake.delete_video(gone)
    body = call(
        http, fake, "videos", part="snippet,statistics,status", id=f"{live.id},{quiet.id},{gone.id}"
    ).json()
    by_id = {v["id"]: v for v in body["items"]}
    assert set(by_id) == {live.id, quiet.id}
    assert by_id[live.id]["statistics"]["commentCount"] == "1"
    assert "commentCount" not in by_id[quiet.id]["statistics"]
    assert STAMP.match(by_id[live.id]["snippet"]["publishedAt"])
    assert len(live.id) == 11


def test_threads_inline_five_replies_and_comments_list_pages_the_rest(
    fake: FakeYouTube, http: urllib3.PoolManager
) -> None:
    channel = fake.add_channel("k", "K")
    video = fake.upload(channel, "V")
    top = fake.comment(video, "Anna", "Fråga <b>fet</b> https://kristianstad.se\nrad två")
    replies = [
        fake.comment(video, "Bo", f"svar {n}", reply_to=top, at=NOW + dt.timedelta(minutes=n))
        for n in range(7)
    ]
    page = call(http, fake, "commentThreads", part="snippet,replies", videoId=video.id).json()
    thread = page["items"][0]
    assert thread["snippet"]["totalReplyCount"] == 7 and len(thread["replies"]["comments"]) == 5
    display = thread["snippet"]["topLevelComment"]["snippet"]["textDisplay"]
    assert "&lt;b&gt;" in display and '<a href="https://kristianstad.se">' in display and "<br>" in display
    plain = call(
        http, fake, "commentThreads", part="snippet", videoId=video.id, textFormat="plainText"
    ).json()
    assert plain["items"][0]["snippet"]["topLevelComment"]["snippet"]["textDisplay"] == top.text
    first = call(http, fake, "comments", part="snippet", parentId=top.id, maxResults=4).json()
    second = call(
        http,
        fake,
        "comments",
        part="snippet",
        parentId=top.id,
        maxResults=4,
        pageToken=first["nextPageToken"],
    ).json()
    ids = [c["id"] for c in first["items"] + second["items"]]
    assert ids == [r.id for r in replies] and "nextPageToken" not in second
    assert all(i.startswith(top.id + ".") for i in ids)
    assert set(first["pageInfo"]) == {"resultsPerPage"}


def test_errors_carry_googles_reasons(fake: FakeYouTube, http: urllib3.PoolManager) -> None:
    channel = fake.add_channel("k", "K")
    video = fake.upload(channel, "V", comments_disabled=True)
    disabled = call(http, fake, "commentThreads", part="snippet", videoId=video.id)
    assert disabled.status == 403 and disabled.json()["error"]["errors"][0]["reason"] == "commentsDisabled"
    assert call(http, fake, "commentThreads", part="snippet", videoId="aaaaaaaaaaa").status == 404
    bad_key = call(http, fake, "channels", part="id", id=channel.id, key="nope")
    assert bad_key.status == 400 and bad_key.json()["error"]["errors"][0]["reason"] == "keyInvalid"
    fake.expire_key(KEY)
    expired = call(http, fake, "channels", part="id", id=channel.id)
    assert expired.status == 400 and expired.json()["error"]["details"][0]["reason"] == "API_KEY_EXPIRED"
    fake.add_key(KEY)
    fake.inject_error("/videos", "backendError")
    assert call(http, fake, "videos", part="id", id=video.id).status == 500
    assert call(http, fake, "videos", part="id", id=video.id).status == 200


def test_quota_counts_every_served_call_and_then_refuses(
    fake: FakeYouTube, http: urllib3.PoolManager
) -> None:
    channel = fake.add_channel("k", "K")
    fake.quota_limit = 3
    for _ in range(3):
        assert call(http, fake, "channels", part="id", id=channel.id).status == 200
    refused = call(http, fake, "channels", part="id", id=channel.id)
    assert refused.status == 403 and shape_errors(refused.json(), ref.ERROR_QUOTA) == []
    assert refused.json() == ref.ERROR_QUOTA  # the real body, word for word
    assert fake.units_used == 3
    fake.reset_quota()
    assert call(http, fake, "channels", part="id", id=channel.id).status == 200


def test_thumbnails_come_from_another_host_name(fake: FakeYouTube, http: urllib3.PoolManager) -> None:
    channel = fake.add_channel("k", "K")
    video = fake.upload(channel, "V")
    body = call(http, fake, "videos", part="snippet", id=video.id).json()
    url = body["items"][0]["snippet"]["thumbnails"]["high"]["url"]
    assert url.startswith("http://localhost:")
    image = http.request("GET", url)
    assert image.status == 200 and image.data == video.thumbnail


def test_contract_fake_bodies_have_the_documented_keys_and_types(
    fake: FakeYouTube, http: urllib3.PoolManager
) -> None:
    channel = fake.add_channel("kristianstadkommun", "Kristianstads kommun")
    videos = [fake.upload(channel, f"Film {n}", at=NOW - dt.timedelta(days=n)) for n in range(3)]
    top = fake.comment(videos[0], "Anna", "Bra film!")
    for n in range(3):
        fake.comment(videos[0], "Bo", f"Svar {n}", reply_to=top)
    fake.comment(videos[0], "Cecilia", "Andra tråden")

    channels = call(
        http, fake, "channels", part="snippet,contentDetails", forHandle="@kristianstadkommun"
    ).json()
    assert shape_errors(channels, ref.CHANNELS) == []
    playlist = call(
        http, fake, "playlistItems", part="snippet,contentDetails", playlistId=channel.uploads, maxResults=2
    ).json()
    assert shape_errors(playlist, ref.PLAYLIST_ITEMS) == []
    video = call(http, fake, "videos", part="snippet,statistics", id=videos[0].id).json()["items"][0]
    assert shape_errors(video, ref.VIDEO_STATISTICS) == []
    threads = call(
        http, fake, "commentThreads", part="snippet,replies", videoId=videos[0].id, maxResults=1
    ).json()
    assert shape_errors(threads, ref.COMMENT_THREADS) == []
    replies = call(http, fake, "comments", part="snippet", parentId=top.id, maxResults=2).json()
    assert shape_errors(replies, ref.COMMENTS_BY_PARENT) == []
    invalid = call(http, fake, "channels", part="id", id=channel.id, key="wrong").json()
    assert shape_errors(invalid, ref.ERROR_KEY_INVALID) == []
    for body in (ref.CHANNELS, ref.PLAYLIST_ITEMS, ref.COMMENT_THREADS, ref.COMMENTS_BY_PARENT):
        assert shape_errors(body, body) == []


def test_contract_check_catches_drift() -> None:
    broken: dict[str, Any] = {"kind": "youtube#commentListResponse", "etag": "x", "pageInfo": {}, "items": []}
    assert shape_errors(broken, ref.COMMENTS_BY_PARENT) == [
        "$.nextPageToken: missing",
        "$.pageInfo.resultsPerPage: missing",
        "$.items: empty, the reference has elements",
    ]
    counts = {"statistics": {"viewCount": 1, "likeCount": "1", "favoriteCount": "0", "commentCount": "2"}}
    assert shape_errors(counts, ref.VIDEO_STATISTICS) == ["$.statistics.viewCount: integer, expected string"]


def test_demo_content_has_the_cases_the_connector_must_handle(
    fake: FakeYouTube, http: urllib3.PoolManager
) -> None:
    from tests.fakes.youtube_sample import populate_demo

    info = populate_demo(fake)
    assert len(info["videos"]) == 6 and len(info["comments"]) >= 15
    body = call(
        http, fake, "channels", part="contentDetails", forHandle=info["handle"], key=info["key"]
    ).json()
    assert body["items"][0]["id"] == info["channel"]
    disabled = call(
        http,
        fake,
        "commentThreads",
        part="snippet",
        videoId=info["roles"]["comments_disabled"],
        key=info["key"],
    )
    assert disabled.status == 403
