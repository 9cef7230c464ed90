"""Disposal by decision (gallring): carry out one disposal decision, on manual trigger only.

Never scheduled: an archivist triggers it with the decision's id as the ``decision`` parameter
(the id a retention class names in the inventory, e.g. ``KS 2026/123``), after checking the plan
with ``archivectl dispose --decision ID --dry-run``. It deletes only what the decision covers,
whose retain-until date has passed and that no legal hold keeps, stores the protocol
(gallringsprotokoll) under ``disposals/`` and fails when anything was refused. All logic lives in
``archive_lib.lifecycle.dispose``; see README.md, "Records' lifecycle".
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task


@dag(
    dag_id="dispose_records",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Europe/Stockholm"),
    catchup=False,
    max_active_runs=1,
    params={
        "decision": Param(
            "",
            type="string",
            minLength=1,
            maxLength=200,
            description="The disposal decision's id (gallringsbeslut), as the inventory names it",
        )
    },
    tags=["archive", "lifecycle"],
    doc_md=__doc__,
)
def dispose_records() -> None:
    @task
    def dispose() -> dict[str, object]:
        from archive_lib.airflow_glue.dispose import dispose_task

        return dispose_task()

    dispose()


dag_object = dispose_records()
