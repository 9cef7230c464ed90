"""Task body of the ``answer_reminders`` DAG: the SMTP server from an Airflow Connection, the
store and inventory from the settings, and :func:`archive_lib.audit.reminders.remind`.

A message that could not be sent fails the task with a retryable error (Airflow retries it, and
the next hourly run sends it in any case); a missing or broken connection fails it without retry.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import Connection
from airflow.sdk.exceptions import AirflowFailException

from archive_lib.airflow_glue.capture import SETTINGS, open_archive_store, open_inventory
from archive_lib.audit.mail import DEFAULT_CONNECTION, SMTP_CONNECTION, SmtpMailer, SmtpSettings
from archive_lib.audit.reminders import ALERT_EMAIL, DEFAULT_WEB_URL, WEB_URL, operator_addresses, remind
from archive_lib.clock import SystemClock
from archive_lib.errors import ConfigError

log = logging.getLogger(__name__)


class RemindersNotSent(RuntimeError):
    """Some messages could not be sent; a later attempt may succeed (Airflow retries)."""


def smtp_settings() -> SmtpSettings:
    """The SMTP server of the Airflow Connection named by ``ARCHIVE_SMTP_CONNECTION`` (``smtp_default``)."""
    connection_id = SETTINGS.get(SMTP_CONNECTION) or DEFAULT_CONNECTION
    try:
        connection = Connection.get(connection_id)
    except Exception as exc:  # Airflow raises its own not-found type, which may change
        raise AirflowFailException(f"the SMTP connection {connection_id!r} cannot be read: {exc}") from exc
    try:
        return SmtpSettings.from_fields(
            host=connection.host,
            port=connection.port,
            login=connection.login,
            password=connection.password,
            extra=connection.extra_dejson,
            name=connection_id,
        )
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from exc


def reminders_task() -> dict[str, Any]:
    """Send what is due; fail (retryably) when something could not be sent."""
    inventory = open_inventory()
    store = open_archive_store()
    try:
        operators = operator_addresses(SETTINGS.get(ALERT_EMAIL))
    except ConfigError as exc:
        raise AirflowFailException(str(exc)) from exc
    web_url = SETTINGS.get(WEB_URL) or DEFAULT_WEB_URL
    with SmtpMailer(smtp_settings()) as mailer:
        run = remind(
            store,
            inventory,
            mailer,
            SystemClock().now(),
            web_url=web_url,
            operators=operators,
            actor="airflow",
        )
    summary = {"sent": len(run.sent), "failed": len(run.failed), "without_address": len(run.without_address)}
    log.info("reminders: %s", summary)
    if not run.ok:
        raise RemindersNotSent(f"{len(run.failed)} reminders not sent: {run.failed[0].get('error')}")
    return summary
