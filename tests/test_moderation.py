"""Moderation notes: ``archivectl moderation note``, joined to what the capture saw in ``show``
and in the audit's monthly moderation summary, which flags a deleted comment without a note."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

from archive_lib.audit.html import render_html
from archive_lib.audit.run import audit_period, run_audit
from archive_lib.inventory import load_inventory
from archive_lib.language import language
from archive_lib.storage import FileStore
from tests.lifecycle_helpers import json_of, run
from tests.registrar_fixtures import NIGHT_1, NIGHT_2, RegistrarArchive

GROUND = "BBS-lagen 5 §"


def summary(archive: RegistrarArchive, registrar_archive: RegistrarArchive) -> dict[str, object]:
    inventory = load_inventory(registrar_archive.folder / "inventory.yaml")
    now = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    report = run_audit(
        FileStore(archive.store_url), inventory, audit_period(NIGHT_1, NIGHT_2, now), clock=_Clock(now)
    )
    data = report.to_json()
    json.dumps(data)  # the JSON report holds it as plain data
    html = render_html(report, language("en"))
    swedish = render_html(report)  # the default
    assert ("Utan moderationsanteckning (1)" in swedish) == bool(data["moderation"]["unnoted"])
    assert "<h2>Moderation</h2>" in html
    assert ("Without a moderation note (1)" in html) == bool(data["moderation"]["unnoted"])
    return data["moderation"]  # type: ignore[no-any-return]


class _Clock:
    def __init__(self, now: dt.datetime) -> None:
        self._now = now

    def now(self) -> dt.datetime:
        return self._now


def test_a_note_joins_the_deletion_the_capture_saw(
    archive: RegistrarArchive,
    registrar_archive: RegistrarArchive,
    capsys: pytest.CaptureFixture[str],
    tmp_path: pathlib.Path,
) -> None:
    doomed = archive.ids["doomed"]
    before = summary(archive, registrar_archive)
    assert before["unnoted"] == [
        {"account_id": "ks-mastodon", "item_id": doomed, "captured": "deleted", "night": NIGHT_2.isoformat()}
    ]
    shown = json_of(archive, capsys, "show", doomed)
    item = next(c for c in shown["thread"]["children"] if c["item_id"] == doomed)
    assert item["moderation"] == {"captured": "deleted", "notes": [], "noted": False}

    args = ["--item", doomed, "--by", "Eva Moderator", "--ground", GROUND]
    assert run(archive, capsys, "moderation", "note", *args, "--action", "banned")[0] == 2
    assert (
        run(archive, capsys, "moderation", "note", *args, "--action", "deleted", "--at", "2999-01-01T00:00")[
            0
        ]
        == 2
    )
    unknown = run(
        archive,
        capsys,
        "moderation",
        "note",
        "--item",
        "404404",
        "--action",
        "deleted",
        "--by",
        "x",
        "--ground",
        GROUND,
    )
    assert unknown[0] == 1 and "no item '404404'" in unknown[2]
    code, out, err = run(
        archive, capsys, "moderation", "note", *args, "--action", "deleted", "--at", "2026-11-20T15:30"
    )
    assert code == 0 and "noted" in out, err

    shown = json_of(archive, capsys, "show", doomed)
    item = next(c for c in shown["thread"]["children"] if c["item_id"] == doomed)
    assert item["moderation"]["noted"] is True and item["moderation"]["captured"] == "deleted"
    [note] = item["moderation"]["notes"]
    assert note["by"] == "Eva Moderator" and note["ground"] == GROUND and note["action"] == "deleted"
    assert note["at"] == "2026-11-20T14:30:00Z"  # 15:30 in Stockholm
    code, out, _ = run(archive, capsys, "show", doomed)
    assert f"moderation: deleted by Eva Moderator, 2026-11-20 15:30, ground {GROUND}" in out

    after = summary(archive, registrar_archive)
    assert after["unnoted"] == []
    [month] = [m for m in after["months"] if m["account_id"] == "ks-mastodon"]  # type: ignore[attr-defined]
    assert (
        month["month"] == "2026-11" and month["deleted"] == 1 and month["noted"] == 1 and month["notes"] == 1
    )
