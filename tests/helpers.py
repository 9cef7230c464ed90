"""Small helpers shared by the tests: inventories, clocks, reading back a store."""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

from tests.fakes.mastodon import FakeMastodon

# How long a test waits for an event that normally comes within milliseconds (a server answering,
# a held request arriving, a thread ending). Only a broken test or product ever waits this long,
# so it is generous enough for a machine busy with other work: it is a safety net, never the
# synchronisation itself.
EVENT_TIMEOUT = 60.0
# How long a test waits for a child process (archivectl, warcio) that normally takes seconds: on
# a 2-core machine busy with other test suites they have been seen to take minutes.
PROCESS_TIMEOUT = 600.0

#: The disposal decision (gallringsbeslut) of the test inventories' class "gallras-efter-2-ar".
DECISION = "KS 2026/123"

DEFAULT_ACCOUNT: dict[str, Any] = {
    "board": "Kommunstyrelsen",
    "platform": "mastodon",
    "responsible": "Anna Andersson",
    "substitute": "Bo Berg",
    "retention": "bevaras",
}


def inventory_text(api_base: str, accounts: Sequence[Mapping[str, Any]], **top: Any) -> str:
    """Inventory YAML for ``accounts`` (each needs at least ``id`` and ``handle``) on one instance."""
    document = {
        "organisation": "Kristianstads kommun",
        "retention_classes": {
            "bevaras": {"keep": "permanent"},
            "gallras-efter-2-ar": {"keep_years": 2, "decision": DECISION},
        },
        "accounts": [{**DEFAULT_ACCOUNT, "api_base": api_base, **account} for account in accounts],
        **top,
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def write_inventory(
    folder: pathlib.Path, api_base: str, accounts: Sequence[Mapping[str, Any]], **top: Any
) -> pathlib.Path:
    path = folder / "inventory.yaml"
    path.write_text(inventory_text(api_base, accounts, **top), encoding="utf-8")
    return path


def archivectl(*args: str) -> list[str]:
    """The command line of ``archivectl`` with ``args``, run by this Python."""
    return [sys.executable, "-m", "archive_lib.cli", *args]


def capture_command(inventory: pathlib.Path, store: str, *extra: str, night: str = "2026-11-20") -> list[str]:
    """``archivectl capture`` of one night into ``store``."""
    return archivectl("capture", "--inventory", str(inventory), "--store", store, "--run-date", night, *extra)


def audit_command(inventory: pathlib.Path, store: str, *extra: str, night: str = "2026-11-20") -> list[str]:
    """``archivectl audit`` of one night of ``store`` (JSON on standard output)."""
    return archivectl(
        "audit", "--store", store, "--inventory", str(inventory), "--since", night, "--until", night, *extra
    )


class FakeClock:
    """The fake platform's clock as the archive's clock: waiting advances it, nothing sleeps.

    ``skew`` puts the archive's clock that far from the platform's, to test skew handling.
    """

    def __init__(self, fake: FakeMastodon, skew: dt.timedelta = dt.timedelta(0)) -> None:
        self.fake = fake
        self.skew = skew
        self.waits: list[float] = []
        self.on_sleep: list[Callable[[], None]] = []

    def now(self) -> dt.datetime:
        return self.fake.clock.now() + self.skew

    def sleep(self, seconds: float) -> None:
        """Note the wait, run the ``on_sleep`` hooks (a test's sync points), advance the fake."""
        self.waits.append(seconds)
        for hook in self.on_sleep:
            hook()
        self.fake.sleep(seconds)


def gzip_members(data: bytes) -> list[bytes]:
    """Every gzip member of ``data``, decompressed (a WARC file is one member per record)."""
    out, rest = [], data
    while rest:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out.append(decoder.decompress(rest))
        assert decoder.eof, "a gzip member was cut short"
        rest = decoder.unused_data
    return out


def all_bytes(path: pathlib.Path) -> bytes:
    """A stored file's bytes, plus, for gzip files, every member decompressed."""
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        return data + b"".join(gzip_members(data))
    return data


def read_items(store: Any) -> list[dict[str, Any]]:
    """Every item version row in ``store``, read part by part through the store interface."""
    from archive_lib.layout import ITEMS
    from archive_lib.metadata.parquet import read_parquet_bytes

    rows: list[dict[str, Any]] = []
    for key in store.list(f"{ITEMS}/"):
        with store.open(key) as handle:
            rows.extend(read_parquet_bytes(handle.read()).to_pylist())
    return rows


def latest_versions(rows: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The newest version row of each item."""
    out: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if row["item_id"] not in out or row["version"] > out[row["item_id"]]["version"]:
            out[row["item_id"]] = row
    return out


def open_record(store: Any, key: str, offset: int, length: int) -> Any:
    """The WARC record at (key, offset, length), parsed by warcio, with its content read."""
    import io

    from warcio.archiveiterator import ArchiveIterator

    data = store.read_range(key, offset, length)
    records = list(_read_records(ArchiveIterator(io.BytesIO(data))))
    assert len(records) == 1, f"{key}@{offset}+{length} holds {len(records)} records, not one"
    return records[0]


class ParsedRecord:
    def __init__(self, headers: Any, http_headers: Any, payload: bytes) -> None:
        self.rec_headers = headers
        self.http_headers = http_headers
        self.payload = payload

    @property
    def status(self) -> int:
        return int(self.http_headers.get_statuscode())


def _read_records(iterator: Any) -> Any:
    for record in iterator:
        payload = record.content_stream().read()
        yield ParsedRecord(record.rec_headers, record.http_headers, payload)


def assert_pointers_resolve(store: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """Every row's WARC pointer opens the response record that holds the item (or its 404)."""
    import hashlib
    import urllib.parse

    for row in rows:
        record = open_record(store, row["warc_key"], row["warc_offset"], row["warc_length"])
        assert record.rec_headers.get_header("WARC-Type") == "response"
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == row["source_url"]
        if row["event"] == "deleted":
            assert record.status in (404, 410), row
        else:
            assert record.status == 200
            # A status's edit history names the status in its URL, not in its body.
            history = row["source_url"].endswith("/history")
            where = record.payload if not history else urllib.parse.unquote(row["source_url"]).encode()
            assert row["item_id"].encode() in where, (row["item_id"], row["source_url"])
        for media in row["media"] or []:
            if media["warc_key"] is None:
                continue
            file_record = open_record(store, media["warc_key"], media["warc_offset"], media["warc_length"])
            assert file_record.rec_headers.get_header("WARC-Record-ID") == media["warc_record_id"]
            if media["http_status"] == 200:
                assert hashlib.sha256(file_record.payload).hexdigest() == media["sha256"]


def assert_warc_files_valid(root: pathlib.Path) -> int:
    """Every WARC file under ``root`` passes warcio's digest checks; returns how many records."""
    from warcio.archiveiterator import ArchiveIterator

    checked = 0
    files = sorted(root.rglob("*.warc.gz"))
    assert files, "no WARC files"
    for path in files:
        with path.open("rb") as handle:
            iterator = ArchiveIterator(handle, check_digests=True)
            for index, record in enumerate(iterator):
                record.content_stream().read()
                assert record.rec_headers.get_header("WARC-Block-Digest", "").startswith("sha256:")
                assert record.rec_headers.get_header("WARC-Payload-Digest", "").startswith("sha256:")
                assert record.digest_checker.passed is True, (path, index, record.digest_checker.problems)
                if index == 0:
                    assert record.rec_headers.get_header("WARC-Type") == "warcinfo"
                checked += 1
    return checked
