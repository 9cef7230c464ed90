"""The ``dispose_records`` DAG: it loads, never runs on a schedule, and a real ``dag.test()``
carries out the decision given as its parameter on a file store."""

from __future__ import annotations

import pathlib

import pytest

from archive_lib.metadata.disposals import read_document
from tests.conftest import REPO
from tests.helpers import DECISION
from tests.lifecycle_world import LifecycleWorld, copy_world, lifecycle_template

__all__ = ["lifecycle_template"]  # a fixture
DAGS = REPO / "dags"


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils import db

    db.resetdb()


def test_the_dag_loads_and_runs_only_when_triggered(airflow_db: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    dag = bag.get_dag("dispose_records")
    assert dag is not None
    assert type(dag.timetable).__name__ == "NullTimetable" and dag.catchup is False  # schedule=None
    assert set(dag.params) == {"decision"}


def test_dag_test_disposes_of_the_decision_it_is_given(
    airflow_db: None,
    lifecycle_template: LifecycleWorld,
    tmp_path: pathlib.Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    world = copy_world(lifecycle_template, tmp_path)
    expected = world.run_objects("ks-mastodon")
    monkeypatch.setenv("ARCHIVE_INVENTORY", str(world.inventory_path))
    monkeypatch.setenv("ARCHIVE_STORE", world.store.url)
    dag = DagBag(dag_folder=str(DAGS)).get_dag("dispose_records")

    run = dag.test(run_conf={"decision": DECISION})

    assert run.state == "success"  # type: ignore[attr-defined]
    assert not set(expected) & world.stored_keys()
    [key] = [k for k in world.store.list("disposals/") if not k.endswith(".intent.json")]
    assert {o["key"] for o in read_document(world.store, key)["objects"]} == set(expected)

    unknown = dag.test(run_conf={"decision": "KS 1999/1"})
    assert unknown.state == "failed"  # type: ignore[attr-defined]
