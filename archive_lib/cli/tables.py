"""``archivectl tables``: SQL that defines the items and runs tables for DuckDB, Trino or Athena."""

from __future__ import annotations

import argparse
from typing import Any

from archive_lib.errors import ConfigError
from archive_lib.metadata.tables import ENGINES, definitions
from archive_lib.settings import ENVIRONMENT, STORE


def register(sub: Any) -> None:
    parser = sub.add_parser("tables", help="print table definitions for reading the Parquet in place")
    parser.add_argument("--engine", choices=ENGINES, required=True)
    parser.add_argument(
        "--store",
        default=ENVIRONMENT.get(STORE),
        help="store URL, s3://bucket/prefix or a local folder (default: $ARCHIVE_STORE)",
    )
    parser.add_argument("--schema", default="archive", help="Trino/Athena schema (database), default archive")
    parser.set_defaults(run=run, verbose=0, quiet=True)


def run(args: argparse.Namespace) -> int:
    if not args.store:
        raise ConfigError("no store: give --store or set ARCHIVE_STORE")
    print(definitions(args.engine, args.store, args.schema), end="")
    return 0
