"""Fixity: has any stored byte changed, and does every object still carry its protection?

Every object a manifest lists is expected with its size and SHA-256; a manifest itself, an export
log entry and an audit report are compared with the store's own checksum (the file store's
sidecar, the S3 ``ChecksumSHA256``); see :mod:`.catalogue`. For each object verified:

* the SHA-256 and size are recomputed from the stored bytes;
* a WARC file is read record by record with warcio, checking every record's
  ``WARC-Block-Digest`` and ``WARC-Payload-Digest``, in the same pass;
* an items part is read, and every row's WARC pointer (and each attachment's) must land on the
  ``response`` record with that ``WARC-Record-ID`` and length;
* the store's protection: on S3 the Object Lock mode (COMPLIANCE), the retain-until date (or the
  legal hold of a permanent class) and the tags; in the file store the file is read-only and its
  sidecar agrees with the manifest.

Large archives are verified in a rotating sample: an object is verified on the nights when
``hash(unit) mod period_days == date.toordinal() mod period_days``, where the unit is the run
that wrote it (so a run's WARC files and the parts pointing into them are read together), so a
nightly audit re-hashes every object once per ``period_days``. Objects of the audited period's
last night, and objects no manifest accounts for, are always verified; ``full`` verifies all.
Listing is always complete: a missing object or one no manifest knows is found every night.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, BinaryIO

from archive_lib.audit.catalogue import Expected, catalogue
from archive_lib.audit.holdings import Holdings
from archive_lib.audit.protection import protection_findings
from archive_lib.audit.report import Problem
from archive_lib.errors import ObjectNotFoundError, StoreError
from archive_lib.language import N_
from archive_lib.metadata.parquet import parquet_rows
from archive_lib.metadata.schema import POINTER_COLUMNS, pointer_of
from archive_lib.models import WarcPointer
from archive_lib.storage.base import ObjectStore, VersionedStore
from archive_lib.warc.reader import WarcReadError, WarcRecord, iter_records, open_record

log = logging.getLogger(__name__)

DEFAULT_PERIOD_DAYS = 90
CHUNK = 1024 * 1024
MAX_POINTER_PROBLEMS = 5  # per items part; the rest are counted in the last one
ROW_COLUMNS = ("item_id", "version", *POINTER_COLUMNS, "media")  # what the pointer check reads


@dataclass
class Fixity:
    problems: list[Problem] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def in_slice(unit: str, day: dt.date, period_days: int) -> bool:
    """Whether ``unit`` is verified on ``day`` in a rotation of ``period_days`` days."""
    slot = int.from_bytes(hashlib.sha256(unit.encode()).digest()[:8], "big") % period_days
    return slot == day.toordinal() % period_days


def check_fixity(
    store: ObjectStore,
    holdings: Holdings,
    *,
    today: dt.date,
    last_night: dt.date,
    full: bool = False,
    period_days: int = DEFAULT_PERIOD_DAYS,
) -> Fixity:
    """Verify the objects due ``today`` (all with ``full``); see the module docstring."""
    entries, problems = catalogue(holdings)
    overwritten = _overwritten(store, entries, problems)
    entries = [replace(e, always=True) if e.key in overwritten else e for e in entries]
    checker = _Checker(store)
    checker.problems.extend(problems)
    verified = [
        e
        for e in entries
        if full or e.always or e.night == last_night or in_slice(e.unit, today, period_days)
    ]
    for exp in verified:
        checker.verify(exp)
    total_bytes = sum(e.size or 0 for e in entries)
    return Fixity(
        problems=checker.problems,
        summary={
            "mode": "full" if full else "sample",
            "period_days": period_days,
            "slice": today.toordinal() % period_days,
            "objects_total": len(entries),
            "objects_verified": len(verified),
            "bytes_in_manifests": total_bytes,
            "bytes_read": checker.bytes_read,
            "share_verified": round(len(verified) / len(entries), 4) if entries else 1.0,
            "warc_records_checked": checker.records,
            "pointers_checked": checker.pointers,
            "protection_checked": checker.stats,
        },
    )


def _overwritten(store: ObjectStore, entries: list[Expected], problems: list[Problem]) -> set[str]:
    """Keys holding more than one version: something was put over an archived object."""
    if not isinstance(store, VersionedStore):
        return set()
    counts = store.version_counts()
    found = set()
    for exp in entries:
        versions = counts.get(exp.key, 1)
        if versions > 1:
            found.add(exp.key)
            problems.append(
                Problem.said(
                    "object_overwritten",
                    N_(
                        "%(versions)s versions: bytes were put over the archived object (the archive "
                        "writes a key once; the original is kept as an older, locked version)"
                    ),
                    {"versions": versions},
                    account_id=exp.account_id,
                    run_date=exp.night,
                    key=exp.key,
                )
            )
    return found


class _Checker:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.problems: list[Problem] = []
        self.index: dict[str, dict[int, WarcRecord]] = {}
        self.ranges: dict[tuple[str, int, int], WarcRecord | str] = {}
        self.bytes_read = 0
        self.records = 0
        self.pointers = 0
        self.stats = 0

    def problem(self, kind: str, exp: Expected, detail: str) -> None:
        self.problems.append(
            Problem(kind, detail, account_id=exp.account_id, run_date=exp.night, key=exp.key)
        )

    def verify(self, exp: Expected) -> None:
        try:
            stored = self.store.stat(exp.key)
        except ObjectNotFoundError:
            self.problem("object_missing", exp, f"{exp.key} disappeared from the store during the audit")
            return
        except StoreError as exc:
            self.problem("object_missing", exp, f"cannot read the store's record of {exp.key}: {exc}")
            return
        self.stats += 1
        for kind, detail in protection_findings(self.store, exp, stored):
            self.problem(kind, exp, detail)
        try:
            with self.store.open(exp.key) as handle:
                reader = _HashingReader(handle)
                data = None
                if exp.kind == "warc":
                    self._warc(exp, reader)
                else:
                    data = reader.read()
                reader.drain()
        except StoreError as exc:
            self.problem("object_missing", exp, f"cannot read {exp.key}: {exc}")
            return
        self.bytes_read += reader.size
        digest = reader.hexdigest()
        if exp.size is not None and reader.size != exp.size:
            self.problem("size_mismatch", exp, f"{reader.size} bytes stored, the manifest says {exp.size}")
        wanted = exp.sha256 or stored.sha256
        if digest != wanted:
            source = "the manifest" if exp.sha256 else "the store's own checksum"
            self.problem("checksum_mismatch", exp, f"SHA-256 is {digest}, {source} says {wanted}")
        if data is not None and exp.kind in ("items", "runs"):
            self._parquet(exp, data)

    # -- contents ----------------------------------------------------------------------------

    def _warc(self, exp: Expected, reader: _HashingReader) -> None:
        index: dict[int, WarcRecord] = {}
        self.index[exp.key] = index
        try:
            for record in iter_records(reader, check_digests=True):
                index[record.offset] = record
                self.records += 1
                if record.digest_passed is False or record.digest_problems:
                    self.problem(
                        "warc_digest_mismatch",
                        exp,
                        f"record {record.record_id} at offset {record.offset}: "
                        f"{'; '.join(record.digest_problems)}",
                    )
                elif not record.block_digest:
                    self.problem(
                        "warc_digest_mismatch", exp, f"record {record.record_id} has no WARC-Block-Digest"
                    )
        except Exception as exc:  # warcio and zlib raise many types for a damaged file
            self.problem(
                "warc_unreadable",
                exp,
                f"reading stopped after {len(index)} records: {type(exc).__name__}: {_printable(exc)}",
            )

    def _parquet(self, exp: Expected, data: bytes) -> None:
        items = exp.kind == "items"
        try:  # read as its readers read it: a runs part whole, an items part in the columns checked
            rows = parquet_rows(data, ROW_COLUMNS if items else None)
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError ... for a damaged file
            self.problem("parquet_unreadable", exp, f"{type(exc).__name__}: {exc}")
            return
        if not items:
            return
        failures: list[str] = []
        for row in rows:
            for where, pointer in _pointers(row):
                self.pointers += 1
                found = self._resolve(pointer)
                if found is not None:
                    failures.append(f"{where}: {pointer.warc_key}@{pointer.offset}+{pointer.length} {found}")
        for failure in failures[:MAX_POINTER_PROBLEMS]:
            self.problem("pointer_unresolved", exp, failure)
        if len(failures) > MAX_POINTER_PROBLEMS:
            self.problem(
                "pointer_unresolved", exp, f"and {len(failures) - MAX_POINTER_PROBLEMS} more rows like these"
            )

    def _resolve(self, pointer: WarcPointer) -> str | None:
        """``None`` when the pointer lands on its record, else what it found."""
        index = self.index.get(pointer.warc_key)
        found: WarcRecord | str | None
        if index is not None:
            found = index.get(pointer.offset) or "is not the start of a record"
        else:
            span = (pointer.warc_key, pointer.offset, pointer.length)
            cached = self.ranges.get(span)
            found = cached if cached is not None else self._read_record(pointer)
            self.ranges[span] = found
        if isinstance(found, str):
            return found
        if found.record_id != pointer.record_id:
            return f"holds record {found.record_id}, not {pointer.record_id}"
        if found.length != pointer.length:
            return f"holds a record of {found.length} bytes, not {pointer.length}"
        if found.warc_type != "response":
            return f"holds a {found.warc_type} record, not a response"
        return None

    def _read_record(self, pointer: WarcPointer) -> WarcRecord | str:
        try:
            return open_record(self.store, pointer)
        except ObjectNotFoundError:
            return "is in no stored WARC file"
        except StoreError as exc:
            return f"cannot be read: {exc}"
        except WarcReadError as exc:
            return exc.reason


def _pointers(row: dict[str, Any]) -> Iterator[tuple[str, WarcPointer]]:
    where = f"item {row.get('item_id')} version {row.get('version')}"
    pointer = pointer_of(row)
    if pointer is not None:
        yield where, pointer
    for media in row.get("media") or []:
        pointer = pointer_of(media)
        if pointer is not None:
            yield f"{where} media {media.get('media_id')}", pointer


class _HashingReader(io.RawIOBase):
    """A stream that hashes and counts what is read through it (warcio asks ``tell()``)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        view[: len(data)] = data
        self._digest.update(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _printable(exc: Exception, limit: int = 160) -> str:
    """An exception's message without the damaged bytes some parsers quote in it."""
    message = str(exc).split(", first line:", 1)[0]  # warcio quotes the damaged line
    text = "".join(c if c.isprintable() and ord(c) < 0x7F else "?" for c in message)
    return text if len(text) <= limit else text[: limit - 3] + "..."
