"""Evidence: is every document of the audited nights signed, and timestamped where a TSA is set?

The documents the archive signs are run manifests, export log entries and audit reports (and
whatever else is written through :func:`archive_lib.evidence.put_signed`). For those of the
audited period this checks, with :func:`archive_lib.evidence.check.check_document`: a ``.sig``
beside each (the archive without a key runs unsigned: each document is a problem), the key it
names under ``keys/``, the signature over the stored bytes, and, when timestamps are expected
(``ARCHIVE_TSA_URL`` is set), a ``.tsr`` of that signature: what is still untimestamped after the
TSA was down is listed until a later run has added it. ``archivectl verify`` checks the whole
store the same way, and the timestamps' chains against the TSA's CA.
"""

from __future__ import annotations

from archive_lib.audit.holdings import Holdings, night_of
from archive_lib.audit.report import Period, Problem
from archive_lib.errors import ObjectNotFoundError, StoreError
from archive_lib.evidence.check import KeyRing, check_document
from archive_lib.evidence.timestamps import TrustAnchors
from archive_lib.layout import audit_report_night, export_log_day
from archive_lib.storage.base import ObjectStore

#: A document larger than this is not read whole to check its signature (reported as unreadable).
MAX_DOCUMENT = 256 * 1024 * 1024


def signed_documents(holdings: Holdings, period: Period) -> list[str]:
    """The keys of the documents of ``period`` the archive signs."""
    found = []
    for key in holdings.keys:
        if key.endswith(".json") and (
            (key.startswith("manifests/") and _in(night_of(key), period))
            or _in(export_log_day(key), period)
            or _in(audit_report_night(key), period)
        ):
            found.append(key)
    return found


def check_evidence(
    store: ObjectStore,
    holdings: Holdings,
    period: Period,
    *,
    want_timestamps: bool,
    anchors: TrustAnchors | None = None,
) -> list[Problem]:
    """The evidence problems of the period's documents."""
    keys = KeyRing(store)
    problems: list[Problem] = []
    for key in signed_documents(holdings, period):
        try:
            with store.open(key) as handle:
                data = handle.read(MAX_DOCUMENT + 1)
        except (ObjectNotFoundError, StoreError):
            continue  # the fixity check reports it
        result = check_document(store, key, data, keys, anchors=anchors, want_timestamp=want_timestamps)
        document = result.document or {}
        account = document.get("account_id")
        for finding in result.problems:
            problems.append(
                Problem(
                    finding.kind,
                    finding.detail,
                    account_id=account if isinstance(account, str) else None,
                    run_date=night_of(key) or export_log_day(key) or audit_report_night(key),
                    key=key,
                )
            )
    problems.extend(Problem(f.kind, f.detail, key=f.key) for f in keys.findings)
    return problems


def _in(day: object, period: Period) -> bool:
    return day is not None and period.since <= day <= period.until  # type: ignore[operator]
