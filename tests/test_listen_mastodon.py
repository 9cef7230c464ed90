"""The listen service following a Mastodon account's ``user`` stream on the fake instance.

The fake streams as Mastodon's streaming server does (greeting, heartbeats, ``event:`` and
``data:`` in separate chunks, notifications without a status, ``filters_changed``). The
service runs in this process, with a recording capture in place of ``capture_recent``, so the
test sees which threads and recent passes it asks for; everything else is real (HTTP over
loopback, the store, the threads).
"""

from __future__ import annotations

import datetime as dt
import pathlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from archive_lib.capture.night import capture_night
from archive_lib.clock import stockholm_date
from archive_lib.inventory import load_inventory
from archive_lib.models import Account
from archive_lib.push.service import ListenOptions, ListenService
from archive_lib.storage.file import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import EVENT_TIMEOUT, read_items, write_inventory

TOKEN = "town-user-token-0a9b8c"


class RecordingCapture:
    """Stands in for ``capture_recent``: records each call; fails when told to."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.fail = False
        self.called = threading.Condition()

    def __call__(
        self,
        inventory: Any,
        store: Any,
        *,
        account_ids: Sequence[str] = (),
        threads: Mapping[str, Sequence[str]] | None = None,
        kind: str = "recent",
    ) -> None:
        with self.called:
            self.calls.append(
                {"account_ids": tuple(account_ids), "threads": dict(threads or {}), "kind": kind}
            )
            self.called.notify_all()
        if self.fail:
            raise RuntimeError("the platform is down")

    def wait(self, condition: Callable[[list[dict[str, Any]]], bool]) -> None:
        with self.called:
            assert self.called.wait_for(lambda: condition(self.calls), EVENT_TIMEOUT), self.calls


def wait_until(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + EVENT_TIMEOUT
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_user_stream_is_kept_and_reconnects(tmp_path: pathlib.Path) -> None:
    with FakeMastodon(now=dt.datetime.now(dt.UTC)) as fake:
        fake.stream_heartbeat = 0.1
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        anna = fake.add_account("anna", "Anna Lindqvist")
        fake.add_token(TOKEN, account=town)
        inventory = load_inventory(
            write_inventory(
                tmp_path,
                fake.base_url,
                [
                    {"id": "ks-mastodon", "handle": "kristianstad", "token_env": "KS_TOKEN"},
                    {"id": "ks-anon", "handle": "anna"},  # no token: no stream, and no trouble
                ],
            )
        )
        store = FileStore(f"file://{tmp_path / 'archive'}")
        capture = RecordingCapture()
        capture.fail = True  # a failing targeted capture never stops listen

        def tokens(account: Account) -> str | None:
            return TOKEN if account.id == "ks-mastodon" else None

        options = ListenOptions(port=0, flush_seconds=0.2, batch_seconds=0.2, stream_first_retry=0.1)
        service = ListenService(inventory, store, options, capture=capture, tokens=tokens)
        assert [s.account.id for s in service.mastodon] == ["ks-mastodon"]
        service.start()
        try:
            wait_until(lambda: fake.streams.open_count(int(town["id"])) == 1, "the stream")
            post = fake.post(town, fake.html("Badhuset stänger för renovering."))
            question = fake.post(anna, fake.html("Hur länge?"), in_reply_to=post["id"])
            fake.follow(anna, town)  # a notification without a status
            fake.stream_event(town, "filters_changed")
            wait_until(lambda: len(read_items(store)) == 2, "the post and the question")
            capture.wait(lambda calls: any(c["kind"] == "targeted" for c in calls))

            fake.drop_streams()  # the streaming server restarts: nothing is replayed
            wait_until(lambda: fake.streams.opened == 2, "the reconnect")
            capture.wait(lambda calls: any(c["kind"] == "recent" for c in calls))
            capture.fail = False
            answer = fake.post(town, fake.html("Till mars."), in_reply_to=question["id"])
            thanks = fake.post(anna, fake.html("Tack för svaret!"), in_reply_to=answer["id"])
            wait_until(lambda: len(read_items(store)) == 4, "the replies after the reconnect")
            fake.delete(thanks)
            wait_until(lambda: service.journal.stored_count >= 5, "the delete event")
        finally:
            service.stop()
        pushed = read_items(store)
        # The nightly capture reads the same statuses from the API: the pushed versions have its
        # digests, so it writes nothing for them, and confirms the deleted reply by lookup.
        night = capture_night(
            inventory, store, stockholm_date(fake.clock.now()), ["ks-mastodon"], tokens=tokens
        )
        assert night.ok, night
        after = read_items(store)

    assert sorted((r["item_id"], r["event"]) for r in after if r not in pushed) == [(thanks["id"], "deleted")]
    rows = {r["item_id"]: r for r in pushed}
    assert rows[post["id"]]["item_type"] == "post" and rows[post["id"]]["author_is_account"] is True
    assert (rows[question["id"]]["post_id"], rows[question["id"]]["text"]) == (post["id"], "Hur länge?")
    assert (rows[answer["id"]]["post_id"], rows[answer["id"]]["parent_id"]) == (post["id"], question["id"])
    assert rows[answer["id"]]["author_is_account"] is True
    assert (rows[thanks["id"]]["post_id"], rows[thanks["id"]]["text"]) == (post["id"], "Tack för svaret!")
    assert {r["event"] for r in rows.values()} == {"new"}  # a deletion is confirmed by a capture
    targeted = [c for c in capture.calls if c["kind"] == "targeted"]
    assert targeted[0] == {
        "account_ids": ("ks-mastodon",),
        "threads": {"ks-mastodon": [post["id"]]},
        "kind": "targeted",
    }
    assert {"account_ids": ("ks-mastodon",), "threads": {}, "kind": "recent"} in capture.calls
    # Every record is the event as received: its event: and data: lines.
    warcs = sorted((tmp_path / "archive" / "warc").rglob("*.warc.gz"))
    import gzip

    raw = b"".join(gzip.decompress(p.read_bytes()) for p in warcs)
    assert b"event: notification\ndata: {" in raw and b"event: delete\ndata: " + thanks["id"].encode() in raw
    assert TOKEN.encode() not in raw
