"""The ``capture_recent`` DAG: loaded by Airflow, and a real ``dag.test()`` hot pass and targeted run.

``dag.test()`` runs every task in this process against Airflow's own SQLite metadata database
(see conftest.py), the fake Mastodon over loopback and a file store in a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from archive_lib.capture.pools import pool_name
from archive_lib.clock import stockholm_date
from archive_lib.connectors import PLATFORMS
from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage import open_store
from tests.conftest import REPO
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import read_items, write_inventory

DAGS = REPO / "dags"


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils import db

    db.resetdb()


def test_the_hot_pass_dag_loads_every_15_minutes_in_the_platform_pools(airflow_db: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    dag = bag.get_dag("capture_recent")
    assert dag is not None
    captures = {f"{platform}.capture": pool_name(platform) for platform in PLATFORMS}
    listings = {f"{platform}.list_accounts" for platform in PLATFORMS}
    assert {t.task_id for t in dag.tasks} == {*listings, *captures}
    assert {t.task_id: t.pool for t in dag.tasks if t.task_id in captures} == captures
    assert dag.timetable.delta == dt.timedelta(minutes=15)
    assert dag.catchup is False
    assert all(t.execution_timeout for t in dag.tasks)


def test_dag_test_makes_a_hot_pass_and_a_targeted_capture(
    airflow_db: None, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, fake_mastodon: FakeMastodon
) -> None:
    fake = fake_mastodon
    town = fake.add_account("kristianstad", "Kristianstads kommun")
    fake.add_account("anna", "Anna Lindqvist")
    first = fake.post(town, fake.html("Badhuset öppnar igen på måndag!"))
    fake.post("anna", fake.html("Vilka tider gäller?"), in_reply_to=first["id"])
    inventory = write_inventory(tmp_path, fake.base_url, [{"id": "ks-mastodon", "handle": "kristianstad"}])
    store_url = f"file://{tmp_path / 'archive'}"
    monkeypatch.setenv("ARCHIVE_INVENTORY", str(inventory))
    monkeypatch.setenv("ARCHIVE_STORE", store_url)

    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("capture_recent")
    run = dag.test()
    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    assert states[("mastodon.capture", 0)] == "success"
    assert run.state == "success"
    store = open_store(store_url)
    today = stockholm_date(dt.datetime.now(dt.UTC))
    [hot] = runs_of_night(store, today)
    assert (hot["kind"], hot["status"], hot["counts"]["comments_new"]) == ("recent", "ok", 1)

    # A push names one thread: only that thread is read (a new comment elsewhere waits).
    second = fake.post(town, fake.html("Sagostund på lördag."))
    fake.post("anna", fake.html("För vilka åldrar?"), in_reply_to=second["id"])
    fake.post("anna", fake.html("Och när stänger det?"), in_reply_to=first["id"])
    run = dag.test(run_conf={"threads": {"ks-mastodon": [str(first["id"])]}})
    assert run.state == "success"
    targeted = [r for r in runs_of_night(store, today) if r["kind"] == "targeted"]
    assert len(targeted) == 1 and targeted[0]["counts"]["comments_new"] == 1
    texts = {r["text"] for r in read_items(store)}
    assert "Och när stänger det?" in texts
    assert "Sagostund på lördag." not in texts and "För vilka åldrar?" not in texts
