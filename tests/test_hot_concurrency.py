"""A hot pass while the night captures the same account: two processes, no version twice.

The nightly ``archivectl capture`` is held by the fake Mastodon in the middle of its walk (a gate
on one thread's context: no timing, no sleeps) after it has seen the new comments; meanwhile
``archivectl capture --recent`` captures the same threads and stores them. When the night goes
on, its commit merges with what the hot pass stored (the write lease and the merge rule), so every
version is stored once.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import subprocess
from collections import Counter

from archive_lib.clock import stockholm_date
from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import PROCESS_TIMEOUT, archivectl, read_items, write_inventory


def test_a_hot_pass_during_the_night_stores_no_version_twice(tmp_path: pathlib.Path) -> None:
    with FakeMastodon() as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        anna = fake.add_account("anna", "Anna Lindqvist")
        now = fake.clock.now()
        posts, comments = [], []
        for n in range(3):
            post = fake.post(town, fake.html(f"Nyhet {n}"), at=now - dt.timedelta(hours=3 - n))
            posts.append(post["id"])
            for m in range(4):
                reply = fake.post(
                    anna,
                    fake.html(f"Kommentar {m} på nyhet {n}"),
                    in_reply_to=post,
                    at=now - dt.timedelta(hours=3 - n, minutes=-m - 1),
                )
                comments.append(reply["id"])
        edited = comments[0]
        inventory = write_inventory(
            tmp_path, fake.base_url, [{"id": "ks-mastodon", "handle": "kristianstad"}]
        )
        store_url = f"file://{tmp_path / 'archive'}"
        env = {**os.environ, "ARCHIVE_LEASE_SECONDS": "2", "PYTHONUNBUFFERED": "1"}
        common = ["--inventory", str(inventory), "--store", store_url]
        night_date = stockholm_date(now).isoformat()

        # The oldest post's thread is read last by the night (newest first): hold it there.
        gate = fake.gate(rf"/api/v1/statuses/{posts[0]}/context")
        night = subprocess.Popen(
            archivectl("capture", *common, "--run-date", night_date, "-v"),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert gate.wait_reached(timeout=PROCESS_TIMEOUT), "the night never reached the gated thread"
            fake.edit(edited, fake.html("Kommentar 0 på nyhet 0 (rättad)"))
            hot = subprocess.run(
                archivectl("capture", "--recent", "--hours", "6", *common),
                env=env,
                capture_output=True,
                text=True,
                timeout=PROCESS_TIMEOUT,
                check=False,
            )
            assert hot.returncode == 0, hot.stderr
            assert "Hot pass of the last 6 hours" in hot.stdout
        finally:
            gate.release()
        _, err = night.communicate(timeout=PROCESS_TIMEOUT)
        assert night.returncode == 0, err
        assert "versions were already stored by another run" in err, err  # the merge was needed

        store = FileStore(store_url)
        rows = read_items(store)
        versions = Counter((r["item_id"], r["version"]) for r in rows)
        assert max(versions.values()) == 1, [k for k, n in versions.items() if n > 1]
        news = Counter(r["item_id"] for r in rows if r["event"] == "new")
        assert set(news) == {*posts, *comments} and set(news.values()) == {1}
        # The edit made while the night was held: the hot pass saw it; the night, whose first
        # look was older, did not record the older text again.
        history = sorted((r["version"], r["event"], r["text"]) for r in rows if r["item_id"] == edited)
        assert [(v, e) for v, e, _ in history] == [(1, "new"), (2, "edited")]
        assert history[-1][2].endswith("(rättad)")
        kinds = Counter(r["kind"] for r in runs_of_night(store, stockholm_date(now)))
        assert kinds == {"nightly": 1, "recent": 1}


def test_recent_refuses_what_does_not_go_with_it(tmp_path: pathlib.Path) -> None:
    inventory = write_inventory(
        tmp_path, "http://127.0.0.1:9", [{"id": "ks-mastodon", "handle": "kristianstad"}]
    )
    store = f"file://{tmp_path / 'archive'}"
    common = ["--inventory", str(inventory), "--store", store]
    for extra in (
        ["--recent", "--run-date", "2026-11-20"],
        ["--recent", "--hours", "0"],
        ["--hours", "3"],
        ["--recent", "--account", "no-such-account"],
    ):
        done = subprocess.run(
            archivectl("capture", *common, *extra), capture_output=True, text=True, timeout=PROCESS_TIMEOUT
        )
        assert done.returncode == 2, (extra, done.stdout, done.stderr)
    assert not (tmp_path / "archive").exists() or not any((tmp_path / "archive").rglob("*.parquet"))
