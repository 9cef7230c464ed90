"""``archivectl access-log``: who searched, viewed, released, held, marked or disposed of what."""

from __future__ import annotations

import argparse
from typing import Any

from archive_lib.cli.args import date_arg
from archive_lib.cli.item_args import add_store_options
from archive_lib.errors import ConfigError
from archive_lib.inert import json_text, terminal_text


def register(sub: Any) -> None:
    """Add ``access-log`` to ``archivectl``'s subparsers."""
    log = sub.add_parser("access-log", help="the access log: who searched, viewed or released what")
    log.add_argument("--since", type=date_arg, metavar="YYYY-MM-DD", help="from this day (Stockholm)")
    log.add_argument(
        "--until", type=date_arg, metavar="YYYY-MM-DD", help="to this day (Stockholm), inclusive"
    )
    log.add_argument("--user", help="only this user's acts")
    log.add_argument("--format", choices=("table", "json"), default="table")
    add_store_options(log)
    log.set_defaults(run=run_access_log)


def run_access_log(args: argparse.Namespace) -> int:
    from archive_lib.clock import local_day_end, local_day_start
    from archive_lib.inventory import load_inventory
    from archive_lib.metadata.access import os_user, read_access, record_access
    from archive_lib.registry.render import stamp
    from archive_lib.storage import open_store

    if not args.store:
        raise ConfigError("no store: give --store or set ARCHIVE_STORE")
    if args.since and args.until and args.since > args.until:
        raise ConfigError(f"--since {args.since} is after --until {args.until}")
    if args.inventory:
        load_inventory(args.inventory)
    store = open_store(args.store)
    since = local_day_start(args.since) if args.since else None
    until = local_day_end(args.until) if args.until else None
    entries = [
        e
        for e in read_access(store, since=since, until=until, user=args.user)
        if until is None or e.at < until
    ]
    # Reading the log is an access too; recorded after the reading, so it lists itself next time.
    query = {k: v for k, v in (("since", args.since), ("until", args.until), ("user", args.user)) if v}
    record_access(store, "access-log", os_user(), query={k: str(v) for k, v in query.items()} or None)
    if args.format == "json":
        print(json_text([e.to_json() for e in entries]))
        return 0
    for e in entries:
        what = ", ".join(e.items[:5]) + (f" (+{len(e.items) - 5})" if len(e.items) > 5 else "")
        line = f"{stamp(e.at)}  {e.user:<12} {e.action:<10} {what}"
        if e.query:
            line += f"  query {json_text(e.query)}"
        if e.purpose:
            line += f"  purpose: {e.purpose}"
        print(terminal_text(line))
    print(f"{len(entries)} access events")
    return 0
