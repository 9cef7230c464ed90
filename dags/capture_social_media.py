"""Nightly capture of every inventoried social media account into the records archive.

A task group per platform: ``{platform}.list_accounts`` lists the platform's accounts active on the
night, ``{platform}.capture`` is mapped over them and runs in the Airflow pool
``capture_{platform}``, so parallel captures stay inside each platform's rate limits (see
archive_lib/capture/pools.py). An account that fails (bad token, platform down) fails its
own task only. Settings: ``ARCHIVE_INVENTORY`` and ``ARCHIVE_STORE`` (environment
or Airflow Variables ``archive_inventory`` / ``archive_store``). Tokens: the environment
variable or Airflow Connection each account names in the inventory. All logic lives in
``archive_lib``; see README.md.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Asset, CronTriggerTimetable, TaskGroup, dag, task

from archive_lib.capture.pools import pool_name
from archive_lib.connectors import PLATFORMS  # plain data: cheap at parse time

STOCKHOLM = "Europe/Stockholm"
# A night that has not ended by then never will on its own (the HTTP door bounds every request,
# and the requests of a night): the task is stopped, and the next run completes what it stored.
CAPTURE_TIMEOUT = dt.timedelta(hours=6)
NIGHTLY_CAPTURE = Asset("archive_nightly_capture")  # starts the audit_archive DAG


@dag(
    dag_id="capture_social_media",
    schedule=CronTriggerTimetable("30 1 * * *", timezone=STOCKHOLM),
    start_date=pendulum.datetime(2026, 1, 1, tz=STOCKHOLM),
    catchup=False,
    max_active_runs=1,
    default_args={
        "retries": 2,
        "retry_delay": dt.timedelta(minutes=15),
        "retry_exponential_backoff": True,
        "execution_timeout": dt.timedelta(hours=1),
    },
    tags=["archive", "capture"],
    doc_md=__doc__,
)
def capture_social_media() -> None:
    @task
    def list_accounts(platform: str) -> list[str]:
        from archive_lib.airflow_glue.capture import accounts_for_night

        return accounts_for_night(platform)

    @task(map_index_template="{{ account_label }}", execution_timeout=CAPTURE_TIMEOUT)
    def capture(account_id: str) -> dict[str, object]:
        from archive_lib.airflow_glue.capture import capture_one

        return capture_one(account_id)

    @task(trigger_rule="all_done", outlets=[NIGHTLY_CAPTURE])
    def summarize() -> dict[str, object]:
        from archive_lib.airflow_glue.capture import summarize_night

        return summarize_night()

    @task(trigger_rule="all_done", retries=0)
    def refresh_search_index() -> dict[str, object]:
        from archive_lib.airflow_glue.capture import refresh_search_index as refresh

        return refresh()

    captured = []
    for platform in sorted(PLATFORMS):
        with TaskGroup(group_id=platform):
            accounts = list_accounts(platform)
            captured.append(capture.override(pool=pool_name(platform)).expand(account_id=accounts))
    captured >> summarize()
    captured >> refresh_search_index()  # whatever the night's outcome: what was captured is findable


dag_object = capture_social_media()
