"""Task body of the ``audit_archive`` DAG; with :mod:`archive_lib.airflow_glue.capture`, the only modules
that import Airflow.

The audit runs after each nightly capture (and every morning, see the DAG), writes its report
into the store under ``audit/`` (create-only, like every object) and fails the task with the
summary when it found problems, so Airflow's alerting reaches the archivist.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from archive_lib.airflow_glue.capture import SETTINGS, open_archive_store, open_inventory, run_date
from archive_lib.airflow_glue.signing import archive_signer
from archive_lib.audit import AuditOptions, audit_period, run_audit
from archive_lib.audit.fixity import DEFAULT_PERIOD_DAYS
from archive_lib.audit.run import DEFAULT_NIGHTS
from archive_lib.audit.stored import store_report
from archive_lib.clock import SystemClock
from archive_lib.errors import ConfigError
from archive_lib.evidence.config import trust_anchors
from archive_lib.evidence.signing import timestamp_missing
from archive_lib.language import from_setting
from archive_lib.layout import AUDIT, EXPORTS
from archive_lib.settings import AUDIT_NIGHTS, AUDIT_PERIOD_DAYS, LANGUAGE, TSA_URL, Setting

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
    try:
        signer = archive_signer(SETTINGS)
        options = AuditOptions(
            period_days=period_days,
            want_timestamps=bool(SETTINGS.get(TSA_URL)),
            tsa_anchors=trust_anchors(SETTINGS),
        )
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from None
    if signer is not None and signer.tsa is not None:
        # Audit reports and export logs are written outside the nightly runs: their timestamps
        # that a TSA left out are retried here, every morning.
        days = period.nights()
        prefixes = [f"{AUDIT}/{d:%Y-%m-%d}/" for d in days] + [f"{EXPORTS}/{d:%Y/%m/%d}/" for d in days]
        timestamp_missing(store, prefixes, signer.tsa)
    report = run_audit(store, inventory, period, options=options, clock=clock)
    keys = store_report(store, inventory, report, signer, words)
    log.info("%s; report stored as %s", report.summary(), ", ".join(keys))
    if not report.clean:
        raise AirflowFailException(f"{report.summary()}. Report: {keys[-1]} in {store.url}")
    return {"summary": report.summary(), "reports": keys, "problems": 0}
