"""``archivectl runs``: what the store holds for a night, one line per account run."""

from __future__ import annotations

import argparse
from typing import Any

from archive_lib.cli.args import EXIT_OK, add_verbosity, date_arg, required
from archive_lib.inert import json_text, terminal_text
from archive_lib.metadata.runs import night_report
from archive_lib.settings import ENVIRONMENT, STORE
from archive_lib.storage import open_store


def register(sub: Any) -> None:
    """Add the ``runs`` command to ``archivectl``'s subparsers."""
    runs = sub.add_parser("runs", help="what the store holds for a night: one line per account run")
    runs.add_argument("--store", default=ENVIRONMENT.get(STORE))
    runs.add_argument("--run-date", type=date_arg, help="the night (default: the latest night in the store)")
    runs.add_argument("--format", choices=("table", "json"), default="table")
    add_verbosity(runs)
    runs.set_defaults(run=run_runs)


def run_runs(args: argparse.Namespace) -> int:
    """Print the night's runs as a table or as JSON."""
    store = open_store(required(args.store, "no store: give --store or set ARCHIVE_STORE"))
    report = night_report(store, args.run_date)
    if args.format == "json":
        print(json_text(report))
        return EXIT_OK
    if report["run_date"] is None:
        print(f"{store.url}: no runs yet")
        return EXIT_OK
    print(f"{store.url}: runs of the night of {report['run_date']}")
    for run in report["runs"]:
        counts = run["counts"] or {}
        print(
            f"  {run['account_id']:<24} {run['status']:<11} posts +{counts.get('posts_new', 0):<4} "
            f"comments +{counts.get('comments_new', 0):<5} edited {counts.get('edited', 0):<4} "
            f"deleted {counts.get('deleted', 0):<4} {run['run_id']}"
            + (f"\n      {terminal_text(run['error'])}" if run.get("error") else "")
        )
    return EXIT_OK
