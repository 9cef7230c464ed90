"""The scale-out smoke test: Airflow with the CeleryExecutor and two workers, one night into a
locked bucket.

Starts, natively on 127.0.0.1: PostgreSQL (metadata database and Celery result backend) and Redis
(the broker) from Debian's packages; Airflow's api-server, scheduler, dag-processor and triggerer;
two Celery workers, each running one task at a time and naming itself in the task instances it
runs; moto's S3 server with an Object Lock bucket; the fake Mastodon server with four accounts.
Then triggers ``capture_social_media`` and ``capture_recent`` (a hot pass) through the REST API,
waits for each, and reports which worker captured which account. Every process it started is
stopped, whatever happens.
"""

from __future__ import annotations

import json
import pathlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_sample import BIBLIOTEK, KOMMUN, populate_demo
from tests.prodlike.airflow_stack import AirflowStack
from tests.prodlike.postgres import TempPostgres
from tests.prodlike.processes import ProcessGroup
from tests.prodlike.redis import TempRedis
from tests.prodlike.smoke import S3_KEYS, _client_keys

REPO = pathlib.Path(__file__).resolve().parents[2]
NIGHTLY = "capture_social_media"
RECENT = "capture_recent"
WORKERS = ("worker1", "worker2")
EXTRA_ACCOUNTS = {"ung-mastodon": "ungkristianstad", "kultur-mastodon": "kulturkristianstad"}

ACCOUNT = """\
  - id: {id}
    board: {board}
    platform: mastodon
    handle: {handle}
    api_base: {api_base}
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: {retention}
"""


@dataclass
class CeleryResult:
    runs: dict[str, dict[str, Any]]
    task_states: dict[str, dict[str, str]]
    task_hosts: dict[str, dict[str, str]]  # DAG id → task → worker that ran it
    account_hosts: dict[str, dict[str, str]]  # DAG id → account id → worker (the captures' arguments)
    objects: list[str]
    seconds: dict[str, float]
    pids: list[int]
    log_folder: pathlib.Path
    worker_logs: dict[str, str] = field(default_factory=dict)


def run_celery_smoke(folder: pathlib.Path, *, s3_endpoint: str, run_timeout: float = 900.0) -> CeleryResult:
    """Run the scenario of the module docstring in ``folder`` against the S3 server at ``s3_endpoint``."""
    started = time.monotonic()
    seconds: dict[str, float] = {}
    processes = ProcessGroup(folder / "logs")
    postgres = TempPostgres(processes)
    redis = TempRedis(processes)
    fake = FakeMastodon()
    try:
        s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-north-1", **_client_keys())
        bucket = f"kommun-arkiv-celery-{secrets.token_hex(4)}"
        s3.create_bucket(
            Bucket=bucket,
            ObjectLockEnabledForBucket=True,
            CreateBucketConfiguration={"LocationConstraint": "eu-north-1"},
        )
        fake.start()
        populate_demo(fake)
        for account_id, handle in EXTRA_ACCOUNTS.items():
            account = fake.add_account(handle, account_id)
            fake.post(account, fake.html(f"Hej från {handle}!"), at=fake.clock.now())
        inventory = folder / "inventory.yaml"
        accounts = [
            ("ks-mastodon", "Kommunstyrelsen", KOMMUN, "bevaras"),
            ("bibliotek-mastodon", "Kultur- och fritidsnämnden", BIBLIOTEK, "gallras-efter-2-ar"),
            *((a, "Kultur- och fritidsnämnden", h, "gallras-efter-2-ar") for a, h in EXTRA_ACCOUNTS.items()),
        ]
        inventory.write_text(
            "organisation: Kristianstads kommun\n"
            "retention_classes:\n"
            "  bevaras: {keep: permanent}\n"
            '  gallras-efter-2-ar: {keep_years: 2, decision: "KS 2026/123"}\n'
            "accounts:\n"
            + "".join(
                ACCOUNT.format(id=a, board=b, handle=h, api_base=fake.base_url, retention=r)
                for a, b, h, r in accounts
            ),
            encoding="utf-8",
        )

        database_url = postgres.start()
        broker_url = redis.start()
        seconds["postgres+redis"] = time.monotonic() - started
        airflow = AirflowStack(
            folder / "airflow",
            processes,
            database_url,
            REPO / "dags",
            {
                "ARCHIVE_INVENTORY": str(inventory),
                "ARCHIVE_STORE": f"s3://{bucket}/social",
                "ARCHIVE_INDEX_DIR": str(folder / "index"),
                "AWS_ENDPOINT_URL": s3_endpoint,
                **S3_KEYS,
            },
        )
        airflow.use_celery(broker_url, "db+" + database_url.replace("postgresql+psycopg2", "postgresql"))
        airflow.migrate()
        airflow.import_pools()
        seconds["migrate"] = time.monotonic() - started
        airflow.start(triggerer=True)
        for name in WORKERS:
            airflow.start_worker(name, concurrency=1)
        airflow.wait_healthy()
        seconds["healthy"] = time.monotonic() - started

        runs: dict[str, dict[str, Any]] = {}
        states: dict[str, dict[str, str]] = {}
        hosts: dict[str, dict[str, str]] = {}
        account_hosts: dict[str, dict[str, str]] = {}
        for dag_id, conf in ((NIGHTLY, {}), (RECENT, {})):
            airflow.wait_for_dag(dag_id)
            airflow.unpause(dag_id)
            run_id = airflow.trigger(dag_id, conf)
            runs[dag_id] = airflow.wait_for_run(dag_id, run_id, run_timeout)
            seconds[dag_id] = time.monotonic() - started
            instances = airflow.task_instances(dag_id, run_id)
            states[dag_id] = {f"{ti['task_id']}[{ti['map_index']}]": str(ti["state"]) for ti in instances}
            hosts[dag_id] = {
                f"{ti['task_id']}[{ti['map_index']}]": str(ti["hostname"])
                for ti in instances
                if ti.get("hostname")
            }
            for ti in instances:
                if ti["task_id"].endswith(".capture") and ti.get("hostname"):
                    account = _account_of(airflow, dag_id, run_id, ti)
                    if account:
                        account_hosts.setdefault(dag_id, {})[account] = str(ti["hostname"])
        objects = [
            item["Key"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])
        ]
        return CeleryResult(
            runs=runs,
            task_states=states,
            task_hosts=hosts,
            account_hosts=account_hosts,
            objects=objects,
            seconds=seconds,
            pids=processes.pids(),
            log_folder=processes.log_folder,
            worker_logs={n: (processes.log_folder / f"{n}.log").read_text(errors="replace") for n in WORKERS},
        )
    finally:
        processes.stop_all()
        postgres.remove()
        redis.remove()
        fake.stop()
        seconds["stopped"] = time.monotonic() - started


def _account_of(airflow: AirflowStack, dag_id: str, run_id: str, ti: dict[str, Any]) -> str | None:
    """The account a mapped capture task ran for, from its rendered arguments."""
    fields = ti.get("rendered_fields") or {}
    text = json.dumps(fields)
    for account_id in ("ks-mastodon", "bibliotek-mastodon", *EXTRA_ACCOUNTS):
        if f'"{account_id}"' in text or f"'{account_id}'" in text:
            return account_id
    return None
