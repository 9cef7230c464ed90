"""The HTTP door's bounds, against the hostile instance (tests/fakes/hostile).

Each test talks to a fresh hostile server over loopback through a real
:class:`~archive_lib.connectors.http.HttpClient` whose exchanges go into a real WARC recorder
and file store, and reads back what was stored. The client's clock tells the real time but
does not wait (backoff is noted, not slept), so only the deadline itself takes real time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import pathlib
import random
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from archive_lib.capture.account import CaptureOptions, capture_account
from archive_lib.clock import IdFactory, local_day_start
from archive_lib.connectors.base import CapturePlan, MediaArchiver
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.mastodon import MastodonConnector
from archive_lib.connectors.policy import HttpPolicy
from archive_lib.errors import (
    BodyTooLargeError,
    BudgetExhaustedError,
    PaginationLoopError,
    TransientPlatformError,
)
from archive_lib.inventory import load_inventory
from archive_lib.metadata.state import load_state
from archive_lib.models import Account, RecordRef
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage import FileStore
from archive_lib.warc.redact import Redactor
from archive_lib.warc.writer import WarcRecorder
from tests.fakes.hostile import MIB, HostileServer, Town
from tests.fakes.hostile.misbehaviour import TRICKLE_SECONDS
from tests.helpers import write_inventory
from tests.hostile.evidence import (
    WarcRecord,
    every_file,
    find_secrets,
    leaks_in_file,
    records_in,
    secret_forms,
)

NIGHT = dt.date(2026, 11, 20)
DEADLINE = 1.0
#: A trickled thread takes a minute to arrive; cut at the deadline, it takes about one second.
CUT_WITHIN = 10.0
BODY_LIMIT = 1 * MIB
DECODED_LIMIT = 8 * MIB


class NoWaitClock:
    """The real time; waits are noted and skipped."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class Rig:
    server: HostileServer
    store: FileStore
    folder: pathlib.Path
    clock: NoWaitClock
    recorders: list[WarcRecorder]

    def recorder(self, *secrets: str) -> WarcRecorder:
        prefix = f"warc/test/{len(self.recorders) + 1}"
        recorder = WarcRecorder(
            self.store,
            key_for=lambda n: f"{prefix}-{n}.warc.gz",
            warcinfo={"software": "tests"},
            retention=ObjectRetention("bevaras", None),
            tags={},
            redactor=Redactor(secrets),
            ids=IdFactory(),
            now=self.clock.now,
            max_decoded_bytes=DECODED_LIMIT,
        )
        self.recorders.append(recorder)
        return recorder

    def client(self, town: Town, recorder: WarcRecorder | None = None, **policy: float) -> HttpClient:
        """A client holding ``town``'s token for the instance, recording into a WARC file."""
        recorder = recorder or self.recorder(town.token)
        bounds = {
            "request_deadline": DEADLINE,
            "max_body_bytes": BODY_LIMIT,
            "max_decoded_bytes": DECODED_LIMIT,
        }
        return HttpClient(
            recorder.record,
            clock=self.clock,
            policy=HttpPolicy(**{**bounds, **policy}),  # type: ignore[arg-type]
            token=town.token,
            token_origin=self.server.base_url,
            rng=random.Random(7),
            scrub=Redactor([town.token]).text,
        )

    def stage_context(self, town: Town) -> str:
        assert town.stage is not None
        return f"{self.server.base_url}/api/v1/statuses/{town.stage.id}/context"

    def records(self) -> list[WarcRecord]:
        """Every record stored so far (each recorder's file is stored first)."""
        for recorder in self.recorders:
            recorder.flush()
        return [r for path in sorted(self.folder.rglob("*.warc.gz")) for r in records_in(path)]

    def sent(self, town: Town) -> list:
        assert town.stage is not None
        return [q for q in self.server.requests if town.stage.id in q.target]


@pytest.fixture
def rig(tmp_path: pathlib.Path) -> Iterator[Rig]:
    with HostileServer(max_body_bytes=BODY_LIMIT) as server:
        store = FileStore((tmp_path / "archive").as_uri())
        yield Rig(server, store, tmp_path / "archive", NoWaitClock(), [])


def _responses(records: list[WarcRecord]) -> list[WarcRecord]:
    return [r for r in records if r.type == "response"]


# -- next pages ----------------------------------------------------------------------------------


def _account(rig: Rig, town: Town, folder: pathlib.Path) -> Account:
    path = write_inventory(folder, rig.server.base_url, [{"id": town.account_id, "handle": town.handle}])
    return load_inventory(path).accounts[0]


def test_a_listing_whose_next_page_is_itself_raises_after_one_repeat(
    rig: Rig, tmp_path: pathlib.Path
) -> None:
    town = rig.server.world.by_behaviour("selflink")
    account = _account(rig, town, tmp_path)
    http = rig.client(town)
    recheck_from = local_day_start(NIGHT - dt.timedelta(days=30))
    plan = CapturePlan(
        account, NIGHT, recheck_from, None, None, load_state(rig.store, account.id, recheck_from)
    )
    connector = MastodonConnector(account, http, MediaArchiver(http, {}), authenticated=True)

    with pytest.raises(PaginationLoopError, match="repeated a next-page cursor"):
        list(connector.capture(plan))

    listings = [q.target for q in rig.server.requests if q.route == "listing"]
    assert len(listings) == 2 and listings[0] == listings[1]  # the first page, and once more


# -- the deadline ----------------------------------------------------------------------------------


@pytest.mark.parametrize("behaviour", ["trickle", "tricklekeep"])  # saying Connection: close, or not
def test_the_deadline_cuts_a_trickling_body_and_records_what_came(rig: Rig, behaviour: str) -> None:
    town = rig.server.world.by_behaviour(behaviour)
    client = rig.client(town, max_attempts=1)
    started = time.monotonic()
    with pytest.raises(TransientPlatformError, match="deadline"):
        client.get(rig.stage_context(town))
    assert time.monotonic() - started < CUT_WITHIN

    [record] = _responses(rig.records())
    [request] = rig.sent(town)
    assert request.answer is not None
    assert record.status == 200 and record.warc["WARC-Truncated"] == "time"
    assert record.payload and request.answer.body.startswith(record.payload)
    assert len(record.payload) < len(request.answer.body) // 4
    assert len(record.payload) * TRICKLE_SECONDS < CUT_WITHIN


def test_the_deadline_cuts_a_trickling_head_and_marks_what_began(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("tricklehead")
    client = rig.client(town, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(TransientPlatformError, match="deadline"):
        client.get(rig.stage_context(town))
    assert time.monotonic() - started < 2 * CUT_WITHIN
    assert len(rig.sent(town)) == 2 and len(rig.clock.waits) == 1  # retried once, after a backoff
    # Where the status line came before the cut, a response began: it is recorded, marked cut.
    for record in _responses(rig.records()):
        assert record.warc["WARC-Truncated"] == "time" and record.payload == b""


# -- sizes -------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_recorded_cut_and_raises(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("oversized")
    with pytest.raises(BodyTooLargeError, match=f"larger than {BODY_LIMIT}"):
        rig.client(town).get(rig.stage_context(town))
    [record] = _responses(rig.records())
    [request] = rig.sent(town)
    assert request.answer is not None and len(request.answer.body) > BODY_LIMIT
    assert record.warc["WARC-Truncated"] == "length"
    assert record.payload == request.answer.body[:BODY_LIMIT]


@pytest.mark.parametrize("behaviour", ["gzipbomb", "deflatebomb"])
def test_a_bomb_raises_body_too_large_with_bounded_memory(rig: Rig, behaviour: str) -> None:
    town = rig.server.world.by_behaviour(behaviour)
    response = rig.client(town, max_body_bytes=4 * MIB).get(rig.stage_context(town))
    assert response.status == 200 and response.exchange.body_length > MIB  # all of it came
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLargeError, match=f"more than {DECODED_LIMIT}"):
            _ = response.content
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < DECODED_LIMIT + 16 * MIB, f"{peak / MIB:.0f} MiB to refuse a bomb"
    with pytest.raises(BodyTooLargeError):
        response.json()


@pytest.mark.parametrize("behaviour", ["echogzip", "echodeflate", "echocomment"])
def test_several_gzip_members_raw_deflate_and_gzip_comments_decode(rig: Rig, behaviour: str) -> None:
    town = rig.server.world.by_behaviour(behaviour)
    data = rig.client(town).get(rig.stage_context(town)).json()
    [request] = rig.sent(town)
    assert request.answer is not None
    assert data == json.loads(_independent_decode(request.answer.body))
    assert town.stage is not None
    assert [d["id"] for d in data["descendants"]] == [s.id for s in town.stage.thread()]
    assert data.get("debug", f"request had Bearer {town.token}") == f"request had Bearer {town.token}"


def _independent_decode(body: bytes) -> bytes:
    """Every gzip member, or raw deflate, undone with zlib directly."""
    if body[:2] != b"\x1f\x8b":
        return zlib.decompress(body, -zlib.MAX_WBITS)
    out, rest = [], body
    while rest:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(decoder.decompress(rest))
        rest = decoder.unused_data
    return b"".join(out)


# -- the request budget ------------------------------------------------------------------------


def test_the_budget_refuses_the_request_after_the_last_one(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("ordinary")
    client = rig.client(town, max_requests=2)
    lookup = f"{rig.server.base_url}/api/v1/accounts/lookup"
    for _ in range(2):
        assert client.get(lookup, {"acct": town.handle}).status == 200
    with pytest.raises(BudgetExhaustedError, match="2 requests"):
        client.get(lookup, {"acct": town.handle})
    assert len(rig.server.requests) == 2  # the refused request was never sent


def test_requests_that_got_no_answer_count_against_the_budget(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("tricklehead")
    client = rig.client(town, max_requests=2, max_attempts=5, request_deadline=0.5)
    with pytest.raises(BudgetExhaustedError):
        client.get(rig.stage_context(town))
    assert len(rig.sent(town)) == 2


def test_the_budget_stops_the_night_and_keeps_what_it_captured(rig: Rig, tmp_path: pathlib.Path) -> None:
    town = rig.server.world.by_behaviour("ordinary")
    account = _account(rig, town, tmp_path)
    options = CaptureOptions(http=HttpPolicy(max_requests=3))
    result = capture_account(account, rig.store, NIGHT, tokens=lambda a: town.token, options=options)
    assert result.status == "failed" and "3 requests" in (result.error or "")
    assert result.http_requests == 3 and len(rig.server.requests) == 3
    assert any(key.startswith("metadata/items/") for key in result.objects)  # the first thread is kept


# -- where the token goes ----------------------------------------------------------------------


def test_a_token_echoed_in_a_502_is_in_no_stored_byte_and_no_message(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("echo502")
    with pytest.raises(TransientPlatformError) as raised:
        rig.client(town, max_attempts=1).get(rig.stage_context(town))
    forms = secret_forms([town.token])
    assert "502" in str(raised.value) and find_secrets(str(raised.value).encode(), forms) == set()
    [record] = _responses(rig.records())
    assert record.status == 502 and b"REDACTED" in record.payload
    _assert_no_token_stored(rig, town)


def test_a_token_echoed_in_the_reason_phrase_is_redacted_and_the_502_retried(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("echoreason")
    with pytest.raises(TransientPlatformError) as raised:
        rig.client(town, max_attempts=2).get(rig.stage_context(town))
    assert find_secrets(str(raised.value).encode(), secret_forms([town.token])) == set()
    assert [r.status for r in _responses(rig.records())] == [502, 502]  # both recorded
    _assert_no_token_stored(rig, town)


def test_a_cross_host_redirect_never_carries_the_token(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("redirect")
    response = rig.client(town).get(rig.stage_context(town))
    assert response.status == 200 and response.url.startswith(rig.server.mirror_url)
    assert town.stage is not None
    assert [d["id"] for d in response.json()["descendants"]] == [s.id for s in town.stage.thread()]
    [followed] = rig.server.mirror_requests
    assert followed.authorization is None
    assert (
        find_secrets((followed.target + repr(followed.headers)).encode(), secret_forms([town.token])) == set()
    )
    assert [r.status for r in _responses(rig.records())] == [302, 200]
    _assert_no_token_stored(rig, town)


def _assert_no_token_stored(rig: Rig, town: Town) -> None:
    rig.records()
    forms = secret_forms([town.token])
    files = every_file(rig.folder)
    assert files
    assert [leak for path in files for leak in leaks_in_file(path, forms)] == []


# -- broken bodies ---------------------------------------------------------------------------------


def test_a_body_cut_by_a_closed_connection_is_recorded_cut_and_retried(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("disconnect")
    with pytest.raises(TransientPlatformError, match="connection broke"):
        rig.client(town, max_attempts=2).get(rig.stage_context(town))
    records = _responses(rig.records())
    sent = rig.sent(town)
    assert len(records) == len(sent) == 2
    for record, request in zip(records, sent, strict=True):
        assert request.answer is not None and request.answer.cut is not None
        assert record.warc["WARC-Truncated"] == "disconnect"
        assert record.payload == request.answer.body[: request.answer.cut]


def test_an_error_page_that_cannot_be_decoded_is_still_retried(rig: Rig) -> None:
    town = rig.server.world.by_behaviour("corrupt503")
    response = rig.client(town, max_attempts=3).get(rig.stage_context(town))
    assert response.status == 200 and "descendants" in response.json()
    assert [r.status for r in _responses(rig.records())] == [503, 200]
    assert len(rig.clock.waits) == 1



def test_the_night_of_an_account_ends_when_its_time_is_spent() -> None:
    # A server that is always down keeps the client backing off; the account's night has an end.
    class Down(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Down)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        clock = _SteppingClock()
        client = HttpClient(
            lambda exchange: _NOWHERE,
            clock=clock,
            policy=HttpPolicy(max_night_seconds=600.0, backoff_base=30.0, backoff_max=300.0),
        )
        url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/statuses/1/context"
        with pytest.raises(BudgetExhaustedError, match="would outlast this night's 600 s"):
            for _ in range(20):  # each gives up after its attempts; the night ends first
                with contextlib.suppress(TransientPlatformError):
                    client.get(url)
    finally:
        server.shutdown()
        server.server_close()
    assert sum(clock.waits) <= 600.0
    assert client.sent < 20 * HttpPolicy().max_attempts


_NOWHERE = RecordRef("warc/none.warc.gz", 0, 0, "<urn:none>", "", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), 0)


class _SteppingClock:
    """The machine's time plus every wait asked for, without sleeping."""

    def __init__(self) -> None:
        self.start = dt.datetime.now(dt.UTC)
        self.waits: list[float] = []

    def now(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=sum(self.waits))

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
