"""``archivectl deliver``: E-ARK SIPs for the e-archive, one per account and period.

Exit codes: 0 when every selected account was delivered (or had nothing in the period), 1 when
nothing at all was delivered or a stored object was damaged (named), 2 for bad usage (dates, an
unknown account or board, a class not kept permanently without ``--all``, no store or
inventory).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Any

from archive_lib.cli.args import EXIT_FAILED, EXIT_OK, add_verbosity, date_arg, required
from archive_lib.inert import json_text, terminal_text
from archive_lib.settings import ENVIRONMENT, INVENTORY, STORE


def register(sub: Any) -> None:
    """Add the ``deliver`` command to ``archivectl``'s subparsers."""
    parser = sub.add_parser(
        "deliver",
        help="E-ARK SIPs (CSIP/SIP 2.1.0, FGS Paketstruktur 2.0), one per account and period",
    )
    parser.add_argument("--store", default=ENVIRONMENT.get(STORE), help="store URL ($ARCHIVE_STORE)")
    parser.add_argument(
        "--inventory", default=ENVIRONMENT.get(INVENTORY), help="inventory YAML ($ARCHIVE_INVENTORY)"
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--account", dest="accounts", action="extend", nargs="+", metavar="ID", help="accounts"
    )
    which.add_argument("--board", help="every account of this board (nämnd)")
    parser.add_argument("--since", type=date_arg, required=True, help="first night, YYYY-MM-DD")
    parser.add_argument("--until", type=date_arg, required=True, help="last night, YYYY-MM-DD")
    parser.add_argument("--out", required=True, help="the folder the packages are written to")
    parser.add_argument(
        "--submission-agreement", metavar="REF", help="the submission agreement (leveransöverenskommelse)"
    )
    parser.add_argument("--zip", action="store_true", help="write each package as one zip file")
    parser.add_argument(
        "--all", dest="all_classes", action="store_true", help="also accounts of classes not kept permanently"
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_verbosity(parser)
    parser.set_defaults(run=deliver_command)


def deliver_command(args: argparse.Namespace) -> int:
    from archive_lib.delivery import DeliveryRequest, deliver
    from archive_lib.evidence.config import signer_from_settings
    from archive_lib.inventory import load_inventory
    from archive_lib.storage import open_store

    store_url = required(args.store, "no store: give --store or set ARCHIVE_STORE")
    inventory_path = required(args.inventory, "no inventory: give --inventory or set ARCHIVE_INVENTORY")
    request = DeliveryRequest(
        since=args.since,
        until=args.until,
        out=pathlib.Path(args.out),
        account_ids=tuple(args.accounts or ()),
        board=args.board,
        submission_agreement=args.submission_agreement,
        zip=args.zip,
        all_classes=args.all_classes,
    )
    signer = signer_from_settings(ENVIRONMENT)  # an unusable key is refused before anything is written
    inventory = load_inventory(inventory_path)
    outcome = deliver(open_store(store_url), inventory, request, signer=signer)
    if args.format == "json":
        document = {
            "packages": [
                {
                    "package_id": p.package_id,
                    "account_id": p.account_id,
                    "path": str(p.path),
                    "record": p.record_key,
                    "files": p.files,
                    "bytes": p.bytes,
                    "warc_files": p.warc_files,
                    "threads": p.threads,
                    "mets_sha256": p.mets_sha256,
                    "zip_sha256": p.zip_sha256,
                }
                for p in outcome.packages
            ],
            "skipped": [{"account_id": a, "reason": r} for a, r in outcome.skipped],
        }
        sys.stdout.write(json_text(document) + "\n")
    else:
        for p in outcome.packages:
            print(
                terminal_text(
                    f"{p.account_id}: {p.path} ({p.files} files, {p.bytes:,} bytes, "
                    f"{p.warc_files} WARC files, {p.threads} threads); recorded as {p.record_key}"
                )
            )
        for account_id, reason in outcome.skipped:
            print(terminal_text(f"{account_id}: not delivered: {reason}"))
    if not outcome.packages:
        print("archivectl: nothing delivered", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
