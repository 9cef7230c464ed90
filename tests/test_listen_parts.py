"""The parts of ``listen`` on their own: the SSE reader under any chunking, the targeted-capture
queue around a recording capture, and the Airflow trigger against a loopback REST endpoint."""

from __future__ import annotations

import itertools
import json
import pathlib
import threading
from collections.abc import Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_lib.inventory import load_inventory
from archive_lib.push.meta import signature_ok, verify
from archive_lib.push.sse import SseParser, StreamTooLarge
from archive_lib.push.targets import AirflowTrigger, TargetQueue
from archive_lib.storage.file import FileStore
from tests.helpers import EVENT_TIMEOUT, write_inventory

STREAM = (
    b":)\n"
    b"event: update\n"
    b'data: {"id":"1","content":"<p>\xc3\xb6ppnar</p>"}\n\n'
    b":thump\n"
    b"event: notification\r\n"
    b'data: {"type":"follow"}\r\n\r\n'
    b"event: delete\rdata: 42\r\r"
    b"event: filters_changed\n"
    b"data: undefined\n\n"
)
EXPECTED = [
    ("update", '{"id":"1","content":"<p>öppnar</p>"}'),
    ("notification", '{"type":"follow"}'),
    ("delete", "42"),
    ("filters_changed", "undefined"),
]


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), unique=True, max_size=30))
def test_sse_events_are_the_same_however_the_stream_is_cut(cuts: list[int]) -> None:
    parser = SseParser()
    events = []
    bounds = [0, *sorted(cuts), len(STREAM)]
    for start, end in itertools.pairwise(bounds):
        events += parser.feed(STREAM[start:end])
    assert [(e.name, e.data) for e in events] == EXPECTED
    assert parser.comments == 2
    assert events[0].raw == b'event: update\ndata: {"id":"1","content":"<p>\xc3\xb6ppnar</p>"}\n\n'


def test_sse_lines_are_bounded() -> None:
    parser = SseParser(max_line=1000, max_event=5000)
    with pytest.raises(StreamTooLarge):
        parser.feed(b"data: " + b"x" * 2000)
    parser = SseParser(max_line=1000, max_event=5000)
    with pytest.raises(StreamTooLarge):
        for _ in range(10):
            parser.feed(b"data: " + b"x" * 900 + b"\n")


def test_signatures_and_the_handshake_are_strict() -> None:
    body = b'{"object":"page"}'
    good = "sha256=fc6b6b8bfe3cc2a4ac09c4a48c0b9f3d0de8ac0b4c4f7a4ac4cfb2b8b5d49d3a"
    assert not signature_ok(body, good, "secret")  # not the right digest
    import hashlib
    import hmac

    right = "sha256=" + hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature_ok(body, right, "secret")
    assert signature_ok(body, right.upper().replace("SHA256=", "sha256="), "secret")  # hex case
    assert not signature_ok(body, right, None)  # no app secret configured: nothing is accepted
    assert not signature_ok(body, None, "secret")
    query = {"hub.mode": ["subscribe"], "hub.verify_token": ["t"], "hub.challenge": ["<script>"]}
    assert verify(query, "t").status == 400  # only a plain token is echoed
    assert verify({**query, "hub.challenge": ["123"]}, None).status == 403  # no token configured


class Recording:
    def __init__(self, fail_for: str | None = None) -> None:
        self.calls: list[tuple[tuple[str, ...], dict[str, list[str]], str]] = []
        self.fail_for = fail_for
        self.cond = threading.Condition()

    def __call__(
        self,
        inventory: Any,
        store: Any,
        *,
        account_ids: Sequence[str] = (),
        threads: Mapping[str, Sequence[str]] | None = None,
        kind: str = "recent",
    ) -> None:
        with self.cond:
            self.calls.append((tuple(account_ids), {k: list(v) for k, v in (threads or {}).items()}, kind))
            self.cond.notify_all()
        if account_ids and account_ids[0] == self.fail_for:
            raise RuntimeError("platform down")


@pytest.fixture
def queue_parts(tmp_path: pathlib.Path) -> Iterator[tuple[Any, Any]]:
    inventory = load_inventory(
        write_inventory(
            tmp_path, "https://social.example", [{"id": "a", "handle": "a"}, {"id": "b", "handle": "b"}]
        )
    )
    yield inventory, FileStore(f"file://{tmp_path / 'archive'}")


def test_queued_threads_become_one_capture_per_account_and_a_failure_stops_nothing(
    queue_parts: tuple[Any, Any],
) -> None:
    inventory, store = queue_parts
    capture = Recording(fail_for="a")
    queue = TargetQueue(inventory, store, capture, batch_seconds=0.1)
    stop = threading.Event()
    worker = threading.Thread(target=queue.run, args=(stop,))
    for thread in ("t2", "t1", "t2"):
        queue.thread("a", thread)
    queue.thread("b", "t9")
    queue.recent("b")
    worker.start()
    with capture.cond:
        assert capture.cond.wait_for(lambda: len(capture.calls) >= 3, EVENT_TIMEOUT)
    queue.thread("a", "t3")  # after a's capture failed, the worker still takes work
    with capture.cond:
        assert capture.cond.wait_for(lambda: len(capture.calls) >= 4, EVENT_TIMEOUT)
    stop.set()
    worker.join(EVENT_TIMEOUT)
    assert capture.calls == [
        (("a",), {"a": ["t1", "t2"]}, "targeted"),
        (("b",), {}, "recent"),
        (("b",), {"b": ["t9"]}, "targeted"),
        (("a",), {"a": ["t3"]}, "targeted"),
    ]
    assert (queue.stats.failures, queue.stats.captures) == (2, 1)  # per account and batch


class _Airflow(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, dict[str, str], Any]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, dict(self.headers.items()), body))
        if self.path == "/auth/token":
            ok = body == {"username": "admin", "password": "pw"}
            answer = {"access_token": "jwt-123"} if ok else {"detail": "Invalid credentials"}
            status = 201 if ok else 401
        else:
            ok = self.headers.get("Authorization") == "Bearer jwt-123"
            answer = {"dag_run_id": "manual__1", "conf": body["conf"]} if ok else {"detail": "no"}
            status = 200 if ok else 401
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_the_airflow_trigger_asks_for_a_capture_recent_run(queue_parts: tuple[Any, Any]) -> None:
    inventory, store = queue_parts
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Airflow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = f"http://127.0.0.1:{server.server_address[1]}"
        run = AirflowTrigger(api, "admin", "pw")(
            inventory, store, account_ids=["a"], threads={"a": ["t1"]}, kind="targeted"
        )
        assert run["dag_run_id"] == "manual__1"
        path, headers, body = _Airflow.seen[-1]
        assert headers["Authorization"] == "Bearer jwt-123"
        assert path == "/api/v2/dags/capture_recent/dagRuns"
        assert body == {
            "logical_date": None,
            "conf": {"account_ids": ["a"], "threads": {"a": ["t1"]}, "kind": "targeted"},
        }
        with pytest.raises(RuntimeError, match="refused the credentials"):
            AirflowTrigger(api, "admin", "wrong")(inventory, store, account_ids=["a"])
    finally:
        server.shutdown()
        server.server_close()


class _FailingStore:
    """A file store whose puts fail while ``down`` is set, as a store that is unreachable."""

    def __init__(self, inner: FileStore) -> None:
        self.inner = inner
        self.url = inner.url
        self.down = True

    def put(self, key: str, data: Any, **kwargs: Any) -> Any:
        if self.down:
            from archive_lib.errors import StoreError

            raise StoreError("the store is unreachable")
        return self.inner.put(key, data, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_failing_store_keeps_pushed_things_pending_until_it_comes_back(
    queue_parts: tuple[Any, Any],
) -> None:
    from archive_lib.clock import SystemClock
    from archive_lib.push.journal import PushJournal
    from archive_lib.push.received import Received

    inventory, store = queue_parts
    failing = _FailingStore(store)
    journal = PushJournal(failing, clock=SystemClock())  # type: ignore[arg-type]
    delivery = Received(**_fields(inventory.account("a")), dedupe="abc")
    ticket = journal.add(delivery)
    assert ticket is not None
    journal.flush()
    assert (journal.pending, journal.failures, journal.wait_stored(ticket, 0)) == (1, 1, False)
    assert list(store.list("")) == []
    assert journal.add(Received(**_fields(inventory.account("a")), dedupe="abc")) is None  # Meta's retry
    failing.down = False
    journal.flush()
    assert (journal.pending, journal.wait_stored(ticket, 0)) == (0, True)
    assert len([k for k in store.list("warc/") if k.endswith(".warc.gz")]) == 1
    markers = list(store.list("push/deliveries/"))
    assert len(markers) == 1 and markers[0].endswith("/meta-abc.json")


def _fields(account: Any) -> dict[str, Any]:
    import datetime as dt

    return {
        "account": account,
        "source": "meta",
        "record_type": "request",
        "url": "https://arkiv.example/webhooks/meta",
        "payload": b'{"object":"page"}',
        "content_type": "application/json",
        "received_at": dt.datetime.now(dt.UTC),
    }
