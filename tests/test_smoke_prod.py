"""The production-like smoke test: Postgres-backed Airflow, a REST-triggered night, locked objects.

Real processes on 127.0.0.1 (see tests/prodlike/smoke.py): PostgreSQL from Debian's packages,
Airflow's api-server, scheduler and dag-processor with LocalExecutor, the suite's moto S3 server
with an Object Lock bucket, the fake Mastodon server. Needs Debian's ``postgresql`` package; without
it the test fails and says so (it is never skipped).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import gzip_members
from tests.prodlike.postgres import PostgresMissing, server_bin
from tests.prodlike.processes import group_alive
from tests.prodlike.smoke import SmokeResult, run_smoke


@pytest.fixture(scope="module")
def smoke(moto_server: str, tmp_path_factory: pytest.TempPathFactory) -> SmokeResult:
    try:
        server_bin()
    except PostgresMissing as exc:
        pytest.fail(str(exc))
    return run_smoke(tmp_path_factory.mktemp("smoke"), s3_endpoint=moto_server)


def test_rest_triggered_night_succeeds_on_postgres_backed_airflow(smoke: SmokeResult) -> None:
    assert smoke.run["state"] == "success", smoke.task_states
    ours = {
        k: v
        for k, v in smoke.task_states.items()
        if k.startswith(("mastodon.", "summarize", "refresh_search_index"))
    }
    assert ours == {
        "mastodon.list_accounts[-1]": "success",
        "mastodon.capture[0]": "success",
        "mastodon.capture[1]": "success",
        "summarize[-1]": "success",
        "refresh_search_index[-1]": "success",
    }
    # Platforms without accounts in the inventory list none and skip their captures.
    for task, state in smoke.task_states.items():
        if task not in ours:
            assert state == ("success" if ".list_accounts[" in task else "skipped"), (task, state)
    assert smoke.task_pools["mastodon.capture[0]"] == "capture_mastodon"
    assert smoke.task_pools["summarize[-1]"] == "default_pool"
    assert "registrar_views" in smoke.plugins  # the registrars' web view, as the image ships it
    migrate_log = (smoke.log_folder / "db-migrate.log").read_text()
    assert "postgresql" in migrate_log.lower()  # the metadata database really was PostgreSQL


def test_every_object_is_locked_and_tagged(smoke: SmokeResult) -> None:
    now = dt.datetime.now(dt.UTC)
    kinds: dict[str, set[str]] = {}
    for obj in smoke.objects:
        assert obj.mode == "COMPLIANCE", obj
        assert obj.retain_until is not None and dt.datetime.fromisoformat(obj.retain_until) > now, obj
        account = obj.tags["account"]
        kinds.setdefault(account, set()).add(obj.tags["kind"])
        assert obj.tags["platform"] == "mastodon"
        if account == "ks-mastodon":  # a permanent class: a legal hold on top of the lock
            assert obj.tags["retention-class"] == "bevaras"
            assert obj.legal_hold == "ON", obj
        else:
            assert obj.tags["retention-class"] == "gallras-efter-2-ar"
            assert obj.legal_hold != "ON", obj
            assert dt.datetime.fromisoformat(obj.retain_until).year == now.year + 2
    every_kind = {"warc", "items", "runs", "manifest", "lease"}  # the write lease the run took
    assert kinds == {"ks-mastodon": every_kind, "bibliotek-mastodon": every_kind}


def test_token_reached_the_platform_through_a_connection_and_nothing_else(smoke: SmokeResult) -> None:
    assert smoke.token_sent
    secret = smoke.token.encode()
    for data in smoke.store_bytes:
        assert secret not in data
        if data[:2] == b"\x1f\x8b":
            assert all(secret not in member for member in gzip_members(data))
    task_logs = [p for p in (smoke.airflow_home / "logs").rglob("*") if p.is_file()]
    assert any("task_id=mastodon.capture" in str(p) for p in task_logs), task_logs
    for path in [*smoke.log_folder.rglob("*"), *task_logs]:
        if path.is_file():
            assert secret not in path.read_bytes(), path


def test_every_started_process_is_stopped(smoke: SmokeResult) -> None:
    assert len(smoke.pids) == 4  # postgres, api-server, scheduler, dag-processor
    assert [pid for pid in smoke.pids if group_alive(pid)] == []
