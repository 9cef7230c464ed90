"""A night killed in the middle, then run again: nothing lost, nothing duplicated.

The capture runs as a real ``archivectl`` process. The fake platform holds one request open (a
gate) so the test knows exactly where the process is when it kills it with SIGKILL: no timing,
no sleeps. The second run must complete the store: every item exactly once, the interrupted
run accounted for by a manifest, every object under some manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import signal
import subprocess
from collections import Counter

from archive_lib.layout import MANIFESTS
from archive_lib.storage import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import (
    PROCESS_TIMEOUT,
    assert_pointers_resolve,
    assert_warc_files_valid,
    capture_command,
    read_items,
    write_inventory,
)

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def test_a_killed_night_is_completed_by_the_next_run(tmp_path: pathlib.Path) -> None:
    with FakeMastodon(now=NOW) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        anna = fake.add_account("anna", "Anna Lindqvist")
        expected: set[str] = set()
        posts = []
        for n in range(24):
            at = NOW - dt.timedelta(days=24 - n)
            post = fake.post(town, fake.html(f"Kommunnytt nummer {n}: vecka {n + 1}"), at=at)["id"]
            posts.append(post)
            expected.add(post)
            for m in range(3):
                expected.add(
                    fake.post(
                        anna,
                        fake.html(f"Kommentar {m} på nyhet {n}"),
                        in_reply_to=post,
                        at=at + dt.timedelta(minutes=m + 1),
                    )["id"]
                )
        inventory = write_inventory(
            tmp_path, fake.base_url, [{"id": "ks-mastodon", "handle": "kristianstad"}]
        )
        store_url = f"file://{tmp_path / 'archive'}"
        command = capture_command(inventory, store_url, "--checkpoint-items", "10")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}

        # Newest posts come first: hold the thread of the 8th newest, well past a few checkpoints.
        gate = fake.gate(rf"/api/v1/statuses/{posts[-8]}/context")
        first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert gate.wait_reached(timeout=PROCESS_TIMEOUT), "the capture never reached the gated request"
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=PROCESS_TIMEOUT)
        finally:
            gate.release()
            if first.poll() is None:
                first.kill()
        assert first.returncode == -signal.SIGKILL

        store = FileStore(store_url)
        before = read_items(store)
        assert before, "the killed run should have stored some checkpoints"
        assert not list(store.list(f"{MANIFESTS}/")), "a killed run writes no manifest"

        second = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False
        )

    assert second.returncode == 0, second.stdout + second.stderr
    rows = read_items(store)
    assert Counter(r["event"] for r in rows) == Counter({"new": len(expected)})
    assert {r["item_id"] for r in rows} == expected  # nothing lost
    assert len(rows) == len({r["item_id"] for r in rows})  # nothing twice
    assert {(r["item_id"], r["run_id"]) for r in before} <= {(r["item_id"], r["run_id"]) for r in rows}

    manifests = [json.loads((tmp_path / "archive" / key).read_text()) for key in store.list(f"{MANIFESTS}/")]
    status = {m["run_id"]: m for m in manifests}
    assert sorted(m["status"] for m in manifests) == ["interrupted", "ok"]
    killed = next(m for m in manifests if m["status"] == "interrupted")
    finished = next(m for m in manifests if m["status"] == "ok")
    assert killed["completed_by"] == finished["run_id"]
    assert killed["run_id"] in {r["run_id"] for r in before}
    # Every object is accounted for by exactly one manifest, with its true size and digest.
    listed = Counter(o["key"] for m in manifests for o in m["objects"])
    objects = [k for k in store.list("") if not k.startswith(f"{MANIFESTS}/")]
    assert sorted(listed) == sorted(objects) and set(listed.values()) == {1}
    for manifest in status.values():
        for entry in manifest["objects"]:
            stat = store.stat(entry["key"])
            assert (stat.size, stat.sha256) == (entry["size"], entry["sha256"])
    assert_pointers_resolve(store, rows)
    assert_warc_files_valid(tmp_path / "archive")
