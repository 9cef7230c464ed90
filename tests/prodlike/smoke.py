"""The production-like smoke test: one night through Postgres-backed Airflow into a locked bucket.

Starts, natively and each on its own port on 127.0.0.1 (port 0 where the server can bind it):

* PostgreSQL from Debian's packages, as Airflow's metadata database;
* Airflow's api-server, scheduler and dag-processor with LocalExecutor;
* moto's S3 server standing in for MinIO, with an Object Lock bucket as the store;
* the fake Mastodon server with Kristianstads kommun's sample content; the municipality's
  account is read with a token that reaches the task only as an Airflow Connection
  (``AIRFLOW_CONN_KS_MASTODON``), exactly as the compose file passes it;

then unpauses and triggers ``capture_social_media`` through the REST API, waits for the run to
finish, and reads back every object's lock and tags. Every process it started is stopped,
whatever happens.
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

REPO = pathlib.Path(__file__).resolve().parents[2]
DAG_ID = "capture_social_media"
BUCKET = "kommun-arkiv"
PREFIX = "social"
S3_KEYS = {
    "AWS_ACCESS_KEY_ID": "smoke-access",
    "AWS_SECRET_ACCESS_KEY": "smoke-secret",
    "AWS_DEFAULT_REGION": "eu-north-1",
}

INVENTORY = """\
organisation: Kristianstads kommun
contact: arkiv@kristianstad.example
retention_classes:
  bevaras: {{keep: permanent}}
  gallras-efter-2-ar: {{keep_years: 2, decision: "KS 2026/123"}}
accounts:
  - id: ks-mastodon
    board: Kommunstyrelsen
    platform: mastodon
    handle: {kommun}
    api_base: {api_base}
    token_connection: ks_mastodon
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: bevaras
  - id: bibliotek-mastodon
    board: Kultur- och fritidsnämnden
    platform: mastodon
    handle: {bibliotek}
    api_base: {api_base}
    responsible: Cecilia Ek
    substitute: Dan Dahl
    retention: gallras-efter-2-ar
"""


@dataclass
class LockedObject:
    key: str
    mode: str | None
    retain_until: str | None
    legal_hold: str | None
    tags: dict[str, str]


@dataclass
class SmokeResult:
    run: dict[str, Any]
    task_states: dict[str, str]
    task_pools: dict[str, str]
    plugins: list[str]
    objects: list[LockedObject]
    seconds: dict[str, float]
    pids: list[int]
    token: str
    token_sent: bool
    log_folder: pathlib.Path
    airflow_home: pathlib.Path
    store_bytes: list[bytes] = field(default_factory=list)


def run_smoke(
    folder: pathlib.Path, *, s3_endpoint: str | None = None, run_timeout: float = 900.0
) -> SmokeResult:
    """Run the whole scenario in ``folder`` (logs, Airflow home, inventory); see the module docstring.

    ``s3_endpoint`` reuses a running S3 server (the test suite's moto); otherwise one is started.
    """
    started = time.monotonic()
    seconds: dict[str, float] = {}
    processes = ProcessGroup(folder / "logs")
    postgres = TempPostgres(processes)
    moto = None
    fake = FakeMastodon()
    try:
        if s3_endpoint is None:
            from moto.server import ThreadedMotoServer

            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            moto.start()
            host, port = moto.get_host_and_port()
            s3_endpoint = f"http://{host}:{port}"
        s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-north-1", **_client_keys())
        bucket = f"{BUCKET}-{secrets.token_hex(4)}"
        s3.create_bucket(
            Bucket=bucket,
            ObjectLockEnabledForBucket=True,
            CreateBucketConfiguration={"LocationConstraint": "eu-north-1"},
        )

        fake.start()
        info = populate_demo(fake)
        token = fake.add_token(f"smoke-{secrets.token_hex(16)}", account=info["accounts"][KOMMUN])
        inventory = folder / "inventory.yaml"
        inventory.write_text(
            INVENTORY.format(api_base=fake.base_url, kommun=KOMMUN, bibliotek=BIBLIOTEK), encoding="utf-8"
        )

        database_url = postgres.start()
        seconds["postgres"] = time.monotonic() - started
        airflow = AirflowStack(
            folder / "airflow",
            processes,
            database_url,
            REPO / "dags",
            {
                "ARCHIVE_INVENTORY": str(inventory),
                "ARCHIVE_STORE": f"s3://{bucket}/{PREFIX}",
                "AWS_ENDPOINT_URL": s3_endpoint,
                **S3_KEYS,
                "AIRFLOW_CONN_KS_MASTODON": json.dumps({"conn_type": "generic", "password": token}),
            },
        )
        airflow.migrate()
        airflow.import_pools()
        seconds["migrate"] = time.monotonic() - started
        airflow.start()
        airflow.wait_healthy()
        seconds["healthy"] = time.monotonic() - started
        airflow.wait_for_dag(DAG_ID)
        airflow.unpause(DAG_ID)
        run_id = airflow.trigger(DAG_ID)
        seconds["triggered"] = time.monotonic() - started
        run = airflow.wait_for_run(DAG_ID, run_id, run_timeout)
        seconds["finished"] = time.monotonic() - started
        instances = airflow.task_instances(DAG_ID, run_id)
        states = {f"{ti['task_id']}[{ti['map_index']}]": str(ti["state"]) for ti in instances}
        pools = {f"{ti['task_id']}[{ti['map_index']}]": str(ti["pool"]) for ti in instances}
        plugins = airflow.plugins()
        objects, contents = _read_bucket(s3, bucket)
        token_sent = any(r.authorization == f"Bearer {token}" for r in fake.requests)
        return SmokeResult(
            run=run,
            task_states=states,
            task_pools=pools,
            plugins=plugins,
            objects=objects,
            seconds=seconds,
            pids=processes.pids(),
            token=token,
            token_sent=token_sent,
            log_folder=processes.log_folder,
            airflow_home=airflow.home,
            store_bytes=contents,
        )
    finally:
        processes.stop_all()
        postgres.remove()
        fake.stop()
        if moto is not None:
            moto.stop()
        seconds["stopped"] = time.monotonic() - started


def _client_keys() -> dict[str, str]:
    return {
        "aws_access_key_id": S3_KEYS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": S3_KEYS["AWS_SECRET_ACCESS_KEY"],
    }


def _read_bucket(s3: Any, bucket: str) -> tuple[list[LockedObject], list[bytes]]:
    objects, contents = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            key = item["Key"]
            head = s3.head_object(Bucket=bucket, Key=key)
            tags = s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
            until = head.get("ObjectLockRetainUntilDate")
            objects.append(
                LockedObject(
                    key=key,
                    mode=head.get("ObjectLockMode"),
                    retain_until=until.isoformat() if until else None,
                    legal_hold=head.get("ObjectLockLegalHoldStatus"),
                    tags={t["Key"]: t["Value"] for t in tags},
                )
            )
            contents.append(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    return objects, contents
