"""The hostile nights end by themselves, account for every account, and keep what came.

Odd but parseable data is archived and its night is ``ok``; a town that breaks the walk fails
with a clear reason, after the rest of its walk, and what it sent is in the WARC files as
received (cut short where the archive stopped reading, marked ``WARC-Truncated``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.fakes.hostile import BROKEN, NIGHT, ODD_BUT_FINE
from tests.fakes.hostile import world as hostile
from tests.fakes.hostile.misbehaviour import MAINTENANCE_PAGE
from tests.helpers import assert_pointers_resolve, latest_versions, read_items
from tests.hostile.conftest import DEADLINE_SECONDS, MAX_BODY, NIGHTS, HostileArchive
from tests.hostile.evidence import WarcRecord, responses, runs_rows, warc_records

#: Generous: a night is about 40 s on this machine, most of it the trickling town's retries.
NIGHT_LIMIT_SECONDS = 150
PEAK_LIMIT_KIB = 1024 * 1024
#: What a clear reason says, town by town.
REASONS = {
    "selflink": r"repeated a next-page cursor",
    "gzipbomb": r"decod\w* to more than|too large",
    "deflatebomb": r"decod\w* to more than|too large",
    "oversized": r"larger than|too large",
    "trickle": r"deadline",
    "truncated": r"JSON|cut short|truncated",
    "html200": r"JSON|HTML|text/html",
}


def test_each_night_ends_by_itself_and_names_every_failed_account(hostile_archive: HostileArchive) -> None:
    assert [n.run_date for n in hostile_archive.nights] == list(NIGHTS)
    for night in hostile_archive.nights:
        assert night.seconds < NIGHT_LIMIT_SECONDS, (
            f"the night of {night.run_date} took {night.seconds:.0f} s"
        )
        assert night.returncode == 1, night.stdout + night.stderr[-3000:]
        assert night.stdout.startswith(f"Night of {night.run_date}"), night.stdout
        assert "Traceback" not in night.stdout
        for town in hostile_archive.towns:
            if town.behaviour in BROKEN:
                named = re.search(rf"^  FAILED {re.escape(town.account_id)}: (.+)$", night.stdout, re.M)
                assert named, f"{town.account_id} is not named as failed:\n{night.stdout}"
                assert re.search(REASONS[town.behaviour], named.group(1), re.I), named.group(1)


def test_every_account_has_one_runs_row_for_each_night(hostile_archive: HostileArchive) -> None:
    rows = runs_rows(hostile_archive.store)
    have = Counter((r["account_id"], r["run_date"].isoformat()) for r in rows)
    want = Counter((t.account_id, night) for t in hostile_archive.towns for night in NIGHTS)
    assert have == want


@pytest.mark.parametrize("behaviour", ODD_BUT_FINE)
def test_odd_but_parseable_data_is_archived_and_the_night_is_ok(
    hostile_archive: HostileArchive, behaviour: str
) -> None:
    town = hostile_archive.town(behaviour)
    runs = [r for r in runs_rows(hostile_archive.store) if r["account_id"] == town.account_id]
    assert [(r["status"], r["error"]) for r in runs] == [("ok", None)] * len(NIGHTS)
    rows = [r for r in read_items(hostile_archive.store) if r["account_id"] == town.account_id]
    assert {r["item_id"] for r in rows} == {s.id for s in town.statuses}
    assert_pointers_resolve(hostile_archive.store, rows)
    latest = latest_versions(rows)
    posts = {s.id for s in town.own() if s.parent is None}
    assert {i for i, r in latest.items() if r["item_type"] == "post"} == posts
    for status in town.statuses:
        row = latest[status.id]
        assert row["parent_id"] == (status.parent.id if status.parent else None)
        assert row["author_id"] == status.author.id
        assert row["created_at"] == _utc(status.created_at)
        assert all(isinstance(row[c], str) for c in ("text", "author_name", "author_handle"))
        assert row["language"] is None or isinstance(row["language"], str)
        edits = [r for r in rows if r["item_id"] == status.id]
        assert len(edits) == len(status.versions), (status.id, edits)


def test_the_odd_values_come_out_as_the_platform_meant_them(hostile_archive: HostileArchive) -> None:
    rows = read_items(hostile_archive.store)

    def row(behaviour: str, pick: Callable[[hostile.Status], bool]) -> tuple[hostile.Status, dict[str, Any]]:
        town = hostile_archive.town(behaviour)
        status = next(s for s in town.statuses if pick(s))
        found = [r for r in rows if (r["account_id"], r["item_id"]) == (town.account_id, status.id)]
        assert found, f"{behaviour}: {status.id} is not archived"
        return status, max(found, key=lambda r: r["version"])

    _, anonymous = row("nulltext", lambda s: s.author.display_name is None)
    assert (anonymous["text"], anonymous["author_name"]) == ("", "anonym")
    _, edited = row("nulltext", lambda s: len(s.versions) > 1)
    assert (edited["text"], edited["version"]) == ("Tack!", 2)
    _, ancient = row("year99", lambda s: s.created_at == hostile.ANCIENT)
    assert ancient["text"] == hostile.ANCIENT_TEXT
    assert ancient["created_at"] == dt.datetime(99, 1, 1, tzinfo=dt.UTC)
    _, future = row("year9999", lambda s: s.created_at == hostile.FUTURE)
    assert future["created_at"] == dt.datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=dt.UTC)
    # Numbers where the API has strings: the same ids, as text, and the language as text or none.
    answer, numeric = row("numeric", lambda s: s.parent is not None and s.parent.parent is not None)
    assert answer.parent is not None
    assert (numeric["item_id"], numeric["parent_id"]) == (answer.id, answer.parent.id)
    assert (numeric["author_id"], numeric["author_is_account"]) == (answer.author.id, True)
    assert numeric["language"] in (None, "1")


@pytest.mark.parametrize("behaviour", BROKEN)
def test_a_broken_night_fails_keeps_the_rest_and_what_it_received(
    hostile_archive: HostileArchive, behaviour: str
) -> None:
    town = hostile_archive.town(behaviour)
    runs = [r for r in runs_rows(hostile_archive.store) if r["account_id"] == town.account_id]
    assert [r["status"] for r in runs] == ["failed"] * len(NIGHTS)
    for run in runs:
        assert re.search(REASONS[behaviour], run["error"], re.I), run["error"]
        assert run["high_water"] is None  # an incomplete walk is no mark for the next night
    archived = {r["item_id"] for r in read_items(hostile_archive.store) if r["account_id"] == town.account_id}
    assert {s.id for s in town.statuses} <= archived  # every part of the walk that could go on did
    records = warc_records(hostile_archive.root, town.account_id)
    sent = [q for q in hostile_archive.requests if q.answer is not None and _belongs(q.target, town)]
    EVIDENCE[behaviour](town, records, sent)


def _belongs(target: str, town: hostile.Town) -> bool:
    assert town.stage is not None
    return town.stage.id in target or town.person.id in target


def _selflink(town: hostile.Town, records: list[WarcRecord], sent: list) -> None:
    listings = responses(records, "/statuses")
    assert listings and all(r.status == 200 for r in listings)
    first = listings[0].target
    for record in listings:
        assert record.header("Link") == f'<{first}>; rel="next"'
    # The first page, then the same page once more: one repeat and no more, every night.
    asked = [q for q in sent if q.route == "listing"]
    assert len(asked) == 2 * len(NIGHTS) and len({q.target for q in asked}) == 1


def _bomb(town: hostile.Town, records: list[WarcRecord], sent: list) -> None:
    contexts = _stage_contexts(town, records)
    body = _sent_context(sent)
    for record in contexts:
        assert record.status == 200
        withheld = record.header("X-Archive-Withheld")
        if withheld:  # the run held a token and the body cannot be searched for it: kept out, said why
            assert record.warc.get("WARC-Truncated") and record.payload == b""
        else:
            assert record.payload == body


def _oversized(town: hostile.Town, records: list[WarcRecord], sent: list) -> None:
    body = _sent_context(sent)
    for record in _stage_contexts(town, records):
        assert record.warc.get("WARC-Truncated") == "length"
        assert len(record.payload) == MAX_BODY and body.startswith(record.payload)


def _trickle(town: hostile.Town, records: list[WarcRecord], sent: list) -> None:
    body = _sent_context(sent)
    for record in _stage_contexts(town, records):
        assert record.warc.get("WARC-Truncated") == "time"
        assert record.payload and body.startswith(record.payload)
        assert len(record.payload) < DEADLINE_SECONDS / 0.05 * 4  # it stopped reading at the deadline


def _truncated(town: hostile.Town, records: list[WarcRecord], sent: list) -> None:
    body = _sent_context(sent)
    for record in _stage_contexts(town, records):
        assert record.payload == body and not record.warc.get("WARC-Truncated")


def _html200(town: hostile.Town, records: list[WarcRecord], sent: list) -> None:
    for record in _stage_contexts(town, records):
        assert record.payload == MAINTENANCE_PAGE
        assert (record.header("Content-Type") or "").startswith("text/html")


def _stage_contexts(town: hostile.Town, records: list[WarcRecord]) -> list[WarcRecord]:
    assert town.stage is not None
    found = [r for r in responses(records, "/context") if town.stage.id in r.target]
    assert len(found) >= len(NIGHTS), "the thread's responses are not in the WARC files"
    return found


def _sent_context(sent: list) -> bytes:
    bodies = {q.answer.body for q in sent if q.route == "context"}
    assert len(bodies) == 1, "the server sent the thread differently each time"
    return bodies.pop()


EVIDENCE = {
    "selflink": _selflink,
    "gzipbomb": _bomb,
    "deflatebomb": _bomb,
    "oversized": _oversized,
    "trickle": _trickle,
    "truncated": _truncated,
    "html200": _html200,
}


def test_night_two_adds_no_version_the_archive_already_has(hostile_archive: HostileArchive) -> None:
    rows = read_items(hostile_archive.store)
    copies = Counter((r["account_id"], r["item_id"], r["content_sha256"]) for r in rows)
    assert [key for key, count in copies.items() if count > 1] == []


def test_the_capture_stays_under_a_gib_of_memory(hostile_archive: HostileArchive) -> None:
    for night in hostile_archive.nights:
        assert 0 < night.peak_kib < PEAK_LIMIT_KIB, f"{night.run_date}: {night.peak_kib} KiB"


def test_the_inventory_holds_every_behaviour(hostile_archive: HostileArchive) -> None:
    assert [t.behaviour for t in hostile_archive.towns] == list(NIGHT)
    assert len({t.token for t in hostile_archive.towns}) == len(NIGHT)


def _utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
