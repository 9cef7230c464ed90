"""Reading back what the hostile nights stored: runs rows, items rows, WARC records, and secrets.

The secret hunt is deliberately independent of the archive's own decoder
(:mod:`archive_lib.content_coding`): it undoes gzip (every member, even one cut short), zlib
and raw deflate with :mod:`zlib` directly, layer upon layer, and looks for each token as sent,
percent-encoded and form-encoded in every layer it can reach.
"""

from __future__ import annotations

import io
import json
import os
import pathlib
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import pyarrow.parquet as pq
from warcio.archiveiterator import ArchiveIterator

from archive_lib.layout import RUNS
from archive_lib.metadata.parquet import read_parquet_bytes
from archive_lib.storage import FileStore

DECODE_LIMIT = 64 * 1024 * 1024  # per layer: a stored bomb must not blow the test up
_PIECE = 64 * 1024


def runs_rows(store: FileStore) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for key in store.list(f"{RUNS}/"):
        with store.open(key) as handle:
            rows.extend(read_parquet_bytes(handle.read()).to_pylist())
    return rows


@dataclass
class WarcRecord:
    """One stored WARC record: its headers, HTTP head and the payload exactly as stored."""

    path: pathlib.Path
    warc: dict[str, str]
    status: int | None
    http: list[tuple[str, str]]
    payload: bytes

    @property
    def type(self) -> str:
        return self.warc.get("WARC-Type", "")

    @property
    def target(self) -> str:
        return self.warc.get("WARC-Target-URI", "")

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.http if n.lower() == name.lower()), None)


def warc_records(root: pathlib.Path, account_id: str | None = None) -> list[WarcRecord]:
    """Every record of every WARC file under ``root`` (of one account, if given)."""
    pattern = f"warc/*/{account_id}/**/*.warc.gz" if account_id else "warc/**/*.warc.gz"
    return [record for path in sorted(root.glob(pattern)) for record in records_in(path)]


def records_in(path: pathlib.Path) -> list[WarcRecord]:
    """Every record of the WARC file ``path``, as stored."""
    out = []
    with path.open("rb") as handle:
        for record in ArchiveIterator(handle):
            http = record.http_headers
            status = (
                int(http.get_statuscode()) if http is not None and record.rec_type == "response" else None
            )
            headers = list(http.headers) if http is not None else []
            out.append(
                WarcRecord(path, dict(record.rec_headers.headers), status, headers, record.raw_stream.read())
            )
    return out


def responses(records: Iterable[WarcRecord], path_end: str) -> list[WarcRecord]:
    return [r for r in records if r.type == "response" and r.target.split("?")[0].endswith(path_end)]


# -- the secret hunt -----------------------------------------------------------------------------


def secret_forms(tokens: Iterable[str]) -> dict[bytes, str]:
    """Every spelling of every token to look for, and whose token it is."""
    forms: dict[bytes, str] = {}
    for token in tokens:
        for form in {token, quote(token, safe=""), quote(token), quote_plus(token)}:
            forms[form.encode()] = token
    return forms


def layers(data: bytes, depth: int = 3) -> Iterator[bytes]:
    """``data``, and whatever gzip, zlib or raw deflate make of it, layer upon layer."""
    yield data
    if depth == 0 or not data:
        return
    for decode in (_gunzip_all, _inflate_zlib, _inflate_raw):
        decoded = decode(data)
        if decoded:
            yield from layers(decoded, depth - 1)


def _stream(decoder: Any, data: bytes, budget: int) -> tuple[bytes, int]:
    """What ``decoder`` makes of ``data`` before it fails or the budget is spent."""
    out = []
    for start in range(0, len(data), _PIECE):
        try:
            chunk = decoder.decompress(data[start : start + _PIECE], budget)
        except zlib.error:
            break
        out.append(chunk)
        budget -= len(chunk)
        if budget <= 0 or decoder.eof or decoder.unconsumed_tail:
            break
    return b"".join(out), budget


def _gunzip_all(data: bytes) -> bytes:
    out, budget, rest = [], DECODE_LIMIT, data
    while rest[:2] == b"\x1f\x8b" and budget > 0:
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunk, budget = _stream(decoder, rest, budget)
        out.append(chunk)
        if not decoder.eof:
            break
        rest = decoder.unused_data
    return b"".join(out)


def _inflate_zlib(data: bytes) -> bytes:
    return _stream(zlib.decompressobj(zlib.MAX_WBITS), data, DECODE_LIMIT)[0]


def _inflate_raw(data: bytes) -> bytes:
    return _stream(zlib.decompressobj(-zlib.MAX_WBITS), data, DECODE_LIMIT)[0]


def find_secrets(data: bytes, forms: dict[bytes, str]) -> set[str]:
    """The tokens found in ``data`` or in any decoding of it."""
    found = set()
    for layer in layers(data):
        found |= {token for form, token in forms.items() if form in layer}
    return found


def leaks_in_file(path: pathlib.Path, forms: dict[bytes, str]) -> dict[str, set[str]]:
    """Where in the stored file ``path`` a token is, however it is encoded: {where: tokens}."""
    data = path.read_bytes()
    leaks: dict[str, set[str]] = {}

    def check(where: str, blob: bytes) -> None:
        found = find_secrets(blob, forms)
        if found:
            leaks.setdefault(where, set()).update(found)

    check(str(path), data)
    if path.name.endswith(".warc.gz"):
        for index, record in enumerate(records_in(path)):
            where = f"{path} record {index} {record.type} {record.target}"
            check(where, "\n".join(f"{n}: {v}" for n, v in [*record.warc.items(), *record.http]).encode())
            check(where, record.payload)
    if data[:4] == b"PAR1":
        table = pq.read_table(path)
        check(f"{path} (rows)", json.dumps(table.to_pylist(), default=str, ensure_ascii=False).encode())
        check(f"{path} (metadata)", repr(table.schema.metadata).encode())
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as package:
            for name in package.namelist():
                member = pathlib.Path(f"{path}!{name}")
                check(str(member), package.read(name))
                if name.endswith(".parquet"):
                    rows = pq.read_table(io.BytesIO(package.read(name))).to_pylist()
                    check(f"{member} (rows)", json.dumps(rows, default=str, ensure_ascii=False).encode())
    return leaks


def every_file(root: pathlib.Path) -> list[pathlib.Path]:
    """Every file under ``root``, hidden ones (the file store's sidecars) included."""
    return [pathlib.Path(d) / f for d, _, files in os.walk(root) for f in files]
