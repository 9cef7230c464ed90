"""Table definitions for reading the Parquet in place: DuckDB runs them on a captured archive;
the Trino and Athena ones name every column of the schemas with a matching type."""

from __future__ import annotations

import pathlib
import re
import subprocess
from typing import Any

import duckdb
import pytest

from archive_lib.metadata.schema import ITEMS_SCHEMA, RUNS_SCHEMA
from archive_lib.metadata.tables import definitions
from archive_lib.storage import FileStore
from tests.conftest import REPO
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import archivectl, capture_command, read_items, write_inventory


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A file store with two nights of two accounts, captured from the fake platform."""
    from tests.fakes.mastodon_sample import populate_demo

    folder = tmp_path_factory.mktemp("tables")
    with FakeMastodon() as fake:
        populate_demo(fake)
        inventory = write_inventory(
            folder,
            fake.base_url,
            [
                {"id": "ks-mastodon", "handle": "kristianstad"},
                {
                    "id": "bibliotek-mastodon",
                    "handle": "kristianstadbibliotek",
                    "retention": "gallras-efter-2-ar",
                },
            ],
        )
        store = (folder / "archive").as_uri()
        for night in ("2026-11-20", "2026-11-21"):
            subprocess.run(capture_command(inventory, store, night=night), check=True, capture_output=True)
    return folder / "archive"


def test_duckdb_definitions_read_the_archive_in_place(archive: pathlib.Path) -> None:
    sql = subprocess.run(
        archivectl("tables", "--engine", "duckdb", "--store", archive.as_uri()),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    con = duckdb.connect()
    con.execute(sql)
    expected = read_items(FileStore(archive.as_uri()))
    assert con.execute("SELECT count(*) FROM items").fetchone() == (len(expected),)
    per_account = dict(con.execute("SELECT account_id, count(*) FROM items GROUP BY ALL").fetchall())
    assert per_account == {a: sum(1 for r in expected if r["account_id"] == a) for a in per_account}
    assert set(per_account) == {"ks-mastodon", "bibliotek-mastodon"}
    runs = con.execute(
        "SELECT run_date, account_id, status, counts.posts_new FROM runs ORDER BY run_date, account_id"
    ).fetchall()
    assert [(str(d), a, s) for d, a, s, _ in runs] == [
        ("2026-11-20", "bibliotek-mastodon", "ok"),
        ("2026-11-20", "ks-mastodon", "ok"),
        ("2026-11-21", "bibliotek-mastodon", "ok"),
        ("2026-11-21", "ks-mastodon", "ok"),
    ]
    assert all(posts > 0 for d, _, _, posts in runs if str(d) == "2026-11-20")
    items_columns = {row[0] for row in con.execute("DESCRIBE items").fetchall()}
    assert {f.name for f in ITEMS_SCHEMA} | {"run_date"} == items_columns
    # Every query the operations guide shows runs on the same views.
    for query in _docs_queries():
        con.execute(query).fetchall()


def _docs_queries() -> list[str]:
    text = (REPO / "docs" / "operations.md").read_text()
    block = re.search(r"<!-- duckdb-queries -->\n```sql\n(.*?)```", text, re.S)
    assert block, "docs/operations.md lacks its DuckDB queries"
    return [q.strip() for q in block.group(1).split(";") if q.strip() and not q.strip().startswith("--")]


def _columns(sql: str, table: str) -> dict[str, str]:
    body = sql.split(f".{table} (\n", 1)[1].split("\n)", 1)[0]
    out = {}
    for line in body.splitlines():
        name, kind = line.strip().rstrip(",").split(" ", 1)
        out[name.strip("`")] = kind
    return out


@pytest.mark.parametrize("engine", ["trino", "athena"])
def test_trino_and_athena_definitions_cover_every_column(engine: str) -> None:
    sql = definitions(engine, "s3://kommun-arkiv/social")
    for table, schema in (("items", ITEMS_SCHEMA), ("runs", RUNS_SCHEMA)):
        columns = _columns(sql, table)
        partition_names = {"items": {"account_id", "run_date"}, "runs": {"run_date"}}[table]
        assert set(columns) == {f.name for f in schema if f.name not in partition_names} | (
            set() if engine == "athena" else partition_names
        )
        kinds: dict[str, Any] = {f.name: f.type for f in schema}
        for name, kind in columns.items():
            if name in kinds and str(kinds[name]) == "string":
                assert kind in ("varchar", "string"), (name, kind)
    assert "s3://kommun-arkiv/social/metadata/items/" in sql
    for engine_text in (definitions("trino", "s3://b/p"), definitions("athena", "s3://b/p")):
        assert engine_text.count("CREATE") == 2


def test_docs_show_the_current_definitions() -> None:
    text = (REPO / "docs" / "operations.md").read_text()
    for engine in ("duckdb", "trino", "athena"):
        generated = definitions(engine, "s3://kommun-arkiv/social")
        assert generated in text, (
            f"docs/operations.md shows outdated {engine} definitions: paste the output of "
            f"`archivectl tables --engine {engine} --store s3://kommun-arkiv/social`"
        )


def test_numeric_looking_account_ids_read_as_text(tmp_path: pathlib.Path) -> None:
    """An account id such as ``2024`` is a path segment ``account_id=2024``: typed, not guessed,
    it stays text, alone in the store and beside ``ks-2024``."""
    from tests.fakes.mastodon_sample import populate_demo

    store = (tmp_path / "archive").as_uri()
    with FakeMastodon() as fake:
        populate_demo(fake)
        inventory = write_inventory(
            tmp_path,
            fake.base_url,
            [
                {"id": "2024", "handle": "kristianstad"},
                {"id": "ks-2024", "handle": "kristianstadbibliotek"},
            ],
        )

        def night(*accounts: str) -> None:
            for account in accounts:
                command = capture_command(inventory, store, "--account", account, night="2026-11-20")
                subprocess.run(command, check=True, capture_output=True)

        def views() -> duckdb.DuckDBPyConnection:
            sql = subprocess.run(
                archivectl("tables", "--engine", "duckdb", "--store", store),
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            con = duckdb.connect()
            con.execute(sql)
            return con

        night("2024")
        con = views()
        types = {row[0]: row[1] for row in con.execute("DESCRIBE items").fetchall()}
        assert (types["account_id"], types["run_date"]) == ("VARCHAR", "DATE")
        assert con.execute("SELECT count(*) FROM items WHERE account_id = 'ks-2024'").fetchone() == (0,)
        alone = con.execute("SELECT count(*) FROM items WHERE account_id LIKE '20%'").fetchone()
        assert alone is not None and alone[0] > 0

        night("ks-2024")
    con = views()
    expected = read_items(FileStore(store))
    per_account = dict(con.execute("SELECT account_id, count(*) FROM items GROUP BY ALL").fetchall())
    assert per_account == {
        "2024": sum(1 for r in expected if r["account_id"] == "2024"),
        "ks-2024": sum(1 for r in expected if r["account_id"] == "ks-2024"),
    }
    assert all(count > 0 for count in per_account.values())
    runs = con.execute("SELECT account_id, run_date FROM runs ORDER BY account_id").fetchall()
    assert [(a, str(d)) for a, d in runs] == [("2024", "2026-11-20"), ("ks-2024", "2026-11-20")]
    types = {row[0]: row[1] for row in con.execute("DESCRIBE runs").fetchall()}
    assert (types["account_id"], types["run_date"]) == ("VARCHAR", "DATE")


def test_trino_and_athena_type_the_partition_columns() -> None:
    trino = definitions("trino", "s3://kommun-arkiv/social")
    items = _columns(trino, "items")
    assert (items["account_id"], items["run_date"]) == ("varchar", "date")
    assert _columns(trino, "runs")["run_date"] == "date"
    athena_items, athena_runs = definitions("athena", "s3://kommun-arkiv/social").split("CREATE EXTERNAL")[1:]
    assert "PARTITIONED BY (`account_id` string, `run_date` date)" in athena_items
    assert "PARTITIONED BY (`run_date` date)" in athena_runs
