"""Tests of the WARC reader (archive_lib.warc.reader) on files the real writer made.

Exchanges are fetched from the fake Mastodon server by the real HttpClient (gzip + chunked and
plain), written by a WarcRecorder into a FileStore under tmp_path or into a moto S3 bucket over
loopback, and read back through the reader: every record of a file in one pass, one record by
its pointer, a record's stored bytes, the file's warcinfo. Damaged files and pointers that do
not land on one record are made here by changing stored bytes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import itertools
import pathlib
import tracemalloc
from dataclasses import dataclass
from typing import Any

import pytest
from warcio.exceptions import ArchiveLoadFailed

from archive_lib import PRODUCT, __version__
from archive_lib.clock import IdFactory
from archive_lib.connectors.http import HttpClient
from archive_lib.errors import ArchiveError, ObjectNotFoundError
from archive_lib.layout import warc_key
from archive_lib.models import RecordRef, WarcPointer
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore
from archive_lib.storage.file import FileStore
from archive_lib.storage.s3 import S3Store
from archive_lib.warc.reader import (
    WarcReadError,
    iter_records,
    open_record,
    record_bytes,
    warcinfo_bytes,
)
from archive_lib.warc.redact import Redactor
from archive_lib.warc.writer import WarcRecorder
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_png import make_png
from tests.helpers import FakeClock, gzip_members

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
RUN_ID = "ks-mastodon_20260302T020000Z_ab12"
TOKEN = "ks-mastodon-token-5f3a9c0e71d2"
PICTURE = make_png(16, 12, (10, 120, 200))
KEY = warc_key("mastodon", "ks-mastodon", dt.date(2026, 3, 2), RUN_ID, 1)


@dataclass
class Written:
    """A WARC file the writer stored: where, its bytes, and the pointers the writer returned."""

    store: ObjectStore
    key: str
    data: bytes
    refs: list[RecordRef]


def write_night(fake: FakeMastodon, store: ObjectStore) -> Written:
    """Record a little night (gzip + chunked answers, plain ones, a 404, a picture) into ``store``."""
    fake.set_time(NOW)
    fake.add_token(TOKEN)
    town = fake.add_account("kristianstad", "Kristianstads kommun")
    post = fake.post(
        town,
        fake.html("Badhuset öppnar igen!"),
        media=[("badhuset.png", PICTURE, "image/png", "Badhuset")],
        at=NOW - dt.timedelta(hours=3),
    )
    recorder = WarcRecorder(
        store,
        key_for=lambda n: warc_key("mastodon", "ks-mastodon", dt.date(2026, 3, 2), RUN_ID, n),
        warcinfo={"software": f"{PRODUCT}/{__version__} (warcio)", "run-id": RUN_ID},
        retention=ObjectRetention("bevaras", None),
        tags={"account-id": "ks-mastodon", "kind": "warc"},
        redactor=Redactor([TOKEN]),
        ids=IdFactory(),
        now=fake.clock.now,
    )
    client = HttpClient(recorder.record, clock=FakeClock(fake), token=TOKEN, token_origin=fake.base_url)
    responses = [
        client.get(f"{fake.base_url}/api/v1/accounts/{town['id']}/statuses"),
        client.get(f"{fake.base_url}/api/v1/statuses/1"),
    ]
    fake.gzip = fake.chunked = False
    responses += [
        client.get(f"{fake.base_url}/api/v1/statuses/{post['id']}"),
        client.get(post["media_attachments"][0]["url"], accept="*/*"),
    ]
    assert [r.status for r in responses] == [200, 404, 200, 200]
    stored = recorder.flush()
    assert stored is not None and stored.key == KEY
    with store.open(KEY) as handle:
        data = handle.read()
    return Written(store, KEY, data, [r.record for r in responses])


@pytest.fixture
def written(fake_mastodon: FakeMastodon, tmp_path: pathlib.Path) -> Written:
    return write_night(fake_mastodon, FileStore(tmp_path.as_uri()))


def pointer(ref: WarcPointer, **changes: Any) -> WarcPointer:
    return dataclasses.replace(WarcPointer(ref.warc_key, ref.offset, ref.length, ref.record_id), **changes)


# ------------------------------------------------------------------- a whole file


def test_every_record_of_a_file_in_order_with_where_it_lies(written: Written) -> None:
    records = list(iter_records(io.BytesIO(written.data), check_digests=True))
    assert [r.warc_type for r in records] == ["warcinfo"] + ["response", "request"] * len(written.refs)
    members = gzip_members(written.data)
    assert len(members) == len(records), "one gzip member a record"
    assert records[0].offset == 0
    for before, after in itertools.pairwise(records):
        assert after.offset == before.offset + before.length, "records follow each other without a gap"
    assert records[-1].offset + records[-1].length == len(written.data)
    responses = [r for r in records if r.warc_type == "response"]
    for record, ref in zip(responses, written.refs, strict=True):
        assert (record.offset, record.length, record.record_id) == (ref.offset, ref.length, ref.record_id)
    for record in records:
        assert record.digest_passed is True and record.digest_problems == ()
        assert record.block_digest is not None and record.block_digest.startswith("sha256:")


def test_digests_are_checked_only_when_asked(written: Written) -> None:
    records = list(iter_records(io.BytesIO(written.data)))
    assert records and all(r.digest_passed is None for r in records)


def test_a_record_whose_bytes_changed_fails_its_digest_check(written: Written) -> None:
    picture = written.refs[-1]
    member = written.data[picture.offset : picture.offset + picture.length]
    plain = gzip.decompress(member)
    at = plain.index(PICTURE) + len(PICTURE) // 2
    damaged = plain[:at] + bytes([plain[at] ^ 0xFF]) + plain[at + 1 :]
    end = picture.offset + picture.length
    data = written.data[: picture.offset] + gzip.compress(damaged) + written.data[end:]
    records = list(iter_records(io.BytesIO(data), check_digests=True))
    failed = [r for r in records if r.digest_passed is False]
    assert [r.record_id for r in failed] == [picture.record_id]
    assert any("block digest failed" in p for p in failed[0].digest_problems)
    assert all(r.digest_passed is True for r in records if r.record_id != picture.record_id)


def test_a_damaged_record_stops_the_reading_after_the_records_before_it(written: Written) -> None:
    last = written.refs[-1]
    data = bytearray(written.data)
    data[last.offset + last.length // 2] ^= 0xFF  # inside the compressed bytes of the picture's response
    seen = []
    with pytest.raises(ArchiveLoadFailed):
        for record in iter_records(io.BytesIO(bytes(data)), check_digests=True):
            seen.append(record)
    assert seen[-1].offset + seen[-1].length == last.offset
    assert [r.record_id for r in seen[1::2]] == [ref.record_id for ref in written.refs[:-1]]


def test_a_file_cut_inside_a_record_ends_before_it(written: Written) -> None:
    # warcio ends quietly at a member cut short: the audit sees the cut in the file's size and hash.
    last = written.refs[-1]
    cut = written.data[: last.offset + last.length // 2]
    seen = list(iter_records(io.BytesIO(cut), check_digests=True))
    assert seen[-1].offset + seen[-1].length == last.offset
    assert all(r.digest_passed is True for r in seen)


# ------------------------------------------------------------------- one record by its pointer


def test_each_pointer_opens_exactly_its_response(written: Written) -> None:
    for ref in written.refs:
        record = open_record(written.store, ref)
        assert record.warc_type == "response"
        assert (record.offset, record.length, record.record_id) == (ref.offset, ref.length, ref.record_id)


def test_a_pointers_stored_bytes_are_one_gzip_member_copied_as_stored(written: Written) -> None:
    for ref in written.refs:
        data = record_bytes(written.store, ref)
        assert data == written.data[ref.offset : ref.offset + ref.length]
        assert len(gzip_members(data)) == 1
        (record,) = iter_records(io.BytesIO(data), check_digests=True)
        assert record.record_id == ref.record_id and record.digest_passed is True


def test_a_pointer_that_does_not_start_a_record_is_refused(written: Written) -> None:
    ref = written.refs[0]
    off = pointer(ref, offset=ref.offset + 1)
    with pytest.raises(WarcReadError) as opened:
        open_record(written.store, off)
    assert opened.value.reason.startswith("is not a WARC record (")
    assert opened.value.pointer == off and str(opened.value).startswith(f"{KEY}@{ref.offset + 1}: ")
    with pytest.raises(WarcReadError) as copied:
        record_bytes(written.store, off)
    assert copied.value.reason.startswith("not a gzip member (")


def test_a_pointer_over_two_records_is_refused(written: Written) -> None:
    ref = written.refs[0]
    request = next(r for r in iter_records(io.BytesIO(written.data)) if r.offset == ref.offset + ref.length)
    both = pointer(ref, length=ref.length + request.length)
    with pytest.raises(WarcReadError, match="holds 2 records, not one") as opened:
        open_record(written.store, both)
    assert isinstance(opened.value, ArchiveError)
    with pytest.raises(WarcReadError, match="the pointer does not cover exactly one gzip member"):
        record_bytes(written.store, both)


def test_a_pointer_cut_short_is_refused(written: Written) -> None:
    short = pointer(written.refs[0], length=written.refs[0].length - 10)
    with pytest.raises(WarcReadError, match="the pointer does not cover exactly one gzip member"):
        record_bytes(written.store, short)


def test_a_pointer_into_a_missing_file_raises_the_stores_error(written: Written) -> None:
    with pytest.raises(ObjectNotFoundError):
        open_record(written.store, pointer(written.refs[0], warc_key=KEY.replace("-00001", "-00002")))


# ------------------------------------------------------------------- the warcinfo record


def test_the_warcinfo_is_the_files_first_member(written: Written) -> None:
    info = warcinfo_bytes(written.store, KEY, len(written.data))
    assert info == written.data[: len(info)] and len(gzip_members(info)) == 1
    (record,) = iter_records(io.BytesIO(info), check_digests=True)
    assert record.warc_type == "warcinfo" and record.digest_passed is True
    assert len(info) == written.refs[0].offset


def test_a_large_warcinfo_is_read_in_growing_ranges(tmp_path: pathlib.Path) -> None:
    store = FileStore(tmp_path.as_uri())
    noise = b"".join(hashlib.sha256(n.to_bytes(4, "big")).digest() for n in range(1500))
    first = gzip.compress(noise, mtime=0)  # incompressible: over 16 KiB as stored
    data = first + gzip.compress(b"WARC/1.1\r\n", mtime=0)
    store.put("warc/big.warc.gz", data, retention=ObjectRetention("bevaras", None), tags={})
    ranges: list[tuple[int, int]] = []

    class Watching:
        def read_range(self, key: str, offset: int, length: int) -> bytes:
            ranges.append((offset, length))
            return store.read_range(key, offset, length)

    assert 16 * 1024 < len(first) < len(data) < 64 * 1024
    assert warcinfo_bytes(Watching(), "warc/big.warc.gz", len(data)) == first
    assert ranges == [(0, 16 * 1024), (0, len(data))]


def test_a_file_cut_inside_its_first_record_is_refused(written: Written, tmp_path: pathlib.Path) -> None:
    info = warcinfo_bytes(written.store, KEY, len(written.data))
    store = FileStore((tmp_path / "cut").as_uri())
    store.put("warc/cut.warc.gz", info[:-5], retention=ObjectRetention("bevaras", None), tags={})
    with pytest.raises(ArchiveError, match="the first record is not a whole gzip member"):
        warcinfo_bytes(store, "warc/cut.warc.gz", len(info) - 5)


# ------------------------------------------------------------------- S3


def test_pointers_open_their_records_in_s3(fake_mastodon: FakeMastodon, locked_bucket: str) -> None:
    store = S3Store(f"s3://{locked_bucket}/archive/v1", clock=lambda: NOW)
    written = write_night(fake_mastodon, store)
    for ref in written.refs:
        record = open_record(store, ref)
        assert (record.warc_type, record.record_id, record.length) == ("response", ref.record_id, ref.length)
        assert record_bytes(store, ref) == written.data[ref.offset : ref.offset + ref.length]
    info = warcinfo_bytes(store, KEY, store.stat(KEY).size)
    assert [r.warc_type for r in iter_records(io.BytesIO(info))] == ["warcinfo"]
    with store.open(KEY) as stream:
        streamed = [r.record_id for r in iter_records(stream, check_digests=True)]
    assert streamed[1::2] == [ref.record_id for ref in written.refs]


class _Bytes:
    """A range source over one object held in memory."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        return self.data[offset : offset + length]


def test_a_large_record_is_copied_without_inflating_it_whole() -> None:
    content = b"\x00" * (64 * 1024 * 1024)
    member = gzip.compress(content)
    del content
    source = _Bytes(member + gzip.compress(b"the next record"))
    pointer = WarcPointer("x.warc.gz", 0, len(member), "<urn:uuid:1>")
    tracemalloc.start()
    try:
        copied = record_bytes(source, pointer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert copied == member
    assert peak < 8 * 1024 * 1024  # the 64 MiB it inflates to is never held at once
    with pytest.raises(WarcReadError, match="exactly one gzip member"):
        record_bytes(source, dataclasses.replace(pointer, length=len(member) + 3))
