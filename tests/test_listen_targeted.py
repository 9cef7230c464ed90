"""End to end: ``archivectl listen`` keeps a pushed reply at once, then captures its thread with
the real hot-pass code (``capture_recent``, kind ``targeted``) in its own process, and the
capture finds the pushed version already archived."""

from __future__ import annotations

import datetime as dt
import pathlib
from typing import Any

from archive_lib.clock import stockholm_date
from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage.file import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import read_items, write_inventory
from tests.listen_helpers import Listen, wait_until

TOKEN = "listen-targeted-token-0123456789"


def _runs(store: FileStore, day: dt.date) -> list[dict[str, Any]]:
    return [r for r in runs_of_night(store, day) if r["account_id"] == "ks-mastodon"]


def test_a_pushed_reply_is_kept_and_its_thread_captured_by_a_targeted_run(tmp_path: pathlib.Path) -> None:
    with FakeMastodon(now=dt.datetime.now(dt.UTC)) as fake:
        fake.stream_heartbeat = 0.2
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        anna = fake.add_account("anna", "Anna Lindqvist")
        fake.add_token(TOKEN, account=town)
        inventory = write_inventory(
            tmp_path,
            fake.base_url,
            [{"id": "ks-mastodon", "handle": "kristianstad", "token_env": "KS_TOKEN"}],
        )
        root = tmp_path / "archive"
        store = FileStore(f"file://{root}")
        env = {
            "KS_TOKEN": TOKEN,
            "ARCHIVE_LISTEN_FLUSH_SECONDS": "0.5",
            "ARCHIVE_LISTEN_BATCH_SECONDS": "0.5",
        }
        with Listen(inventory, f"file://{root}", env) as listen:
            wait_until(lambda: fake.streams.open_count(int(town["id"])) >= 1, "the user stream")
            post = fake.post(town, fake.html("Snöröjningen börjar i natt."))
            question = fake.post(anna, fake.html("Plogas Kanalgatan också?"), in_reply_to=post["id"])
            day = stockholm_date(fake.clock.now())
            wait_until(
                lambda: {"push", "targeted"} <= {r["kind"] for r in _runs(store, day)},
                "a push run and a targeted capture",
            )
            assert listen.terminate() == 0

    runs = _runs(store, day)
    targeted = [r for r in runs if r["kind"] == "targeted"]
    assert targeted and all(r["status"] == "ok" for r in targeted), targeted
    rows = read_items(store)
    versions = [(r["item_id"], r["version"]) for r in rows]
    assert len(versions) == len(set(versions))  # the capture stored nothing twice
    texts = {r["item_id"]: r["text"] for r in rows}
    assert texts[question["id"]] == "Plogas Kanalgatan också?"
    assert texts[post["id"]] == "Snöröjningen börjar i natt."
