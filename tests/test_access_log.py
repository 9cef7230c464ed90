"""The access log: every command that reads or governs records adds an access event (who, when,
what, why), written in batches, and ``archivectl access-log`` reads them back."""

from __future__ import annotations

import datetime as dt
import getpass
import pathlib

import pytest

from archive_lib.metadata.access import AccessLog, read_access
from archive_lib.metadata.events import stream_prefix
from archive_lib.storage import FileStore
from tests.lifecycle_helpers import json_of, run
from tests.registrar_fixtures import RegistrarArchive


def test_every_command_adds_an_access_event(
    archive: RegistrarArchive, capsys: pytest.CaptureFixture[str], tmp_path: pathlib.Path
) -> None:
    ids = archive.ids
    me = getpass.getuser()
    steps = [
        ("search", ["search", "badhus", "--board", "Kommunstyrelsen", "--purpose", "Begäran KS 2026/5"]),
        ("show", ["show", ids["question"]]),
        ("export", ["export", "--item", ids["answer"], "--purpose", "Begäran", "--reference", "KS 2026/5",
                    "--out", str(tmp_path / "p.zip")]),
        ("mark", ["mark", "--item", ids["question"], "--ground", "OSL 26 kap. 1 §", "--reference",
                  "KS 2026/6"]),
        ("unmark", ["unmark", "--item", ids["question"], "--reason", "Prövat"]),
        ("moderation", ["moderation", "note", "--item", ids["doomed"], "--action", "deleted", "--by", "Eva",
                        "--ground", "BBS-lagen 5 §"]),
        ("access-log", ["access-log"]),
    ]  # fmt: skip
    store = FileStore(archive.store_url)
    baseline = len(list(read_access(store)))  # what other tests did to the shared archive before the copy
    for action, args in steps:
        before = len(list(read_access(store)))
        code, _, err = run(archive, capsys, *args)
        assert code == 0, (action, err)
        added = list(read_access(store))[before:]
        assert [e.action for e in added] == [action], action
        assert added[0].user == me

    log = json_of(archive, capsys, "access-log")[baseline:]
    assert [e["action"] for e in log] == [a for a, _ in steps]
    assert all(set(e) == {"at", "user", "action", "items", "query", "purpose"} for e in log)
    search, show, export, mark, unmark, note, _ = log
    assert search["query"]["text"] == "badhus" and search["query"]["boards"] == ["Kommunstyrelsen"]
    assert ids["question"] in search["items"] and search["purpose"] == "Begäran KS 2026/5"
    assert show["items"] == [ids["question"]] and show["query"]["account"] == "ks-mastodon"
    assert export["items"] == [ids["answer"]] and export["purpose"] == "Begäran"
    assert mark["items"] == [ids["question"]] and "OSL 26 kap. 1 §" in mark["purpose"]
    assert unmark["purpose"] == "Prövat" and note["items"] == [ids["doomed"]]
    at = dt.datetime.fromisoformat(log[0]["at"])
    assert abs(at - dt.datetime.now(dt.UTC)) < dt.timedelta(hours=1)

    assert json_of(archive, capsys, "access-log", "--user", "nobody-else") == []
    today = dt.date.today()
    assert json_of(archive, capsys, "access-log", "--since", str(today + dt.timedelta(days=2))) == []
    assert len(json_of(archive, capsys, "access-log", "--until", str(today + dt.timedelta(days=1)))) >= 7
    code, _, err = run(archive, capsys, "access-log", "--since", "2026-12-02", "--until", "2026-12-01")
    assert code == 2 and "after" in err


def test_events_are_written_in_batches(tmp_path: pathlib.Path) -> None:
    store = FileStore((tmp_path / "archive").as_uri())
    log = AccessLog(store, max_events=3, max_age=3600)
    log.record("search", "eva", items=["1", "2"], query={"text": "badhus"})
    log.record("show", "eva", items=["1"])
    assert list(store.list(stream_prefix("access"))) == []  # nothing written yet
    log.record("export", "eva", items=["1"], purpose="Begäran")  # the third fills a batch
    assert len(list(store.list(stream_prefix("access")))) == 1
    with log:
        log.record("search", "olle", query={"text": "simhall"})
    keys = list(store.list(stream_prefix("access")))
    assert len(keys) == 2
    entries = list(read_access(store))
    assert [(e.action, e.user) for e in entries] == [
        ("search", "eva"),
        ("show", "eva"),
        ("export", "eva"),
        ("search", "olle"),
    ]
    assert [e.user for e in read_access(store, user="olle")] == ["olle"]
    with pytest.raises(ValueError, match="unknown access action"):
        log.record("peek", "eva")


def test_holds_and_disposals_add_access_events(
    archive: RegistrarArchive, registrar_archive: RegistrarArchive, capsys: pytest.CaptureFixture[str]
) -> None:
    from archive_lib.cli.main import main

    store = FileStore(archive.store_url)
    where = ["--store", archive.store_url, "--inventory", str(registrar_archive.folder / "inventory.yaml")]
    steps = [
        (["hold", "place", "--item", archive.ids["answer"], "--reason", "Överklagande", "--reference",
          "KS 2026/7", "--index", str(archive.folder / "index"), *where], {0}),
        (["hold", "list", *where], {0}),
        # Nothing is due under the decision yet: refused (exit 1), and the attempt is still logged.
        (["dispose", "--decision", "KS 2026/123", "--dry-run", *where], {0, 1}),
    ]  # fmt: skip
    for args, codes in steps:
        before = len(list(read_access(store)))
        try:
            code = main(args)
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        err = capsys.readouterr().err
        assert code in codes, (args, err)
        added = list(read_access(store))[before:]
        assert [e.action for e in added] == [args[0]], args
    place, listing, dispose = list(read_access(store))[-3:]
    assert place.items == [archive.ids["answer"]] and place.purpose == "Överklagande"
    assert place.query["reference"] == "KS 2026/7" and listing.query == {"list": "all"}
    assert dispose.query == {"decision": "KS 2026/123", "dry_run": True}
