"""The versioning rule on its own: what a sighting of an item adds to the archive."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib

import pytest

from archive_lib.capture.versions import Versioner
from archive_lib.connectors.base import content_digest
from archive_lib.metadata.state import KnownState
from archive_lib.models import Account, ItemSnapshot, MediaFile, RecordRef
from archive_lib.retention_classes import RetentionClass
from archive_lib.storage import FileStore

T0 = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
ACCOUNT = Account(
    id="ks-mastodon",
    board="Kommunstyrelsen",
    platform="mastodon",
    handle="kristianstad",
    retention=RetentionClass("gallras-efter-2-ar", 2),
    api_base="https://social.example",
)


def record(n: int, status: int = 200) -> RecordRef:
    return RecordRef(
        f"warc/x-{n}.warc.gz",
        n * 100,
        90,
        f"<urn:uuid:{n}>",
        f"https://social.example/{n}",
        T0 + dt.timedelta(hours=n),
        status,
    )


def snapshot(text: str, n: int, edited: dt.datetime | None = None) -> ItemSnapshot:
    return ItemSnapshot(
        item_id="111",
        item_type="comment",
        post_id="100",
        parent_id="100",
        author_id="7",
        author_name="Anna Lindqvist",
        author_handle="anna",
        author_is_account=False,
        text=text,
        url="https://social.example/@anna/111",
        created_at=T0,
        edited_at=edited,
        content_sha256=content_digest(text=text),
        record=record(n),
    )


@pytest.fixture
def versioner(tmp_path: pathlib.Path) -> Versioner:
    known = KnownState(FileStore(f"file://{tmp_path}"), [], high_water=None, last_ok_run=None)
    return Versioner(
        known, account=ACCOUNT, run_id="ks-mastodon_20261125T013000Z_abcd", run_date=dt.date(2026, 11, 25)
    )


def test_new_unchanged_edited_deleted_restored(versioner: Versioner) -> None:
    [first] = versioner.seen(snapshot("När öppnar badhuset?", 1))
    assert (first["event"], first["version"], first["hidden"]) == ("new", 1, None)
    assert first["retain_until"] == dt.date(2028, 11, 25)  # two years from the night, not from today
    assert versioner.seen(snapshot("När öppnar badhuset?", 2)) == []  # seen again: nothing new

    [edited] = versioner.seen(snapshot("När öppnar badhuset igen?", 3, edited=T0 + dt.timedelta(hours=3)))
    assert (edited["event"], edited["version"]) == ("edited", 2)
    assert edited["warc_offset"] == 300

    gone = versioner.gone("111", record(4, status=404))
    assert gone is not None and (gone["event"], gone["version"]) == ("deleted", 3)
    assert gone["text"] == "När öppnar badhuset igen?"  # the last words stay with the deletion
    assert gone["warc_key"] == "warc/x-4.warc.gz" and gone["observed_at"] == T0 + dt.timedelta(hours=4)
    assert versioner.gone("111", record(5, status=404)) is None  # deleted once

    [back] = versioner.seen(snapshot("När öppnar badhuset igen?", 6, edited=T0 + dt.timedelta(hours=3)))
    assert (back["event"], back["version"]) == ("restored", 4)
    counts = versioner.counts
    assert (counts.comments_new, counts.edited, counts.deleted, counts.restored, counts.unchanged) == (
        1,
        1,
        1,
        1,
        1,
    )


def test_an_older_state_than_the_archived_one_adds_nothing(versioner: Versioner) -> None:
    versioner.seen(snapshot("Version två", 1, edited=T0 + dt.timedelta(hours=2)))
    assert versioner.seen(dataclasses.replace(snapshot("Version ett", 2), edited_at=None)) == []


def test_hiding_and_unhiding_are_versions_of_their_own(versioner: Versioner) -> None:
    def seen(text: str, n: int, hidden: bool | None) -> list[tuple[str, int, bool | None, str]]:
        rows = versioner.seen(dataclasses.replace(snapshot(text, n), hidden=hidden))
        return [(r["event"], r["version"], r["hidden"], r["text"]) for r in rows]

    assert seen("Dumt svar", 1, False) == [("new", 1, False, "Dumt svar")]
    assert seen("Dumt svar", 2, False) == []
    assert seen("Dumt svar", 3, True) == [("hidden", 2, True, "Dumt svar")]
    assert seen("Dumt svar", 4, True) == []
    assert seen("Dumt svar", 5, None) == []  # a response that does not say: no change assumed
    # Edited while hidden, then shown again: the edit first (still hidden), then the un-hiding.
    assert seen("Ursäkta", 6, False) == [("edited", 3, True, "Ursäkta"), ("unhidden", 4, False, "Ursäkta")]
    counts = versioner.counts
    summary = (counts.comments_new, counts.hidden, counts.unhidden, counts.edited, counts.versions)
    assert summary == (1, 1, 1, 1, 4)


def test_gone_for_an_item_never_archived_adds_nothing(versioner: Versioner) -> None:
    assert versioner.gone("999", record(1, status=404)) is None
    assert versioner.counts.deleted == 0


def test_files_are_tried_again_only_while_the_post_is_re_checked(tmp_path: pathlib.Path) -> None:
    failed = MediaFile("9", "image", "https://social.example/media_proxy/9/original", None, error="HTTP 500")
    archived = MediaFile("9", "image", failed.url, None, record(7), "ab" * 32, 10)
    tries: list[str] = []

    def fetch(media: MediaFile) -> MediaFile:
        tries.append(media.media_id)
        return archived

    def night(recheck_from: dt.datetime) -> Versioner:
        known = KnownState(FileStore(f"file://{tmp_path}"), [], high_water=None, last_ok_run=None)
        day = dt.date(2026, 11, 25)
        return Versioner(known, account=ACCOUNT, run_id="r", run_date=day, recheck_from=recheck_from)

    snap = dataclasses.replace(snapshot("Bild", 1), media=(failed,))
    old = night(T0 + dt.timedelta(days=1))
    old.seen(snap)
    assert old.seen(dataclasses.replace(snap, record=record(2)), fetch) == [] and tries == []
    assert old.counts.unchanged == 1

    inside = night(T0)
    [new] = inside.seen(snap)
    assert new["media"][0]["error"] == "HTTP 500"
    [media] = inside.seen(dataclasses.replace(snap, record=record(2)), fetch)
    assert (media["event"], media["version"], media["content_sha256"]) == ("media", 2, new["content_sha256"])
    assert media["media"][0]["http_status"] == 200 and media["media"][0]["error"] is None
    assert media["observed_at"] == record(2).date and media["warc_offset"] == 200
    assert inside.seen(dataclasses.replace(snap, record=record(3)), fetch) == [] and tries == ["9"]
    assert (inside.counts.media, inside.counts.unchanged, inside.counts.versions) == (1, 1, 2)
