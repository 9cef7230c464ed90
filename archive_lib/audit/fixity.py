"""Fixity: has any stored byte changed, and does every object still carry its protection?

Every object a manifest lists is expected with its size and SHA-256; a manifest itself, an export
log entry and an audit report are compared with the store's own checksum (the file store's
sidecar, the S3 ``ChecksumSHA256``); see :mod:`.catalogue`. For each object verified:

* the SHA-256 and size are recomputed from the stored bytes;
* a WARC file is read once, streaming, checking every record's ``WARC-Block-Digest`` and
  ``WARC-Payload-Digest`` in the same pass (:mod:`archive_lib.warc.verify`; a file whose
  digests do not all hold is read again by warcio, whose words the findings quote). In the file
  store the WARC files are spread over a bounded pool of processes (``workers``) when there are
  enough bytes to pay for starting them;
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
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from archive_lib.audit.catalogue import Expected, catalogue
from archive_lib.audit.holdings import Holdings
from archive_lib.audit.protection import protection_findings
from archive_lib.audit.report import Problem
from archive_lib.errors import ObjectNotFoundError, StoreError
from archive_lib.language import N_
from archive_lib.metadata.parquet import parquet_rows, read_parquet_bytes
from archive_lib.metadata.schema import POINTER_COLUMNS, pointer_of
from archive_lib.models import WarcPointer
from archive_lib.storage.base import ObjectStore, VersionedStore
from archive_lib.storage.file import FileStore
from archive_lib.warc.reader import WarcReadError, WarcRecord, open_record
from archive_lib.warc.verify import HashingReader, WarcCheck, check_warc, receive, send

log = logging.getLogger(__name__)

DEFAULT_PERIOD_DAYS = 90
CHUNK = 1024 * 1024
MAX_WORKERS = 4
#: Below this many bytes of WARC files to verify, starting worker processes costs more than it
#: saves (a worker verifies the archive's own files at some 50 MiB/s of one core).
POOL_MIN_BYTES = 64 * 1024 * 1024
WORKER_EXIT_SECONDS = 60
MAX_POINTER_PROBLEMS = 5  # per items part; the rest are counted in the last one
#: What an item version may point at: the response that delivered it, or what a platform pushed
#: (a webhook delivery is a ``request`` record, a stream message a ``resource``: push runs).
ITEM_RECORD_TYPES = frozenset({"response", "request", "resource"})
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
    workers: int | None = None,
    pool_min_bytes: int = POOL_MIN_BYTES,
) -> Fixity:
    """Verify the objects due ``today`` (all with ``full``); see the module docstring.

    ``workers`` bounds the processes that verify WARC files (default: the CPUs, at most
    :data:`MAX_WORKERS`); 1 verifies everything in this process.
    """
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
    with _WarcPool(store, verified, workers, pool_min_bytes) as pool:
        checker.checks = pool.checks
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
        self.checks: Iterator[tuple[str, WarcCheck | None]] = iter(())

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
            if exp.kind == "warc":
                found = self._warc(exp)
                size, digest, data = found.size, found.sha256, None
            else:
                with self.store.open(exp.key) as handle:
                    reader = HashingReader(handle)
                    data = reader.read()
                    reader.drain()
                size, digest = reader.size, reader.hexdigest()
        except StoreError as exc:
            self.problem("object_missing", exp, f"cannot read {exp.key}: {exc}")
            return
        self.bytes_read += size
        if exp.size is not None and size != exp.size:
            self.problem("size_mismatch", exp, f"{size} bytes stored, the manifest says {exp.size}")
        wanted = exp.sha256 or stored.sha256
        if digest != wanted:
            source = "the manifest" if exp.sha256 else "the store's own checksum"
            self.problem("checksum_mismatch", exp, f"SHA-256 is {digest}, {source} says {wanted}")
        if data is not None and exp.kind in ("items", "runs"):
            self._parquet(exp, data)

    # -- contents ----------------------------------------------------------------------------

    def _warc(self, exp: Expected) -> WarcCheck:
        """Every record of the WARC file and what its digests said, from the pool when it read
        the file, else read here; the findings recorded as the records come. Raises the store's
        errors (what was read before them stays recorded)."""
        index: dict[int, WarcRecord] = {}
        self.index[exp.key] = index

        def take(record: WarcRecord) -> None:
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

        found = None
        for key, check in self.checks:  # the pool answers in the order of the WARC files verified
            if key == exp.key:
                found = check
                break
        if found is None:
            found = check_warc(lambda: self.store.open(exp.key), take)
        else:
            for record in found.records:
                take(record)
        if found.stopped is not None:
            self.problem(
                "warc_unreadable", exp, f"reading stopped after {len(found.records)} records: {found.stopped}"
            )
        return found

    def _parquet(self, exp: Expected, data: bytes) -> None:
        if exp.kind != "items":
            try:  # read as its readers read it: a runs part whole
                parquet_rows(data)
            except Exception as exc:  # pyarrow raises ArrowInvalid, OSError ... for a damaged file
                self.problem("parquet_unreadable", exp, f"{type(exc).__name__}: {exc}")
            return
        try:  # an items part in the columns checked, column by column (rows as dicts cost more)
            table = read_parquet_bytes(data, ROW_COLUMNS)
            columns = {name: table.column(name).to_pylist() for name in table.column_names}
        except Exception as exc:  # pyarrow raises ArrowInvalid, OSError ... for a damaged file
            self.problem("parquet_unreadable", exp, f"{type(exc).__name__}: {exc}")
            return
        failures: list[str] = []
        empty = [None] * table.num_rows
        keys, offsets, lengths, ids, media = (
            columns.get(name, empty)
            for name in ("warc_key", "warc_offset", "warc_length", "warc_record_id", "media")
        )
        for n in range(table.num_rows):
            if keys[n]:
                self.pointers += 1
                if not self._lands(keys[n], offsets[n], lengths[n], ids[n]):
                    self._failure({name: column[n] for name, column in columns.items()}, None, failures)
            for file in media[n] or ():
                if file.get("warc_key"):
                    self.pointers += 1
                    if not self._lands(
                        file["warc_key"], file["warc_offset"], file["warc_length"], file["warc_record_id"]
                    ):
                        self._failure({name: column[n] for name, column in columns.items()}, file, failures)
        for failure in failures[:MAX_POINTER_PROBLEMS]:
            self.problem("pointer_unresolved", exp, failure)
        if len(failures) > MAX_POINTER_PROBLEMS:
            self.problem(
                "pointer_unresolved", exp, f"and {len(failures) - MAX_POINTER_PROBLEMS} more rows like these"
            )

    def _lands(self, key: str, offset: Any, length: Any, record_id: Any) -> bool:
        """Whether a pointer lands on its response record in a WARC file read in this audit (the
        common case, checked without building anything); anything else is left to :meth:`_resolve`."""
        index = self.index.get(key)
        found = index.get(offset) if index is not None else None
        return (
            found is not None
            and found.record_id == record_id
            and found.length == length
            and found.warc_type in ITEM_RECORD_TYPES
        )

    def _failure(self, row: dict[str, Any], media: dict[str, Any] | None, failures: list[str]) -> None:
        """What a pointer that did not land found, in the words of :meth:`_resolve`."""
        where = f"item {row.get('item_id')} version {row.get('version')}"
        if media is not None:
            where = f"{where} media {media.get('media_id')}"
        pointer = pointer_of(media if media is not None else row)
        assert pointer is not None
        found = self._resolve(pointer)
        if found is not None:
            failures.append(f"{where}: {pointer.warc_key}@{pointer.offset}+{pointer.length} {found}")

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
        if found.warc_type not in ITEM_RECORD_TYPES:
            return f"holds a {found.warc_type} record, not a response or a pushed record"
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


class _WarcPool:
    """Verifies the WARC files of a file store in a bounded pool of worker processes
    (``python -m archive_lib.warc.verify``, each a fresh interpreter that reads file paths from a
    pipe), ahead of the audit's loop, which takes their answers in order (``checks``); nothing
    for other stores, for a single file or for too few bytes."""

    def __init__(
        self, store: ObjectStore, verified: list[Expected], workers: int | None, min_bytes: int
    ) -> None:
        self.checks: Iterator[tuple[str, WarcCheck | None]] = iter(())
        self._threads: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._processes: list[subprocess.Popen[bytes]] = []
        warc = [e.key for e in verified if e.kind == "warc"]
        count = min(workers or os.cpu_count() or 1, MAX_WORKERS, len(warc))
        if not isinstance(store, FileStore) or count < 2:
            return
        if sum(e.size or 0 for e in verified if e.kind == "warc") < min_bytes:
            return
        paths = [str(store.local_path(key)) for key in warc]
        self._threads = ThreadPoolExecutor(count, thread_name_prefix="fixity")
        self.checks = zip(warc, self._threads.map(self._check, paths), strict=True)

    def _check(self, path: str) -> WarcCheck | None:
        """One file verified by this thread's worker process; ``None`` (read it here) when the
        worker cannot answer."""
        process = getattr(self._local, "process", None)
        try:
            if process is None:
                process = subprocess.Popen(
                    [sys.executable, "-m", "archive_lib.warc.verify"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
                self._local.process = process
                with self._lock:
                    self._processes.append(process)
            assert process.stdin is not None and process.stdout is not None
            send(process.stdin, path)
            answer = receive(process.stdout)
        except Exception as exc:  # a worker that died or answered nonsense: the audit reads the file itself
            log.warning("a fixity worker failed (%s); %s is verified in the audit's process", exc, path)
            return None
        return answer if isinstance(answer, WarcCheck) else None

    def __enter__(self) -> _WarcPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._threads is not None:
            self._threads.shutdown(cancel_futures=True)
        for process in self._processes:
            if process.stdin is not None:
                process.stdin.close()
            try:
                process.wait(timeout=WORKER_EXIT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
