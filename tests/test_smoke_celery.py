"""Scale-out, run for real: Airflow with the CeleryExecutor, Redis and PostgreSQL from Debian's
packages, two Celery workers, the api-server, scheduler, dag-processor and triggerer; a night
triggered through the REST API and spread over both workers (tests/prodlike/celery_smoke.py).

Needs Debian's ``postgresql`` and ``redis-server`` packages (``make test`` installs them); without
them the test fails and says so (it is never skipped).
"""

from __future__ import annotations

import pytest

from tests.prodlike.celery_smoke import NIGHTLY, RECENT, WORKERS, CeleryResult, run_celery_smoke
from tests.prodlike.postgres import PostgresMissing, server_bin
from tests.prodlike.processes import group_alive
from tests.prodlike.redis import RedisMissing, server_path

ACCOUNTS = {"ks-mastodon", "bibliotek-mastodon", "ung-mastodon", "kultur-mastodon"}


@pytest.fixture(scope="module")
def celery(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> CeleryResult:
    try:
        server_bin()
        server_path()
    except (PostgresMissing, RedisMissing) as exc:
        pytest.fail(str(exc))
    return run_celery_smoke(tmp_path_factory.mktemp("celery"), s3_endpoint=moto_server)


@pytest.mark.parametrize("dag_id", [NIGHTLY, RECENT])
def test_the_night_and_the_hot_pass_succeed_with_every_account_captured_on_celery_workers(
    celery: CeleryResult, dag_id: str
) -> None:
    assert celery.runs[dag_id]["state"] == "success", celery.task_states
    captures = {t: s for t, s in celery.task_states[dag_id].items() if t.startswith("mastodon.capture[")}
    assert len(captures) == len(ACCOUNTS) and set(captures.values()) == {"success"}
    # Every task of the run was executed by one of the two workers, none by anything else.
    assert set(celery.task_hosts[dag_id].values()) <= set(WORKERS)
    print(f"{dag_id}: which worker captured which account:", celery.account_hosts[dag_id])
    assert set(celery.account_hosts[dag_id]) == ACCOUNTS


def test_the_captures_were_spread_over_both_workers(celery: CeleryResult) -> None:
    assert set(celery.account_hosts[NIGHTLY].values()) == set(WORKERS), celery.account_hosts
    used = {w for hosts in celery.account_hosts.values() for w in hosts.values()}
    assert used == set(WORKERS)
    for name in WORKERS:
        assert "execute_workload" in celery.worker_logs[name] or "received" in celery.worker_logs[name]


def test_every_account_reached_the_locked_bucket(celery: CeleryResult) -> None:
    manifests = [k for k in celery.objects if k.startswith("social/manifests/")]
    assert {m.rsplit("/", 1)[1].split("_", 1)[0] for m in manifests} == ACCOUNTS


def test_every_started_process_is_stopped(celery: CeleryResult) -> None:
    # postgres, redis, api-server, scheduler, dag-processor, triggerer, two workers
    assert len(celery.pids) == 8
    assert [pid for pid in celery.pids if group_alive(pid)] == []
