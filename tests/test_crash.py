"""A night killed in the middle, then run again: nothing lost, nothing duplicated.

The capture runs as a real ``archivectl`` process. The fake platform holds one request open (a
gate) so the test knows exactly where the process is when it kills it with SIGKILL: no timing,
no sleeps. The second run must complete the store: every item exactly once, the interrupted
run accounted for by a manifest, every object under some manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pathlib
import signal
import subprocess
from collections import Counter

import pytest

from archive_lib import layout
from archive_lib.layout import MANIFESTS
from archive_lib.metadata.manifest import manifests_of
from archive_lib.metadata.runs import read_run_row
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import (
    PROCESS_TIMEOUT,
    assert_pointers_resolve,
    assert_warc_files_valid,
    audit_command,
    capture_command,
    read_items,
    write_inventory,
)
from tests.signing import write_key_file

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("age", "part_rows"),
    [
        (dt.timedelta(0), "10"),
        # A year-old history in parts of three: the killed night had let go of the old items in
        # its stored parts, and the next one reads them as its state.
        (dt.timedelta(days=365), "3"),
    ],
    ids=["recent", "old-history-small-parts"],
)
def test_a_killed_night_is_completed_by_the_next_run(
    tmp_path: pathlib.Path, age: dt.timedelta, part_rows: str
) -> None:
    with FakeMastodon(now=NOW) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        anna = fake.add_account("anna", "Anna Lindqvist")
        expected: set[str] = set()
        posts = []
        for n in range(24):
            at = NOW - age - dt.timedelta(days=24 - n)
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
        command = capture_command(inventory, store_url, "--checkpoint-items", part_rows)
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


# A real `archivectl` process that dies (os._exit, as a kill would) right after the store has
# published an object whose key starts with $DIE_BEFORE_SIDECAR_OF, before its sidecar.
DIES_BEFORE_SIDECAR = """
import os, sys
from archive_lib.storage.file import FileStore

prefix = os.environ["DIE_BEFORE_SIDECAR_OF"]
write_sidecar = FileStore._write_sidecar

def dying(self, key, *args, **kwargs):
    if key.startswith(prefix):
        os._exit(137)
    return write_sidecar(self, key, *args, **kwargs)

FileStore._write_sidecar = dying
from archive_lib.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def _dies_before_sidecar(command: list[str], prefix: str) -> subprocess.CompletedProcess[str]:
    """``command`` (an ``archivectl`` command line) run through the dying wrapper."""
    [python, _, _, *args] = command  # python -m archive_lib.cli.main ARGS
    env = {**os.environ, "DIE_BEFORE_SIDECAR_OF": prefix}
    return subprocess.run(
        [python, "-c", DIES_BEFORE_SIDECAR, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
    )


def _town_with_threads(fake: FakeMastodon) -> set[str]:
    town = fake.add_account("kristianstad", "Kristianstads kommun")
    anna = fake.add_account("anna", "Anna Lindqvist")
    expected = set()
    for n in range(8):
        at = NOW - dt.timedelta(days=8 - n)
        post = fake.post(town, fake.html(f"Kommunnytt nummer {n}"), at=at)["id"]
        expected.add(post)
        reply = fake.post(
            anna, fake.html(f"Tack för nyhet {n}!"), in_reply_to=post, at=at + dt.timedelta(hours=1)
        )
        expected.add(reply["id"])
    return expected


def test_a_night_killed_before_a_sidecar_is_repaired_by_the_next_run(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARCHIVE_SIGNING_KEY", str(write_key_file(tmp_path)))  # its manifests are signed
    with FakeMastodon(now=NOW) as fake:
        expected = _town_with_threads(fake)
        accounts = [{"id": "ks-mastodon", "handle": "kristianstad", "retention": "gallras-efter-2-ar"}]
        inventory = write_inventory(tmp_path, fake.base_url, accounts)
        store_url = (tmp_path / "archive").as_uri()
        command = capture_command(inventory, store_url, "--checkpoint-items", "4")

        killed = _dies_before_sidecar(command, "metadata/items/")
        assert killed.returncode == 137, killed.stderr
        store = FileStore(store_url)
        [part] = store.list("metadata/items/")
        assert store.stat(part).retention is None, "the part was published without its sidecar"
        [killed_run] = {layout.run_id_of(k) for k in store.list("") if not k.startswith(f"{layout.LEASES}/")}
        assert killed_run is not None

        again = subprocess.run(command, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False)
        assert again.returncode == 0, again.stderr

    # The sidecar is back, with the run's retention and tags and the true SHA-256.
    stat = store.stat(part)
    assert stat.retention == ObjectRetention("gallras-efter-2-ar", dt.date(2028, 11, 20))
    assert stat.tags == {"account": "ks-mastodon", "platform": "mastodon", "kind": "items"}
    assert stat.sha256 == hashlib.sha256((tmp_path / "archive" / part).read_bytes()).hexdigest()
    assert f"{part} of interrupted run {killed_run} was stored without its retention and tags: restored" in (
        again.stderr
    )
    # The interrupted run is accounted for: its runs row and an `interrupted` manifest listing it.
    night = dt.date(2026, 11, 20)
    row = read_run_row(store, night, killed_run)
    assert row is not None and row["status"] == "failed" and "interrupted" in row["error"]
    [manifest] = [m for m in manifests_of(store, "ks-mastodon", night) if m["run_id"] == killed_run]
    assert manifest["status"] == "interrupted"
    listed = {o["key"]: o for o in manifest["objects"]}
    assert part in listed and listed[part]["sha256"] == stat.sha256
    # Nothing lost, nothing twice.
    rows = read_items(store)
    assert {r["item_id"] for r in rows} == expected
    assert len(rows) == len(expected)

    audited = subprocess.run(
        audit_command(inventory, store_url, "--full"),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert audited.returncode == 0, audited.stdout[-3000:]
    assert json.loads(audited.stdout)["problems"] == []


def test_a_finished_run_whose_manifest_lost_its_sidecar_is_reported_by_the_audit(
    tmp_path: pathlib.Path,
) -> None:
    """The one object a finished run can leave without a sidecar is its manifest, the last put.
    No later run reads it again; the audit's fixity is what finds it."""
    with FakeMastodon(now=NOW) as fake:
        _town_with_threads(fake)
        inventory = write_inventory(
            tmp_path, fake.base_url, [{"id": "ks-mastodon", "handle": "kristianstad"}]
        )
        store_url = (tmp_path / "archive").as_uri()
        killed = _dies_before_sidecar(capture_command(inventory, store_url), f"{MANIFESTS}/")
    assert killed.returncode == 137, killed.stderr
    store = FileStore(store_url)
    [manifest] = store.list(f"{MANIFESTS}/")
    assert store.stat(manifest).retention is None

    audited = subprocess.run(
        audit_command(inventory, store_url),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert audited.returncode == 1, audited.stderr
    problems = json.loads(audited.stdout)["problems"]
    assert {p["key"] for p in problems} == {manifest}
    # Killed before the sidecar, so before the signature too (a capture without a key has none).
    assert {p["kind"] for p in problems} == {"sidecar_mismatch", "tags_mismatch", "unsigned"}
    [sidecar] = [p for p in problems if p["kind"] == "sidecar_mismatch"]
    assert "no sidecar" in sidecar["detail"]
