"""The release package (*utlämnande*): one zip holding what a registrar hands out.

* ``threads/{name}.html``: each thread as self-contained HTML (no external resources), every
  version of every item, the released items highlighted; and the same as ``.pdf`` where this
  machine has a font for it (see :mod:`archive_lib.registry.pdf`). ``{name}`` is made from the account
  and the post id by :func:`archive_lib.inert.safe_name` (ids may hold ``/``, ``:`` or ``..``);
  the manifest says which thread each file holds;
* ``items.csv`` (spreadsheet-safe cells, see :mod:`archive_lib.inert`) and ``items.parquet``:
  every version row of the released items;
* ``records.warc.gz``: exactly the source records, copied byte for byte from the stored WARC
  files (each stored record is its own gzip member, found by its pointer): the response of every
  version, the media files they point to, and the ``warcinfo`` record of each source file;
* ``manifest.json`` (its keys are the same in every language; ``language`` names the renditions'):
  who, when, why, what was asked, the SHA-256 of every file in the zip and
  of every source object in the store, and where each copied record came from.

Items under secrecy (:mod:`archive_lib.metadata.markings`) are masked by default: in every
rendition (HTML, PDF, CSV, Parquet) their text, content warning, media, poll, quote and unparsed
values are replaced by a notice naming the ground, wherever they appear (released or only in a
released item's thread); the WARC records that hold them are left out of ``records.warc.gz``:
the records their rows point to, and any other record whose payload names a marked item's id
(a page of the platform's API holds many items; such a record is listed under ``withheld``);
and the manifest lists them under ``masked``. ``ExportRequest.unmasked`` (with its reason)
releases them as they are, for internal use; the manifest and the export log say so.

The renditions speak the language asked for (Swedish by default, see :mod:`archive_lib.language`);
the data files (CSV headers, Parquet columns, JSON keys) keep the archive's own names in every
language, and archived text is never changed.

Each export is logged in the archive itself, append-only: one new create-only object
``exports/{YYYY}/{MM}/{DD}/{export_id}.json`` (see :func:`log_key`) with who, when, the query
or ids, the purpose, the reference and the package's SHA-256, kept permanently, and signed
like a run manifest when the archive has a signing key (``.sig`` and ``.tsr`` beside it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import logging
import os
import pathlib
import secrets
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from archive_lib import PRODUCT, __version__, layout
from archive_lib.errors import ArchiveError, ConfigError
from archive_lib.evidence.signing import Signer, put_signed
from archive_lib.inert import CsvWriter, safe_name
from archive_lib.language import Language, language
from archive_lib.metadata.markings import Marking, active_markings, mask_notice
from archive_lib.metadata.schema import ITEMS_SCHEMA, item_time, pointer_of
from archive_lib.models import WarcPointer
from archive_lib.registry.pdf import ENV_FONT, find_font, thread_pdf
from archive_lib.registry.render import DEPTH_CSS, render, stylesheet
from archive_lib.registry.thread import ItemNotFoundError, Thread, build_thread, disposed_note, threads_rows
from archive_lib.retention_classes import EXPORT_LOG
from archive_lib.search.index import SearchIndex
from archive_lib.search.query import SearchQuery
from archive_lib.storage.base import ObjectStore
from archive_lib.warc.reader import iter_records, record_bytes, record_payload, warcinfo_bytes

log = logging.getLogger(__name__)

EXPORTS = layout.EXPORTS
LOG_RETENTION = EXPORT_LOG
_EXTRA_COLUMNS = [pa.field("run_date", pa.date32()), pa.field("items_part", pa.string())]


@dataclass(frozen=True)
class ExportRequest:
    """What to release and why. Either ``query`` or ``item_ids``."""

    purpose: str
    reference: str
    made_by: str
    query: SearchQuery | None = None
    item_ids: tuple[str, ...] = ()
    #: Why marked items go out unmasked (internal use only); ``None`` masks them.
    unmasked: str | None = None

    def __post_init__(self) -> None:
        if not self.purpose.strip() or not self.reference.strip():
            raise ConfigError("an export needs a purpose and a request reference")
        if self.unmasked is not None and not self.unmasked.strip():
            raise ConfigError("an unmasked export needs a reason (--reason)")
        if (self.query is None) == (not self.item_ids):
            raise ConfigError("an export needs either a query (text or filters) or item ids, not both")


@dataclass
class ExportResult:
    export_id: str
    path: pathlib.Path
    sha256: str
    log_key: str
    items: int
    rows: int
    records: int
    threads: int
    matched_total: int
    files: list[dict[str, Any]] = field(default_factory=list)
    masked: list[dict[str, str]] = field(default_factory=list)
    item_ids: list[str] = field(default_factory=list)


def log_key(made_at: dt.datetime, export_id: str) -> str:
    return layout.export_log_key(made_at, export_id)


def new_export_id(made_at: dt.datetime) -> str:
    return f"{made_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}_{secrets.token_hex(4)}"


def make_export(
    store: ObjectStore,
    index: SearchIndex,
    request: ExportRequest,
    out: pathlib.Path,
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    signer: Signer | None = None,
    words: Language | None = None,
) -> ExportResult:
    """Write the release package of ``request`` to ``out`` and log it in the store, signed by
    ``signer`` (unsigned when None); its renditions in ``words``' language (Swedish by default)."""
    words = words or language()
    if out.exists():
        raise ConfigError(f"{out} exists already: choose a new file name")
    index.refresh()
    hits, total = _select(index, request)
    made_at = now().astimezone(dt.UTC)
    export_id = new_export_id(made_at)
    wanted = {(h["account_id"], h["item_id"]) for h in hits}
    markings = {} if request.unmasked is not None else active_markings(store)
    threads, rows, masked, withheld = _threads_and_rows(store, index, hits, wanted, markings)
    files, held = _thread_pages(threads, request, export_id, made_at, words)
    pdf = _thread_pdfs(threads, held, files, export_id, request, made_at, words)
    files["items.csv"] = _csv(rows)
    files["items.parquet"] = _parquet(rows)
    needles = _needles(masked)
    warc, records, warc_keys, held_back = _warc(store, rows, withheld, needles)
    files["records.warc.gz"] = warc
    sources = [_source(store, key) for key in sorted(warc_keys | {r["part_key"] for r in rows})]
    listed = [{"path": name, "size": len(data), "sha256": _sha(data)} for name, data in files.items()]
    manifest = {
        "export_id": export_id,
        "made_at": made_at.isoformat(),
        "made_by": request.made_by,
        "purpose": request.purpose,
        "reference": request.reference,
        "query": request.query.describe() if request.query else None,
        "item_ids": list(request.item_ids),
        "store": store.url,
        "software": f"{PRODUCT}/{__version__}",
        "language": words.code,
        "matched_total": total,
        "items": len(wanted),
        "rows": len(rows),
        "threads": held,
        "pdf": pdf,
        "files": listed,
        "sources": sources,
        "records": records,
        "masked": masked,
        "withheld": held_back,
        "unmasked": request.unmasked,
    }
    files["manifest.json"] = (json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n").encode()
    sha256 = _write_zip(out, files)
    key = _log_export(store, manifest, out.name, sha256, made_at, signer)
    log.info("export %s: %d items, %d records, logged as %s", export_id, len(wanted), len(records), key)
    return ExportResult(
        export_id,
        out,
        sha256,
        key,
        len(wanted),
        len(rows),
        len(records),
        len(threads),
        total,
        listed,
        masked,
        sorted({item_id for _, item_id in wanted}),
    )


def _threads_and_rows(
    store: ObjectStore,
    index: SearchIndex,
    hits: list[dict[str, Any]],
    wanted: set[tuple[str, str]],
    markings: dict[tuple[str, str], Marking],
) -> tuple[list[Thread], list[dict[str, Any]], list[dict[str, str]], set[tuple[str, int]]]:
    """The whole thread of every hit, the version rows of the items released, the items masked
    (with their grounds) and the WARC records withheld, every marked item masked."""
    threads: list[Thread] = []
    rows: list[dict[str, Any]] = []
    masked: dict[tuple[str, str], str] = {}
    withheld: set[tuple[str, int]] = set()
    for account_id in sorted({h["account_id"] for h in hits}):
        posts = sorted({h["post_id"] for h in hits if h["account_id"] == account_id})
        for post_id, found in threads_rows(store, index, account_id, posts).items():
            thread_all = []
            for row in found:
                marking = markings.get((row["account_id"], row["item_id"]))
                if marking is not None:
                    masked[(row["account_id"], row["item_id"])] = marking.ground
                    withheld.update(_pointers(row))
                    row = _mask(row, marking.ground)
                thread_all.append(row)
            rows.extend(r for r in thread_all if (r["account_id"], r["item_id"]) in wanted)
            focus = next(
                h["item_id"] for h in hits if (h["account_id"], h["post_id"]) == (account_id, post_id)
            )
            threads.append(build_thread(thread_all, account_id, post_id, focus, None))
    rows.sort(key=lambda r: (r["account_id"], item_time(r), r["item_id"], r["version"]))
    listed = [{"account_id": a, "item_id": i, "ground": g} for (a, i), g in sorted(masked.items())]
    return threads, rows, listed, withheld


def _mask(row: dict[str, Any], ground: str) -> dict[str, Any]:
    """The row of a marked item as it is released: its content replaced by the masking notice."""
    return {
        **row,
        "text": mask_notice(ground),
        "content_warning": None,
        "content_sha256": "",
        "media": [],
        "poll_options": None,
        "quote": None,
        "unparsed": None,
    }


def _pointers(row: dict[str, Any]) -> set[tuple[str, int]]:
    """Where the row's own record and its media records lie (WARC key, offset)."""
    found = (pointer_of(row), *(pointer_of(media) for media in row.get("media") or ()))
    return {(p.warc_key, p.offset) for p in found if p is not None}


def _thread_pages(
    threads: list[Thread], request: ExportRequest, export_id: str, made_at: dt.datetime, words: Language
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """Each thread as a self-contained HTML file, and the manifest's entry saying which file holds it."""
    files: dict[str, bytes] = {}
    held: list[dict[str, Any]] = []
    for thread in threads:
        name = f"threads/{safe_name(thread.account_id, thread.post_id)}"
        held.append({"account_id": thread.account_id, "post_id": thread.post_id, "files": [f"{name}.html"]})
        files[f"{name}.html"] = render(
            "export_thread.html",
            words,
            thread=thread,
            css=stylesheet(),
            depth_css=DEPTH_CSS,
            export_id=export_id,
            reference=request.reference,
            made_at=made_at,
            made_by=request.made_by,
        ).encode()
    return files, held


def _thread_pdfs(
    threads: list[Thread],
    held: list[dict[str, Any]],
    files: dict[str, bytes],
    export_id: str,
    request: ExportRequest,
    made_at: dt.datetime,
    words: Language,
) -> dict[str, Any]:
    """Add a PDF of each thread beside its HTML file (when a font is found); what the manifest says of it."""
    font = find_font()
    pdf: dict[str, Any] = {
        "made": font is not None,
        "font": str(font) if font else None,
        "characters_not_in_font": 0,
    }
    if font is None:
        log.warning("no TrueType font for PDF renditions (set %s): the package has HTML only", ENV_FONT)
        return pdf
    header = words.gettext(
        "Export %(export)s · reference %(reference)s · made %(when)s by %(by)s",
        export=export_id,
        reference=request.reference,
        when=words.stamp(made_at),
        by=request.made_by,
    )
    for thread, entry in zip(threads, held, strict=True):
        data, missing = thread_pdf(thread, font, header=header, made_at=made_at, words=words)
        pdf_name = entry["files"][0].removesuffix(".html") + ".pdf"
        files[pdf_name] = data
        entry["files"].append(pdf_name)
        pdf["characters_not_in_font"] += missing
    return pdf


def _log_export(
    store: ObjectStore,
    manifest: dict[str, Any],
    package: str,
    sha256: str,
    made_at: dt.datetime,
    signer: Signer | None,
) -> str:
    """Log the export append-only in the store, signed (:func:`~archive_lib.evidence.put_signed`);
    the log entry's key."""
    entry = {
        k: manifest[k]
        for k in (
            "export_id",
            "made_at",
            "made_by",
            "purpose",
            "reference",
            "query",
            "item_ids",
            "masked",
            "unmasked",
        )
    }
    entry.update(
        package=package,
        package_sha256=sha256,
        items=manifest["items"],
        rows=manifest["rows"],
        software=manifest["software"],
    )
    key = log_key(made_at, str(manifest["export_id"]))
    put_signed(store, key, entry, retention=LOG_RETENTION, tags={"kind": "export"}, signer=signer)
    return key


def read_log(store: ObjectStore) -> list[dict[str, Any]]:
    """Every logged export, oldest first."""
    entries = []
    for key in store.list(f"{EXPORTS}/"):
        if key.endswith(".json"):
            with store.open(key) as handle:
                entries.append(json.loads(handle.read()))
    return entries


def _select(index: SearchIndex, request: ExportRequest) -> tuple[list[dict[str, Any]], int]:
    if request.query is not None:
        results = index.search(request.query)
        if not results.hits:
            raise ItemNotFoundError("nothing in the archive matches the query: nothing exported")
        return results.hits, results.total
    hits = []
    for item_id in request.item_ids:
        found = index.locate(item_id)
        if not found:
            note = disposed_note(index.store, item_id)
            raise ItemNotFoundError(f"no item {item_id!r} in the archive{note}: nothing exported")
        hits.extend(found)
    return hits, len(hits)


def _table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    schema = pa.schema([*ITEMS_SCHEMA, *_EXTRA_COLUMNS])
    data = [
        {
            **{f.name: r.get(f.name) for f in ITEMS_SCHEMA},
            "run_date": r["run_date"],
            "items_part": r["part_key"],
        }
        for r in rows
    ]
    return pa.Table.from_pylist(data, schema=schema)


def _parquet(rows: Sequence[dict[str, Any]]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(_table(rows), sink, compression="zstd")
    return sink.getvalue()


def _csv(rows: Sequence[dict[str, Any]]) -> bytes:
    names = [f.name for f in ITEMS_SCHEMA] + ["run_date", "items_part"]
    text = io.StringIO()
    writer = CsvWriter(text, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        values = {**row, "items_part": row["part_key"]}
        writer.writerow([_cell(values.get(n)) for n in names])
    return text.getvalue().encode("utf-8-sig")  # the BOM lets spreadsheet programs read å, ä, ö


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _needles(masked: list[dict[str, str]]) -> list[bytes]:
    """How a marked item's id is written in a platform's JSON (escaped or not)."""
    found: set[bytes] = set()
    for entry in masked:
        item_id = entry["item_id"]
        for text in (json.dumps(item_id), json.dumps(item_id, ensure_ascii=False)):
            found.add(text.encode())
            found.add(text.replace("/", "\\/").encode())
    return sorted(found)


def _warc(
    store: ObjectStore,
    rows: Sequence[dict[str, Any]],
    withheld: set[tuple[str, int]],
    needles: list[bytes],
) -> tuple[bytes, list[dict[str, Any]], set[str], list[dict[str, Any]]]:
    """The source records (and each source file's warcinfo), copied member by member; left out
    (and listed): the records at ``withheld`` (those of marked items) and every other item
    record whose payload holds one of ``needles`` (a marked item's id)."""
    pointers: dict[tuple[str, int], WarcPointer] = {}
    media: set[tuple[str, int]] = set()
    for row in rows:
        for pointer in (pointer_of(row), *(pointer_of(m) for m in row.get("media") or ())):
            if pointer is not None and pointer.length and (pointer.warc_key, pointer.offset) not in withheld:
                pointers[(pointer.warc_key, pointer.offset)] = pointer
        media.update((p.warc_key, p.offset) for p in map(pointer_of, row.get("media") or ()) if p)
    held_back: list[dict[str, Any]] = []
    members: dict[tuple[str, int], bytes] = {}
    for spot, pointer in sorted(pointers.items()):
        members[spot] = record_bytes(store, pointer)
        if needles and spot not in media:
            payload = record_payload(members[spot])
            if any(needle in payload for needle in needles):
                held_back.append({"warc_key": spot[0], "offset": spot[1], "record_id": pointer.record_id})
                del members[spot]
    pointers = {spot: p for spot, p in pointers.items() if spot in members}
    out = io.BytesIO()
    records: list[dict[str, Any]] = []
    keys = sorted({key for key, _ in pointers})
    for key in keys:
        info = warcinfo_bytes(store, key, store.stat(key).size)
        spots: list[tuple[int, int, str | None, bytes | WarcPointer]] = [(0, len(info), None, info)]
        for (k, offset), pointer in sorted(pointers.items()):
            if k == key and offset != 0:
                spots.append((offset, pointer.length, pointer.record_id, pointer))
        for offset, length, record_id, source in spots:
            member = source if isinstance(source, bytes) else members[(key, offset)]
            records.append(
                {
                    "warc_key": key,
                    "offset": offset,
                    "length": length,
                    "record_id": record_id,
                    "export_offset": out.tell(),
                    "sha256": _sha(member),
                }
            )
            out.write(member)
    data = out.getvalue()
    _verify_warc(data, records)
    return data, records, set(keys), held_back


def _verify_warc(data: bytes, records: list[dict[str, Any]]) -> None:
    """Every copied record parses and passes its digest checks, and record ids match pointers."""
    seen = []
    for record in iter_records(io.BytesIO(data), check_digests=True):
        if record.digest_passed is False:
            raise ArchiveError(f"record {record.record_id}: digest mismatch")
        seen.append(record.record_id)
    if len(seen) != len(records):
        raise ArchiveError(f"the package WARC holds {len(seen)} records, expected {len(records)}")
    for found, expected in zip(seen, records, strict=True):
        if expected["record_id"] is None:
            expected["record_id"] = found
        elif found != expected["record_id"]:
            raise ArchiveError(
                f"{expected['warc_key']}@{expected['offset']}: holds record {found},"
                f" expected {expected['record_id']}"
            )


def _source(store: ObjectStore, key: str) -> dict[str, Any]:
    stored = store.stat(key)
    return {"key": key, "size": stored.size, "sha256": stored.sha256}


def _write_zip(out: pathlib.Path, files: dict[str, bytes]) -> str:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.")
    try:
        with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = (
                    zipfile.ZIP_STORED if name.endswith((".gz", ".parquet")) else zipfile.ZIP_DEFLATED
                )
                archive.writestr(info, data)
        os.link(tmp, out)  # never replaces a file that appeared meanwhile
    except FileExistsError:
        raise ConfigError(f"{out} exists already: choose a new file name") from None
    finally:
        os.unlink(tmp)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
