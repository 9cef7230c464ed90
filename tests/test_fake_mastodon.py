"""Tests of the fake Mastodon server itself: it must behave like the real v1 REST API.

Every expectation here comes from Mastodon's code or documentation (see the fake's module
docstrings); the contract test at the end compares the fake's bodies with documented ones.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from tests.fakes import mastodon_reference as ref
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_html import shortened_link, text_to_html
from tests.fakes.mastodon_png import make_png
from tests.fakes.mastodon_sample import populate_bulk
from tests.helpers import EVENT_TIMEOUT

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RESET_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
LINK_RE = re.compile(r'^<(?P<next>[^>]+)>; rel="next", <(?P<prev>[^>]+)>; rel="prev"$')


# ----------------------------------------------------------------------------- helpers


@pytest.fixture
def fake(fake_mastodon: FakeMastodon) -> FakeMastodon:
    """The plugin's fake, with its clock fixed at NOW."""
    fake_mastodon.set_time(NOW)
    return fake_mastodon


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(
        retries=False, timeout=urllib3.Timeout(connect=EVENT_TIMEOUT, read=EVENT_TIMEOUT)
    )
    yield pool
    pool.clear()


def get(
    http: urllib3.PoolManager,
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **options: Any,
) -> urllib3.BaseHTTPResponse:
    request_headers = dict(headers or {})
    if token:
        request_headers["Authorization"] = f"Bearer {token}"
    return http.request("GET", url, headers=request_headers, **options)


def six_statuses(fake: FakeMastodon) -> tuple[str, dict[int, str]]:
    """The account id and the ids of six statuses labelled 1 (oldest) to 6 (newest)."""
    account = fake.add_account("kommun", "Kommunen")
    ids = {}
    for label in range(1, 7):
        when = NOW - dt.timedelta(minutes=10 - label)
        ids[label] = fake.post(account, f"<p>Status {label}</p>", at=when)["id"]
    return account["id"], ids


def labels(response: urllib3.BaseHTTPResponse, ids: dict[int, str]) -> list[int]:
    by_id = {status_id: label for label, status_id in ids.items()}
    return [by_id[item["id"]] for item in response.json()]


def statuses_url(fake: FakeMastodon, account_id: str, query: str = "") -> str:
    return f"{fake.base_url}/api/v1/accounts/{account_id}/statuses" + (f"?{query}" if query else "")


def link_targets(response: urllib3.BaseHTTPResponse) -> dict[str, str]:
    header = response.headers.get("Link")
    if header is None:
        return {}
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', header)}


# -------------------------------------------------------------------------- pagination


def test_max_since_and_min_id_follow_the_6_5_4_3_2_1_example(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    account_id, ids = six_statuses(fake)

    def page(query: str) -> list[int]:
        return labels(get(http, statuses_url(fake, account_id, query)), ids)

    assert page("") == [6, 5, 4, 3, 2, 1]
    assert page(f"max_id={ids[3]}&limit=2") == [2, 1]
    assert page(f"since_id={ids[3]}&limit=2") == [6, 5]
    assert page(f"min_id={ids[3]}&limit=2") == [5, 4]
    assert page(f"min_id={ids[1]}&max_id={ids[5]}") == [4, 3, 2]
    assert page(f"since_id={ids[3]}&max_id={ids[6]}") == [5, 4]
    assert page(f"min_id={ids[6]}") == []


def test_ids_are_time_ordered_snowflake_strings(fake: FakeMastodon) -> None:
    account_id, ids = six_statuses(fake)
    status = fake.status_json(ids[1])
    assert isinstance(status["id"], str) and status["id"].isdigit()
    assert TIMESTAMP_RE.match(status["created_at"])
    created = dt.datetime.fromisoformat(status["created_at"].replace("Z", "+00:00"))
    assert int(status["id"]) >> 16 == int(created.timestamp() * 1000)
    assert sorted(ids.values(), key=int) == [ids[label] for label in range(1, 7)]
    assert isinstance(account_id, str)


def test_link_header_matches_mastodon_and_walks_to_an_empty_page(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    account_id, ids = six_statuses(fake)
    first = get(http, statuses_url(fake, account_id, "limit=2"))
    base = statuses_url(fake, account_id)
    assert first.headers["Link"] == (
        f'<{base}?limit=2&max_id={ids[5]}>; rel="next", <{base}?limit=2&min_id={ids[6]}>; rel="prev"'
    )
    seen: list[int] = []
    url: str | None = statuses_url(fake, account_id, "limit=2")
    last = first
    while url is not None:
        last = get(http, url)
        seen += labels(last, ids)
        url = link_targets(last).get("next")
    assert seen == [6, 5, 4, 3, 2, 1]
    assert last.json() == []
    assert "Link" not in last.headers

    partial = get(http, statuses_url(fake, account_id, f"limit=4&max_id={ids[3]}"))
    assert labels(partial, ids) == [2, 1]
    assert set(link_targets(partial)) == {"prev"}, "no next link on a page that is not full"

    newer = get(http, statuses_url(fake, account_id, f"limit=2&min_id={ids[2]}"))
    assert labels(newer, ids) == [4, 3]
    assert link_targets(newer)["prev"] == f"{base}?limit=2&min_id={ids[4]}"


def test_link_keeps_permitted_params_sorted_and_uses_the_request_host(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    account_id, ids = six_statuses(fake)
    response = get(
        http,
        statuses_url(fake, account_id, f"limit=2&foo=bar&since_id={ids[1]}&exclude_replies=true"),
        headers={"Host": f"localhost:{fake.port}"},
    )
    links = link_targets(response)
    path = f"/api/v1/accounts/{account_id}/statuses"
    assert links["next"] == (
        f"http://localhost:{fake.port}{path}?exclude_replies=true&limit=2&max_id={ids[5]}"
    )
    assert links["prev"] == (
        f"http://localhost:{fake.port}{path}?exclude_replies=true&limit=2&min_id={ids[6]}"
    )


def test_limit_defaults_to_20_and_is_capped_at_40(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    account = fake.add_account("kommun", "Kommunen")
    for minute in range(45):
        fake.post(account, "<p>x</p>", at=NOW - dt.timedelta(minutes=minute))
    assert len(get(http, statuses_url(fake, account["id"])).json()) == 20
    capped = get(http, statuses_url(fake, account["id"], "limit=100"))
    assert len(capped.json()) == 40
    assert "limit=100&max_id=" in capped.headers["Link"]
    assert len(get(http, statuses_url(fake, account["id"], "limit=-3")).json()) == 3


def test_unknown_account_and_status_are_404(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    for path in (
        "/api/v1/accounts/123/statuses",
        "/api/v1/accounts/lookup?acct=nobody",
        "/api/v1/statuses/123",
        "/api/v1/statuses/abc/context",
        "/api/v1/statuses/123/history",
    ):
        response = get(http, fake.base_url + path)
        assert response.status == 404, path
        assert response.json() == ref.NOT_FOUND
        assert response.headers["X-RateLimit-Limit"] == "300"


def test_lookup_by_local_and_remote_acct(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    local = fake.add_account("kristianstad", "Kristianstads kommun")
    remote = fake.add_account("johan", "Johan", domain="other.example")
    assert remote["acct"] == "johan@other.example" and local["acct"] == "kristianstad"
    for acct in ("kristianstad", "@Kristianstad", f"kristianstad@{fake.domain}"):
        response = get(http, f"{fake.base_url}/api/v1/accounts/lookup?acct={acct}")
        assert response.json()["id"] == local["id"], acct
    response = get(http, f"{fake.base_url}/api/v1/accounts/lookup?acct=johan@other.example")
    assert response.json()["url"] == "https://other.example/@johan"
    assert get(http, f"{fake.base_url}/api/v1/accounts/lookup?acct=johan").status == 404


# ------------------------------------------------------------------------- filters


def test_exclude_replies_keeps_self_replies_and_exclude_reblogs_drops_boosts(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    kommun = fake.add_account("kommun", "Kommunen")
    anna = fake.add_account("anna", "Anna")
    post = fake.post(kommun, "<p>Inlägg</p>", at=NOW - dt.timedelta(minutes=9))
    question = fake.post(anna, "<p>Fråga</p>", in_reply_to=post, at=NOW - dt.timedelta(minutes=8))
    answer = fake.post(kommun, "<p>Svar</p>", in_reply_to=question, at=NOW - dt.timedelta(minutes=7))
    thread = fake.post(kommun, "<p>2/2</p>", in_reply_to=post, at=NOW - dt.timedelta(minutes=6))
    other = fake.post(anna, "<p>Annas inlägg</p>", at=NOW - dt.timedelta(minutes=5))
    boost = fake.reblog(kommun, other, at=NOW - dt.timedelta(minutes=4))

    def ids(query: str) -> list[str]:
        return [item["id"] for item in get(http, statuses_url(fake, kommun["id"], query)).json()]

    assert ids("") == [boost["id"], thread["id"], answer["id"], post["id"]]
    assert ids("exclude_replies=true") == [boost["id"], thread["id"], post["id"]]
    assert ids("exclude_replies=1&exclude_reblogs=true") == [thread["id"], post["id"]]
    assert ids("exclude_replies=false") == ids("")
    boosted = get(http, statuses_url(fake, kommun["id"])).json()[0]
    assert boosted["reblog"]["id"] == other["id"] and boosted["content"] == ""
    assert fake.status_json(other)["reblogs_count"] == 1


def test_only_media_and_pinned_filters(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    kommun = fake.add_account("kommun", "Kommunen")
    plain = fake.post(kommun, "<p>Text</p>", at=NOW - dt.timedelta(minutes=3))
    picture = fake.post(
        kommun,
        "<p>Bild</p>",
        media=[("a.png", make_png(4, 4, (1, 2, 3)), "image/png", "alt")],
        at=NOW - dt.timedelta(minutes=2),
    )
    fake.pin(plain)
    only_media = get(http, statuses_url(fake, kommun["id"], "only_media=true")).json()
    assert [item["id"] for item in only_media] == [picture["id"]]
    pinned = get(http, statuses_url(fake, kommun["id"], "pinned=true")).json()
    assert [item["id"] for item in pinned] == [plain["id"]]
    assert "pinned" not in pinned[0], "pinned is only shown to the author's own token"


# ------------------------------------------------------------------------- context


def _thread(fake: FakeMastodon) -> dict[str, str]:
    kommun = fake.add_account("kommun", "Kommunen")
    anna = fake.add_account("anna", "Anna")
    mats = fake.add_account("mats", "Mats", domain="other.example")
    made: dict[str, str] = {}

    def add(name: str, author: dict[str, Any], parent: str | None, minute: int) -> None:
        at = NOW - dt.timedelta(minutes=60 - minute)
        made[name] = fake.post(author, f"<p>{name}</p>", in_reply_to=parent, at=at)["id"]

    add("root", kommun, None, 0)
    add("c1", anna, made["root"], 1)
    add("c2", mats, made["root"], 2)
    add("c1a", kommun, made["c1"], 3)
    add("c1b", mats, made["c1"], 4)
    add("c2a", kommun, made["c2"], 5)
    add("c1a1", anna, made["c1a"], 6)
    add("s1", kommun, made["root"], 7)
    return made


def test_context_is_depth_first_by_id_with_self_replies_first(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    made = _thread(fake)
    names = {status_id: name for name, status_id in made.items()}
    body = get(http, f"{fake.base_url}/api/v1/statuses/{made['root']}/context").json()
    assert body["ancestors"] == []
    assert [names[item["id"]] for item in body["descendants"]] == [
        "s1",
        "c1",
        "c1a",
        "c1a1",
        "c1b",
        "c2",
        "c2a",
    ]
    mid = get(http, f"{fake.base_url}/api/v1/statuses/{made['c1a']}/context").json()
    assert [names[item["id"]] for item in mid["ancestors"]] == ["root", "c1"]
    assert [names[item["id"]] for item in mid["descendants"]] == ["c1a1"]
    assert fake.status_json(made["root"])["replies_count"] == 3


def _chain(fake: FakeMastodon, length: int) -> list[str]:
    account = fake.add_account(f"chain{length}", "Kedja")
    ids = [fake.post(account, "<p>0</p>", at=NOW - dt.timedelta(hours=5))["id"]]
    for level in range(1, length + 1):
        at = NOW - dt.timedelta(hours=5) + dt.timedelta(seconds=level)
        ids.append(fake.post(account, f"<p>{level}</p>", in_reply_to=ids[-1], at=at)["id"])
    return ids


def test_anonymous_context_is_cut_at_depth_20_and_40_ancestors(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    fake.add_token("user-token")
    fake.add_token("app-token", app_only=True)
    chain = _chain(fake, 45)
    root_context = f"{fake.base_url}/api/v1/statuses/{chain[0]}/context"
    anonymous = get(http, root_context).json()["descendants"]
    assert [item["id"] for item in anonymous] == chain[1:21]
    assert len(get(http, root_context, token="user-token").json()["descendants"]) == 45
    assert len(get(http, root_context, token="app-token").json()["descendants"]) == 20

    leaf_context = f"{fake.base_url}/api/v1/statuses/{chain[45]}/context"
    ancestors = get(http, leaf_context).json()["ancestors"]
    assert [item["id"] for item in ancestors] == chain[5:45], "the nearest 40, oldest first"
    assert len(get(http, leaf_context, token="user-token").json()["ancestors"]) == 45


def test_anonymous_context_has_at_most_60_descendants_counted_before_filtering(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    fake.add_token("user-token")
    kommun = fake.add_account("kommun", "Kommunen")
    anna = fake.add_account("anna", "Anna")
    root = fake.post(kommun, "<p>Snöröjning</p>", at=NOW - dt.timedelta(hours=3))
    replies = []
    for index in range(70):
        visibility = "private" if index == 0 else "public"
        at = NOW - dt.timedelta(hours=3) + dt.timedelta(minutes=index + 1)
        reply = fake.post(anna, f"<p>{index}</p>", in_reply_to=root, at=at, visibility=visibility)
        replies.append(reply["id"])
    url = f"{fake.base_url}/api/v1/statuses/{root['id']}/context"
    anonymous = [item["id"] for item in get(http, url).json()["descendants"]]
    assert anonymous == replies[1:60], "the private reply used one of the 60 places"
    with_token = [item["id"] for item in get(http, url, token="user-token").json()["descendants"]]
    assert with_token == replies[1:]
    assert fake.status_json(root)["replies_count"] == 69


# ------------------------------------------------------------------------- history


def test_history_lists_every_version_oldest_first(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    kommun = fake.add_account("kommun", "Kommunen")
    status = fake.post(kommun, "<p>KF kl 18.00</p>", at=NOW - dt.timedelta(hours=3))
    url = f"{fake.base_url}/api/v1/statuses/{status['id']}/history"
    single = get(http, url).json()
    assert len(single) == 1
    assert single[0]["created_at"] == status["created_at"]
    assert single[0]["content"] == "<p>KF kl 18.00</p>"
    assert "id" not in single[0] and "poll" not in single[0]

    fake.edit(status, "<p>KF kl 18.30</p>", at=NOW - dt.timedelta(hours=2))
    fake.edit(status, poll_options=["Ja", "Nej"], spoiler_text="Ny tid", at=NOW - dt.timedelta(hours=1))
    versions = get(http, url).json()
    assert [item["content"] for item in versions] == [
        "<p>KF kl 18.00</p>",
        "<p>KF kl 18.30</p>",
        "<p>KF kl 18.30</p>",
    ]
    assert versions[2]["poll"] == {"options": [{"title": "Ja"}, {"title": "Nej"}]}
    assert versions[2]["spoiler_text"] == "Ny tid" and versions[2]["sensitive"] is True
    current = get(http, f"{fake.base_url}/api/v1/statuses/{status['id']}").json()
    assert current["edited_at"] == versions[-1]["created_at"]
    assert current["edited_at"] > current["created_at"]
    assert [option["title"] for option in current["poll"]["options"]] == ["Ja", "Nej"]


# ------------------------------------------------------------------------ deletion


def test_deleted_status_is_gone_but_its_replies_stay(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    kommun = fake.add_account("kommun", "Kommunen")
    anna = fake.add_account("anna", "Anna")
    root = fake.post(kommun, "<p>Inlägg</p>", at=NOW - dt.timedelta(hours=3))
    comment = fake.post(anna, "<p>Arg kommentar</p>", in_reply_to=root, at=NOW - dt.timedelta(hours=2))
    answer = fake.post(kommun, "<p>Svar</p>", in_reply_to=comment, at=NOW - dt.timedelta(hours=1))
    fake.delete(comment)

    for suffix in ("", "/context", "/history"):
        response = get(http, f"{fake.base_url}/api/v1/statuses/{comment['id']}{suffix}")
        assert response.status == 404 and response.json() == {"error": "Record not found"}
    root_context = get(http, f"{fake.base_url}/api/v1/statuses/{root['id']}/context").json()
    assert root_context["descendants"] == [], "the thread is cut where the status was deleted"
    assert fake.status_json(root)["replies_count"] == 0
    assert get(http, statuses_url(fake, anna["id"])).json() == []

    orphan = get(http, f"{fake.base_url}/api/v1/statuses/{answer['id']}").json()
    assert orphan["in_reply_to_id"] is None
    assert orphan["in_reply_to_account_id"] == anna["id"]
    orphan_context = get(http, f"{fake.base_url}/api/v1/statuses/{answer['id']}/context").json()
    assert orphan_context["ancestors"] == []


def test_reported_status_is_hidden_but_its_replies_stay_in_the_thread(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    kommun = fake.add_account("kommun", "Kommunen")
    anna = fake.add_account("anna", "Anna")
    root = fake.post(kommun, "<p>Inlägg</p>", at=NOW - dt.timedelta(hours=3))
    comment = fake.post(anna, "<p>Spam</p>", in_reply_to=root, at=NOW - dt.timedelta(hours=2))
    answer = fake.post(kommun, "<p>Svar</p>", in_reply_to=comment, at=NOW - dt.timedelta(hours=1))
    boost = fake.reblog(kommun, comment)
    fake.delete(comment, reported=True)
    assert get(http, f"{fake.base_url}/api/v1/statuses/{comment['id']}").status == 404
    assert get(http, f"{fake.base_url}/api/v1/statuses/{boost['id']}").status == 404
    context = get(http, f"{fake.base_url}/api/v1/statuses/{root['id']}/context").json()
    assert [item["id"] for item in context["descendants"]] == [answer["id"]]


# ---------------------------------------------------------------------- visibility


def test_private_reply_is_hidden_from_anonymous_readers(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    kommun = fake.add_account("kommun", "Kommunen")
    mats = fake.add_account("mats", "Mats")
    follower = fake.add_account("granne", "Grannen")
    stranger = fake.add_account("okand", "Okänd")
    root = fake.post(kommun, "<p>Sophämtning</p>", at=NOW - dt.timedelta(hours=2))
    private = fake.post(
        mats,
        "<p>Privat fråga</p>",
        in_reply_to=root,
        visibility="private",
        at=NOW - dt.timedelta(hours=1),
    )
    fake.follow(follower, mats)
    fake.add_token("mats-token", account=mats)
    fake.add_token("follower-token", account=follower)
    fake.add_token("stranger-token", account=stranger)
    status_url = f"{fake.base_url}/api/v1/statuses/{private['id']}"
    context_url = f"{fake.base_url}/api/v1/statuses/{root['id']}/context"

    assert get(http, status_url).status == 404
    assert get(http, status_url, token="stranger-token").status == 404
    assert get(http, status_url, token="follower-token").status == 200
    assert get(http, status_url, token="mats-token").json()["visibility"] == "private"
    assert get(http, context_url).json()["descendants"] == []
    assert len(get(http, context_url, token="follower-token").json()["descendants"]) == 1
    assert get(http, statuses_url(fake, mats["id"])).json() == []
    assert len(get(http, statuses_url(fake, mats["id"]), token="mats-token").json()) == 1
    assert fake.status_json(root)["replies_count"] == 0, "private replies are not counted"


# --------------------------------------------------------------------------- media


def test_media_is_served_from_another_host_name(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    fake.add_token("secret")
    kommun = fake.add_account("kommun", "Kommunen")
    picture = make_png(64, 48, (10, 120, 200), (250, 250, 250))
    status = fake.post(
        kommun,
        "<p>Vårflod</p>",
        media=[("flod.png", picture, "image/png", "Hammarsjön")],
        at=NOW - dt.timedelta(minutes=5),
    )
    body = get(http, f"{fake.base_url}/api/v1/statuses/{status['id']}", token="secret").json()
    attachment = body["media_attachments"][0]
    assert attachment["url"].startswith(f"http://localhost:{fake.port}/system/media_attachments/")
    assert attachment["preview_url"].startswith(f"http://localhost:{fake.port}/")
    assert attachment["meta"]["original"] == {
        "width": 64,
        "height": 48,
        "size": "64x48",
        "aspect": 64 / 48,
    }
    assert attachment["description"] == "Hammarsjön" and attachment["type"] == "image"
    fake.requests.clear()
    for key in ("url", "preview_url"):
        response = get(http, attachment[key])
        assert response.status == 200 and response.data == picture
        assert response.headers["Content-Type"] == "image/png"
        assert "X-RateLimit-Limit" not in response.headers
    media_requests = fake.requests.matching(r"^/system/")
    assert [item.host for item in media_requests] == [f"localhost:{fake.port}"] * 2
    assert all(item.authorization is None for item in media_requests)
    assert get(http, attachment["url"].replace(attachment["url"][-20:-5], "0" * 15)).status == 404


def test_evicted_remote_files_go_through_the_media_proxy(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    """mastodon/mastodon app/serializers/rest/media_attachment_serializer.rb (``url`` is
    ``media_proxy_url(object.id, :original)`` while ``needs_redownload?``) and
    app/controllers/media_proxy_controller.rb (500 on ``HTTP::ConnectionError``, else a redirect
    to the file downloaded again; 404 for attachments that are not remote)."""
    kommun = fake.add_account("kommun", "Kommunen")
    remote = fake.add_account("mats", "Mats", domain="other.example")
    picture = make_png(8, 6, (10, 120, 200))
    local = fake.post(kommun, "<p>Lokal</p>", media=[("a.png", picture, "image/png", None)])
    status = fake.post(remote, "<p>Fjärr</p>", media=[("b.png", picture, "image/png", "Bild")])
    (media_id,) = fake.evict_media(status)
    attachment = get(http, f"{fake.base_url}/api/v1/statuses/{status['id']}").json()["media_attachments"][0]
    assert attachment["url"] == f"{fake.base_url}/media_proxy/{media_id}/original"
    assert attachment["preview_url"] == f"{fake.base_url}/media_proxy/{media_id}/small"
    assert attachment["remote_url"].startswith("https://other.example/system/media_attachments/files/")

    fake.origins_down.add("other.example")
    down = get(http, attachment["url"], redirect=False)
    assert down.status == 500 and down.headers["Content-Type"].startswith("text/html")

    fake.origins_down.clear()
    up = get(http, attachment["url"], redirect=False)
    assert up.status == 302 and "/system/media_attachments/files/" in up.headers["Location"]
    assert get(http, up.headers["Location"]).data == picture
    again = get(http, f"{fake.base_url}/api/v1/statuses/{status['id']}").json()["media_attachments"][0]
    assert again["url"] == up.headers["Location"]  # cached again: the files host once more
    local_id = local["media_attachments"][0]["id"]
    assert get(http, f"{fake.base_url}/media_proxy/{local_id}/original", redirect=False).status == 404
    assert get(http, f"{fake.base_url}/media_proxy/999/original", redirect=False).status == 404


def test_quote_posts_render_quote_and_shallow_quote(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    """https://docs.joinmastodon.org/entities/Quote/ and /entities/ShallowQuote/: a status's
    ``quote`` is ``{"state", "quoted_status"}``; inside it the quoted status's own quote is
    ``{"state", "quoted_status_id"}``; the quoted status is null unless ``accepted``."""
    kommun = fake.add_account("kommun", "Kommunen")
    first = fake.post(kommun, "<p>Först</p>")
    second = fake.post(kommun, "<p>Citerar</p>", quote=first["id"])
    third = fake.post(kommun, "<p>Citerar ett citat</p>", quote=second["id"])
    body = get(http, f"{fake.base_url}/api/v1/statuses/{third['id']}").json()
    assert set(body["quote"]) == {"state", "quoted_status"} and body["quote"]["state"] == "accepted"
    inner = body["quote"]["quoted_status"]
    assert inner["id"] == second["id"]
    assert inner["quote"] == {"state": "accepted", "quoted_status_id": first["id"]}
    assert get(http, f"{fake.base_url}/api/v1/statuses/{first['id']}").json()["quotes_count"] == 1
    fake.set_quote_state(third, "revoked")
    body = get(http, f"{fake.base_url}/api/v1/statuses/{third['id']}").json()
    assert body["quote"] == {"state": "revoked", "quoted_status": None}
    assert get(http, f"{fake.base_url}/api/v1/statuses/{first['id']}").json()["quote"] is None


def test_context_announces_an_async_refresh_for_n_reads(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    """mastodon/mastodon app/controllers/concerns/async_refreshes_concern.rb:
    ``Mastodon-Async-Refresh: id="<id>", retry=<seconds>`` (``, result_count=<n>`` on newer
    servers) while remote replies are fetched; absent once finished."""
    kommun = fake.add_account("kommun", "Kommunen")
    remote = fake.add_account("mats", "Mats", domain="other.example")
    post = fake.post(kommun, "<p>Fråga</p>")
    reply = fake.post(remote, "<p>Svar</p>", in_reply_to=post["id"])
    fake.async_refresh(post, reads=2, retry="5", pending=[reply], result_count=3)
    url = f"{fake.base_url}/api/v1/statuses/{post['id']}/context"
    for _ in range(2):
        response = get(http, url)
        assert response.headers["Mastodon-Async-Refresh"] == (
            f'id="context:{post["id"]}:refresh", retry=5, result_count=3'
        )
        assert response.json()["descendants"] == []
    response = get(http, url)
    assert "Mastodon-Async-Refresh" not in response.headers
    assert [d["id"] for d in response.json()["descendants"]] == [reply["id"]]


# ------------------------------------------------------------------------ protocol


def test_gzip_and_chunked_responses_decode_with_urllib3(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    account = fake.add_account("kommun", "Kommunen", note="Hej <3 & välkommen")
    url = f"{fake.base_url}/api/v1/accounts/{account['id']}"
    raw = get(
        http,
        url,
        headers={"Accept-Encoding": "gzip, deflate"},
        preload_content=False,
        decode_content=False,
    )
    assert raw.headers["Transfer-Encoding"] == "chunked"
    assert raw.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in raw.headers["Vary"]
    assert "Content-Length" not in raw.headers
    payload = gzip.decompress(raw.read())
    raw.release_conn()
    assert b"\\u003cp\\u003eHej \\u0026lt;3 \\u0026amp; v\xc3\xa4lkommen\\u003c/p\\u003e" in payload
    decoded = get(http, url, headers={"Accept-Encoding": "gzip"})
    assert decoded.json()["note"] == "<p>Hej &lt;3 &amp; välkommen</p>"

    assert "Content-Encoding" not in get(http, url).headers
    assert "Content-Encoding" not in get(http, url, headers={"Accept-Encoding": "gzip;q=0"}).headers

    fake.gzip = False
    fake.chunked = False
    plain = get(http, url, headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers and "Transfer-Encoding" not in plain.headers
    assert int(plain.headers["Content-Length"]) == len(plain.data)
    assert plain.json() == decoded.json()


def test_keep_alive_connections_are_reused(fake: FakeMastodon) -> None:
    account = fake.add_account("kommun", "Kommunen")
    with urllib3.HTTPConnectionPool("127.0.0.1", fake.port, maxsize=1, retries=False) as pool:
        for _ in range(5):
            assert pool.request("GET", f"/api/v1/accounts/{account['id']}").status == 200
    ports = {item.client[1] for item in fake.requests}
    assert len(ports) == 1 and len(fake.requests) == 5


def test_date_header_follows_the_fake_clock(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    response = get(http, f"{fake.base_url}/api/v1/accounts/lookup?acct=x")
    assert response.headers["Date"] == "Mon, 02 Mar 2026 12:00:00 GMT"
    fake.sleep(90)
    assert fake.clock.now() == NOW + dt.timedelta(seconds=90)
    response = get(http, f"{fake.base_url}/api/v1/accounts/lookup?acct=x")
    assert response.headers["Date"] == "Mon, 02 Mar 2026 12:01:30 GMT"


# --------------------------------------------------------------------- rate limits


def test_429_after_the_limit_with_an_aligned_reset(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    fake.set_time(NOW + dt.timedelta(minutes=1, seconds=30, microseconds=250_000))
    fake.limiter.api_limit = 3
    url = f"{fake.base_url}/api/v1/accounts/lookup?acct=nobody"
    remaining = [get(http, url).headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    limited = get(http, url)
    assert limited.status == 429
    assert limited.json() == ref.TOO_MANY_REQUESTS
    assert limited.headers["X-RateLimit-Limit"] == "3"
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Reset"] == "2026-03-02T12:05:00.250000Z"
    assert RESET_RE.match(limited.headers["X-RateLimit-Reset"])
    assert "Retry-After" not in limited.headers

    fake.sleep(209.75)
    assert get(http, url).headers["X-RateLimit-Remaining"] == "2"

    fake.retry_after = True
    for _ in range(3):
        get(http, url)
    assert get(http, url).headers["Retry-After"] == "300"


def test_paging_requests_have_their_own_15_minute_limit(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    account_id, ids = six_statuses(fake)
    fake.limiter.paging_limit = 2
    paging = statuses_url(fake, account_id, f"max_id={ids[6]}")
    first = get(http, paging)
    assert first.headers["X-RateLimit-Limit"] == "2", "the closest limit is reported"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert first.headers["X-RateLimit-Reset"] == "2026-03-02T12:15:00.000000Z"
    assert get(http, paging).status == 200
    assert get(http, paging).status == 429
    unpaged = get(http, statuses_url(fake, account_id))
    assert unpaged.status == 200 and unpaged.headers["X-RateLimit-Limit"] == "300"


def test_tokens_are_limited_separately_from_the_ip(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    fake.add_token("user-token")
    fake.limiter.api_limit = 1
    url = f"{fake.base_url}/api/v1/accounts/lookup?acct=nobody"
    assert get(http, url).status == 404
    assert get(http, url).status == 429
    assert get(http, url, token="user-token").status == 404
    assert get(http, url, token="user-token").status == 429


# --------------------------------------------------------------------------- auth


def test_invalid_and_revoked_tokens_get_401(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    url = f"{fake.base_url}/api/v1/accounts/lookup?acct=nobody"
    invalid = get(http, url, token="wrong")
    assert invalid.status == 401
    assert invalid.json() == {"error": "The access token is invalid"}
    assert invalid.headers["WWW-Authenticate"] == (
        'Bearer realm="Doorkeeper", error="invalid_token", error_description="The access token is invalid"'
    )
    assert invalid.headers["X-RateLimit-Remaining"] == "299"
    fake.add_token("good")
    assert get(http, url, token="good").status == 404
    fake.revoke_token("good")
    revoked = get(http, url, token="good")
    assert revoked.status == 401 and revoked.json() == {"error": "The access token was revoked"}


def test_limited_mode_requires_a_user_token(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    fake.add_token("user-token")
    fake.add_token("app-token", app_only=True)
    fake.limited_mode = True
    url = f"{fake.base_url}/api/v1/accounts/lookup?acct=nobody"
    for token in (None, "app-token"):
        response = get(http, url, token=token)
        assert response.status == 401
        assert response.json() == {"error": "This API requires an authenticated user"}
    assert get(http, url, token="user-token").status == 404


# ------------------------------------------------------------------ fault control


def test_injected_errors_answer_the_next_matching_requests(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    account_id, ids = six_statuses(fake)
    context = f"{fake.base_url}/api/v1/statuses/{ids[1]}/context"
    fake.inject(r"/context$", status=503)
    unavailable = get(http, context)
    assert unavailable.status == 503
    assert unavailable.headers["Content-Type"] == "text/html"
    assert b"503 Service Temporarily Unavailable" in unavailable.data
    assert get(http, context).status == 200

    fake.inject(r"/statuses/\d+$", status=500, count=2)
    assert get(http, f"{fake.base_url}/api/v1/statuses/{ids[2]}").json() == {
        "error": "We're sorry, but something went wrong on our end."
    }
    assert get(http, f"{fake.base_url}/api/v1/statuses/{ids[2]}").status == 500
    assert get(http, f"{fake.base_url}/api/v1/statuses/{ids[2]}").status == 200

    fake.inject(r"max_id=", status=502, body={"error": "custom"}, headers={"X-Test": "1"})
    custom = get(http, statuses_url(fake, account_id, f"max_id={ids[3]}"))
    assert custom.status == 502 and custom.json() == {"error": "custom"}
    assert custom.headers["X-Test"] == "1"

    fake.disconnect(r"/history$")
    with pytest.raises(ProtocolError):
        get(http, f"{fake.base_url}/api/v1/statuses/{ids[1]}/history")
    assert get(http, f"{fake.base_url}/api/v1/statuses/{ids[1]}/history").status == 200


def _request_in_thread(http: urllib3.PoolManager, url: str) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["status"] = get(http, url).status
        except Exception as error:  # the test inspects whatever happened
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_gate_holds_a_request_until_released(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    account_id, ids = six_statuses(fake)
    gate = fake.gate(r"/context$")
    thread, outcome = _request_in_thread(http, f"{fake.base_url}/api/v1/statuses/{ids[1]}/context")
    assert gate.reached.wait(EVENT_TIMEOUT)
    assert gate.request is not None and gate.request.path.endswith("/context")
    thread.join(0.2)  # a gate that let the request through would show an outcome by now
    assert thread.is_alive() and outcome == {}
    assert get(http, statuses_url(fake, account_id)).status == 200, "other requests still flow"
    assert thread.is_alive() and outcome == {}
    gate.release()
    thread.join(EVENT_TIMEOUT)
    assert outcome == {"status": 200}


def test_stop_does_not_hang_on_a_held_request() -> None:
    # A client without a read timeout: nothing but the fake's stop can end its held request, so
    # a stop that waited for the request would wait for ever (and the test fail), however fast
    # or slow the machine is.
    patient = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=EVENT_TIMEOUT, read=None))
    fake = FakeMastodon(now=NOW).start()
    account = fake.add_account("kommun", "Kommunen")
    gate = fake.gate(r"/statuses")
    thread, outcome = _request_in_thread(patient, statuses_url(fake, account["id"]))
    assert gate.reached.wait(EVENT_TIMEOUT)
    stopping = threading.Thread(target=fake.stop, daemon=True)
    stopping.start()
    stopping.join(EVENT_TIMEOUT)
    assert not stopping.is_alive(), "stop() hangs on the held request"
    assert fake._thread is not None and not fake._thread.is_alive(), "stop() left the server running"
    thread.join(EVENT_TIMEOUT)
    assert not thread.is_alive(), "the held request was never dropped"
    assert isinstance(outcome.get("error"), ProtocolError)
    assert gate.request is not None and gate.request.status is None, "dropped unanswered"


def test_stall_outlasts_the_client_read_timeout(fake: FakeMastodon, http: urllib3.PoolManager) -> None:
    account_id, ids = six_statuses(fake)
    stall = fake.stall(r"/statuses/\d+$")
    url = f"{fake.base_url}/api/v1/statuses/{ids[1]}"
    with pytest.raises(ReadTimeoutError):
        get(http, url, timeout=urllib3.Timeout(connect=EVENT_TIMEOUT, read=0.3))
    # The client gives up on its own clock, maybe before the server has even read the request
    # (a busy machine): the next request must not reach the server before the stall holds this one.
    assert stall.wait_reached(EVENT_TIMEOUT)
    assert get(http, url).status == 200, "the stall was used up by the first request"
    assert [item.status for item in fake.requests.matching(r"/statuses/\d+$")] == [None, 200]
    assert account_id


# ---------------------------------------------------------------------------- HTML


def test_links_are_split_into_invisible_and_ellipsis_spans() -> None:
    url = (
        "https://www.theguardian.com/money/2019/dec/07/"
        "i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
    )
    assert shortened_link(url) == (
        f'<a href="{url}" target="_blank" rel="nofollow noopener" translate="no">'
        '<span class="invisible">https://www.</span>'
        '<span class="ellipsis">theguardian.com/money/2019/dec</span>'
        '<span class="invisible">/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-'
        "sort-code</span></a>"
    )
    assert shortened_link("http://shork.xyz") == (
        '<a href="http://shork.xyz" target="_blank" rel="nofollow noopener" translate="no">'
        '<span class="invisible">http://</span><span class="">shork.xyz</span>'
        '<span class="invisible"></span></a>'
    )


def test_text_to_html_escapes_and_links_like_mastodon(fake: FakeMastodon) -> None:
    html = text_to_html(
        'Hej & välkommen <b>"Anna"</b>!\nRad två: https://kristianstad.se.\n\n'
        "Nytt stycke #Kristianstad @okänd",
        base_url="https://social.example",
    )
    assert html == (
        "<p>Hej &amp; välkommen &lt;b&gt;&quot;Anna&quot;&lt;/b&gt;!<br />Rad två: "
        '<a href="https://kristianstad.se" target="_blank" rel="nofollow noopener" '
        'translate="no"><span class="invisible">https://</span><span class="">kristianstad.se'
        '</span><span class="invisible"></span></a>.</p><p>Nytt stycke '
        '<a href="https://social.example/tags/Kristianstad" class="mention hashtag" rel="tag">'
        "#<span>Kristianstad</span></a> @okänd</p>"
    )
    fake.add_account("anna", "Anna")
    mention = fake.html("Tack @anna!")
    assert mention == (
        f'<p>Tack <span class="h-card" translate="no"><a href="{fake.base_url}/@anna" '
        'class="u-url mention">@<span>anna</span></a></span>!</p>'
    )
    status = fake.post("anna", fake.html("Hej @anna #Vattenrike"))
    assert [item["acct"] for item in status["mentions"]] == ["anna"]
    assert status["tags"] == [{"name": "vattenrike", "url": f"{fake.base_url}/tags/vattenrike"}]


# ------------------------------------------------------------------------ samples


def test_demo_content_has_every_case_the_connector_must_handle(
    fake_mastodon_demo: tuple[FakeMastodon, dict[str, Any]], http: urllib3.PoolManager
) -> None:
    fake, info = fake_mastodon_demo
    roles = info["roles"]
    base = fake.base_url

    def status(status_id: str, token: str | None = None) -> urllib3.BaseHTTPResponse:
        return get(http, f"{base}/api/v1/statuses/{status_id}", token=token)

    town = get(http, f"{base}/api/v1/accounts/lookup?acct=kristianstad").json()
    library = get(http, f"{base}/api/v1/accounts/lookup?acct=kristianstadbibliotek").json()
    assert town["display_name"] == "Kristianstads kommun"
    assert "Kommunstyrelsen" in town["note"]
    assert "Kultur- och fritidsnämnden" in library["note"]
    assert len(info["posts"]["kristianstad"]) == 12 and len(info["posts"]["kristianstadbibliotek"]) == 12
    remote = [acct for acct in info["accounts"] if "@" in acct]
    assert len(info["accounts"]) - 2 == 8 and len(remote) == 3

    listing = get(http, statuses_url(fake, town["id"], "limit=40&exclude_replies=true")).json()
    created = [dt.datetime.fromisoformat(item["created_at"].replace("Z", "+00:00")) for item in listing]
    assert all(moment < info["now"] for moment in created)
    assert info["now"] - min(created) > dt.timedelta(days=35)
    boosts = [item for item in listing if item["reblog"] is not None]
    assert [item["reblog"]["id"] for item in boosts] == [roles["boosted_post"]]
    assert roles["self_reply"] in [item["id"] for item in listing]

    fake.add_token("archive")
    context = f"{base}/api/v1/statuses/{roles['big_thread']}/context"
    assert len(get(http, context).json()["descendants"]) == 60
    assert len(get(http, context, token="archive").json()["descendants"]) >= 70

    script = status(roles["script_comment"]).json()["content"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in script and "&amp;" in script
    assert "<script>" not in script
    assert status(roles["private_reply"]).status == 404
    assert status(roles["deleted_comment"]).status == 404
    assert status(roles["orphaned_reply"]).json()["in_reply_to_id"] is None
    assert status(roles["unanswered_question"]).json()["replies_count"] == 0
    for role in ("edited_post", "edited_comment"):
        history = get(http, f"{base}/api/v1/statuses/{roles[role]}/history").json()
        assert len(history) == 2 and history[0]["content"] != history[1]["content"]
    media = status(roles["media_post"]).json()["media_attachments"]
    assert len(media) == 2 and all(item["description"] for item in media)
    assert get(http, media[0]["url"]).data.startswith(b"\x89PNG")
    warned = status(roles["cw_post"]).json()
    assert warned["spoiler_text"] and warned["sensitive"] is True
    assert status(roles["poll_post"]).json()["poll"]["options"][0]["title"] == "Lekplats"
    assert "å" in status(roles["badhuset_answer"]).json()["content"]


def test_bulk_accounts_build_fast_and_serve_fast(fake: FakeMastodon) -> None:
    # Speed is measured in CPU time of this process (the test and the fake's server threads):
    # wall time would also count the time other programs on a busy machine had the CPU.
    started = time.process_time()
    bulk = populate_bulk(fake, "kristianstad", 1000, 10)
    assert time.process_time() - started < 10
    assert len(bulk["post_ids"]) == 1000 and len(bulk["comment_ids"]) == 10_000

    started = time.process_time()
    count = 0
    with urllib3.HTTPConnectionPool("127.0.0.1", fake.port, maxsize=1, retries=False) as pool:
        target: str | None = f"/api/v1/accounts/{bulk['account_id']}/statuses?limit=40"
        while target is not None:
            response = pool.request("GET", target)
            count += 1
            target = None
            for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("Link", "")):
                if rel == "next":
                    target = url.removeprefix(fake.base_url)
        for post_id in bulk["post_ids"][:200]:
            assert pool.request("GET", f"/api/v1/statuses/{post_id}/context").status == 200
            count += 1
    elapsed = time.process_time() - started
    assert count == 226
    assert count / elapsed > 150, f"{count / elapsed:.0f} requests/s"


# ----------------------------------------------------------------------- contract


def _contract_fixture(fake: FakeMastodon) -> dict[str, Any]:
    kommun = fake.add_account(
        "kristianstad",
        "Kristianstads kommun",
        note="Kommunen",
        fields=[("Webbplats", "https://www.kristianstad.se")],
    )
    anna = fake.add_account("anna", "Anna", domain="other.example")
    fake.add_token("owner", account=kommun)
    picture = make_png(40, 30, (200, 10, 10))
    root = fake.post(
        kommun,
        fake.html("Vårflod! https://www.kristianstad.se/vattenrike #vattenrike @anna@other.example"),
        media=[("bild.png", picture, "image/png", "Hammarsjön")],
        at=NOW - dt.timedelta(hours=3),
    )
    middle = fake.post(anna, fake.html("Fint!"), in_reply_to=root, at=NOW - dt.timedelta(hours=2))
    leaf = fake.post(kommun, fake.html("Tack!"), in_reply_to=middle, at=NOW - dt.timedelta(hours=1))
    fake.edit(root, fake.html("Vårflod i Vattenriket! #vattenrike"), poll_options=["Ja", "Nej"])
    return {"kommun": kommun, "root": root, "middle": middle, "leaf": leaf}


def test_contract_fake_bodies_have_the_documented_keys_and_types(
    fake: FakeMastodon, http: urllib3.PoolManager
) -> None:
    made = _contract_fixture(fake)
    base = fake.base_url
    status = get(http, f"{base}/api/v1/statuses/{made['root']['id']}").json()
    assert ref.shape_errors(status, ref.STATUS) == []
    assert ref.shape_errors(status["account"], ref.ACCOUNT) == []
    assert ref.shape_errors(status["media_attachments"][0], ref.MEDIA_ATTACHMENT) == []

    listing = get(http, statuses_url(fake, made["kommun"]["id"], "limit=5"), token="owner")
    assert ref.shape_errors(listing.json()[0], ref.LISTING_ELEMENT) == []
    assert LINK_RE.match(ref.LISTING_HEADERS["link"])
    assert RESET_RE.match(ref.LISTING_HEADERS["x-ratelimit-reset"])
    assert RESET_RE.match(listing.headers["X-RateLimit-Reset"])
    full_page = get(http, statuses_url(fake, made["kommun"]["id"], "limit=1"))
    assert LINK_RE.match(full_page.headers["Link"])

    context = get(http, f"{base}/api/v1/statuses/{made['middle']['id']}/context").json()
    assert ref.shape_errors(context, ref.CONTEXT) == []
    for item in context["ancestors"] + context["descendants"]:
        assert ref.shape_errors(item, ref.STATUS) == []

    history = get(http, f"{base}/api/v1/statuses/{made['root']['id']}/history").json()
    assert ref.shape_errors(history, ref.HISTORY) == []
    assert ref.shape_errors(history[-1], ref.HISTORY_POLL_ELEMENT) == []

    account = get(http, f"{base}/api/v1/accounts/lookup?acct=kristianstad").json()
    assert ref.shape_errors(account, ref.ACCOUNT) == []
    for reference in (ref.STATUS, ref.LISTING_ELEMENT, ref.MEDIA_ATTACHMENT, ref.ACCOUNT):
        assert ref.shape_errors(reference, reference) == [], "references conform to themselves"


def test_contract_check_catches_drift() -> None:
    broken = json.loads(json.dumps(ref.STATUS))
    del broken["spoiler_text"]
    broken["replies_count"] = "5"
    broken["sensitive"] = 0
    broken["account"]["bot"] = None
    broken["id"] = None
    assert sorted(ref.shape_errors(broken, ref.STATUS)) == [
        "$.account.bot: null, expected boolean",
        "$.id: null, expected string",
        "$.replies_count: string, expected integer",
        "$.sensitive: integer, expected boolean",
        "$.spoiler_text: missing",
    ]
    assert ref.shape_errors({"ancestors": [], "descendants": []}, ref.CONTEXT) == [
        "$.ancestors: empty, the reference has elements",
        "$.descendants: empty, the reference has elements",
    ]
