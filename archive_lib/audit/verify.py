"""Verifying the whole store offline: what ``archivectl verify`` checks.

Everything needed is in the store (the public keys are under ``keys/``) and, for the timestamps'
certificate chains, the TSA's CA bundle. Nothing is fetched and nothing is written.

**The coverage rule.** Every object must be vouched for by a signature:

* a *signed document* (an object with a ``.sig`` beside it, and every object the archive always
  signs: run manifests ``manifests/…json``, export log entries ``exports/…json`` and audit
  reports ``audit/…json``) is covered by its own signature, which must hold;
* an object listed, with its size and SHA-256, in the ``objects`` of a signed document whose
  signature holds is covered by that document: the WARC files, items parts and runs rows of a run
  by the run's manifest, an audit report's HTML by its JSON report;
* a document's ``.sig`` and ``.tsr`` are its evidence, and the public keys under ``keys/`` are the
  trust roots (compare their ids with the ones the archive publishes);
* disposal intents and protocols (``disposals/…``) are signed documents whose listed objects are
  expected gone: they list what a decision disposed of;
* batches of the event log (``events/…``: holds, markings, notes, access) and Jetstream cursors
  are append-only state written outside runs, not signed one by one: they are counted in a note,
  and the audit checks them as permanent, locked objects;
* anything else is ``not_covered``.

For each signed document: the signature over the exact stored bytes with the key the document
names, the timestamp (granted, of this signature, chained to the CA when one is given, its time
not before the document's ``signed_at`` by more than the tolerance: see
:mod:`archive_lib.evidence.check`), and the size and SHA-256 of every object it lists.

``since``/``until`` limit the check to the objects and documents of those nights (by the date in
their key: the night of a run's objects and manifest, the day of an export log entry, the last
night of an audit report); objects whose key has no date, and the keys, are always checked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from archive_lib.audit.holdings import night_of
from archive_lib.errors import ObjectNotFoundError, StoreError
from archive_lib.evidence.check import TOLERANCE, Finding, KeyRing, check_document
from archive_lib.evidence.keys import is_key_file
from archive_lib.evidence.signing import SIG, document_of
from archive_lib.evidence.timestamps import TrustAnchors
from archive_lib.layout import (
    MANIFESTS,
    audit_report_night,
    delivery_record_day,
    export_log_day,
    jetstream_cursor_of,
    lease_slot,
)
from archive_lib.metadata.disposals import is_disposal_key
from archive_lib.metadata.events import parse_batch_key
from archive_lib.storage.base import ObjectStore, iter_chunks

log = logging.getLogger(__name__)

#: A signed document larger than this is not read (``document_unreadable``).
MAX_DOCUMENT = 256 * 1024 * 1024

KINDS: dict[str, str] = {
    "not_covered": "an object no signed document vouches for",
    "object_missing": "a signed document lists an object the store does not hold",
    "object_changed": "an object's size or SHA-256 differs from the signed document listing it",
    "evidence_orphan": "a .sig or .tsr whose document is not in the store",
    "document_unreadable": "a signed document cannot be read",
}


@dataclass
class Verification:
    """What :func:`verify_store` found; ``ok`` when there are no problems."""

    problems: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "counts": self.counts,
            "problems": [p.to_json() for p in self.problems],
            "notes": [n.to_json() for n in self.notes],
        }


def day_of(key: str) -> dt.date | None:
    """The night or day in an object's key; a ``.sig``/``.tsr`` has its document's."""
    key = document_of(key) or key
    lease = lease_slot(key)
    return (
        night_of(key)
        or export_log_day(key)
        or audit_report_night(key)
        or delivery_record_day(key)
        or (lease[1] if lease else None)
    )


def always_signed(key: str) -> bool:
    """Whether the archive signs every object under ``key``'s kind (manifests, export logs, reports)."""
    return key.endswith(".json") and (
        (key.startswith(f"{MANIFESTS}/") and night_of(key) is not None)
        or export_log_day(key) is not None
        or audit_report_night(key) is not None
    )


def verify_store(
    store: ObjectStore,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    anchors: TrustAnchors | None = None,
    want_timestamps: bool = False,
    tolerance: dt.timedelta = TOLERANCE,
) -> Verification:
    """Check signatures, timestamps, listed objects and coverage; see the module docstring."""
    result = Verification()
    everything = set(store.list(""))

    def wanted(key: str) -> bool:
        day = day_of(key)
        return day is None or ((since is None or since <= day) and (until is None or day <= until))

    keys = KeyRing(store)
    keys.all()  # every key under keys/ is checked, used or not
    objects: list[str] = []
    documents: list[str] = []
    for key in sorted(everything):
        if is_key_file(key) or not wanted(key):
            continue
        document = document_of(key)
        if document is not None:
            if document not in everything:
                result.problems.append(Finding("evidence_orphan", key, f"no {document} beside it"))
            continue
        if key + SIG in everything or always_signed(key) or is_disposal_key(key):
            documents.append(key)
        else:
            objects.append(key)
    covered: dict[str, str] = {}  # object key -> the signed document listing it
    listed = 0
    for key in documents:
        data = _read_document(store, key, result)
        if data is None:
            continue
        checked = check_document(
            store, key, data, keys, anchors=anchors, want_timestamp=want_timestamps, tolerance=tolerance
        )
        result.problems.extend(checked.problems)
        result.notes.extend(checked.notes)
        if not checked.signed:
            continue
        if is_disposal_key(key):
            continue  # a disposal's intent and protocol list what went: those objects are gone
        for entry in _listed(checked.document):
            listed += 1
            covered.setdefault(entry["key"], key)
            _check_listed(store, key, entry, everything, result)
    unsigned_state = 0
    for key in objects:
        if key in covered:
            continue
        if parse_batch_key(key) is not None or jetstream_cursor_of(key) is not None:
            unsigned_state += 1  # append-only state the archive writes outside runs (module docstring)
            continue
        result.problems.append(Finding("not_covered", key, "no signed document lists this object"))
    if unsigned_state:
        result.notes.append(
            Finding(
                "state_unsigned",
                "events/",
                f"{unsigned_state} event batches and stream cursors (events/, push/cursors/) are not"
                " signed: they are append-only, written once under the store's protection, and checked"
                " by the audit",
            )
        )
    result.problems.extend(keys.findings)
    result.counts = {
        "documents": len(documents),
        "objects": len(objects),
        "listed_objects_checked": listed,
        "problems": len(result.problems),
    }
    return result


def _read_document(store: ObjectStore, key: str, result: Verification) -> bytes | None:
    try:
        with store.open(key) as handle:
            data = handle.read(MAX_DOCUMENT + 1)
    except (ObjectNotFoundError, StoreError) as exc:
        result.problems.append(Finding("document_unreadable", key, str(exc)[:200]))
        return None
    if len(data) > MAX_DOCUMENT:
        result.problems.append(Finding("document_unreadable", key, f"larger than {MAX_DOCUMENT} bytes"))
        return None
    return data


def _listed(document: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    """The ``objects`` entries of a document that name a key, a size and a SHA-256."""
    entries = document.get("objects") if document else None
    if not isinstance(entries, list):
        return
    for entry in entries:
        if (
            isinstance(entry, dict)
            and isinstance(entry.get("key"), str)
            and isinstance(entry.get("sha256"), str)
            and isinstance(entry.get("size"), int)
        ):
            yield entry


def _check_listed(
    store: ObjectStore, document: str, entry: dict[str, Any], everything: set[str], result: Verification
) -> None:
    key = entry["key"]
    if key not in everything:
        result.problems.append(Finding("object_missing", key, f"listed in {document}, not in the store"))
        return
    try:
        size, sha256 = _digest(store, key)
    except (ObjectNotFoundError, StoreError) as exc:
        result.problems.append(Finding("object_missing", key, f"cannot be read: {str(exc)[:200]}"))
        return
    if (size, sha256) != (entry["size"], entry["sha256"]):
        result.problems.append(
            Finding(
                "object_changed",
                key,
                f"{size} bytes, SHA-256 {sha256}; {document} says {entry['size']} bytes, "
                f"SHA-256 {str(entry['sha256'])[:64]}",
            )
        )


def _digest(store: ObjectStore, key: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with store.open(key) as handle:
        for chunk in iter_chunks(handle):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()
