"""The ``audit_archive`` DAG: it loads, follows the capture's asset, and a real ``dag.test()``
stores its report and fails when the audit found problems."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

from archive_lib.storage import open_store
from tests.audit_world import AuditWorld
from tests.conftest import REPO
from tests.fakes.mastodon import FakeMastodon
from tests.signing import TEST_KEY, write_key_file

DAGS = REPO / "dags"
NOW = dt.datetime(2026, 11, 20, 1, 0, tzinfo=dt.UTC)
NIGHT = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils import db

    db.resetdb()


def test_audit_dag_loads_and_follows_the_nightly_capture(airflow_db: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    dag = bag.get_dag("audit_archive")
    assert dag is not None
    assert {t.task_id for t in dag.tasks} == {"audit"}
    assert dag.catchup is False
    assets = {dag.timetable.asset_condition.name}
    assert assets == {"archive_nightly_capture"}
    summarize = bag.get_dag("capture_social_media").get_task("summarize")
    assert {o.name for o in summarize.outlets} == assets


def _run(world: AuditWorld, monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> object:
    from airflow.dag_processing.dagbag import DagBag

    world.inventory()  # writes tmp_path/inventory.yaml
    monkeypatch.setenv("ARCHIVE_INVENTORY", str(tmp_path / "inventory.yaml"))
    monkeypatch.setenv("ARCHIVE_STORE", world.store.url)
    monkeypatch.setenv("ARCHIVE_AUDIT_NIGHTS", "1")
    monkeypatch.setenv("ARCHIVE_SIGNING_KEY", str(write_key_file(tmp_path)))
    dag = DagBag(dag_folder=str(DAGS)).get_dag("audit_archive")
    # 06:00 in Stockholm on the night audited.
    return dag.test(logical_date=dt.datetime(2026, 11, 20, 5, 0, tzinfo=dt.UTC))


def test_dag_test_stores_the_report_and_fails_on_problems(
    airflow_db: None, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeMastodon(now=NOW) as fake:
        store = open_store((tmp_path / "archive").as_uri())
        world = AuditWorld(fake, tmp_path, store)
        fake.post(world.town, fake.html("God morgon från kommunen!"), at=NOW - dt.timedelta(hours=2))
        assert world.capture(NIGHT, "ks-mastodon").status == "ok"

        clean = _run(world, monkeypatch, tmp_path)
        assert clean.state == "success"  # type: ignore[attr-defined]
        reports = sorted(store.list("audit/2026-11-20/"))
        assert [k.split(".", 1)[1] for k in reports] == ["html", "json", "json.sig"]
        report = json.loads(store.open(reports[1]).read())
        assert report["signing_key_id"] == TEST_KEY.key_id  # signed with ARCHIVE_SIGNING_KEY's key
        assert report["objects"][0]["key"] == reports[0]  # the signed JSON covers the HTML
        assert report["clean"] is True and report["nights"] == {"ks-mastodon": {"2026-11-20": "ok"}}
        assert store.stat(reports[1]).lock_mode == "read-only"

        # A second account joins the inventory but is never captured: the audit must fail.
        world.accounts = [*world.accounts, {"id": "ung-mastodon", "handle": "ung"}]
        failed = _run(world, monkeypatch, tmp_path)
        assert failed.state == "failed"  # type: ignore[attr-defined]
        [ti] = failed.get_task_instances()  # type: ignore[attr-defined]
        assert ti.state == "failed"
        reports = [json.loads(store.open(k).read()) for k in store.list("audit/") if k.endswith(".json")]
        newest = max(reports, key=lambda r: r["generated_at"])
        assert {p["kind"] for p in newest["problems"]} == {"account_never_captured"}
        # The earlier report is still there: reports are never replaced.
        assert len(list(store.list("audit/2026-11-20/"))) == 6
