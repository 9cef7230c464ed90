"""``archivectl moderation note``: who hid, deleted or restored a comment, when and why.

The note joins what the capture saw in ``show``, the thread view and the audit's monthly
moderation summary (:mod:`archive_lib.metadata.moderation`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from archive_lib.cli.item_args import add_item_options, add_store_options, open_index
from archive_lib.errors import shown
from archive_lib.inert import json_text, terminal_text
from archive_lib.metadata.moderation import ACTIONS


def register(sub: Any) -> None:
    """Add ``moderation note`` to ``archivectl``'s subparsers."""
    moderation = sub.add_parser("moderation", help="moderation notes: who hid or deleted a comment, and why")
    commands = moderation.add_subparsers(dest="moderation_command", required=True)
    note = commands.add_parser("note", help="record a moderation act on an item")
    add_item_options(note)
    note.add_argument("--action", required=True, choices=ACTIONS)
    note.add_argument("--by", required=True, metavar="NAME", help="who moderated")
    note.add_argument(
        "--ground", required=True, help='the ground, e.g. "BBS-lagen 5 §" or a rule of the guideline'
    )
    note.add_argument(
        "--at",
        type=_moment,
        metavar="TIME",
        help="when it was done, ISO 8601 (default: now; no zone = Stockholm)",
    )
    note.add_argument("--format", choices=("table", "json"), default="table")
    add_store_options(note)
    note.set_defaults(run=run_note)
    moderation.set_defaults(run=run_note)  # its one subcommand, which argparse requires


def _moment(value: str) -> dt.datetime:
    from archive_lib.clock import STOCKHOLM

    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{shown(value)} is not a time YYYY-MM-DDTHH:MM[:SS][+zone]"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=STOCKHOLM)


def run_note(args: argparse.Namespace) -> int:
    from archive_lib.lifecycle.moderation import note_item
    from archive_lib.metadata.access import os_user

    now = dt.datetime.now(dt.UTC)
    if args.at and args.at > now:
        from archive_lib.errors import ConfigError

        raise ConfigError(f"--at {args.at.isoformat()} lies in the future")
    index = open_index(args)
    event = note_item(
        index,
        args.item,
        account_id=args.account,
        action=args.action,
        by=args.by,
        ground=args.ground,
        moderated_at=args.at,
        actor=os_user(),
        now=now,
    )
    if args.format == "json":
        print(json_text({"event_id": event.id, **event.data}))
    else:
        d = event.data
        print(
            terminal_text(
                f"noted: {d['item_id']} ({d['account_id']}) {d['action']} by {d['by']}, {d['ground']}"
            )
        )
    return 0
