"""Hostile text through every writer: release package, CSV, terminal tables, capture summary,
runs, audit. Over the hostile archive (tests/registrar_fixtures.py), made by the real capture
from the fake platforms, and with ``archivectl`` run as a registrar or operator runs it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import pathlib
import re
import shlex
import subprocess
import zipfile
from typing import Any

import pyarrow.parquet as pq
import pytest

from archive_lib.inert import FORMULA_STARTS
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import PROCESS_TIMEOUT, archivectl, capture_command, write_inventory
from tests.registrar_fixtures import (
    FAKE_DELETED_CR,
    HOSTILE_TEXTS,
    NOW,
    ODD_ID,
    SPOOFED_NAME,
    TRAVERSAL_ID,
    RegistrarArchive,
)

#: What must never reach a terminal raw: C0 but the line break, DEL, C1, bidi controls.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
PACKAGE_ENTRY = re.compile(
    r"threads/[A-Za-z0-9_-]{1,120}\.(html|pdf)|items\.csv|items\.parquet|records\.warc\.gz|manifest\.json"
)


def run(command: list[str], *, codes: tuple[int, ...] = (0,)) -> tuple[str, str]:
    """``command``'s standard output and error exactly as written (text mode would turn a raw
    CR into a line break and hide it)."""
    done = subprocess.run(command, capture_output=True, timeout=PROCESS_TIMEOUT, check=False)
    out, err = done.stdout.decode("utf-8"), done.stderr.decode("utf-8")
    assert done.returncode in codes, err
    return out, err


def cli(archive: RegistrarArchive, index: pathlib.Path, *args: str) -> str:
    """The standard output of ``archivectl`` over ``archive``."""
    return run(archivectl(args[0], "--store", archive.store_url, "--index", str(index), *args[1:]))[0]


def every_hostile_item(archive: RegistrarArchive) -> list[str]:
    ids = archive.ids
    return [ids[role] for role in HOSTILE_TEXTS] + [
        ids["bluesky_reply"],
        ids["youtube_comment"],
        ids["youtube_odd"],
    ]


def assert_no_formula(cells: list[str], where: str) -> None:
    for cell in cells:
        assert cell[:1] not in FORMULA_STARTS, (where, cell)


def assert_isolated(html: str, text: str) -> None:
    """Every occurrence of ``text`` in ``html`` is the whole content of a ``<bdi>``."""
    assert text in html
    assert html.count(text) == html.count(f"<bdi>{text}</bdi>"), html


# -- the release package ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def package(hostile_archive: RegistrarArchive, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("hostile-export")
    out = folder / "utlamnande.zip"
    cli(
        hostile_archive,
        folder / "index",
        "export",
        "--item",
        *every_hostile_item(hostile_archive),
        "--purpose",
        "Begäran om allmän handling",
        "--reference",
        "KS 2026/0666",
        "--out",
        str(out),
    )
    return out


def test_items_csv_in_the_package_holds_no_formula(package: pathlib.Path) -> None:
    with zipfile.ZipFile(package) as archive:
        text = archive.read("items.csv").decode("utf-8-sig")
        table = pq.read_table(io.BytesIO(archive.read("items.parquet"))).to_pylist()
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for row in rows:
        assert_no_formula(list(row.values()), row["item_id"])
    # Each hostile text is there, made text by one leading "'" and otherwise unchanged.
    by_id = {r["item_id"]: r for r in rows}
    for original in table:
        shown = by_id[original["item_id"]]["text"]
        assert (shown[1:] if shown.startswith("'") else shown) == original["text"]
    texts = {r["text"] for r in rows}
    for role in ("formula", "plus", "minus", "at"):
        assert "'" + HOSTILE_TEXTS[role] in texts, role
    # Every cell is quoted: a Swedish spreadsheet, which splits at ";", cannot start a cell
    # inside "…&A1;\"Klicka här\")".
    assert re.fullmatch(r'(?:"(?:[^"]|"")*"(?:,|\r\n))*', text)
    semicolon = [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=";") for cell in row]
    assert not any(cell.startswith('"Klicka') for cell in semicolon)


def test_package_file_names_are_safe_unique_and_say_which_thread(
    package: pathlib.Path, hostile_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    ids = hostile_archive.ids
    with zipfile.ZipFile(package) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        threads = {(t["account_id"], t["post_id"]): t["files"] for t in manifest["threads"]}
        for thread, files in threads.items():
            if thread != ("ks-youtube", ODD_ID):  # the one thread Mallory did not write in
                assert_isolated(archive.read(files[0]).decode(), SPOOFED_NAME)
        archive.extractall(tmp_path / "out")

    for name in names:
        assert PACKAGE_ENTRY.fullmatch(name), name
    assert len(set(names)) == len(names)
    assert set(threads) == {
        ("ks-mastodon", ids["mastodon_post"]),
        ("ks-bluesky", ids["bluesky_post"]),
        ("ks-youtube", TRAVERSAL_ID),
        ("ks-youtube", ODD_ID),
    }
    files = [name for held in threads.values() for name in held]
    assert len(set(files)) == len(files) == len([n for n in names if n.startswith("threads/")])
    assert {pathlib.PurePosixPath(f).suffix for f in files} == {".html", ".pdf"}
    bluesky = threads[("ks-bluesky", ids["bluesky_post"])][0]
    assert bluesky.startswith("threads/ks-bluesky_at-did-plc-") and ":" not in bluesky
    assert threads[("ks-youtube", TRAVERSAL_ID)][0].startswith("threads/ks-youtube_etc-passwd-")
    # Unpacked, everything lands where the names say, inside the folder.
    unpacked = sorted(
        str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file()
    )
    assert unpacked == sorted(names)
    assert manifest["files"] and {f["path"] for f in manifest["files"]} >= set(files)


# -- search and show on a terminal -----------------------------------------------------------


def test_search_csv_holds_no_formula(hostile_archive: RegistrarArchive, tmp_path: pathlib.Path) -> None:
    found = cli(hostile_archive, tmp_path / "index", "search", "--limit", "100", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(found, newline="")))
    assert len(rows) == 12
    for row in rows:
        assert_no_formula(list(row.values()), row["item_id"])
    texts = {r["item_id"]: r["text"] for r in rows}
    ids = hostile_archive.ids
    for role in ("formula", "plus", "minus", "at"):
        assert texts[ids[role]] == "'" + HOSTILE_TEXTS[role], role
    assert texts[ids["youtube_comment"]] == "'" + HOSTILE_TEXTS["formula"]
    assert texts[ids["bluesky_reply"]] == FAKE_DELETED_CR  # round trip: nothing else changes


def test_show_and_search_print_no_control_character(
    hostile_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    ids = hostile_archive.ids
    index = tmp_path / "index"
    mastodon = cli(hostile_archive, index, "show", ids["fake_deleted"])
    bluesky = cli(hostile_archive, index, "show", ids["bluesky_reply"])
    traversal = cli(hostile_archive, index, "show", TRAVERSAL_ID)
    table = cli(hostile_archive, index, "search", "--limit", "100")
    for output in (mastodon, bluesky, traversal, table):
        assert not RAW.findall(output)

    # The escapes are visible, and the fake item lines stay inside the lines of real items.
    assert "\\x1b]0;pwned\\x07\\x1b[31mRÖD TEXT\\x1b[0m och \\x9b2J en CSI" in mastodon
    assert "Mallory \\u202enummok sdatsnaitsirK" in mastodon
    for output in (mastodon, bluesky, table):
        fakes = [line for line in output.splitlines() if "[DELETED]" in line]
        assert fakes, output
        for line in fakes:  # only ever the archived text, its escape shown before it
            assert "Tack!\\x1b[1G\\x1b[2K" in line or "Bra!\\r" in line, line
    assert "Budget 2027 förklarad" in traversal and "Thread ../../etc/passwd" in traversal

    # The hint to open a thread is one shell word, whatever the id.
    hints = [
        line.split("thread: ", 1)[1].split("  ·  ")[0] for line in table.splitlines() if "thread: " in line
    ]
    assert ["archivectl", "show", ODD_ID] in [shlex.split(hint) for hint in hints]
    assert ["archivectl", "show", ids["bluesky_reply"]] in [shlex.split(hint) for hint in hints]


def test_json_is_exact_and_holds_no_raw_control(
    hostile_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    ids = hostile_archive.ids
    index = tmp_path / "index"
    shown = cli(hostile_archive, index, "show", ids["escape"], "--format", "json")
    found = cli(hostile_archive, index, "search", "--limit", "100", "--format", "json")
    for output in (shown, found):
        assert not RAW.findall(output)
    children = {c["item_id"]: c for c in json.loads(shown)["thread"]["children"]}
    assert children[ids["escape"]]["text"] == HOSTILE_TEXTS["escape"]
    assert children[ids["escape"]]["author_name"] == SPOOFED_NAME
    assert {h["item_id"]: h["text"] for h in json.loads(found)}[ids["bluesky_reply"]] == FAKE_DELETED_CR


# -- the operator's commands -----------------------------------------------------------------


def test_platform_messages_in_capture_summary_runs_and_log_are_inert(tmp_path: pathlib.Path) -> None:
    message = "Nope\x1b]0;pwned\x07\x1b[2K\r  ks-mastodon ok \u202e"
    with FakeMastodon(now=NOW) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        fake.post(town, fake.html("Hej!"), at=NOW - dt.timedelta(days=1))
        fake.inject(r"/api/v1/accounts/lookup", status=403, count=10, body={"error": message})
        inventory = write_inventory(
            tmp_path, fake.base_url, [{"id": "ks-mastodon", "handle": "kristianstad"}]
        )
        store = (tmp_path / "archive").as_uri()
        night, log = run(capture_command(inventory, store, "-v"), codes=(1,))
    runs, _ = run(archivectl("runs", "--store", store))
    as_json, _ = run(archivectl("runs", "--store", store, "--format", "json"))

    escaped = "Nope\\x1b]0;pwned\\x07\\x1b[2K\\r  ks-mastodon ok \\u202e"
    assert "FAILED ks-mastodon: " in night and escaped in night
    assert escaped in log  # the log line quoting the platform
    assert escaped in runs
    for output in (night, log, runs, as_json):
        assert not RAW.findall(output), output
    assert message in json.loads(as_json)["runs"][0]["error"]


def test_audit_report_isolates_and_escapes_archived_text(
    hostile_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    base = archivectl(
        "audit",
        "--store",
        hostile_archive.store_url,
        "--inventory",
        str(hostile_archive.folder / "inventory.yaml"),
        "--since",
        "2026-11-19",  # the night before the first capture: the comments were written that day
        "--until",
        "2026-11-20",
    )
    ids = hostile_archive.ids
    on_terminal, _ = run([*base, "--format", "html", "--language", "en"], codes=(0, 1))
    as_json, _ = run([*base, "--format", "json"], codes=(0, 1))
    run([*base, "--out", str(tmp_path / "report.html")], codes=(0, 1))
    report = (tmp_path / "report.html").read_bytes().decode("utf-8")

    for output in (on_terminal, as_json):
        assert not RAW.findall(output)
    assert "\\x1b]0;pwned\\x07" in on_terminal  # shown, not obeyed
    assert '<html lang="en">' in on_terminal and "Late, unanswered and pending" in on_terminal
    late: dict[str, Any] = json.loads(as_json)["response_items"]["ks-mastodon"]
    assert late[ids["escape"]]["text"] == HOSTILE_TEXTS["escape"]  # the JSON keeps it exactly
    # The file is the exact document; platform text and ids in it are isolated.
    assert f"<bdi>{HOSTILE_TEXTS['escape']}</bdi>" in report
    # In Swedish, the report's default: "handling" is its word for an item.
    assert f"handling <bdi>{ids['fake_deleted']}</bdi>" in report
    assert f"handling <bdi>{ids['bluesky_reply']}</bdi>" in report
    assert report.count("Tack!\x1b[1G\x1b[2K") == report.count("<bdi>Tack!\x1b[1G\x1b[2K") == 1
