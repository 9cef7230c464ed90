"""Storing an audit report in the archive: the HTML rendition, then the JSON report, signed.

Both go under ``audit/{night}/`` (see :func:`archive_lib.layout.audit_report_key`). The HTML is
stored first; the JSON report lists it under ``objects`` (key, size, SHA-256) and is stored
through :func:`archive_lib.evidence.put_signed`, so its signature covers the HTML too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from archive_lib.audit.html import render_html
from archive_lib.audit.report import AuditReport
from archive_lib.evidence.signing import Signer, put_signed
from archive_lib.language import Language
from archive_lib.layout import audit_report_key
from archive_lib.models import Inventory
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore

TAGS = {"kind": "audit"}


def store_report(
    store: ObjectStore,
    inventory: Inventory,
    report: AuditReport,
    signer: Signer | None,
    words: Language | None = None,
) -> list[str]:
    """Write the HTML (in ``words``' language, Swedish by default) and the (signed) JSON report
    under ``audit/{night}/``; their keys, JSON last."""
    # A random suffix, as in run ids: two audits in one second must not want the same key.
    suffix = secrets.token_hex(2)
    retention = report_retention(inventory, report.period.until)
    html = render_html(report, words).encode()
    html_key = audit_report_key(report.period.until, report.generated_at, suffix, "html")
    store.put(html_key, html, retention=retention, tags=TAGS)
    document = {
        **report.to_json(),
        "objects": [{"key": html_key, "size": len(html), "sha256": hashlib.sha256(html).hexdigest()}],
    }
    json_key = audit_report_key(report.period.until, report.generated_at, suffix, "json")
    put_signed(store, json_key, document, retention=retention, tags=TAGS, signer=signer)
    return [html_key, json_key]


def report_retention(inventory: Inventory, night: dt.date) -> ObjectRetention:
    """Audit reports are kept as long as the longest-kept records they speak about."""
    classes = list(inventory.retention_classes.values())
    keeper = next((c for c in classes if c.permanent), None) or max(classes, key=lambda c: c.keep_years or 0)
    return keeper.for_night(night)
