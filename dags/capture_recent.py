"""Hot passes: every account's posts of the last hours with their whole threads, every 15 minutes.

The nightly ``capture_social_media`` stays the completeness pass; this DAG catches what lives only
hours (a comment deleted or hidden before the night). A task group per platform, as the nightly
DAG: ``{platform}.list_accounts`` then ``{platform}.capture`` mapped over the accounts, in the
platform's pool ``capture_{platform}`` (shared with the night, so both stay inside the platform's
rate limits). The interval is ``ARCHIVE_HOT_INTERVAL_MINUTES`` (environment of the DAG processor,
default 15); how far back, ``ARCHIVE_HOT_HOURS`` (environment or Variable ``archive_hot_hours``,
default 72). Triggered with ``{"threads": {"ACCOUNT_ID": ["POST_ID"]}}`` it captures those
threads only. All logic lives in ``archive_lib``; see README.md, "Capture within minutes".
"""

from __future__ import annotations

import datetime as dt
import os

import pendulum
from airflow.sdk import TaskGroup, dag, task

from archive_lib.capture.pools import pool_name
from archive_lib.connectors import PLATFORMS  # plain data: cheap at parse time

STOCKHOLM = "Europe/Stockholm"
INTERVAL_MINUTES = max(1, int(os.environ.get("ARCHIVE_HOT_INTERVAL_MINUTES", "15") or "15"))
PASS_TIMEOUT = dt.timedelta(minutes=70)  # a pass gives up after an hour (archive_lib.capture.recent)


@dag(
    dag_id="capture_recent",
    schedule=dt.timedelta(minutes=INTERVAL_MINUTES),
    start_date=pendulum.datetime(2026, 1, 1, tz=STOCKHOLM),
    catchup=False,
    max_active_runs=4,  # targeted runs (conf "threads") need not wait for a scheduled pass
    default_args={"retries": 0, "execution_timeout": dt.timedelta(minutes=10)},
    tags=["archive", "capture", "hot"],
    doc_md=__doc__,
)
def capture_recent() -> None:
    @task
    def list_accounts(platform: str) -> list[str]:
        from archive_lib.airflow_glue.recent import accounts_for_hot_pass

        return accounts_for_hot_pass(platform)

    @task(map_index_template="{{ account_label }}", execution_timeout=PASS_TIMEOUT)
    def capture(account_id: str) -> dict[str, object]:
        from archive_lib.airflow_glue.recent import capture_recent_one

        return capture_recent_one(account_id)

    for platform in sorted(PLATFORMS):
        with TaskGroup(group_id=platform):
            accounts = list_accounts(platform)
            capture.override(pool=pool_name(platform)).expand(account_id=accounts)


dag_object = capture_recent()
