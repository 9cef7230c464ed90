"""Task body of the ``audit_archive`` DAG; with :mod:`archive_lib.airflow_glue.capture`, the only modules
that import Airflow.

The audit runs after each nightly capture (and every morning, see the DAG), writes its report
into the store under ``audit/`` (create-only, like every object) and fails the task with the
summary when it found problems, so Airflow's alerting reaches the archivist.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from archive_lib.airflow_glue.capture import SETTINGS, open_archive_store, open_inventory, run_date
from archive_lib.audit import AuditOptions, audit_period, run_audit
from archive_lib.audit.fixity import DEFAULT_PERIOD_DAYS
from archive_lib.audit.html import render_html
from archive_lib.audit.report import AuditReport
from archive_lib.audit.run import DEFAULT_NIGHTS
from archive_lib.clock import SystemClock
from archive_lib.errors import ConfigError
from archive_lib.language import Language, from_setting
from archive_lib.layout import audit_report_key
from archive_lib.models import Inventory
from archive_lib.retention_classes import ObjectRetention
from archive_lib.settings import AUDIT_NIGHTS, AUDIT_PERIOD_DAYS, LANGUAGE, Setting
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)


def _number(setting: Setting, default: int) -> int:
    try:
        return SETTINGS.whole_number(setting, default)
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from None


def audit_task() -> dict[str, Any]:
    """Audit the nights up to this run's night, store the report, fail when problems were found."""
    nights = _number(AUDIT_NIGHTS, DEFAULT_NIGHTS)
    period_days = _number(AUDIT_PERIOD_DAYS, DEFAULT_PERIOD_DAYS)
    try:
        words = from_setting(SETTINGS.get(LANGUAGE))
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from None
    inventory = open_inventory()
    store = open_archive_store()
    clock = SystemClock()
    until = run_date()
    period = audit_period(until - dt.timedelta(days=nights - 1), until, clock.now())
    report = run_audit(store, inventory, period, options=AuditOptions(period_days=period_days), clock=clock)
    keys = store_report(store, inventory, report, words)
    log.info("%s; report stored as %s", report.summary(), ", ".join(keys))
    if not report.clean:
        raise AirflowFailException(f"{report.summary()}. Report: {keys[-1]} in {store.url}")
    return {"summary": report.summary(), "reports": keys, "problems": 0}


def store_report(
    store: ObjectStore, inventory: Inventory, report: AuditReport, words: Language | None = None
) -> list[str]:
    """Write the JSON and HTML report under ``audit/{night}/`` (the HTML in ``words``' language,
    Swedish by default); returns their keys."""
    # A random suffix, as in run ids: two audits in one second must not want the same key.
    suffix = secrets.token_hex(2)
    retention = report_retention(inventory, report.period.until)
    body = json.dumps(report.to_json(), ensure_ascii=False, indent=2).encode() + b"\n"
    keys = []
    for extension, data in (("json", body), ("html", render_html(report, words).encode())):
        key = audit_report_key(report.period.until, report.generated_at, suffix, extension)
        store.put(key, data, retention=retention, tags={"kind": "audit"})
        keys.append(key)
    return keys


def report_retention(inventory: Inventory, night: dt.date) -> ObjectRetention:
    """Audit reports are kept as long as the longest-kept records they speak about."""
    classes = list(inventory.retention_classes.values())
    keeper = next((c for c in classes if c.permanent), None) or max(classes, key=lambda c: c.keep_years or 0)
    return keeper.for_night(night)
