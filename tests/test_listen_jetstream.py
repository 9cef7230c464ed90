"""``archivectl listen`` following a fake Jetstream: filtered to the account and the people in
its threads, creates kept as item versions at once, and a SIGKILL mid-stream loses nothing that
was flushed: the restarted process resumes from the cursor checkpointed in the store."""

from __future__ import annotations

import pathlib

from archive_lib import layout
from archive_lib.storage.file import FileStore
from tests.fakes.jetstream import FakeJetstream
from tests.helpers import EVENT_TIMEOUT, read_items, write_inventory
from tests.listen_helpers import Listen, bluesky_post, store_keys, wait_until

TOWN = "did:plc:kristianstadkommun2026"
ANNA = "did:plc:annalindqvist00000001"
BO = "did:plc:boberg0000000000000001"


def _texts(store: FileStore) -> list[str]:
    return sorted(r["text"] for r in read_items(store))


def test_jetstream_is_filtered_kept_at_once_and_resumes_after_sigkill(tmp_path: pathlib.Path) -> None:
    inventory = write_inventory(
        tmp_path,
        "http://127.0.0.1:9",
        [{"id": "ks-bluesky", "platform": "bluesky", "handle": TOWN}],
    )
    root = tmp_path / "archive"
    store = FileStore(f"file://{root}")
    with FakeJetstream() as jetstream:
        env = {"ARCHIVE_JETSTREAM_URL": jetstream.url}
        with Listen(inventory, f"file://{root}", env) as listen:
            first = jetstream.wait_for_connection(1, EVENT_TIMEOUT)
            assert first.hello.is_set() and first.cursor is None
            assert first.dids == {TOWN} and first.collections == {"app.bsky.feed.post"}

            post = jetstream.create(TOWN, bluesky_post("Badhuset stänger för renovering."))
            jetstream.create(BO, bluesky_post("Something elsewhere entirely."))  # not wanted: never sent
            wait_until(lambda: _texts(store) == ["Badhuset stänger för renovering."], "the post")
            question = jetstream.create(ANNA, bluesky_post("Hur länge?", root=post["uri"]))  # not wanted yet
            jetstream.create(TOWN, bluesky_post("Till mars.", root=post["uri"], parent=question["uri"]))
            # The account answered Anna: she is in its thread now, so her replies are wanted.
            wait_until(lambda: ANNA in first.dids, "Anna in wantedDids")
            jetstream.create(ANNA, bluesky_post("Tack för svaret!", root=post["uri"], parent=question["uri"]))
            kept = ["Badhuset stänger för renovering.", "Tack för svaret!", "Till mars."]
            wait_until(lambda: _texts(store) == kept, "the replies")
            last = jetstream.events[-1]["time_us"]
            cursors = wait_until(
                lambda: [
                    c
                    for c in (layout.jetstream_cursor_of(k) for k in store.list(layout.JETSTREAM_CURSORS))
                    if c is not None and c >= last
                ],
                "the cursor checkpoint",
            )
            flushed = store_keys(root)
            listen.kill()  # SIGKILL mid-stream

        later = jetstream.create(ANNA, bluesky_post("En fråga till medan ni var borta.", root=post["uri"]))
        with Listen(inventory, f"file://{root}", env) as again:
            second = jetstream.wait_for_connection(2, EVENT_TIMEOUT)
            assert second.cursor is not None
            assert max(cursors) - 5_000_000 <= second.cursor <= max(cursors)  # resumed, a little early
            assert ANNA in second.dids  # who replied is read back from the archive
            wait_until(lambda: "En fråga till medan ni var borta." in _texts(store), "the missed reply")
            assert again.terminate() == 0

    assert set(flushed) <= set(store_keys(root))  # nothing flushed was lost
    rows = read_items(store)
    # Replayed events (the rewind) are stored once as items: the archive knew them. The rewind may
    # also bring Anna's first question, sent before she was wanted and now within the cursor's reach.
    assert len({r["item_id"] for r in rows}) == len(rows)
    texts = {r["text"] for r in rows}
    assert (
        {*kept, "En fråga till medan ni var borta."}
        <= texts
        <= {*kept, "En fråga till medan ni var borta.", "Hur länge?"}
    )
    by_text = {r["text"]: r for r in rows}
    reply = by_text["Tack för svaret!"]
    assert (reply["item_type"], reply["post_id"], reply["author_id"], reply["event"]) == (
        "comment",
        post["uri"],
        ANNA,
        "new",
    )
    assert by_text["Badhuset stänger för renovering."]["author_is_account"] is True
    assert later["uri"] in {r["item_id"] for r in rows}


def test_stopping_stores_what_is_held(tmp_path: pathlib.Path) -> None:
    """What arrived but waits for the next flush (10 s away) is stored when the service stops."""
    from archive_lib.inventory import load_inventory
    from archive_lib.push.service import ListenOptions, ListenService

    inventory = load_inventory(
        write_inventory(
            tmp_path, "http://127.0.0.1:9", [{"id": "ks-bluesky", "platform": "bluesky", "handle": TOWN}]
        )
    )
    store = FileStore(f"file://{tmp_path / 'archive'}")
    with FakeJetstream() as jetstream:
        options = ListenOptions(port=0, jetstream_url=jetstream.url, flush_seconds=10.0)
        service = ListenService(inventory, store, options, capture=lambda *a, **k: None)
        service.start()
        try:
            jetstream.wait_for_connection(1, EVENT_TIMEOUT)
            jetstream.create(TOWN, bluesky_post("Sagt strax före stängning."))
            wait_until(lambda: service.journal.pending == 1, "the event held")
            assert read_items(store) == []
        finally:
            service.stop()
    assert _texts(store) == ["Sagt strax före stängning."]
