"""Fixity in one streaming pass: the same findings as warcio's record-by-record reading, in this
process or spread over worker processes.

The WARC files are real captures from the fake Mastodon server; damage is made by changing their
bytes (a flipped byte, a cut, a changed record inside a well-formed gzip member).
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import pathlib
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive_lib.audit.fixity import check_fixity
from archive_lib.audit.holdings import scan
from archive_lib.capture.account import capture_account
from archive_lib.inventory import load_inventory
from archive_lib.storage import FileStore
from archive_lib.warc.reader import iter_records
from archive_lib.warc.verify import HashingReader, WarcCheck, check_warc, printable, verify_warc
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_sample import BIBLIOTEK, KOMMUN, populate_demo
from tests.helpers import FakeClock, write_inventory

NIGHT = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FileStore]:
    folder = tmp_path_factory.mktemp("fixity-stream")
    with FakeMastodon(now=dt.datetime(2026, 11, 20, 0, 30, tzinfo=dt.UTC)) as fake:
        populate_demo(fake)
        accounts = [{"id": "ks-mastodon", "handle": KOMMUN}, {"id": "ks-bibliotek", "handle": BIBLIOTEK}]
        inventory = load_inventory(write_inventory(folder, fake.base_url, accounts))
        store = FileStore((folder / "archive").as_uri())
        for account in inventory.accounts:
            assert capture_account(account, store, NIGHT, clock=FakeClock(fake)).status == "ok"
    yield store


def _warc_files(store: FileStore) -> list[str]:
    return sorted(k for k in store.list("warc/") if k.endswith(".warc.gz"))


def _warcio_only(data: bytes) -> WarcCheck:
    """What the audit found before the streaming pass: warcio record by record, the whole file hashed."""
    reader = HashingReader(io.BytesIO(data))
    records = []
    stopped = None
    try:
        records.extend(iter_records(reader, check_digests=True))
    except Exception as exc:
        stopped = f"{type(exc).__name__}: {printable(exc)}"
    reader.drain()
    return WarcCheck(reader.size, reader.hexdigest(), tuple(records), stopped)


def _members(data: bytes) -> list[bytes]:
    members = []
    while data:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        decoder.decompress(data)
        end = len(data) - len(decoder.unused_data)
        members.append(data[:end])
        data = data[end:]
    return members


def test_the_archives_own_files_are_verified_in_one_pass(archive: FileStore) -> None:
    for key in _warc_files(archive):
        data = (archive.root / key).read_bytes()
        fast = verify_warc(io.BytesIO(data))
        assert fast is not None, key  # the archive's own files never need warcio's second reading
        reference = _warcio_only(data)
        assert fast.records == reference.records
        assert (fast.size, fast.sha256) == (reference.size, reference.sha256)


@settings(max_examples=60)
@given(st.data())
def test_damaged_files_give_warcios_findings(archive: FileStore, data: st.DataObject) -> None:
    original = (archive.root / _warc_files(archive)[0]).read_bytes()
    how = data.draw(st.sampled_from(["flip", "cut", "record"]))
    if how == "flip":
        at = data.draw(st.integers(0, len(original) - 1))
        damaged = original[:at] + bytes([original[at] ^ data.draw(st.integers(1, 255))]) + original[at + 1 :]
    elif how == "cut":
        damaged = original[: data.draw(st.integers(0, len(original) - 1))]
    else:  # a changed byte inside one record, its gzip member still well-formed
        members = _members(original)
        n = data.draw(st.integers(0, len(members) - 1))
        content = bytearray(gzip.decompress(members[n]))
        at = data.draw(st.integers(0, len(content) - 1))
        content[at] ^= data.draw(st.integers(1, 255))
        members[n] = gzip.compress(bytes(content))
        damaged = b"".join(members)
    assert check_warc(lambda: io.BytesIO(damaged)) == _warcio_only(damaged)


def test_the_pool_finds_what_one_process_finds(archive: FileStore, tmp_path: pathlib.Path) -> None:
    store = FileStore((tmp_path / "copy").as_uri())
    for key in archive.list(""):
        stat = archive.stat(key)
        assert stat.retention is not None
        store.put(key, (archive.root / key).read_bytes(), retention=stat.retention, tags=dict(stat.tags))
    first, second = _warc_files(store)[:2]
    path = store.local_path(first)
    path.chmod(0o644)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x55
    path.write_bytes(bytes(raw))
    members = _members(store.local_path(second).read_bytes())
    content = bytearray(gzip.decompress(members[-1]))
    content[-10] ^= 0x01
    members[-1] = gzip.compress(bytes(content))
    store.local_path(second).chmod(0o644)
    store.local_path(second).write_bytes(b"".join(members))
    holdings = scan(store, NIGHT, NIGHT)
    alone = check_fixity(store, holdings, today=NIGHT, last_night=NIGHT, full=True, workers=1)
    pooled = check_fixity(
        store, holdings, today=NIGHT, last_night=NIGHT, full=True, workers=2, pool_min_bytes=0
    )
    assert [p.to_json() for p in pooled.problems] == [p.to_json() for p in alone.problems]
    assert pooled.summary == alone.summary
    kinds = {p.kind for p in alone.problems}
    assert {"checksum_mismatch", "warc_digest_mismatch"} <= kinds
    assert kinds & {"warc_unreadable", "warc_digest_mismatch"}
    assert pooled.summary["warc_records_checked"] > 0
