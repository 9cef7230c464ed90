"""The audit over a file store filled by real captures: nights, manifests, fixity, the CLI, HTML."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import pathlib
import re
import subprocess
from collections.abc import Iterator
from typing import Any, BinaryIO

import pytest

from archive_lib.audit.fixity import in_slice
from archive_lib.audit.html import render_html
from archive_lib.errors import MissingTokenError, StoreError
from archive_lib.language import language
from archive_lib.models import Account
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage import FileStore
from archive_lib.storage.base import StoredObject
from tests.audit_world import AuditWorld, kinds, problems_of
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import PROCESS_TIMEOUT, archivectl, audit_command, gzip_members, read_items
from tests.test_language import untranslated

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT_1 = dt.date(2026, 11, 20)
NIGHT_2 = dt.date(2026, 11, 21)


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[AuditWorld]:
    with FakeMastodon(now=NOW) as fake:
        world = AuditWorld(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()))
        post = fake.post(
            world.town, fake.html("Badhuset öppnar igen på måndag!"), at=NOW - dt.timedelta(hours=5)
        )
        question = fake.post(
            world.anna,
            fake.html("När öppnar bastun?"),
            in_reply_to=post["id"],
            at=NOW - dt.timedelta(hours=4),
        )
        fake.post(
            world.town, fake.html("Samma dag!"), in_reply_to=question["id"], at=NOW - dt.timedelta(hours=3)
        )
        yield world


def _break(_: Account) -> str | None:
    raise MissingTokenError("the environment variable LIB_TOKEN is not set")


def test_a_failed_night_and_a_night_never_run_both_show(world: AuditWorld) -> None:
    fake = world.fake
    fake.add_account("bibliotek", "Biblioteken")
    fake.add_account("fritid", "Fritid")
    fake.add_account("gammal", "Gammalt konto")
    accounts = [
        {"id": "ks-mastodon", "handle": "kristianstad"},
        {"id": "bibliotek-mastodon", "handle": "bibliotek", "board": "Kultur- och fritidsnämnden"},
        {"id": "fritid-mastodon", "handle": "fritid"},
        {"id": "ung-mastodon", "handle": "ung", "substitute": None},
    ]
    inventory = world.inventory(accounts)
    retired = world.inventory([{"id": "gammal-mastodon", "handle": "gammal"}])
    assert world.capture(NIGHT_1, "gammal-mastodon", retired).status == "ok"
    for account_id in ("ks-mastodon", "bibliotek-mastodon", "fritid-mastodon"):
        assert world.capture(NIGHT_1, account_id, inventory).status == "ok"
    fake.advance(days=1)
    assert world.capture(NIGHT_2, "ks-mastodon", inventory).status == "ok"
    failed = world.capture(NIGHT_2, "bibliotek-mastodon", inventory, tokens=_break)
    assert failed.status == "failed"
    # fritid-mastodon is not run on the second night; ung-mastodon never.

    report = world.audit(NIGHT_1, NIGHT_2, inventory)
    data = report.to_json()

    assert data["nights"]["ks-mastodon"] == {"2026-11-20": "ok", "2026-11-21": "ok"}
    assert data["nights"]["bibliotek-mastodon"] == {"2026-11-20": "ok", "2026-11-21": "failed"}
    assert data["nights"]["fritid-mastodon"] == {"2026-11-20": "ok", "2026-11-21": "missing"}
    assert data["nights"]["ung-mastodon"] == {"2026-11-20": "missing", "2026-11-21": "missing"}
    assert "gammal-mastodon" not in data["nights"]
    [night_failed] = problems_of(report, "night_failed")
    assert night_failed["account_id"] == "bibliotek-mastodon"
    assert night_failed["run_date"] == "2026-11-21"
    assert "LIB_TOKEN" in night_failed["detail"]
    [missing] = problems_of(report, "night_missing")
    assert (missing["account_id"], missing["run_date"]) == ("fritid-mastodon", "2026-11-21")
    assert [p["account_id"] for p in problems_of(report, "account_never_captured")] == ["ung-mastodon"]
    assert [p["account_id"] for p in problems_of(report, "account_without_substitute")] == ["ung-mastodon"]
    assert [p["account_id"] for p in problems_of(report, "account_not_in_inventory")] == ["gammal-mastodon"]
    [token] = problems_of(report, "credential_failures")
    assert token["account_id"] == "bibliotek-mastodon"
    assert data["credentials"]["bibliotek-mastodon"]["latest_status"] == "missing"
    assert data["credentials"]["bibliotek-mastodon"]["failures_in_a_row"] == 1
    # Fixity of everything stored is fine: the problems are all about completeness.
    assert all(p["kind"] not in ("checksum_mismatch", "object_missing") for p in data["problems"])
    assert data["clean"] is False


def test_a_clean_archive_is_clean(world: AuditWorld) -> None:
    world.capture(NIGHT_1, "ks-mastodon")
    report = world.audit(NIGHT_1, NIGHT_1)
    assert report.problems == []
    assert report.fixity["objects_verified"] == report.fixity["objects_total"] > 0
    assert report.fixity["warc_records_checked"] > 0
    assert report.fixity["pointers_checked"] >= 3  # the post, the question, the answer
    # Every object but the signing key's two files (class signing-keys, kept always) is bevaras.
    keys = list(world.store.list("keys/"))
    assert len(keys) == 2
    assert report.retention["classes"]["bevaras"]["objects"] == report.fixity["objects_total"] - len(keys)
    assert report.retention["candidates_total"] == 0


def _writable(path: pathlib.Path) -> None:
    path.chmod(0o644)  # the store made it read-only; tampering starts with a chmod


def test_a_byte_flipped_in_a_stored_warc_is_found(world: AuditWorld) -> None:
    world.capture(NIGHT_1, "ks-mastodon")
    assert world.audit(NIGHT_1, NIGHT_1).problems == []
    store = world.store
    assert isinstance(store, FileStore)
    [key] = [k for k in store.list("warc/")]
    path = store.root / key
    _writable(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    report = world.audit(NIGHT_1, NIGHT_1)

    found = {p.kind for p in report.problems if p.key == key}
    assert {"checksum_mismatch", "object_writable"} <= found
    assert found & {"warc_unreadable", "warc_digest_mismatch"}
    [checksum] = problems_of(report, "checksum_mismatch")
    assert "the manifest says" in checksum["detail"]


def test_a_changed_record_in_a_well_formed_warc_fails_its_digest(world: AuditWorld) -> None:
    world.capture(NIGHT_1, "ks-mastodon")
    store = world.store
    assert isinstance(store, FileStore)
    [key] = [k for k in store.list("warc/")]
    path = store.root / key
    members = gzip_members(path.read_bytes())
    # The fake server gzips its bodies: change a stored response header (same length) instead.
    target = next(
        i for i, m in enumerate(members) if b"WARC-Type: response" in m and b"X-RateLimit-Remaining" in m
    )
    members[target] = members[target].replace(b"X-RateLimit-Remaining", b"X-RateLimit-Remainder", 1)
    _writable(path)
    path.write_bytes(b"".join(gzip.compress(m) for m in members))

    report = world.audit(NIGHT_1, NIGHT_1)

    digests = [p for p in report.problems if p.kind == "warc_digest_mismatch"]
    assert digests and all(p.key == key for p in digests)
    assert "digest failed" in digests[0].detail
    assert "checksum_mismatch" in kinds(report)


class _DiesBeforeManifest:
    """A store that fails when the run writes its manifest: the process dies there."""

    def __init__(self, store: FileStore) -> None:
        self._store = store
        self.url = store.url

    def put(self, key: str, data: bytes | BinaryIO, **kw: Any) -> StoredObject:
        if key.startswith("manifests/"):
            raise StoreError("disk full")
        return self._store.put(key, data, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_a_missing_manifest_is_found_and_the_next_run_completes_it(world: AuditWorld) -> None:
    store = world.store
    assert isinstance(store, FileStore)
    world.store = _DiesBeforeManifest(store)  # type: ignore[assignment]
    with pytest.raises(StoreError):
        world.capture(NIGHT_1, "ks-mastodon")
    world.store = store

    report = world.audit(NIGHT_1, NIGHT_1)

    [problem] = problems_of(report, "run_without_manifest")
    assert problem["account_id"] == "ks-mastodon"
    assert problem["run_date"] == "2026-11-20"
    assert problem["key"].startswith("metadata/") or problem["key"].startswith("warc/")
    assert report.nights["ks-mastodon"]["2026-11-20"] == "failed"
    assert "wrote no manifest" in report.night_details["ks-mastodon"]["2026-11-20"]["detail"]
    # The objects of the incomplete run are still verified, and none is reported twice.
    assert "object_not_in_manifest" not in kinds(report)

    world.fake.advance(days=1)
    assert world.capture(NIGHT_2, "ks-mastodon").status == "ok"
    later = world.audit(NIGHT_1, NIGHT_2)
    assert "run_without_manifest" not in kinds(later)
    assert later.nights["ks-mastodon"] == {"2026-11-20": "failed", "2026-11-21": "ok"}


class _FixedClock:
    def __init__(self, moment: dt.datetime) -> None:
        self.moment = moment

    def now(self) -> dt.datetime:
        return self.moment

    def sleep(self, seconds: float) -> None:
        raise AssertionError("the audit never waits")


def test_the_rotating_sample_verifies_every_object_once_per_period(world: AuditWorld) -> None:
    for n in range(4):
        world.capture(NIGHT_1 + dt.timedelta(days=n), "ks-mastodon")
        world.fake.advance(days=1)
    period = 5
    verified: list[int] = []
    for n in range(period):
        world.clock = _FixedClock(NOW + dt.timedelta(days=30 + n))  # type: ignore[assignment]
        # The audited period ends after the captured nights, so only the sample is verified.
        report = world.audit(NIGHT_1, NIGHT_1 + dt.timedelta(days=10), full=False, period_days=period)
        assert report.fixity["mode"] == "sample"
        assert report.fixity["objects_total"] > 0
        verified.append(report.fixity["objects_verified"])
    assert sum(verified) == report.fixity["objects_total"]
    # Each unit lies in exactly one day of any window of `period` days.
    for unit in ("a", "ks-mastodon_20261120T100000Z_abcd", "audit/x.json"):
        days = [
            d for d in range(period) if in_slice(unit, dt.date(2026, 1, 1) + dt.timedelta(days=d), period)
        ]
        assert len(days) == 1


def test_objects_whose_retention_ran_out_are_listed_never_deleted(world: AuditWorld) -> None:
    accounts = [{"id": "ks-mastodon", "handle": "kristianstad", "retention": "gallras-efter-2-ar"}]
    inventory = world.inventory(accounts)
    world.capture(NIGHT_1, "ks-mastodon", inventory)
    world.clock = _FixedClock(dt.datetime(2028, 11, 21, 12, tzinfo=dt.UTC))  # type: ignore[assignment]
    report = world.audit(NIGHT_1, NIGHT_1, inventory)
    retention = report.retention
    total = retention["classes"]["gallras-efter-2-ar"]["objects"]
    # Everything but the public key and its note (kept always: class signing-keys) may be culled.
    held = [k for k in world.store.list("") if not k.startswith("keys/")]
    assert retention["candidates_total"] == total == len(held) > 0
    assert {c["retain_until"] for c in retention["candidates"]} == {"2028-11-20"}
    assert len(list(world.store.list(""))) == total + 2  # nothing was deleted


def test_cli_exit_codes_and_report_formats(world: AuditWorld, tmp_path: pathlib.Path) -> None:
    world.capture(NIGHT_1, "ks-mastodon")
    inventory = world.folder / "inventory.yaml"
    store = world.store.url
    base = ["audit", "--store", store, "--inventory", str(inventory), "--since", "2026-11-20"]
    clean = subprocess.run(
        archivectl(*base, "--until", "2026-11-20", "--full"), capture_output=True, text=True, check=False
    )
    assert clean.returncode == 0, clean.stderr
    data = json.loads(clean.stdout)
    assert data["clean"] is True and data["nights"] == {"ks-mastodon": {"2026-11-20": "ok"}}
    assert data["response_times"]["ks-mastodon"]["within_24h"]

    out = tmp_path / "report.html"
    gap = subprocess.run(
        archivectl(*base, "--until", "2026-11-21", "--out", str(out)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert gap.returncode == 1, gap.stderr
    assert "night_missing" in gap.stderr and str(out) in gap.stderr
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    usage = subprocess.run(
        archivectl(*base, "--until", "2026-11-01"), capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2
    assert "after --until" in usage.stderr and "Traceback" not in usage.stderr


def test_html_report_is_self_contained_and_escapes_archived_text(
    fake_mastodon_demo: tuple[FakeMastodon, dict[str, Any]], tmp_path: pathlib.Path
) -> None:
    fake, info = fake_mastodon_demo
    world = AuditWorld(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()), people=False)
    world.accounts = [
        {"id": "ks-mastodon", "handle": "kristianstad"},
        {
            "id": "bibliotek-mastodon",
            "handle": "kristianstadbibliotek",
            "board": "Kultur- och fritidsnämnden",
        },
    ]
    night = fake.clock.now().date()
    for account_id in ("ks-mastodon", "bibliotek-mastodon"):
        world.capture(night, account_id)
    report = world.audit(night - dt.timedelta(days=45), night)
    with untranslated() as missed:
        page = render_html(report)  # Swedish by default
    assert missed == []  # every word of the report is in the Swedish catalogue

    assert '<html lang="sv">' in page and "Arkivrevision · " in page
    assert "Svar inom 24 vardagstimmar" in page and "Oförändrat innehåll" in page
    assert re.search(r"skapad \d{4}-\d{2}-\d{2} kl\. \d{2}\.\d{2} \(svensk tid\)", page)
    for english in ("Archive audit", "Answers within", "nights captured", "Retention"):
        assert english not in page, english
    english_page = render_html(report, language("en"))
    assert '<html lang="en">' in english_page and "Answers within 24 weekday hours" in english_page
    assert "Arkivrevision" not in english_page

    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the hostile comment, shown as text
    for banned in ("src=", "<link", "@import", "url("):
        assert banned not in page
    hrefs = [part.split('"', 1)[0] for part in page.split('href="')[1:]]
    assert hrefs and all(
        h.startswith(("http://127.0.0.1", "https://other.example", "https://sverige")) for h in hrefs
    )
    assert page.count("<svg") == 2  # one distribution per board
    assert "Kultur- och fritidsnämnden" in page
    late = info["roles"]["late_answer"]
    unanswered = info["roles"]["unanswered_question"]
    figures = report.response_times["ks-mastodon"]
    assert unanswered in figures["unanswered"] and unanswered in figures["questions"]["unanswered"]
    assert info["roles"]["badhuset_question"] in figures["within_24h"]
    assert late not in figures["late"]  # the answer's id: the late one is the comment it answers
    assert report.response_items["ks-mastodon"][figures["late"][0]]["answer_id"] == late


# ------------------------------------------------------------- objects written outside runs


def _export(world: AuditWorld, folder: pathlib.Path) -> str:
    """One release package made with ``archivectl export``; returns its export log key."""
    [post] = [r for r in read_items(world.store) if r["item_type"] == "post"]
    done = subprocess.run(
        archivectl(
            "export",
            "--store",
            world.store.url,
            "--index",
            str(folder / "index"),
            "--item",
            post["item_id"],
            "--purpose",
            "Begäran om allmän handling",
            "--reference",
            "KS 2026/0042",
            "--by",
            "Rita Registrator",
            "--out",
            str(folder / "utlamnande.zip"),
        ),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    [key] = world.store.list("exports/")
    return key


def test_an_export_leaves_the_next_audit_clean(world: AuditWorld, tmp_path: pathlib.Path) -> None:
    world.capture(NIGHT_1, "ks-mastodon")
    log_key = _export(world, tmp_path)
    inventory = world.folder / "inventory.yaml"
    audited = subprocess.run(
        audit_command(inventory, world.store.url, "--full"),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert audited.returncode == 0, audited.stderr
    data = json.loads(audited.stdout)
    assert data["clean"] is True and data["problems"] == []
    assert data["fixity"]["objects_verified"] == data["fixity"]["objects_total"]

    # The log entry was verified against the store's own checksum: a changed byte shows.
    store = world.store
    assert isinstance(store, FileStore)
    path = store.root / log_key
    _writable(path)
    path.write_bytes(path.read_bytes().replace(b"KS 2026/0042", b"KS 2026/0043"))
    report = world.audit(NIGHT_1, NIGHT_1)
    assert {p.kind for p in report.problems} == {"checksum_mismatch", "object_writable"}
    assert {p.key for p in report.problems} == {log_key}
    [checksum] = problems_of(report, "checksum_mismatch")
    assert "the store's own checksum" in checksum["detail"]


def test_unknown_objects_beside_export_logs_and_reports_are_still_reported(world: AuditWorld) -> None:
    world.capture(NIGHT_1, "ks-mastodon")
    store = world.store
    permanent = ObjectRetention("bevaras", None)
    strays = [
        "exports/2026/11/20/anteckningar.txt",
        "exports/2026/11/20/20261120T100000Z_0123abcd.json.bak",
        "audit/2026-11-20/rapport.json",
        "audit/egen-rapport.html",
        "metadata/okand.bin",
    ]
    for key in strays:
        store.put(key, b"{}\n", retention=permanent, tags={"kind": "other"})
    # Shaped as an export log entry, but stored as no export is: its retention and tags show.
    forged = "exports/2026/11/20/20261120T100000Z_0123abcd.json"
    store.put(forged, b"{}\n", retention=permanent, tags={"kind": "export-ish"})

    report = world.audit(NIGHT_1, NIGHT_1, full=False)

    unknown = problems_of(report, "object_not_in_manifest")
    assert sorted(p["key"] for p in unknown) == sorted(strays)
    forged_kinds = {p.kind for p in report.problems if p.key == forged}
    assert forged_kinds == {"retention_mismatch", "tags_mismatch", "unsigned"}
    [mismatch] = [p for p in problems_of(report, "retention_mismatch") if p["key"] == forged]
    assert "'bevaras' until permanent, the archive wrote 'export-log' until permanent" in mismatch["detail"]
