"""``archivectl audit``: the archivist's audit from the command line.

Exit codes: 0 when the audit found no problems, 1 when it found any (the report lists them),
2 for bad usage (dates, a missing store or inventory).

The report quotes archived text and platform messages. Written to ``--out`` it is the exact
document; on standard output HTML goes through the terminal rule of :mod:`archive_lib.inert`
(lines kept). JSON is always written by its JSON rule: every control escaped, the same value.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

from archive_lib.audit.fixity import DEFAULT_PERIOD_DAYS
from archive_lib.audit.html import render_html
from archive_lib.audit.run import DEFAULT_NIGHTS, AuditOptions, audit_period, run_audit
from archive_lib.cli.args import add_verbosity, date_arg
from archive_lib.clock import SystemClock
from archive_lib.errors import ConfigError
from archive_lib.evidence.config import trust_anchors
from archive_lib.inert import json_text, terminal_text
from archive_lib.inventory import load_inventory
from archive_lib.language import SUPPORTED, from_setting
from archive_lib.settings import ENVIRONMENT, INVENTORY, LANGUAGE, STORE, TSA_URL
from archive_lib.storage import open_store

EXIT_CLEAN, EXIT_PROBLEMS = 0, 1


def register(sub: Any) -> None:
    """Add the ``audit`` command to ``archivectl``'s subparsers."""
    parser = sub.add_parser(
        "audit",
        help="audit the archive: completeness, fixity, retention, answers within 24 weekday hours",
    )
    parser.add_argument("--store", default=ENVIRONMENT.get(STORE), help="store URL ($ARCHIVE_STORE)")
    parser.add_argument(
        "--inventory", default=ENVIRONMENT.get(INVENTORY), help="inventory YAML ($ARCHIVE_INVENTORY)"
    )
    parser.add_argument(
        "--since", type=date_arg, help=f"first night, YYYY-MM-DD (default: {DEFAULT_NIGHTS} nights)"
    )
    parser.add_argument("--until", type=date_arg, help="last night, YYYY-MM-DD (default: today in Stockholm)")
    parser.add_argument(
        "--format",
        choices=("html", "json"),
        help="report format (default: html when --out ends in .html, else json)",
    )
    parser.add_argument("--out", help="write the report to this file (default: standard output)")
    parser.add_argument(
        "--language",
        choices=SUPPORTED,
        help="language of the HTML report (default: $ARCHIVE_LANGUAGE, else sv)",
    )
    parser.add_argument(
        "--full", action="store_true", help="verify every object, not tonight's rotating sample"
    )
    parser.add_argument(
        "--period-days",
        type=int,
        default=DEFAULT_PERIOD_DAYS,
        help=f"verify every object once in this many nightly audits (default {DEFAULT_PERIOD_DAYS})",
    )
    add_verbosity(parser)
    parser.set_defaults(run=audit_command)


def audit_command(args: argparse.Namespace) -> int:
    if not args.store:
        raise ConfigError("no store: give --store or set ARCHIVE_STORE")
    if not args.inventory:
        raise ConfigError("no inventory: give --inventory or set ARCHIVE_INVENTORY")
    if args.period_days < 1:
        raise ConfigError("--period-days must be at least 1")
    fmt = args.format or ("html" if args.out and args.out.endswith((".html", ".htm")) else "json")
    words = from_setting(args.language or ENVIRONMENT.get(LANGUAGE))
    clock = SystemClock()
    period = audit_period(args.since, args.until, clock.now())
    inventory = load_inventory(args.inventory)
    store = open_store(args.store)
    report = run_audit(
        store,
        inventory,
        period,
        options=AuditOptions(
            full=args.full,
            period_days=args.period_days,
            want_timestamps=bool(ENVIRONMENT.get(TSA_URL)),
            tsa_anchors=trust_anchors(ENVIRONMENT),
        ),
        clock=clock,
    )
    text = render_html(report, words) if fmt == "html" else json_text(report.to_json()) + "\n"
    if args.out:
        path = pathlib.Path(args.out)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write the report to {path}: {exc.strerror}") from exc
        print(terminal_text(f"{report.summary()}; report written to {path}"), file=sys.stderr)
    else:
        sys.stdout.write(terminal_text(text, keep="\n") if fmt == "html" else text)
        print(terminal_text(report.summary()), file=sys.stderr)
    return EXIT_CLEAN if report.clean else EXIT_PROBLEMS
