"""Secrecy markings: ``mark``/``unmark`` on the command line, shown in ``search`` and ``show``,
and masked in every rendition of a release package (HTML, PDF, CSV, Parquet), the marked item's
raw records left out of the package WARC and the manifest listing it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import pathlib
import zipfile

import pyarrow.parquet as pq
import pytest
from pypdf import PdfReader
from warcio.archiveiterator import ArchiveIterator

from archive_lib.metadata.access import read_access
from archive_lib.metadata.events import read
from archive_lib.metadata.markings import mask_notice
from archive_lib.registry.export import read_log
from archive_lib.storage import FileStore
from tests.lifecycle_helpers import json_of, run
from tests.registrar_fixtures import RegistrarArchive

GROUND = "OSL 26 kap. 1 §"


def package(path: pathlib.Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def record_ids(warc: bytes) -> set[str]:
    return {r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(io.BytesIO(warc))}


def payloads(warc: bytes) -> bytes:
    """Every record's content, decompressed and joined."""
    return b"".join(r.content_stream().read() for r in ArchiveIterator(io.BytesIO(warc)))


def test_a_marked_item_is_masked_in_every_rendition(
    archive: RegistrarArchive, capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    ids = archive.ids
    question = "Hur länge blir badhusets bassäng stängd?"
    before = {h["item_id"]: h for h in json_of(archive, capsys, "search", "badhus")}
    assert before[ids["question"]]["secrecy"] is None
    stored = sorted(FileStore(archive.store_url).list(""))

    code, out, err = run(
        archive, capsys, "mark", "--item", ids["question"], "--ground", GROUND, "--reference", "KS 2026/77"
    )
    assert code == 0 and f"marked {ids['question']}" in out, err
    again = run(archive, capsys, "mark", "--item", ids["question"], "--ground", GROUND, "--reference", "x")
    assert again[0] == 1 and "marked already" in again[2]
    assert run(archive, capsys, "mark", "--item", "404404", "--ground", GROUND, "--reference", "x")[0] == 1
    # The marking is an event of its own: every object stored before is still there, unchanged.
    store = FileStore(archive.store_url)
    assert set(stored) <= set(store.list(""))
    assert [e.action for e in read(store, "markings")] == ["mark"]

    hits = {h["item_id"]: h for h in json_of(archive, capsys, "search", "badhus")}
    assert hits[ids["question"]]["secrecy"] == GROUND and hits[ids["question"]]["text"] == question
    assert {h["secrecy"] for i, h in hits.items() if i != ids["question"]} == {None}
    code, out, _ = run(archive, capsys, "search", "badhus")
    assert f"[SECRECY: {GROUND}]" in out
    shown = json_of(archive, capsys, "show", ids["question"])
    assert shown["thread"]["children"][0]["secrecy"] == GROUND

    out_zip = tmp_path / "masked.zip"
    code, _, err = run(
        archive, capsys, "export", "badhus", "--event", "new", "--purpose", "Begäran",
        "--reference", "KS 2026/78", "--out", str(out_zip),
    )  # fmt: skip
    assert code == 0, err
    files = package(out_zip)
    manifest = json.loads(files["manifest.json"])
    notice = mask_notice(GROUND)
    assert manifest["masked"] == [{"account_id": "ks-mastodon", "item_id": ids["question"], "ground": GROUND}]
    html_name, pdf_name = manifest["threads"][0]["files"]
    html, pdf = files[html_name].decode(), pdf_text(files[pdf_name])
    assert notice in html and question not in html and "Bassängen öppnar igen i mars." in html
    assert notice in pdf.replace("\n", " ") and question not in pdf and "öppnar igen i mars" in pdf
    rows = list(csv.DictReader(io.StringIO(files["items.csv"].decode("utf-8-sig"))))
    texts = {r["item_id"]: r["text"] for r in rows}
    assert texts[ids["question"]] == notice and question not in files["items.csv"].decode("utf-8-sig")
    table = pq.read_table(io.BytesIO(files["items.parquet"])).to_pylist()
    assert {r["item_id"]: r["text"] for r in table}[ids["question"]] == notice
    in_warc = record_ids(files["records.warc.gz"])
    assert before[ids["question"]]["warc_record_id"] not in in_warc
    # A page of the platform's API that holds the marked item (or names it) is withheld whole.
    assert manifest["withheld"] and all(w["record_id"] not in in_warc for w in manifest["withheld"])
    targets = [
        r.rec_headers.get_header("WARC-Target-URI")
        for r in ArchiveIterator(io.BytesIO(files["records.warc.gz"]))
    ]
    assert any((uri or "").endswith(".png") for uri in targets)  # the post's image is not withheld
    assert b"Hur l" not in payloads(files["records.warc.gz"])  # nor inside another item's record
    assert {r["record_id"] for r in manifest["records"]} == in_warc

    # Unmasked for internal use: only with a reason, and logged as such.
    unmasked = tmp_path / "unmasked.zip"
    refused = run(archive, capsys, "export", "--item", ids["question"], "--purpose", "Intern granskning",
                  "--reference", "KS 2026/79", "--out", str(unmasked), "--unmasked")  # fmt: skip
    assert refused[0] == 2 and "--reason" in refused[2] and not unmasked.exists()
    code, _, err = run(archive, capsys, "export", "--item", ids["question"], "--purpose", "Intern granskning",
                       "--reference", "KS 2026/79", "--out", str(unmasked), "--unmasked",
                       "--reason", "Sekretessprövning")  # fmt: skip
    assert code == 0, err
    files = package(unmasked)
    manifest = json.loads(files["manifest.json"])
    assert manifest["masked"] == [] and manifest["unmasked"] == "Sekretessprövning"
    assert question in files[manifest["threads"][0]["files"][0]].decode()
    assert before[ids["question"]]["warc_record_id"] in record_ids(files["records.warc.gz"])
    assert b"Hur l" in payloads(files["records.warc.gz"])
    logged = [e for e in read_log(store) if e["export_id"] == manifest["export_id"]]
    assert logged[0]["unmasked"] == "Sekretessprövning"
    exports = [e for e in read_access(store) if e.action == "export"]
    assert exports[-1].purpose == "Intern granskning; unmasked: Sekretessprövning"
    assert exports[-1].items == [ids["question"]]

    code, out, err = run(
        archive, capsys, "unmark", "--item", ids["question"], "--reason", "Prövat: ej sekretess"
    )
    assert code == 0 and f"unmarked {ids['question']}" in out, err
    hits = {h["item_id"]: h for h in json_of(archive, capsys, "search", "badhus")}
    assert hits[ids["question"]]["secrecy"] is None
    again = run(archive, capsys, "unmark", "--item", ids["question"], "--reason", "x")
    assert again[0] == 1 and "is not marked" in again[2]


def test_masked_release_and_the_event_log_on_s3(
    s3_endpoint: str, locked_bucket: str, tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from archive_lib.capture.account import CaptureOptions
    from archive_lib.capture.night import capture_night
    from archive_lib.inventory import load_inventory
    from archive_lib.storage import S3Store
    from tests.fakes.mastodon import FakeMastodon
    from tests.helpers import FakeClock, write_inventory
    from tests.registrar_fixtures import NIGHT_1, NOW
    from tests.signing import signer_for_tests

    store = S3Store(f"s3://{locked_bucket}/archive")
    secret = "Min son Kalle Andersson går i klass 3B."
    with FakeMastodon(now=NOW) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        anna = fake.add_account("anna", "Anna Lindqvist")
        post = fake.post(town, fake.html("Skolgården rustas i vår."), at=NOW - dt.timedelta(days=1))
        reply = fake.post(anna, fake.html(secret), in_reply_to=post["id"], at=NOW - dt.timedelta(hours=20))
        inventory = load_inventory(
            write_inventory(tmp_path, fake.base_url, [{"id": "ks", "handle": "kristianstad"}])
        )
        night = capture_night(
            inventory,
            store,
            NIGHT_1,
            clock=FakeClock(fake),
            options=CaptureOptions(signer=signer_for_tests()),
        )
    assert night.results[0].status == "ok"
    archive = RegistrarArchive(store.url, tmp_path, {})
    args = ["--item", str(reply["id"]), "--ground", GROUND, "--reference", "BUN 2026/3"]
    code, _, err = run(archive, capsys, "mark", *args)
    assert code == 0, err
    out = tmp_path / "s3.zip"
    code, _, err = run(
        archive, capsys, "export", "--item", str(post["id"]), "--purpose", "Begäran",
        "--reference", "BUN 2026/4", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    files = package(out)
    manifest = json.loads(files["manifest.json"])
    assert manifest["masked"] == [{"account_id": "ks", "item_id": str(reply["id"]), "ground": GROUND}]
    html = files[manifest["threads"][0]["files"][0]].decode()
    assert mask_notice(GROUND) in html and "Kalle" not in html and "Skolgården rustas i vår." in html
    assert b"Kalle" not in payloads(files["records.warc.gz"])
    # The markings and access events are objects of the locked bucket, kept like the records.
    [marking_key] = list(store.list("events/markings/"))
    assert store.stat(marking_key).legal_hold
    assert [e.action for e in read_access(store)] == ["mark", "export"]
    # The audit knows the event batches: locked as permanent records, listed by no manifest.
    from archive_lib.audit.run import AuditOptions, audit_period, run_audit

    report = run_audit(store, inventory, audit_period(NIGHT_1, NIGHT_1, NOW), options=AuditOptions(full=True))
    assert report.fixity["objects_verified"] == report.fixity["objects_total"]
    assert [p for p in report.problems if (p.key or "").startswith("events/")] == []
    assert report.clean, report.summary()


def test_account_picks_the_item_where_two_accounts_share_its_id(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from archive_lib.capture.account import CaptureOptions
    from archive_lib.capture.night import capture_night
    from archive_lib.inventory import load_inventory
    from tests.fakes.mastodon import FakeMastodon
    from tests.helpers import FakeClock, write_inventory
    from tests.registrar_fixtures import NIGHT_1, NOW

    store = FileStore((tmp_path / "archive").as_uri())
    # Two instances whose ids are made the same way: the same id for two accounts' posts.
    with FakeMastodon(now=NOW) as one, FakeMastodon(now=NOW) as two:
        posts = [
            fake.post(
                fake.add_account("kristianstad", "Kristianstads kommun"),
                fake.html(text),
                at=NOW - dt.timedelta(days=1),
            )
            for fake, text in ((one, "Badhuset öppnar i mars."), (two, "Badhuset stänger i juni."))
        ]
        assert posts[0]["id"] == posts[1]["id"]
        post = posts[0]
        accounts = [
            {"id": "ks-a", "handle": "kristianstad"},
            {"id": "ks-b", "handle": "kristianstad", "api_base": two.base_url},
        ]
        inventory = write_inventory(tmp_path, one.base_url, accounts)
        night = capture_night(
            load_inventory(inventory), store, NIGHT_1, clock=FakeClock(one), options=CaptureOptions()
        )
    assert [r.status for r in night.results] == ["ok", "ok"]
    archive = RegistrarArchive(store.url, tmp_path, {})
    item = str(post["id"])
    args = ["--item", item, "--ground", GROUND, "--reference", "KS 2026/1", "--inventory", str(inventory)]
    code, _, err = run(archive, capsys, "mark", *args)
    assert code == 2 and "give --account (ks-a, ks-b)" in err
    assert run(archive, capsys, "mark", *args, "--account", "ks-c")[0] == 1  # no such item there
    code, _, err = run(archive, capsys, "mark", *args, "--account", "ks-b")
    assert code == 0, err
    hits = json_of(archive, capsys, "search", "badhus")
    assert sorted((h["account_id"], h["secrecy"]) for h in hits) == [("ks-a", None), ("ks-b", GROUND)]
    (tmp_path / "broken.yaml").write_text("accounts: [", encoding="utf-8")
    broken = run(archive, capsys, "unmark", "--item", item, "--account", "ks-b", "--reason", "x",
                 "--inventory", str(tmp_path / "broken.yaml"))  # fmt: skip
    assert broken[0] == 2
