"""Tests of the one reader of the store's Parquet parts (archive_lib.metadata.parts, with
.parquet and .runs) and of the pointer columns (archive_lib.metadata.schema).

The parts read are those the real capture wrote into the registrars' archive (two accounts, two
nights: tests/registrar_fixtures.py), through the FileStore. Parts written by older code (a
column missing) or newer code (a column this code does not know), a stray object among the
parts and a part that is not Parquet are made here, in a store of their own.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import pyarrow as pa
import pytest

from archive_lib import layout
from archive_lib.errors import ArchiveError
from archive_lib.metadata.parquet import to_parquet_bytes
from archive_lib.metadata.parts import (
    account_parts,
    iter_rows,
    part_order,
    read_part,
    read_rows,
    store_parts,
)
from archive_lib.metadata.runs import read_run_row, runs_of_night
from archive_lib.metadata.schema import ITEMS_SCHEMA, POINTER_COLUMNS, pointer_columns, pointer_of
from archive_lib.metadata.state import KnownState
from archive_lib.models import RecordRef, WarcPointer
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.file import FileStore
from archive_lib.warc.reader import open_record
from tests.registrar_fixtures import NIGHT_1, NIGHT_2, RegistrarArchive

KEEP = ObjectRetention("bevaras", None)
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


class Watching:
    """A store that notes every object opened (the rest is the store it wraps)."""

    def __init__(self, store: FileStore) -> None:
        self.store = store
        self.opened: list[str] = []

    def open(self, key: str) -> BinaryIO:
        self.opened.append(key)
        return self.store.open(key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def own_store(tmp_path: pathlib.Path) -> FileStore:
    """An empty store of the test's own."""
    return FileStore((tmp_path / "store").as_uri())


# ------------------------------------------------------------------- listing parts


def test_an_accounts_parts_are_listed_from_their_names_in_key_order(
    registrar_archive: RegistrarArchive,
) -> None:
    store = registrar_archive.store
    town = account_parts(store, "ks-mastodon")
    library = account_parts(store, "bibliotek-mastodon")
    assert town and library
    assert [p.key for p in town] == sorted(p.key for p in town)
    assert all(p.account_id == "ks-mastodon" for p in town)
    assert all(p.key.startswith(layout.items_prefix("bibliotek-mastodon")) for p in library)
    assert {p.run_date for p in town} == {NIGHT_1, NIGHT_2}
    assert account_parts(store, "no-such-account") == []


def test_the_stores_parts_are_listed_oldest_night_first(registrar_archive: RegistrarArchive) -> None:
    store = registrar_archive.store
    parts = store_parts(store)
    assert {p.key for p in parts} == {
        p.key for account in ("ks-mastodon", "bibliotek-mastodon") for p in account_parts(store, account)
    }
    assert [part_order(p) for p in parts] == sorted(part_order(p) for p in parts)
    assert parts[0].run_date == NIGHT_1 and parts[-1].run_date == NIGHT_2


def test_an_object_among_the_parts_that_is_not_one_is_passed_over(
    registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    source = registrar_archive.store
    part = account_parts(source, "ks-mastodon")[0]
    store = own_store(tmp_path)
    with source.open(part.key) as handle:
        store.put(part.key, handle.read(), retention=KEEP, tags={})
    store.put(f"{layout.items_prefix('ks-mastodon')}README.txt", b"notes", retention=KEEP, tags={})
    assert account_parts(store, "ks-mastodon") == [part]
    assert store_parts(store) == [part]


# ------------------------------------------------------------------- reading rows


def test_a_parts_rows_carry_their_night_and_part(registrar_archive: RegistrarArchive) -> None:
    store = registrar_archive.store
    for part in store_parts(store):
        rows = read_part(store, part)
        assert rows and all(r["account_id"] == part.account_id for r in rows)
        assert rows == [
            dict(r, run_date=part.run_date, part_key=part.key) for r in read_rows(store, part.key)
        ]
        assert set(rows[0]) == {f.name for f in ITEMS_SCHEMA} | {"run_date", "part_key"}


def test_only_the_rows_of_some_threads(registrar_archive: RegistrarArchive) -> None:
    store = registrar_archive.store
    post_id = registrar_archive.ids["post"]
    for part in account_parts(store, "ks-mastodon"):
        rows = read_part(store, part)
        kept = read_part(store, part, where=("post_id", [post_id, "no-such-post"]))
        assert kept == [r for r in rows if r["post_id"] == post_id]
        assert read_part(store, part, where=("post_id", [])) == []
    for part in account_parts(store, "bibliotek-mastodon"):  # the library's threads are others
        assert read_part(store, part) and read_part(store, part, where=("post_id", [post_id])) == []
    first = account_parts(store, "ks-mastodon")[0]
    assert any(
        r["item_id"] == registrar_archive.ids["answer"]
        for r in read_part(store, first, where=("post_id", [post_id]))
    )


def test_only_some_columns_and_those_a_part_lacks_are_absent(registrar_archive: RegistrarArchive) -> None:
    store = registrar_archive.store
    part = store_parts(store)[0]
    everything = read_rows(store, part.key)
    rows = read_rows(store, part.key, ["version", "item_id", "no_such_column"])
    assert rows == [{"item_id": r["item_id"], "version": r["version"]} for r in everything]
    with_night = read_part(store, part, ["item_id"])
    assert with_night == [
        {"item_id": r["item_id"], "run_date": part.run_date, "part_key": part.key} for r in everything
    ]


def test_a_part_written_before_newer_columns_and_after_unknown_ones_reads_as_it_holds(
    registrar_archive: RegistrarArchive, tmp_path: pathlib.Path
) -> None:
    source = registrar_archive.store
    part = account_parts(source, "ks-mastodon")[0]
    full = read_rows(source, part.key)
    older = ("hidden", "quote")  # columns added after the first parts were written
    fields = [f for f in ITEMS_SCHEMA if f.name not in older] + [pa.field("from_the_future", pa.string())]
    written = [{**{k: v for k, v in r.items() if k not in older}, "from_the_future": "x"} for r in full]
    store = own_store(tmp_path)
    store.put(part.key, to_parquet_bytes(written, pa.schema(fields)), retention=KEEP, tags={})

    assert read_rows(store, part.key) == written
    assert read_rows(store, part.key, ["item_id", "hidden", "quote"]) == [
        {"item_id": r["item_id"]} for r in full
    ]
    assert all("hidden" not in r and r["from_the_future"] == "x" for r in read_part(store, part))
    # The known state reads it as before: a part with no ``hidden`` column reports no hiding.
    state = KnownState(store, [part], high_water=None, last_ok_run=None)
    state.load_all()
    assert state.parts_read == 1
    assert set(state.items) == {r["item_id"] for r in full}
    assert all(known.hidden is None for known in state.items.values())


def test_a_part_that_is_not_parquet_is_named_in_the_error(tmp_path: pathlib.Path) -> None:
    store = FileStore(tmp_path.as_uri())
    key = layout.items_key("ks-mastodon", NIGHT_1, "ks-mastodon_20261120T020000Z_ab12", 1, NOW, NOW)
    store.put(key, b"PAR1 but not really", retention=KEEP, tags={})
    (part,) = account_parts(store, "ks-mastodon")
    with pytest.raises(ArchiveError, match=re.escape(f"{key}: not a readable Parquet file")):
        read_part(store, part)
    with pytest.raises(pa.ArrowInvalid):
        read_rows(store, key)  # the plain reader raises what pyarrow raises, as the known state always saw


def test_rows_of_many_parts_are_read_one_part_at_a_time(registrar_archive: RegistrarArchive) -> None:
    store = Watching(registrar_archive.store)
    parts = store_parts(registrar_archive.store)
    sizes = [len(read_part(registrar_archive.store, p)) for p in parts]
    assert len(parts) >= 2 and store.opened == []
    rows: Iterator[dict[str, Any]] = iter_rows(store, parts)  # type: ignore[arg-type]
    assert store.opened == [], "nothing is read before a row is asked for"
    first = [next(rows) for _ in range(sizes[0])]
    assert store.opened == [parts[0].key] and {r["part_key"] for r in first} == {parts[0].key}
    assert next(rows)["part_key"] == parts[1].key and store.opened == [parts[0].key, parts[1].key]
    assert len(list(rows)) == sum(sizes) - sizes[0] - 1
    assert store.opened == [p.key for p in parts]
    narrow = list(iter_rows(registrar_archive.store, parts, ["item_id"]))
    assert len(narrow) == sum(sizes) and all(set(r) == {"item_id", "run_date", "part_key"} for r in narrow)


# ------------------------------------------------------------------- runs rows


def test_runs_rows_of_a_night_and_of_one_run(registrar_archive: RegistrarArchive) -> None:
    store = registrar_archive.store
    night = runs_of_night(store, NIGHT_1)
    assert [r["account_id"] for r in night] == ["bibliotek-mastodon", "ks-mastodon"]
    for row in night:
        assert read_run_row(store, NIGHT_1, row["run_id"]) == row
    assert read_run_row(store, NIGHT_2, night[0]["run_id"]) is None
    assert read_run_row(store, NIGHT_1, "ks-mastodon_20261120T020000Z_0000") is None


# ------------------------------------------------------------------- the pointer columns


def test_a_pointer_goes_into_its_columns_and_comes_back() -> None:
    ref = RecordRef("warc/a.warc.gz", 1234, 567, "<urn:uuid:1>", "https://example.org/x", NOW, 404)
    columns = pointer_columns(ref)
    assert columns == {
        "warc_key": "warc/a.warc.gz",
        "warc_offset": 1234,
        "warc_length": 567,
        "warc_record_id": "<urn:uuid:1>",
    }
    assert (
        tuple(columns) == POINTER_COLUMNS == tuple(f.name for f in ITEMS_SCHEMA if f.name.startswith("warc_"))
    )
    pointer = pointer_of(columns)
    assert pointer == WarcPointer("warc/a.warc.gz", 1234, 567, "<urn:uuid:1>")
    assert RecordRef.at(pointer, target_uri=ref.target_uri, date=ref.date, status=404) == ref
    assert pointer_columns(None) == dict.fromkeys(POINTER_COLUMNS)
    assert pointer_of(pointer_columns(None)) is None and pointer_of({}) is None
    # A search hit carries the same columns, read back from JSON.
    assert pointer_of({**columns, "warc_offset": 1234.0}) == pointer


def test_every_pointer_the_capture_wrote_opens_its_record(registrar_archive: RegistrarArchive) -> None:
    store = registrar_archive.store
    opened = {"items": 0, "media": 0}
    for row in iter_rows(store, store_parts(store)):
        holders = [("items", row)] + [("media", m) for m in row["media"] or ()]
        for kind, columns in holders:
            pointer = pointer_of(columns)
            assert pointer is not None
            assert pointer_columns(pointer) == {c: columns[c] for c in POINTER_COLUMNS}
            record = open_record(store, pointer)
            assert (record.warc_type, record.record_id) == ("response", pointer.record_id)
            assert (record.offset, record.length) == (pointer.offset, pointer.length)
            opened[kind] += 1
    assert opened["items"] and opened["media"], "the archive holds items and an attachment"


def test_the_known_state_remembers_an_archived_file_by_its_pointer(
    registrar_archive: RegistrarArchive,
) -> None:
    store = registrar_archive.store
    state = KnownState(store, account_parts(store, "ks-mastodon"), high_water=None, last_ok_run=None)
    state.load_all()
    rows = [r for r in iter_rows(store, account_parts(store, "ks-mastodon")) if r["media"]]
    (media,) = {m["media_id"]: m for r in rows for m in r["media"]}.values()
    remembered = state.media[media["media_id"]]
    assert remembered.record is not None
    assert pointer_columns(remembered.record) == {c: media[c] for c in POINTER_COLUMNS}
    assert dataclasses.asdict(remembered.record)["status"] == 200
