"""``archivectl mark`` and ``unmark``: secrecy markings (*sekretessmarkering*) of items.

A marked item is masked in every release package, shown as marked in ``search``, ``show`` and
the web view; the stored record is never changed (:mod:`archive_lib.lifecycle.secrecy`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from archive_lib.cli.item_args import add_item_options, add_store_options, open_index
from archive_lib.inert import json_text, terminal_text


def register(sub: Any) -> None:
    """Add ``mark`` and ``unmark`` to ``archivectl``'s subparsers."""
    mark = sub.add_parser("mark", help="mark an item under secrecy (OSL): masked in every release")
    add_item_options(mark)
    mark.add_argument("--ground", required=True, help='the OSL ground, e.g. "OSL 26 kap. 1 §"')
    mark.add_argument("--reference", required=True, metavar="DNR", help="the case in the diarium")
    mark.add_argument("--note", help="a note on the marking")
    mark.add_argument("--format", choices=("table", "json"), default="table")
    add_store_options(mark)
    mark.set_defaults(run=run_mark)

    unmark = sub.add_parser("unmark", help="lift an item's secrecy marking")
    add_item_options(unmark)
    unmark.add_argument("--reason", required=True, help="why the marking is lifted")
    unmark.add_argument("--format", choices=("table", "json"), default="table")
    add_store_options(unmark)
    unmark.set_defaults(run=run_unmark)


def run_mark(args: argparse.Namespace) -> int:
    from archive_lib.lifecycle.secrecy import mark_item
    from archive_lib.metadata.access import os_user

    index = open_index(args)
    result = mark_item(
        index,
        args.item,
        account_id=args.account,
        ground=args.ground,
        reference=args.reference,
        note=args.note,
        actor=os_user(),
        now=dt.datetime.now(dt.UTC),
    )
    return _print(args, result.__dict__, f"marked {result.item_id} ({result.account_id}): {result.ground}")


def run_unmark(args: argparse.Namespace) -> int:
    from archive_lib.lifecycle.secrecy import unmark_item
    from archive_lib.metadata.access import os_user

    index = open_index(args)
    result = unmark_item(
        index,
        args.item,
        account_id=args.account,
        reason=args.reason,
        actor=os_user(),
        now=dt.datetime.now(dt.UTC),
    )
    return _print(
        args, result.__dict__, f"unmarked {result.item_id} ({result.account_id}): was {result.ground}"
    )


def _print(args: argparse.Namespace, data: dict[str, Any], line: str) -> int:
    if args.format == "json":
        print(json_text(data))
    else:
        print(terminal_text(line))
    return 0
