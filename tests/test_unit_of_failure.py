"""The account is the unit of failure: whatever goes wrong in one account's night, a defect of
the archive's own included, that account ends ``failed`` with its error in its runs row and a
manifest of what it stored; the other accounts still run, the summary is printed, and
``archivectl capture`` exits 1. A traceback goes to the log, never to the user as the only output.

A defect cannot be asked of the fake platform, so the capture runs as a real ``archivectl``
process through a small wrapper that plants one: a function of the archive raises for the
items of one account only (see ``_DEFECT``). Everything else is real: the fake Mastodon over
loopback, the file store, the command line.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import subprocess
import sys

import pytest

from archive_lib.metadata.manifest import manifests_of
from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import PROCESS_TIMEOUT, read_items, write_inventory

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT = "2026-11-20"

# Runs archivectl with a defect planted where the test says: ``versions`` breaks the Versioner
# on a version of the broken account's items (mid-walk); ``parquet`` breaks the writing of that
# account's items parts (the final checkpoint, where a crash used to end the whole night).
_DEFECT = """
import sys
import archive_lib.capture.versions as versions
from archive_lib.cli.main import main

where, broken = sys.argv[1], sys.argv[2]
if where == "versions":
    seen = versions.Versioner.seen
    def failing_seen(self, snapshot, *args, **kwargs):
        if "Sönderslaget" in snapshot.text:
            raise ZeroDivisionError("a defect planted by the test")
        return seen(self, snapshot, *args, **kwargs)
    versions.Versioner.seen = failing_seen
else:
    write = versions.to_parquet_bytes
    def failing_write(rows, schema, metadata=None):
        if metadata and metadata.get("account_id") == broken:
            raise MemoryError("a defect planted by the test")
        return write(rows, schema, metadata)
    versions.to_parquet_bytes = failing_write
raise SystemExit(main(sys.argv[3:]))
"""


@pytest.mark.parametrize("where", ["versions", "parquet"])
def test_a_defect_in_one_account_fails_that_account_only(tmp_path: pathlib.Path, where: str) -> None:
    with FakeMastodon(now=NOW) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        library = fake.add_account("bibliotek", "Biblioteken i Kristianstad")
        park = fake.add_account("parker", "Parkförvaltningen")
        fake.post(town, fake.html("Badhuset öppnar igen på måndag!"), at=NOW - dt.timedelta(hours=5))
        fake.post(
            library, fake.html("Sönderslaget: bokbussen står still i dag."), at=NOW - dt.timedelta(hours=4)
        )
        fake.post(library, fake.html("Sagostund på lördag."), at=NOW - dt.timedelta(hours=3))
        fake.post(park, fake.html("Nya bänkar i Tivoliparken."), at=NOW - dt.timedelta(hours=2))
        inventory = write_inventory(
            tmp_path,
            fake.base_url,
            [
                {"id": "ks-mastodon", "handle": "kristianstad"},
                {"id": "bibliotek", "handle": "bibliotek"},
                {"id": "parker", "handle": "parker"},
            ],
        )
        store_url = f"file://{tmp_path / 'archive'}"
        command = [
            sys.executable,
            "-c",
            _DEFECT,
            where,
            "bibliotek",
            *("capture", "--inventory", str(inventory), "--store", store_url, "--run-date", NIGHT),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False)

    assert done.returncode == 1, done.stderr
    # The summary names every account; the defect is named, the traceback is only in the log.
    assert "Traceback" not in done.stdout
    lines = {line.split()[0]: line for line in done.stdout.splitlines()[2:] if line.startswith("  ")}
    assert lines["ks-mastodon"].split()[1] == "ok" and lines["parker"].split()[1] == "ok", done.stdout
    assert lines["bibliotek"].split()[1] == "failed"
    failure = next(line for line in done.stdout.splitlines() if line.startswith("  FAILED bibliotek"))
    assert "a defect planted by the test" in failure
    assert "Traceback" in done.stderr  # for whoever reads the log

    store = FileStore(store_url)
    runs = {r["account_id"]: r for r in runs_of_night(store, dt.date.fromisoformat(NIGHT))}
    assert {a: r["status"] for a, r in runs.items()} == {
        "ks-mastodon": "ok",
        "bibliotek": "failed",
        "parker": "ok",
    }
    assert "a defect planted by the test" in runs["bibliotek"]["error"]
    (manifest,) = manifests_of(store, "bibliotek", dt.date.fromisoformat(NIGHT))
    assert manifest["status"] == "failed"
    kinds = {o["kind"] for o in manifest["objects"]}
    assert {"warc", "runs"} <= kinds  # what it received is kept and accounted for
    texts = {r["text"] for r in read_items(store)}
    assert "Nya bänkar i Tivoliparken." in texts and "Badhuset öppnar igen på måndag!" in texts
    if where == "versions":
        # The versions made before the defect are kept.
        assert "Sagostund på lördag." in texts
