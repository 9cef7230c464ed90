"""The archivist's audit: completeness, fixity, retention and the 24-hour answer rule.

Runs when the nightly capture has finished (the ``archive_nightly_capture`` asset, emitted by
``capture_social_media``'s summarize task) and every morning at 06:00 Stockholm time in any case,
so a night whose capture failed or never ran is audited too. Audits the last
``ARCHIVE_AUDIT_NIGHTS`` nights (default 30) with a rotating fixity sample
(``ARCHIVE_AUDIT_PERIOD_DAYS``, default 90), writes the report into the store under ``audit/``
and fails when it found problems. All logic lives in ``archive_lib.audit``; see README.md.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, AssetOrTimeSchedule, CronTriggerTimetable, dag, task

STOCKHOLM = "Europe/Stockholm"
NIGHTLY_CAPTURE = Asset("archive_nightly_capture")  # the same asset as in capture_social_media.py


@dag(
    dag_id="audit_archive",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 6 * * *", timezone=STOCKHOLM), assets=NIGHTLY_CAPTURE
    ),
    start_date=pendulum.datetime(2026, 1, 1, tz=STOCKHOLM),
    catchup=False,
    max_active_runs=1,
    tags=["archive", "audit"],
    doc_md=__doc__,
)
def audit_archive() -> None:
    @task
    def audit() -> dict[str, object]:
        from archive_lib.airflow_glue.audit import audit_task

        return audit_task()

    audit()


dag_object = audit_archive()
