"""Tests of the one HTTP door (archive_lib.connectors.http) against the fake Mastodon server.

Covers the retry and rate-limit policy (429 with and without Retry-After, reset measured by the
server's Date, giving up on long waits, the proactive wait when no requests remain, backoff on
5xx, dropped connections and read timeouts), auth failures, 404/410 as answers, where the token
may go (API host yes, media host and foreign redirects never), content decoding, Link headers
and the User-Agent.

The client's clock reads the fake's time and its sleep advances the fake's clock, so no test
waits for real; every wait the client decides on is noted in ``clock.waits``. Every exchange
the client receives is kept by the ``exchanges`` recorder.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import json
import random
import zlib
from dataclasses import dataclass

import pytest
import urllib3

from archive_lib import PRODUCT, __version__
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.policy import HttpPolicy, user_agent
from archive_lib.errors import AuthError, ProtocolError, RateLimitedError, TransientPlatformError
from archive_lib.models import Exchange, RecordRef
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_clock import format_reset
from tests.fakes.mastodon_png import make_png
from tests.helpers import EVENT_TIMEOUT, FakeClock

# Far from the machine's clock, and 100 s before a 5-minute rate-limit window ends (12:05:00).
NOW = dt.datetime(2031, 6, 1, 12, 3, 20, tzinfo=dt.UTC)
TO_RESET = 100.0
MARGIN = HttpPolicy().reset_margin
TOKEN = "ks-mastodon-token-5f3a9c0e"
LOOKUP = "/api/v1/accounts/lookup"


class Exchanges(list[Exchange]):
    """A recorder that keeps every exchange and returns a pointer to nowhere."""

    def __call__(self, exchange: Exchange) -> RecordRef:
        self.append(exchange)
        return RecordRef(
            "warc/test.warc.gz",
            0,
            0,
            f"<urn:test:{len(self)}>",
            exchange.url,
            exchange.received_at,
            exchange.status,
        )

    @property
    def statuses(self) -> list[int]:
        return [exchange.status for exchange in self]


class FixedRandom(random.Random):
    """Jitter pinned to one end of its range: 1.0 waits the full backoff, 0.0 half of it."""

    def __init__(self, value: float) -> None:
        super().__init__()
        self.value = value

    def random(self) -> float:
        return self.value


def header(exchange: Exchange, name: str) -> str | None:
    """A response header of ``exchange`` by case-insensitive name."""
    return next((v for n, v in exchange.response_headers if n.lower() == name.lower()), None)


@dataclass
class Rig:
    fake: FakeMastodon
    clock: FakeClock
    exchanges: Exchanges
    town: dict[str, str]

    def client(
        self,
        *,
        token: str | None = None,
        policy: HttpPolicy | None = None,
        agent: str | None = None,
        rng: random.Random | None = None,
    ) -> HttpClient:
        return HttpClient(
            self.exchanges,
            clock=self.clock,
            agent=agent,
            policy=policy,
            token=token,
            token_origin=self.fake.base_url,
            rng=rng or FixedRandom(1.0),
        )

    def url(self, path: str) -> str:
        return self.fake.base_url + path

    def use_up_rate_limit(self) -> None:
        """Spend this window's only anonymous request from the same IP, outside the client."""
        self.fake.limiter.api_limit = 1
        assert urllib3.request("GET", self.url(f"{LOOKUP}?acct=nobody")).status == 404
        self.fake.requests.clear()


@pytest.fixture
def rig(fake_mastodon: FakeMastodon) -> Rig:
    fake_mastodon.set_time(NOW)
    town = fake_mastodon.add_account("kristianstad", "Kristianstads kommun")
    return Rig(fake_mastodon, FakeClock(fake_mastodon), Exchanges(), town)


@pytest.fixture
def machine_clock(rig: Rig) -> FakeClock:
    """The client's clock set to the machine's time, years away from the server's."""
    rig.clock.skew = dt.datetime.now(dt.UTC) - NOW
    assert abs(rig.clock.skew) > dt.timedelta(days=365)
    return rig.clock


# ------------------------------------------------------------------------- rate limits


def test_429_waits_for_the_reset_by_the_servers_clock(rig: Rig, machine_clock: FakeClock) -> None:
    rig.use_up_rate_limit()
    response = rig.client().get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert response.status == 200 and response.json()["id"] == rig.town["id"]
    assert rig.exchanges.statuses == [429, 200]
    limited = rig.exchanges[0]
    assert header(limited, "X-RateLimit-Reset") == "2031-06-01T12:05:00.000000Z"
    assert header(limited, "Date") == "Sun, 01 Jun 2031 12:03:20 GMT"
    assert header(limited, "Retry-After") is None
    assert machine_clock.waits == [pytest.approx(TO_RESET + MARGIN)]
    assert rig.fake.requests[1].at == NOW + dt.timedelta(seconds=TO_RESET + MARGIN)


def test_429_honours_retry_after_seconds(rig: Rig) -> None:
    # 0.4 s into the second: Retry-After says 100, the reset header is 100.4 s after Date.
    rig.fake.set_time(NOW + dt.timedelta(milliseconds=400))
    rig.fake.retry_after = True
    rig.use_up_rate_limit()
    response = rig.client().get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert response.status == 200
    assert header(rig.exchanges[0], "Retry-After") == "100"
    assert rig.clock.waits == [pytest.approx(100 + MARGIN, abs=1e-6)]


def test_retry_after_as_a_date_counts_from_the_servers_date(rig: Rig, machine_clock: FakeClock) -> None:
    retry_at = email.utils.format_datetime(NOW + dt.timedelta(seconds=30), usegmt=True)
    far_reset = format_reset(NOW + dt.timedelta(seconds=600))
    rig.fake.inject(LOOKUP, 429, headers={"Retry-After": retry_at, "X-RateLimit-Reset": far_reset})
    response = rig.client().get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert response.status == 200
    assert machine_clock.waits == [pytest.approx(30 + MARGIN)]


def test_429_without_any_hint_backs_off(rig: Rig) -> None:
    rig.fake.inject(LOOKUP, 429, count=2)
    response = rig.client(policy=HttpPolicy(backoff_base=3.0)).get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert response.status == 200
    assert rig.clock.waits == [pytest.approx(3 * 2 + MARGIN), pytest.approx(3 * 4 + MARGIN)]


def test_a_reset_too_far_away_raises_rate_limited_without_waiting(rig: Rig) -> None:
    rig.use_up_rate_limit()
    client = rig.client(policy=HttpPolicy(max_rate_wait=60))
    with pytest.raises(RateLimitedError) as caught:
        client.get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert caught.value.retryable
    assert "101 s" in str(caught.value) and "60 s" in str(caught.value)
    assert rig.clock.waits == []
    assert rig.exchanges.statuses == [429]
    assert len(rig.fake.requests) == 1


def test_waits_for_the_reset_before_the_next_request_when_none_remain(rig: Rig) -> None:
    rig.fake.limiter.api_limit = 2
    client = rig.client()
    first = client.get(rig.url(LOOKUP), {"acct": "kristianstad"})
    second = client.get(rig.url(f"/api/v1/accounts/{rig.town['id']}"))
    assert [first.header("X-RateLimit-Remaining"), second.header("X-RateLimit-Remaining")] == ["1", "0"]
    assert rig.clock.waits == []

    third = client.get(rig.url(LOOKUP), {"acct": "kristianstad"})
    assert third.status == 200
    assert rig.clock.waits == [pytest.approx(TO_RESET + MARGIN)]
    assert [request.status for request in rig.fake.requests] == [200, 200, 200], "never a 429"
    assert rig.fake.requests[2].at == NOW + dt.timedelta(seconds=TO_RESET + MARGIN)


def test_a_proactive_wait_too_long_raises_before_sending(rig: Rig) -> None:
    rig.fake.limiter.api_limit = 1
    client = rig.client(policy=HttpPolicy(max_rate_wait=60))
    assert client.get(rig.url(LOOKUP), {"acct": "kristianstad"}).status == 200
    with pytest.raises(RateLimitedError):
        client.get(rig.url(LOOKUP), {"acct": "kristianstad"})
    assert len(rig.fake.requests) == 1 and rig.clock.waits == []


# ------------------------------------------------------------------- transient failures


@pytest.mark.parametrize(("jitter", "waits"), [(1.0, [2.0, 4.0]), (0.0, [1.0, 2.0])])
def test_503_twice_then_200_backs_off_and_records_every_attempt(
    rig: Rig, jitter: float, waits: list[float]
) -> None:
    rig.fake.inject(LOOKUP, 503, count=2)
    response = rig.client(rng=FixedRandom(jitter)).get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert response.status == 200 and response.json()["username"] == "kristianstad"
    assert rig.exchanges.statuses == [503, 503, 200]
    assert b"503 Service Temporarily Unavailable" in rig.exchanges[0].body.read()
    assert rig.clock.waits == pytest.approx(waits)
    assert len(rig.fake.requests) == 3


def test_a_persistent_500_gives_up_after_max_attempts(rig: Rig) -> None:
    rig.fake.inject(LOOKUP, 500, count=10)
    client = rig.client(policy=HttpPolicy(max_attempts=3))
    with pytest.raises(TransientPlatformError) as caught:
        client.get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert caught.value.retryable and not isinstance(caught.value, RateLimitedError)
    assert "gave up after 3 attempts" in str(caught.value)
    assert "something went wrong on our end" in str(caught.value)
    assert rig.exchanges.statuses == [500, 500, 500]
    assert rig.clock.waits == pytest.approx([2.0, 4.0])


def test_a_dropped_connection_is_retried(rig: Rig) -> None:
    rig.fake.disconnect(LOOKUP)
    response = rig.client().get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert response.status == 200
    assert [request.status for request in rig.fake.requests] == [None, 200]
    assert rig.exchanges.statuses == [200], "nothing was received from the dropped attempt"
    assert rig.clock.waits == pytest.approx([2.0])


def test_a_read_timeout_is_retried(rig: Rig, request: pytest.FixtureRequest) -> None:
    stall = rig.fake.stall(LOOKUP)
    request.addfinalizer(stall.release)

    # The client gives up on its own clock; on a busy machine it may do so before the server has
    # read the request. The retry waits (in the client's back-off) until the stall holds the first
    # attempt, so the stall cannot catch the retry instead. The retry must be answered within
    # the read timeout: 2 s is far beyond a loopback answer, even on a loaded machine.
    def first_attempt_held() -> None:
        assert stall.wait_hits(1, EVENT_TIMEOUT), "the stall never caught the first attempt"

    rig.clock.on_sleep.append(first_attempt_held)
    response = rig.client(policy=HttpPolicy(read_timeout=2.0)).get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert response.status == 200
    assert stall.hits == 1
    assert [request.status for request in rig.fake.requests] == [None, 200]
    assert rig.clock.waits == pytest.approx([2.0])


def test_read_timeouts_that_persist_raise_a_transient_error(rig: Rig, request: pytest.FixtureRequest) -> None:
    stall = rig.fake.stall(LOOKUP, count=2)
    request.addfinalizer(stall.release)
    client = rig.client(policy=HttpPolicy(read_timeout=0.5, max_attempts=2))
    with pytest.raises(TransientPlatformError) as caught:
        client.get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert "ReadTimeoutError" in str(caught.value)
    # The client may give up on the second attempt before the server has read it.
    assert stall.wait_hits(2, EVENT_TIMEOUT), f"the stall caught {stall.hits} requests"
    assert stall.hits == 2 and rig.exchanges == []


# ------------------------------------------------------------------ refusals and answers


def test_401_raises_auth_error_at_once(rig: Rig) -> None:
    with pytest.raises(AuthError) as caught:
        rig.client(token="wrong-token").get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert not caught.value.retryable
    assert "HTTP 401" in str(caught.value) and "The access token is invalid" in str(caught.value)
    assert "wrong-token" not in str(caught.value)
    assert rig.exchanges.statuses == [401], "the refusal is recorded as evidence"
    assert len(rig.fake.requests) == 1 and rig.clock.waits == []


def test_403_raises_auth_error_at_once(rig: Rig) -> None:
    rig.fake.add_token(TOKEN)
    rig.fake.inject(LOOKUP, 403, count=5)
    with pytest.raises(AuthError) as caught:
        rig.client(token=TOKEN).get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert "HTTP 403" in str(caught.value) and "This action is not allowed" in str(caught.value)
    assert rig.exchanges.statuses == [403]
    assert len(rig.fake.requests) == 1 and rig.clock.waits == []


def test_404_and_410_are_returned_to_the_caller(rig: Rig) -> None:
    client = rig.client()
    missing = client.get(rig.url(LOOKUP), {"acct": "finns-inte"})
    assert missing.status == 404 and missing.json() == {"error": "Record not found"}

    rig.fake.inject(r"/statuses/1$", 410)
    gone = client.get(rig.url("/api/v1/statuses/1"))
    assert gone.status == 410 and gone.json() == {"error": "Gone"}
    assert rig.exchanges.statuses == [404, 410] and rig.clock.waits == []


def test_a_404_not_allowed_by_the_caller_is_a_protocol_error(rig: Rig) -> None:
    with pytest.raises(ProtocolError, match=r"HTTP 404 .*Record not found"):
        rig.client().get(rig.url(LOOKUP), {"acct": "finns-inte"}, allow=())
    assert rig.exchanges.statuses == [404]


# ------------------------------------------------------------------ where the token goes


def test_the_token_goes_to_the_api_host_but_never_to_the_media_host(rig: Rig) -> None:
    rig.fake.add_token(TOKEN)
    picture = make_png(8, 8, (20, 90, 160))
    post = rig.fake.post(
        rig.town, "<p>Vårflod vid Hammarsjön</p>", media=[("flod.png", picture, "image/png", "Hammarsjön")]
    )
    client = rig.client(token=TOKEN)
    status = client.get(rig.url(f"/api/v1/statuses/{post['id']}")).json()
    media_url = status["media_attachments"][0]["url"]
    assert media_url.startswith(rig.fake.files_url + "/")
    media = client.get(media_url, accept="*/*")

    assert media.status == 200 and media.content == picture
    api_request, media_request = rig.fake.requests
    assert api_request.host == rig.fake.domain and api_request.authorization == f"Bearer {TOKEN}"
    assert media_request.host == f"localhost:{rig.fake.port}" and media_request.authorization is None
    assert all(name.lower() != "authorization" for name, _ in rig.exchanges[1].request_headers)


def test_a_redirect_to_another_host_drops_the_token(rig: Rig) -> None:
    rig.fake.add_token(TOKEN)
    elsewhere = f"{rig.fake.files_url}{LOOKUP}?acct=kristianstad"
    rig.fake.inject(LOOKUP, 302, headers={"Location": elsewhere})
    response = rig.client(token=TOKEN).get(rig.url(LOOKUP), {"acct": "kristianstad"})

    assert response.status == 200 and response.url == elsewhere
    assert response.json()["id"] == rig.town["id"]
    assert rig.exchanges.statuses == [302, 200]
    first, second = rig.fake.requests
    assert first.authorization == f"Bearer {TOKEN}"
    assert second.host == f"localhost:{rig.fake.port}" and second.authorization is None


def test_a_redirect_on_the_same_host_keeps_the_token(rig: Rig) -> None:
    rig.fake.add_token(TOKEN)
    rig.fake.inject(r"acct=Kristianstad", 301, headers={"Location": f"{LOOKUP}?acct=kristianstad"})
    response = rig.client(token=TOKEN).get(rig.url(LOOKUP), {"acct": "Kristianstad"})

    assert response.status == 200 and response.url == rig.url(f"{LOOKUP}?acct=kristianstad")
    assert [request.authorization for request in rig.fake.requests] == [f"Bearer {TOKEN}"] * 2


def test_a_redirect_loop_ends_in_a_protocol_error(rig: Rig) -> None:
    rig.fake.inject(LOOKUP, 302, count=10, headers={"Location": f"{LOOKUP}?acct=kristianstad"})
    with pytest.raises(ProtocolError, match="more than 2 redirects"):
        rig.client(policy=HttpPolicy(max_redirects=2)).get(rig.url(LOOKUP), {"acct": "kristianstad"})
    assert rig.exchanges.statuses == [302, 302, 302]


# ------------------------------------------------------------------------------ bodies


@pytest.mark.parametrize(
    ("use_gzip", "chunked"), [(True, True), (True, False), (False, True), (False, False)]
)
def test_bodies_decode_to_the_json_the_server_sent(rig: Rig, use_gzip: bool, chunked: bool) -> None:
    rig.fake.gzip, rig.fake.chunked = use_gzip, chunked
    post = rig.fake.post(rig.town, "<p>Fika &amp; fotboll i Åhus &lt;3 😀</p>")
    response = rig.client().get(rig.url(f"/api/v1/statuses/{post['id']}"))

    assert response.json() == rig.fake.status_json(post)
    assert response.json()["content"] == "<p>Fika &amp; fotboll i Åhus &lt;3 😀</p>"
    exchange = response.exchange
    exchange.body.seek(0)
    wire = exchange.body.read()
    assert exchange.body_length == len(wire)
    headers = {name.lower(): value for name, value in exchange.response_headers}
    assert headers.get("transfer-encoding") == ("chunked" if chunked else None)
    if use_gzip:
        assert headers["content-encoding"] == "gzip" and wire[:2] == b"\x1f\x8b", "kept as sent"
        assert gzip.decompress(wire) == response.content
    else:
        assert "content-encoding" not in headers and wire == response.content


@pytest.mark.parametrize("wrapped", [True, False], ids=["zlib-deflate", "raw-deflate"])
def test_a_deflate_body_is_decoded(rig: Rig, wrapped: bool) -> None:
    rig.fake.gzip = False
    body = json.dumps({"note": "Välkommen till Kristianstad"}).encode()
    if wrapped:
        encoded = zlib.compress(body)
    else:
        packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        encoded = packer.compress(body) + packer.flush()
    rig.fake.inject(
        LOOKUP,
        200,
        body=encoded,
        headers={"Content-Encoding": "deflate", "Content-Type": "application/json"},
    )
    assert rig.client().get(rig.url(LOOKUP)).json() == {"note": "Välkommen till Kristianstad"}


def test_a_body_that_is_not_what_it_claims_is_a_protocol_error(rig: Rig) -> None:
    rig.fake.gzip = False
    rig.fake.inject(LOOKUP, 200, body=b"inte gzip", headers={"Content-Encoding": "gzip"})
    rig.fake.inject(LOOKUP, 200, body=b"<html>underhall</html>", headers={"Content-Type": "text/html"})
    client = rig.client()
    with pytest.raises(ProtocolError, match="not valid gzip"):
        _ = client.get(rig.url(LOOKUP)).content
    with pytest.raises(ProtocolError, match="expected JSON"):
        client.get(rig.url(LOOKUP)).json()


# ------------------------------------------------------------------------------- links


def test_the_link_header_of_a_listing_gives_absolute_next_and_prev(rig: Rig) -> None:
    ids = [
        rig.fake.post(rig.town, f"<p>Inlägg {n}</p>", at=NOW - dt.timedelta(minutes=n))["id"]
        for n in range(1, 5)
    ]
    path = f"/api/v1/accounts/{rig.town['id']}/statuses"
    response = rig.client().get(rig.url(path), {"limit": 2})

    assert [item["id"] for item in response.json()] == ids[:2]
    assert response.links() == {
        "next": rig.url(f"{path}?limit=2&max_id={ids[1]}"),
        "prev": rig.url(f"{path}?limit=2&min_id={ids[0]}"),
    }


def test_link_parsing_handles_relative_urls_several_rels_and_other_params(rig: Rig) -> None:
    link = (
        '</api/v1/timelines/tag/kristianstad?max_id=5>; rel="next", '
        '<../public?min_id=9>; title="Nyare inlägg"; rel="prev PREVIOUS", '
        "<https://other.example/sista>; rel=last, "
        '<https://other.example/ignored>; rel="next"'
    )
    rig.fake.inject(r"/timelines/", 200, body=[], headers={"Link": link})
    response = rig.client().get(rig.url("/api/v1/timelines/tag/kristianstad"))

    assert response.links() == {
        "next": rig.url("/api/v1/timelines/tag/kristianstad?max_id=5"),
        "prev": rig.url("/api/v1/timelines/public?min_id=9"),
        "previous": rig.url("/api/v1/timelines/public?min_id=9"),
        "last": "https://other.example/sista",
    }


def test_no_link_header_gives_no_links(rig: Rig) -> None:
    assert rig.client().get(rig.url(LOOKUP), {"acct": "kristianstad"}).links() == {}


# --------------------------------------------------------------------------- identity


def test_the_user_agent_names_the_product_and_its_version(rig: Rig) -> None:
    rig.client().get(rig.url(LOOKUP), {"acct": "kristianstad"})
    with_contact_client = rig.client(agent=user_agent("https://kristianstad.se/arkiv"))
    with_contact_client.get(rig.url(LOOKUP), {"acct": "kristianstad"})

    default, with_contact = (request.header("User-Agent") for request in rig.fake.requests)
    assert default == f"{PRODUCT}/{__version__} (records archive)"
    assert with_contact == f"{PRODUCT}/{__version__} (records archive; +https://kristianstad.se/arkiv)"
    assert PRODUCT == "social-records-archive" and __version__
    assert not any("Mozilla" in agent for agent in (default, with_contact))
