"""What the audit expects the store to hold: every object with its size, SHA-256, retention and
tags, as the manifests say; and what listing alone shows is wrong.

Every object a manifest lists is expected with its size and SHA-256. A manifest itself, and the
objects of a run that never wrote its manifest, are compared with the store's own checksum.

Two kinds of object are written outside any run, and are known by their keys alone (see
:mod:`archive_lib.layout`), each compared with the store's own checksum:

* export log entries (``exports/…``): kind ``export``, kept permanently in class
  ``export-log`` (:data:`archive_lib.retention_classes.EXPORT_LOG`), tagged ``kind=export``;
* audit reports (``audit/…``): kind ``audit``, tagged ``kind=audit``. Their retention class
  follows the inventory of the day they were written (the longest-kept class), so only its
  presence is checked;
* batches of the event log (``events/{stream}/…``, :mod:`archive_lib.metadata.events`): kind
  ``events``, kept permanently in class ``events``, tagged ``kind=events`` and the stream;
* disposal intents and protocols (``disposals/…``, kind ``disposal``), kept permanently;
* delivery records (``deliveries/…``): kind ``delivery``, kept permanently in class
  ``delivery-log`` (:data:`archive_lib.retention_classes.DELIVERY_LOG`), tagged ``kind=delivery``.

Objects a manifest lists that a disposal by decision removed are expected gone, not missing.

The evidence beside them (see :mod:`archive_lib.evidence`) is known by its key too: a document's
``.sig`` and ``.tsr`` (kind ``signature``, ``timestamp``, sampled with their document), and the
public keys under ``keys/`` (kind ``key``, the trust roots); each is compared with the store's
own checksum.

Any other object no manifest accounts for, under these prefixes or elsewhere, is a problem, and is
verified on every audit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from archive_lib.audit.holdings import Holdings, night_of
from archive_lib.audit.report import Problem
from archive_lib.clock import run_id_account
from archive_lib.evidence.keys import is_key_file
from archive_lib.evidence.signing import SIG, document_of
from archive_lib.language import N_
from archive_lib.layout import audit_report_night, delivery_record_day, export_log_day, lease_slot, run_id_of
from archive_lib.metadata.disposals import PROTOCOL_RETENTION, is_disposal_key
from archive_lib.metadata.events import EVENT_RETENTION, parse_batch_key
from archive_lib.metadata.manifest import kind_of
from archive_lib.retention_classes import DELIVERY_LOG, EXPORT_LOG


@dataclass(frozen=True)
class Expected:
    """What one stored object should be, as its manifest (or the store) says."""

    key: str
    kind: str
    unit: str  # the sampling unit: the run that wrote it, or the key itself
    night: dt.date | None
    size: int | None = None
    sha256: str | None = None  # None: compare with the store's own checksum
    retention_class: str | None = None  # None: unknown, only the lock's presence is checked
    retain_until: dt.date | None = None
    tags: dict[str, str] = field(default_factory=dict)
    account_id: str | None = None
    always: bool = False  # verified on every audit


def catalogue(holdings: Holdings) -> tuple[list[Expected], list[Problem]]:
    """Every object the audit expects, and the problems found by listing alone."""
    problems: list[Problem] = []
    for key, why in sorted(holdings.unreadable_manifests.items()):
        problems.append(Problem("manifest_unreadable", why, key=key, run_date=night_of(key)))
    for key, why in sorted(holdings.unreadable_runs.items()):
        problems.append(Problem("runs_unreadable", why, key=key, run_date=night_of(key)))
    expected = _listed_by_manifests(holdings)
    stored = set(holdings.keys)
    for key in sorted(set(expected) - stored):
        exp = expected.pop(key)
        if key in holdings.disposed.objects:
            continue  # disposed of by decision: expected gone (the audit lists the protocols)
        problems.append(
            Problem.said(
                "object_missing",
                N_("the manifest of run %(run)s lists %(key)s, which the store does not hold"),
                {"run": exp.unit, "key": key},
                account_id=exp.account_id,
                run_date=exp.night,
                key=key,
            )
        )
    for key in holdings.keys:
        unlisted = None if key in expected else _unlisted(key, holdings, problems)
        if unlisted is not None:
            expected[key] = unlisted
    return sorted(expected.values(), key=order), problems


def _listed_by_manifests(holdings: Holdings) -> dict[str, Expected]:
    """Every object a readable manifest lists, and each manifest itself, by key."""
    expected: dict[str, Expected] = {}
    for run_id, manifest in sorted(holdings.manifests.items()):
        night = _date(manifest.get("run_date"))
        retain_until = _date(manifest.get("retain_until"))
        account_id = str(manifest.get("account_id") or run_id_account(run_id))
        base = {"account": account_id, "platform": str(manifest.get("platform") or "")}
        for obj in manifest["objects"]:
            key = str(obj["key"])
            kind = str(obj.get("kind") or kind_of(key))
            expected.setdefault(
                key,
                Expected(
                    key,
                    kind,
                    run_id,
                    night,
                    size=int(obj["size"]),
                    sha256=str(obj["sha256"]),
                    retention_class=manifest.get("retention_class"),
                    retain_until=retain_until,
                    tags={**base, "kind": kind},
                    account_id=account_id,
                ),
            )
        key = holdings.manifest_keys[run_id]
        expected.setdefault(
            key,
            Expected(
                key,
                "manifest",
                run_id,
                night,
                retention_class=manifest.get("retention_class"),
                retain_until=retain_until,
                tags={**base, "kind": "manifest"},
                account_id=account_id,
            ),
        )
    return expected


def _unlisted(key: str, holdings: Holdings, problems: list[Problem]) -> Expected | None:
    """What a stored object no manifest lists should be; a problem when nothing accounts for it.

    ``None`` for an unreadable manifest of a run that has one: it is reported as unreadable.
    """
    owner = run_id_of(key)
    outside_runs = _outside_runs(key)
    if outside_runs is not None:
        return outside_runs
    if owner is not None and owner not in holdings.manifest_keys:
        # Reported once per run as run_without_manifest; its objects are still checked.
        return Expected(key, kind_of(key), owner, night_of(key), always=True)
    if key in holdings.unreadable_manifests:
        return None
    problems.append(
        Problem.said(
            "object_not_in_manifest",
            N_("%(key)s is in the store but no manifest lists it (written outside the archive?)"),
            {"key": key},
            account_id=run_id_account(owner) if owner else None,
            run_date=night_of(key),
            key=key,
        )
    )
    return Expected(key, kind_of(key), key, night_of(key), always=True)


def _outside_runs(key: str) -> Expected | None:
    """What an export log entry, an audit report, a write-lease slot, an event batch, a delivery
    record or a piece of evidence should be; ``None`` for any other key."""
    document = document_of(key)
    if document is not None:
        kind = "signature" if key.endswith(SIG) else "timestamp"
        owner = _outside_runs(document)
        unit = run_id_of(document) or document
        night = owner.night if owner is not None else night_of(document)
        return Expected(key, kind, owner.unit if owner is not None else unit, night)
    if is_key_file(key):
        return Expected(key, "key", key, None)
    day = export_log_day(key)
    if day is not None:
        return Expected(
            key,
            "export",
            key,
            day,
            retention_class=EXPORT_LOG.retention_class,
            retain_until=EXPORT_LOG.retain_until,
            tags={"kind": "export"},
        )
    night = audit_report_night(key)
    if night is not None:
        return Expected(key, "audit", key, night, tags={"kind": "audit"})
    lease = lease_slot(key)
    if lease is not None:  # a write-lease slot of a run that has not written its manifest (yet)
        account_id, day = lease
        return Expected(key, "lease", key, day, tags={"kind": "lease"}, account_id=account_id)
    if is_disposal_key(key):
        return Expected(
            key,
            "disposal",
            key,
            None,
            retention_class=PROTOCOL_RETENTION.retention_class,
            retain_until=None,
            tags={"kind": "disposal"},
        )
    batch = parse_batch_key(key)
    if batch is not None:
        return Expected(
            key,
            "events",
            key,
            batch[1],
            retention_class=EVENT_RETENTION.retention_class,
            retain_until=EVENT_RETENTION.retain_until,
            tags={"kind": "events", "stream": batch[0]},
        )
    day = delivery_record_day(key)
    if day is not None:
        return Expected(
            key,
            "delivery",
            key,
            day,
            retention_class=DELIVERY_LOG.retention_class,
            retain_until=DELIVERY_LOG.retain_until,
            tags={"kind": "delivery"},
        )
    return None


def order(exp: Expected) -> tuple[int, str]:
    # WARC files first: the items parts' pointers are then checked against their index.
    return (0 if exp.kind == "warc" else 1, exp.key)


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
