"""The Airflow DAGs: they load without errors, and a real ``dag.test()`` run captures a night.

``dag.test()`` runs every task in this process against Airflow's own SQLite metadata database
(see conftest.py), the fake Mastodon server over loopback and a file store in a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from archive_lib.capture.pools import pool_name
from archive_lib.connectors import PLATFORMS
from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage import open_store
from tests.conftest import REPO
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import all_bytes, write_inventory

DAGS = REPO / "dags"


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils import db

    db.resetdb()


def test_dag_folder_imports_without_errors(airflow_db: None) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS))
    assert bag.import_errors == {}
    dag = bag.get_dag("capture_social_media")
    assert dag is not None
    # One task group per platform; its captures run in the platform's pool.
    captures = {f"{platform}.capture": pool_name(platform) for platform in PLATFORMS}
    listings = {f"{platform}.list_accounts" for platform in PLATFORMS}
    assert {t.task_id for t in dag.tasks} == {"summarize", "refresh_search_index", *listings, *captures}
    assert {t.task_id: t.pool for t in dag.tasks if t.task_id in captures} == captures
    assert dag.timetable.expression == "30 1 * * *"
    assert str(dag.timetable.timezone) == "Europe/Stockholm"
    assert dag.catchup is False
    # Every task ends by itself: a night that does not is stopped, not left to hang.
    timeouts = {t.task_id: t.execution_timeout for t in dag.tasks}
    assert all(timeouts.values()), timeouts
    assert {timeouts[c] for c in captures} == {dt.timedelta(hours=6)}


def test_dag_test_captures_every_account_and_fails_only_the_broken_one(
    airflow_db: None, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, fake_mastodon: FakeMastodon
) -> None:
    fake = fake_mastodon
    town = fake.add_account("kristianstad", "Kristianstads kommun")
    library = fake.add_account("bibliotek", "Biblioteken i Kristianstad")
    fake.add_account("anna", "Anna Lindqvist")
    post = fake.post(town, fake.html("Badhuset öppnar igen på måndag! #kristianstad"))
    fake.post("anna", fake.html("Äntligen! Vilka tider gäller?"), in_reply_to=post["id"])
    fake.post(library, fake.html("Sagostund på lördag kl 11."))
    fake.add_token("library-token-0123456789abcdef", account=library)
    inventory = write_inventory(
        tmp_path,
        fake.base_url,
        [
            {"id": "ks-mastodon", "handle": "kristianstad"},
            {
                "id": "bibliotek-mastodon",
                "handle": "bibliotek",
                "board": "Kultur- och fritidsnämnden",
                "token_connection": "bibliotek_mastodon",
            },
            {"id": "gone-mastodon", "handle": "nobody-here"},
        ],
    )
    store_url = f"file://{tmp_path / 'archive'}"
    monkeypatch.setenv("ARCHIVE_INVENTORY", str(inventory))
    monkeypatch.setenv("ARCHIVE_STORE", store_url)
    monkeypatch.setenv("ARCHIVE_INDEX_DIR", str(tmp_path / "index"))
    # An Airflow Connection (defined the way Airflow reads them from the environment) holds the token.
    connection = '{"conn_type": "generic", "password": "library-token-0123456789abcdef"}'
    monkeypatch.setenv("AIRFLOW_CONN_BIBLIOTEK_MASTODON", connection)

    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(DAGS)).get_dag("capture_social_media")
    run = dag.test(logical_date=dt.datetime(2026, 11, 24, 0, 30, tzinfo=dt.UTC))

    states = {(ti.task_id, ti.map_index): ti.state for ti in run.get_task_instances()}
    assert states[("mastodon.list_accounts", -1)] == "success"
    assert sorted(s for (task, _), s in states.items() if task == "mastodon.capture") == [
        "failed",
        "success",
        "success",
    ]
    assert states[("summarize", -1)] == "failed"  # it names the failed accounts
    assert states[("refresh_search_index", -1)] == "success"  # what was captured is findable at once
    assert run.state == "failed"  # a failed account fails the night, so the alert reaches people

    rows = {r["account_id"]: r for r in runs_of_night(open_store(store_url), dt.date(2026, 11, 24))}
    assert rows["ks-mastodon"]["status"] == "ok"
    assert rows["ks-mastodon"]["counts"]["posts_new"] == 1
    assert rows["ks-mastodon"]["counts"]["comments_new"] == 1
    assert rows["bibliotek-mastodon"]["status"] == "ok"
    assert rows["gone-mastodon"]["status"] == "failed"
    assert "nobody-here" in rows["gone-mastodon"]["error"]
    from archive_lib.search import SearchIndex
    from archive_lib.search.query import SearchQuery

    index = SearchIndex(open_store(store_url), tmp_path / "index")
    assert index.refresh().parts_new == 0  # the DAG indexed the night already
    found = index.search(SearchQuery(text="badhus"))
    assert [hit["text"] for hit in found.hits] == ["Badhuset öppnar igen på måndag! #kristianstad"]
    # The token reached the platform as a header, and nowhere in the store.
    assert any(r.authorization == "Bearer library-token-0123456789abcdef" for r in fake.requests)
    for path in (tmp_path / "archive").rglob("*"):
        if path.is_file():
            assert b"library-token-0123456789abcdef" not in all_bytes(path)
