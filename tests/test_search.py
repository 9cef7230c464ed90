"""Search, thread view and release package over an archive made by the real capture."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import pathlib
import re
import subprocess
import sys
import zipfile
from typing import Any

import pyarrow.parquet as pq
import pytest
from warcio.archiveiterator import ArchiveIterator

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import capture_night
from archive_lib.cli.main import main
from archive_lib.inventory import load_inventory
from archive_lib.registry.export import ExportRequest, make_export, read_log
from archive_lib.registry.thread import load_thread
from archive_lib.search import QueryError, SearchIndex, SearchQuery
from archive_lib.search.items import item_state
from archive_lib.storage import S3Store
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import PROCESS_TIMEOUT, FakeClock, archivectl, write_inventory
from tests.registrar_fixtures import NIGHT_1, NOW, SCRIPT_TEXT, RegistrarArchive


def cli(archive: RegistrarArchive, index: pathlib.Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = archivectl(args[0], "--store", archive.store_url, "--index", str(index), *args[1:])
    return subprocess.run(command, capture_output=True, text=True, timeout=PROCESS_TIMEOUT)


def search_json(archive: RegistrarArchive, index: pathlib.Path, *args: str) -> list[dict[str, Any]]:
    done = cli(archive, index, "search", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


@pytest.fixture
def index(registrar_archive: RegistrarArchive, tmp_path: pathlib.Path) -> SearchIndex:
    built = SearchIndex(registrar_archive.store, tmp_path / "index")
    built.refresh()
    return built


def ids_of(hits: list[dict[str, Any]]) -> list[str]:
    return [h["item_id"] for h in hits]


def test_a_word_finds_its_inflected_forms(
    registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    ids = registrar_archive.ids
    hits = search_json(registrar_archive, tmp_path / "index", "badhus")

    # "Badhuset stänger ...", "... badhusets bassäng ...", "... beskedet om badhuset!"; newest first.
    assert ids_of(hits) == [ids["late"], ids["question"], ids["post"]]
    first = hits[0]
    for key in (
        "item_id",
        "item_type",
        "platform",
        "account_id",
        "board",
        "author_name",
        "text",
        "created_at",
        "url",
        "event",
        "warc_key",
        "warc_record_id",
        "observed_at",
    ):
        assert first[key], key
    assert first["text"] == "Tack för beskedet om badhuset!" and first["event"] == "new"
    assert (tmp_path / "index").is_dir()  # built on first use, in the folder given


def test_swedish_letters_phrases_and_prefixes(
    index: SearchIndex, registrar_archive: RegistrarArchive
) -> None:
    ids = registrar_archive.ids
    assert ids_of(index.search(SearchQuery("ÅHUS")).hits) == [ids["library_post"]]
    assert index.search(SearchQuery("ahus")).hits == []  # å is a letter of its own
    assert ids_of(index.search(SearchQuery('"stänger för renovering"')).hits) == [ids["post"]]
    assert index.search(SearchQuery('"renovering stänger"')).hits == []
    assert ids_of(index.search(SearchQuery("simsk*")).hits) == [ids["edited"]]
    assert ids_of(index.search(SearchQuery("hur-läng*")).hits) == [ids["question"]]  # joined by a hyphen
    assert ids_of(index.search(SearchQuery("badhus -tack")).hits) == [ids["question"], ids["post"]]
    assert ids_of(index.search(SearchQuery("ritning")).hits) == [ids["post"]]  # an image's description
    found = index.search(SearchQuery("bassäng")).hits[0]
    assert found["highlights"] and found["snippet"][slice(*found["highlights"][0])].lower().startswith(
        "bassäng"
    )


def test_filter_by_board_and_date(registrar_archive: RegistrarArchive, tmp_path: pathlib.Path) -> None:
    ids = registrar_archive.ids
    board = ["--board", "Kultur- och fritidsnämnden"]
    on_the_day = search_json(
        registrar_archive, tmp_path / "i", *board, "--since", "2026-11-17", "--until", "2026-11-17"
    )
    assert ids_of(on_the_day) == [ids["library_question"], ids["library_post"]]
    assert {h["board"] for h in on_the_day} == {"Kultur- och fritidsnämnden"}
    assert search_json(registrar_archive, tmp_path / "i", *board, "--until", "2026-11-16") == []
    assert search_json(registrar_archive, tmp_path / "i", *board, "--since", "2026-11-18") == []
    town = search_json(
        registrar_archive,
        tmp_path / "i",
        "--board",
        "kommunstyrelsen",
        "--since",
        "2026-11-10",
        "--until",
        "2026-11-10",
        "--type",
        "comment",
        "--author",
        "anna lindqvist",
    )
    assert ids_of(town) == [ids["edited"], ids["question"]]


def test_a_deleted_comment_is_still_found_and_marked_deleted(
    registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    ids = registrar_archive.ids
    hits = search_json(registrar_archive, tmp_path / "index", "simhall")
    assert ids_of(hits) == [ids["doomed"]]
    assert hits[0]["event"] == "deleted" and hits[0]["nights"] == ["2026-11-20", "2026-11-21"]
    assert hits[0]["text"] == "Skandal att simhallen stänger igen! Ring kommunalrådet."
    deleted = search_json(registrar_archive, tmp_path / "index", "--event", "deleted")
    assert ids_of(deleted) == [ids["doomed"]]
    edited = search_json(registrar_archive, tmp_path / "index", "--event", "edited")
    assert ids_of(edited) == [ids["edited"]]
    table = cli(registrar_archive, tmp_path / "index", "search", "simhall")
    assert "[DELETED]" in table.stdout and "1 items match" in table.stdout


def test_a_word_removed_by_an_edit_still_finds_the_item(
    index: SearchIndex, registrar_archive: RegistrarArchive
) -> None:
    hits = index.search(SearchQuery('"12 januari"')).hits
    assert ids_of(hits) == [registrar_archive.ids["edited"]]
    assert hits[0]["text"] == "Simskolan börjar den 19 januari, inte den 12."  # the latest text is shown


def test_thread_as_of_a_day_before_the_edit_shows_the_old_text(
    registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    ids = registrar_archive.ids
    before = cli(
        registrar_archive, tmp_path / "i", "show", ids["edited"], "--as-of", "2026-11-20", "--format", "json"
    )
    assert before.returncode == 0, before.stderr
    thread = json.loads(before.stdout)
    items = {c["item_id"]: c for c in thread["thread"]["children"]}
    assert thread["thread"]["item_id"] == ids["post"] and thread["focus"] == ids["edited"]
    assert items[ids["edited"]]["text"] == "Simskolan börjar den 12 januari."
    assert items[ids["edited"]]["state"] == "new" and len(items[ids["edited"]]["versions"]) == 1
    assert items[ids["doomed"]]["state"] == "new"  # its deletion was seen on the second night
    assert ids["late"] not in items  # written after that day
    assert [c["item_id"] for c in items[ids["question"]]["children"]] == [ids["answer"]]

    now = cli(registrar_archive, tmp_path / "i", "show", ids["edited"], "--format", "json")
    items = {c["item_id"]: c for c in json.loads(now.stdout)["thread"]["children"]}
    assert items[ids["edited"]]["text"] == "Simskolan börjar den 19 januari, inte den 12."
    assert [v["text"] for v in items[ids["edited"]]["versions"]] == [
        "Simskolan börjar den 12 januari.",
        "Simskolan börjar den 19 januari, inte den 12.",
    ]
    assert items[ids["edited"]]["nights"] == ["2026-11-20", "2026-11-21"]
    assert items[ids["doomed"]]["state"] == "deleted" and ids["late"] in items

    table = cli(registrar_archive, tmp_path / "i", "show", ids["doomed"])
    assert "[DELETED]" in table.stdout and "[EDITED]" in table.stdout and SCRIPT_TEXT in table.stdout


def test_user_errors_are_clear_and_exit_2(
    registrar_archive: RegistrarArchive, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [['"badhus'], ["b*"], ["--event", "gone"], ["--since", "2026-13-01"], ["ba*d"]]
    bad += [["--since", "2026-11-20", "--until", "2026-11-01"], ["--type", "reply"], ["--limit", "0"]]
    for args in bad:
        try:
            code = main(["search", "--store", registrar_archive.store_url, "--index", str(tmp_path), *args])
        except SystemExit as exit_:  # argparse's own refusals
            code = int(exit_.code or 0)
        assert code == 2, args
        assert "archivectl" in capsys.readouterr().err, args
    done = cli(registrar_archive, tmp_path / "i", "search", '"öppen')
    assert done.returncode == 2 and "unbalanced quote" in done.stderr and "Traceback" not in done.stderr
    missing = cli(registrar_archive, tmp_path / "i", "show", "404404")
    assert (
        missing.returncode == 1 and "no item '404404'" in missing.stderr and "Traceback" not in missing.stderr
    )
    with pytest.raises(QueryError):
        SearchQuery('"open')


def test_latest_known_state_of_an_item() -> None:
    def v(version: int, event: str, hidden: bool | None = None) -> dict[str, Any]:
        return {"version": version, "event": event, "hidden": hidden}

    assert item_state([v(1, "new")]) == "new"
    assert item_state([v(2, "edited"), v(1, "new")]) == "edited"
    assert item_state([v(1, "new"), v(2, "edited"), v(3, "deleted")]) == "deleted"
    assert item_state([v(1, "new"), v(2, "deleted"), v(3, "restored")]) == "new"
    assert item_state([v(1, "new", False), v(2, "hidden", True)]) == "hidden"
    assert item_state([v(1, "new", False), v(2, "hidden", True), v(3, "unhidden", False)]) == "new"
    assert (
        item_state([v(1, "new"), v(2, "edited"), v(3, "hidden", True), v(4, "unhidden", False)]) == "edited"
    )


def test_refresh_indexes_only_new_parts(registrar_archive: RegistrarArchive, tmp_path: pathlib.Path) -> None:
    from archive_lib.metadata.parts import store_parts

    index = SearchIndex(registrar_archive.store, tmp_path)
    first = index.refresh()
    assert (
        first.rebuilt
        and first.parts_new == len(store_parts(registrar_archive.store))
        and first.items_written == 9
    )
    again = index.refresh()
    assert (again.parts_new, again.rows, again.rebuilt) == (0, 0, False)
    rebuilt = index.rebuild()
    assert rebuilt.rebuilt and rebuilt.items_written == 9
    assert index.search(SearchQuery()).total == 9
    (index.path / "state.json").write_text("{")  # a damaged cache is built again, never trusted
    assert SearchIndex(registrar_archive.store, tmp_path).refresh().rebuilt
    assert index.search(SearchQuery("badhus")).total == 3


def test_an_index_built_part_by_part_is_the_one_built_at_once(
    registrar_archive: RegistrarArchive, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions of one item in different batches end up in one document, as in one batch."""
    from archive_lib.search import index as search_index

    def everything(index: SearchIndex) -> list[dict[str, Any]]:
        hits = index.search(SearchQuery(limit=100)).hits
        return sorted(hits, key=lambda h: (h["account_id"], h["item_id"]))

    at_once = SearchIndex(registrar_archive.store, tmp_path / "at-once")
    assert at_once.refresh().items_written == 9
    monkeypatch.setattr(search_index, "_BATCH_ITEMS", 1)  # a commit after every part
    by_part = SearchIndex(registrar_archive.store, tmp_path / "by-part")
    report = by_part.refresh()

    assert report.items_written > 9  # items of several parts were written more than once
    assert everything(by_part) == everything(at_once)
    assert any(len(hit["nights"]) > 1 for hit in everything(by_part))  # versions from two nights


def verify_package(path: pathlib.Path) -> dict[str, Any]:
    """The package's manifest, after checking every hash in it and the WARC's digests."""
    with zipfile.ZipFile(path) as package:
        manifest = json.loads(package.read("manifest.json"))
        names = set(package.namelist()) - {"manifest.json"}
        assert names == {f["path"] for f in manifest["files"]}
        for entry in manifest["files"]:
            data = package.read(entry["path"])
            assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["size"]
        warc = package.read("records.warc.gz")
    checked = 0
    for record in ArchiveIterator(io.BytesIO(warc), check_digests=True):
        record.content_stream().read()
        assert record.digest_checker.passed is True, record.digest_checker.problems
        checked += 1
    assert checked == len(manifest["records"])
    return manifest


def test_export_package_verifies_and_is_logged(
    registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    ids = registrar_archive.ids
    out = tmp_path / "utlamnande.zip"
    done = cli(
        registrar_archive,
        tmp_path / "i",
        "export",
        "badhus",
        "--event",
        "new",
        "--purpose",
        "Begäran om allmän handling",
        "--reference",
        "KS 2026/0042",
        "--out",
        str(out),
        "--by",
        "Rita Registrator",
    )
    assert done.returncode == 0, done.stderr
    manifest = verify_package(out)
    with zipfile.ZipFile(out) as package:
        (tmp_path / "records.warc.gz").write_bytes(package.read("records.warc.gz"))
    warcio = pathlib.Path(sys.executable).parent / "warcio"
    checked = subprocess.run(
        [str(warcio), "check", "-v", str(tmp_path / "records.warc.gz")], capture_output=True, text=True
    )
    assert checked.returncode == 0 and "digest pass" in checked.stdout, checked.stdout + checked.stderr

    assert manifest["purpose"] == "Begäran om allmän handling" and manifest["reference"] == "KS 2026/0042"
    assert manifest["query"]["text"] == "badhus" and manifest["query"]["events"] == ["new"]
    assert manifest["items"] == 3
    assert [(t["account_id"], t["post_id"]) for t in manifest["threads"]] == [("ks-mastodon", ids["post"])]
    html_name, pdf_name = manifest["threads"][0]["files"]
    store = registrar_archive.store
    for source in manifest["sources"]:  # every source object, by the store's own hash
        assert store.stat(source["key"]).sha256 == source["sha256"]
    for record in manifest["records"]:  # byte for byte the stored records
        data = store.read_range(record["warc_key"], record["offset"], record["length"])
        assert hashlib.sha256(data).hexdigest() == record["sha256"]
    types = []
    with zipfile.ZipFile(out) as package:
        warc = package.read("records.warc.gz")
        for record in ArchiveIterator(io.BytesIO(warc)):
            types.append(
                (record.rec_headers.get_header("WARC-Type"), record.rec_headers.get_header("WARC-Target-URI"))
            )
        rows = list(csv.DictReader(io.StringIO(package.read("items.csv").decode("utf-8-sig"))))
        table = pq.read_table(io.BytesIO(package.read("items.parquet")))
        html = package.read(html_name).decode()
        pdf = package.read(pdf_name)
    assert pdf.startswith(b"%PDF-") and manifest["pdf"]["made"] is True
    assert manifest["pdf"]["characters_not_in_font"] == 0  # Swedish text, the script tag: all in the font
    assert types[0][0] == "warcinfo" and {t for t, _ in types} == {"warcinfo", "response"}
    assert any((uri or "").endswith(".png") for _, uri in types)  # the post's image file
    assert sorted({r["item_id"] for r in rows}) == sorted([ids["post"], ids["question"], ids["late"]])
    assert table.num_rows == len(rows) == 3
    # The thread rendition: whole thread, markup escaped, nothing loaded from elsewhere.
    assert "&lt;script&gt;" in html and "<script" not in html
    assert "Simskolan börjar den 12 januari." in html
    # In Swedish by default (no ARCHIVE_LANGUAGE): the archive's words, not the archived text.
    assert manifest["language"] == "sv" and '<html lang="sv">' in html
    assert '<span class="marker deleted">raderad</span>' in html and "Utlämnande " in html
    assert re.search(r"skapad \d{4}-\d{2}-\d{2} kl\. \d{2}\.\d{2}", html), html
    assert "http://" not in html.split("<body>")[0] and "src=" not in html

    logged = [e for e in read_log(store) if e["export_id"] == manifest["export_id"]]
    assert len(logged) == 1 and logged[0]["made_by"] == "Rita Registrator"
    assert logged[0]["package_sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert logged[0]["reference"] == "KS 2026/0042"
    again = cli(
        registrar_archive,
        tmp_path / "i",
        "export",
        "--item",
        ids["doomed"],
        "--purpose",
        "x",
        "--reference",
        "y",
        "--out",
        str(out),
    )
    assert again.returncode == 2 and "exists already" in again.stderr

    both = tmp_path / "two-boards.zip"
    done = cli(
        registrar_archive,
        tmp_path / "i",
        "export",
        "--item",
        ids["library_question"],
        ids["doomed"],
        "--purpose",
        "Granskning",
        "--reference",
        "KS 2026/0050",
        "--out",
        str(both),
    )
    assert done.returncode == 0, done.stderr
    manifest = verify_package(both)
    assert sorted((t["account_id"], t["post_id"]) for t in manifest["threads"]) == [
        ("bibliotek-mastodon", ids["library_post"]),
        ("ks-mastodon", ids["post"]),
    ]
    assert manifest["rows"] == 3  # the library question, the deleted comment's two versions
    assert len(read_log(store)) >= 2


def test_search_and_export_on_s3(s3_endpoint: str, locked_bucket: str, tmp_path: pathlib.Path) -> None:
    store = S3Store(f"s3://{locked_bucket}/archive")
    with FakeMastodon(now=NOW) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        post = fake.post(
            town, fake.html("Cykelvägarna plogas först i morgon."), at=NOW - dt.timedelta(days=1)
        )
        inventory = load_inventory(
            write_inventory(tmp_path, fake.base_url, [{"id": "ks", "handle": "kristianstad"}])
        )
        result = capture_night(inventory, store, NIGHT_1, clock=FakeClock(fake), options=CaptureOptions())
    assert result.results[0].status == "ok"
    index = SearchIndex(store, tmp_path / "index")
    index.refresh()
    assert ids_of(index.search(SearchQuery("cykelväg")).hits) == [str(post["id"])]
    thread = load_thread(store, index, str(post["id"]))
    assert thread.root is not None and thread.root.current["text"] == "Cykelvägarna plogas först i morgon."
    out = tmp_path / "s3.zip"
    request = ExportRequest("Granskning", "KS 2026/7", "registrator", item_ids=(str(post["id"]),))
    exported = make_export(store, index, request, out)
    verify_package(out)
    assert exported.log_key.startswith("exports/") and store.exists(exported.log_key)
    assert store.stat(exported.log_key).legal_hold  # the log is kept permanently
