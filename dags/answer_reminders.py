"""Reminders of unanswered comments and alerts of failed captures, every hour.

Mails the responsible person and the substitute of an account (``responsible_email`` and
``substitute_email`` in the inventory) when a citizen's comment has waited 16 weekday hours
without an answer, and again at 24 (weekday hours in Stockholm, Swedish holidays off), with a
link to the thread in the web view (``ARCHIVE_WEB_URL``). The same run reports a failed night, a
token that expires within 14 days and a hot pass that has failed for two hours, also to the
operators (``ARCHIVE_ALERT_EMAIL``). Mail goes through the Airflow Connection
``ARCHIVE_SMTP_CONNECTION`` (default ``smtp_default``). Each message is sent once, and recorded
in the store. All logic lives in ``archive_lib.audit.reminders``; see README.md.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task

STOCKHOLM = "Europe/Stockholm"


@dag(
    dag_id="answer_reminders",
    schedule=CronTriggerTimetable("5 * * * *", timezone=STOCKHOLM),
    start_date=pendulum.datetime(2026, 1, 1, tz=STOCKHOLM),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=5)},
    tags=["archive", "reminders"],
    doc_md=__doc__,
)
def answer_reminders() -> None:
    @task(execution_timeout=dt.timedelta(minutes=30))
    def remind() -> dict[str, object]:
        from archive_lib.airflow_glue.reminders import reminders_task

        return reminders_task()

    remind()


dag_object = answer_reminders()
