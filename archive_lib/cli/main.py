"""``archivectl``: the archive's command line, a thin shell over the functions the DAGs call.

This module builds the parser from the command groups (each registers its commands with
``register(sub)`` and runs them with ``set_defaults(run=...)``), sets the log level and maps
errors to exit codes (documented in README.md):

* 0: success (for ``capture``: every account succeeded, or its night was already captured);
* 1: a failure the output names (for ``capture``: at least one account failed, the others
  completed, each failure is named with its reason; or the store failed during the night);
* 2: bad usage or configuration (broken inventory, unknown account, unusable store).

Access events the command recorded (:mod:`archive_lib.metadata.access`) are written as it
exits, whatever the outcome; a command whose access events cannot be written exits 1.

Whatever it prints that came from elsewhere (platform error messages, inventory entries) goes
through the terminal rule of :mod:`archive_lib.inert`; JSON through its JSON rule.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from archive_lib import PRODUCT, __version__
from archive_lib.cli import (
    access_log,
    audit,
    capture,
    deliver,
    disposal,
    inventory,
    listen,
    moderation,
    pools,
    registrar,
    reminders,
    runs,
    secrecy,
    tables,
    verify,
)
from archive_lib.cli.args import EXIT_CONFIG, EXIT_FAILED
from archive_lib.errors import ArchiveError, ConfigError, StoreError
from archive_lib.inert import terminal_text
from archive_lib.logs import configure
from archive_lib.metadata.access import flush_access

#: The command groups, in the order ``archivectl --help`` lists their commands.
GROUPS: tuple[Any, ...] = (capture, inventory, runs, pools, tables, registrar, audit, verify, deliver)
#: The records' lifecycle: disposal and legal holds, secrecy markings, moderation notes, the access log.
GROUPS += (disposal, secrecy, moderation, access_log)
#: Within minutes and within the day: the push listener and the answer reminders.
GROUPS += (reminders, listen)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # usage errors exit 2, as argparse does, with our wording
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG)


def build_parser() -> argparse.ArgumentParser:
    """``archivectl``'s parser, with every group's commands."""
    parser = _Parser(
        prog="archivectl", description="Records archive of a municipality's public social media."
    )
    parser.add_argument("--version", action="version", version=f"{PRODUCT} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for group in GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code, or 2 for bad configuration and 1 for a failure it raised."""
    args = build_parser().parse_args(argv)
    tty = sys.stderr.isatty()
    level = logging.WARNING if args.quiet or (tty and not args.verbose) else logging.INFO
    if args.verbose > 1:
        level = logging.DEBUG
    configure(level)
    code = _run(args)
    try:
        flush_access()
    except ArchiveError as exc:
        print(f"archivectl: the access log could not be written: {terminal_text(exc)}", file=sys.stderr)
        return EXIT_FAILED
    return code


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.run(args))
    except ConfigError as exc:
        print(f"archivectl: {terminal_text(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    except StoreError as exc:
        print(f"archivectl: store error: {terminal_text(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except ArchiveError as exc:
        print(f"archivectl: {terminal_text(exc)}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
