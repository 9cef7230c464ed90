"""Table definitions for reading the archive's Parquet in place: DuckDB, Trino, Athena.

The definitions are generated from the Arrow schemas (:mod:`archive_lib.metadata.schema`), so they
always match what the archive writes. Both tables are Hive-partitioned by their paths (see the
store layout in README.md): ``items`` by ``account_id`` and ``run_date``, ``runs`` by
``run_date``. The partition columns are typed in every definition (``account_id`` text,
``run_date`` a date) rather than guessed from the paths, where ``account_id=2024`` would read as a
number. Parts written by older versions may lack newer columns: the definitions read them with
those columns null.
"""

from __future__ import annotations

import pyarrow as pa

from archive_lib.metadata.schema import ITEMS_SCHEMA, RUNS_SCHEMA

ENGINES = ("duckdb", "trino", "athena")
# Partition columns and their types, in path order.
PARTITIONS: dict[str, list[tuple[str, pa.DataType]]] = {
    "items": [("account_id", pa.string()), ("run_date", pa.date32())],
    "runs": [("run_date", pa.date32())],
}
SCHEMAS = {"items": ITEMS_SCHEMA, "runs": RUNS_SCHEMA}
DIRECTORIES = {"items": "metadata/items", "runs": "metadata/runs"}


def definitions(engine: str, location: str, schema: str = "archive") -> str:
    """SQL creating ``items`` and ``runs`` for ``engine`` over the store at ``location``.

    ``location`` is the store URL without a trailing slash (``s3://bucket/prefix`` or, for DuckDB,
    also a local folder); ``schema`` the Trino/Athena schema (database) to create them in.
    """
    location = location.rstrip("/").replace("'", "''")  # an SQL string literal
    if location.startswith("file://"):
        location = location.removeprefix("file://")
    schema = schema.replace('"', "")
    if engine == "duckdb":
        return "\n".join(_duckdb(table, f"{location}/{DIRECTORIES[table]}") for table in SCHEMAS)
    if engine == "trino":
        return "\n".join(_trino(table, f"{location}/{DIRECTORIES[table]}/", schema) for table in SCHEMAS)
    if engine == "athena":
        return "\n".join(_athena(table, f"{location}/{DIRECTORIES[table]}/", schema) for table in SCHEMAS)
    raise ValueError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")


def _duckdb(table: str, folder: str) -> str:
    depth = "/".join("*" for _ in PARTITIONS[table])
    types = ", ".join(f"'{name}': {_SCALARS[str(kind)][2]}" for name, kind in PARTITIONS[table])
    return (
        f"CREATE OR REPLACE VIEW {table} AS\n"  # noqa: S608 (printed for the operator; location escaped)
        f"  SELECT * FROM read_parquet('{folder}/{depth}/*.parquet',\n"
        f"                             hive_partitioning = true, union_by_name = true,\n"
        f"                             hive_types = {{{types}}});\n"
    )


def _data_columns(table: str) -> list[pa.Field]:
    partition_names = {name for name, _ in PARTITIONS[table]}
    return [f for f in SCHEMAS[table] if f.name not in partition_names]


def _trino(table: str, folder: str, schema: str) -> str:
    columns = [f"  {f.name} {_trino_type(f.type)}" for f in _data_columns(table)]
    columns += [f"  {name} {_trino_type(kind)}" for name, kind in PARTITIONS[table]]
    keys = ", ".join(f"'{name}'" for name, _ in PARTITIONS[table])
    return (
        f"CREATE TABLE IF NOT EXISTS hive.{schema}.{table} (\n"
        + ",\n".join(columns)
        + f"\n) WITH (\n  external_location = '{folder}',\n  format = 'PARQUET',\n"
        f"  partitioned_by = ARRAY[{keys}]\n);\n"
        f"CALL hive.system.sync_partition_metadata('{schema}', '{table}', 'ADD');\n"
    )


def _athena(table: str, folder: str, schema: str) -> str:
    columns = [f"  `{f.name}` {_hive_type(f.type)}" for f in _data_columns(table)]
    partitions = ", ".join(f"`{name}` {_hive_type(kind)}" for name, kind in PARTITIONS[table])
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {schema}.{table} (\n"
        + ",\n".join(columns)
        + f"\n)\nPARTITIONED BY ({partitions})\nSTORED AS PARQUET\nLOCATION '{folder}';\n"
        f"MSCK REPAIR TABLE {schema}.{table};\n"
    )


def _trino_type(kind: pa.DataType) -> str:
    if pa.types.is_struct(kind):
        fields = ", ".join(f"{f.name} {_trino_type(f.type)}" for f in kind)
        return f"ROW({fields})"
    if pa.types.is_list(kind):
        return f"ARRAY({_trino_type(kind.value_type)})"
    if pa.types.is_timestamp(kind):
        return "timestamp(6)"  # UTC; needs hive.timestamp-precision=MICROSECONDS for all digits
    return _SCALARS[str(kind)][0]


def _hive_type(kind: pa.DataType) -> str:
    if pa.types.is_struct(kind):
        fields = ",".join(f"{f.name}:{_hive_type(f.type)}" for f in kind)
        return f"struct<{fields}>"
    if pa.types.is_list(kind):
        return f"array<{_hive_type(kind.value_type)}>"
    if pa.types.is_timestamp(kind):
        return "timestamp"
    return _SCALARS[str(kind)][1]


# Arrow type → (Trino, Hive/Athena, DuckDB)
_SCALARS = {
    "string": ("varchar", "string", "VARCHAR"),
    "bool": ("boolean", "boolean", "BOOLEAN"),
    "int32": ("integer", "int", "INTEGER"),
    "int64": ("bigint", "bigint", "BIGINT"),
    "date32[day]": ("date", "date", "DATE"),
    "double": ("double", "double", "DOUBLE"),
}
