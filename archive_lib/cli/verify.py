"""``archivectl verify``: check the archive's evidence offline, as an outsider would.

Exit codes: 0 when every signature, timestamp, listed object and coverage rule holds; 1 when
anything does not (every problem is listed, with its key); 2 for bad usage. See
:mod:`archive_lib.audit.verify` for what is checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from archive_lib.audit.verify import verify_store
from archive_lib.cli.args import EXIT_FAILED, EXIT_OK, add_verbosity, date_arg, required
from archive_lib.errors import ConfigError
from archive_lib.evidence.check import TOLERANCE
from archive_lib.evidence.timestamps import load_trust_anchors
from archive_lib.inert import json_text, terminal_text
from archive_lib.settings import ENVIRONMENT, STORE, TSA_CA, TSA_URL
from archive_lib.storage import open_store


def register(sub: Any) -> None:
    """Add the ``verify`` command to ``archivectl``'s subparsers."""
    parser = sub.add_parser(
        "verify",
        help="check every signature, timestamp and object hash offline, and that every object is covered",
    )
    parser.add_argument("--store", default=ENVIRONMENT.get(STORE), help="store URL ($ARCHIVE_STORE)")
    parser.add_argument("--since", type=date_arg, help="first night, YYYY-MM-DD (default: all)")
    parser.add_argument("--until", type=date_arg, help="last night, YYYY-MM-DD (default: all)")
    parser.add_argument(
        "--tsa-ca",
        default=ENVIRONMENT.get(TSA_CA),
        help="PEM CA bundle of the TSA ($ARCHIVE_TSA_CA): timestamps are then required and chain-checked",
    )
    parser.add_argument(
        "--tolerance",
        type=int,
        default=int(TOLERANCE.total_seconds()),
        help="seconds a timestamp may lie before the document's signed_at (default %(default)s)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    add_verbosity(parser)
    parser.set_defaults(run=verify_command)


def verify_command(args: argparse.Namespace) -> int:
    store_url = required(args.store, "no store: give --store or set ARCHIVE_STORE")
    if args.since and args.until and args.since > args.until:
        raise ConfigError(f"--since {args.since} is after --until {args.until}")
    if args.tolerance < 0:
        raise ConfigError("--tolerance must be at least 0 seconds")
    anchors = load_trust_anchors(args.tsa_ca) if args.tsa_ca else None
    result = verify_store(
        open_store(store_url),
        since=args.since,
        until=args.until,
        anchors=anchors,
        want_timestamps=anchors is not None or bool(ENVIRONMENT.get(TSA_URL)),
        tolerance=dt.timedelta(seconds=args.tolerance),
    )
    if args.format == "json":
        print(json_text({"store": store_url, **result.to_json()}))
    else:
        for problem in result.problems:
            print(terminal_text(f"{problem.kind} {problem.key}: {problem.detail}"))
        for note in result.notes:
            print(terminal_text(f"note: {note.kind} {note.key}: {note.detail}"))
        counts = result.counts
        summary = (
            f"{counts['documents']} signed documents, {counts['objects']} other objects, "
            f"{counts['listed_objects_checked']} listed objects hashed: "
            + ("everything holds" if result.ok else f"{len(result.problems)} problems")
        )
        print(terminal_text(summary), file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED
