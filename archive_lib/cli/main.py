"""``archivectl``: the archive's command line, a thin shell over the functions the DAGs call.

Exit codes (documented in README.md):

* 0: every account succeeded (or its night was already captured);
* 1: at least one account failed (the others completed; each failure is named with its
  reason), or the store failed during the night;
* 2: bad usage or configuration (broken inventory, unknown account, unusable store).

Whatever it prints that came from elsewhere (platform error messages, inventory entries) goes
through the terminal rule of :mod:`archive_lib.inert`; JSON through its JSON rule.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from archive_lib import PRODUCT, __version__
from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import NightResult, capture_night, select_accounts
from archive_lib.capture.tokens import connection_env_name, env_tokens
from archive_lib.cli import audit, pools, registrar, tables
from archive_lib.cli.args import add_verbosity, date_arg
from archive_lib.clock import SystemClock, stockholm_date
from archive_lib.connectors.http import HttpPolicy
from archive_lib.errors import ArchiveError, ConfigError, StoreError
from archive_lib.inert import json_text, terminal_text
from archive_lib.inventory import MAX_RECHECK_DAYS, MIN_RECHECK_DAYS, load_inventory
from archive_lib.logs import SECRETS, configure
from archive_lib.metadata.runs import night_report
from archive_lib.models import Account, Inventory
from archive_lib.storage import open_store

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # usage errors exit 2, as argparse does, with our wording
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="archivectl", description="Records archive of a municipality's public social media."
    )
    parser.add_argument("--version", action="version", version=f"{PRODUCT} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    capture = sub.add_parser("capture", help="capture every inventoried account for one night")
    capture.add_argument(
        "--inventory",
        default=os.environ.get("ARCHIVE_INVENTORY"),
        help="inventory YAML file (default: $ARCHIVE_INVENTORY)",
    )
    capture.add_argument(
        "--store",
        default=os.environ.get("ARCHIVE_STORE"),
        help="store URL, file:///path or s3://bucket/prefix (default: $ARCHIVE_STORE)",
    )
    capture.add_argument(
        "--run-date", type=date_arg, help="the night, YYYY-MM-DD (default: today in Stockholm)"
    )
    capture.add_argument(
        "--account", action="extend", nargs="+", default=[], metavar="ID", help="capture only these accounts"
    )
    capture.add_argument("--recheck-days", type=int, help="override the re-check window (days)")
    capture.add_argument(
        "--checkpoint-items",
        type=int,
        default=CaptureOptions.checkpoint_items,
        help="versions per items part; a WARC file is stored at each checkpoint",
    )
    capture.add_argument(
        "--warc-max-bytes",
        type=int,
        default=CaptureOptions.warc_max_bytes,
        help="roll WARC files at this size",
    )
    add_verbosity(capture)

    check = sub.add_parser("check-inventory", help="validate an inventory and list its accounts")
    check.add_argument("inventory", nargs="?", default=os.environ.get("ARCHIVE_INVENTORY"))
    add_verbosity(check)

    runs = sub.add_parser("runs", help="what the store holds for a night: one line per account run")
    runs.add_argument("--store", default=os.environ.get("ARCHIVE_STORE"))
    runs.add_argument("--run-date", type=date_arg, help="the night (default: the latest night in the store)")
    runs.add_argument("--format", choices=("table", "json"), default="table")
    add_verbosity(runs)
    pools.register(sub)
    tables.register(sub)
    registrar.register(sub)
    audit.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    tty = sys.stderr.isatty()
    level = logging.WARNING if args.quiet or (tty and not args.verbose) else logging.INFO
    if args.verbose > 1:
        level = logging.DEBUG
    configure(level)
    try:
        if hasattr(args, "run"):  # commands defined in their own modules: set_defaults(run=function)
            return int(args.run(args))
        if args.command == "capture":
            return _capture(args, tty)
        if args.command == "check-inventory":
            return _check_inventory(args)
        return _runs(args)
    except ConfigError as exc:
        print(f"archivectl: {terminal_text(exc)}", file=sys.stderr)
        return EXIT_CONFIG
    except StoreError as exc:
        print(f"archivectl: store error: {terminal_text(exc)}", file=sys.stderr)
        return EXIT_FAILED
    except ArchiveError as exc:
        print(f"archivectl: {terminal_text(exc)}", file=sys.stderr)
        return EXIT_FAILED


def _require(value: str | None, what: str) -> str:
    if not value:
        raise ConfigError(what)
    return value


def _capture(args: argparse.Namespace, tty: bool) -> int:
    inventory = load_inventory(
        _require(args.inventory, "no inventory: give --inventory or set ARCHIVE_INVENTORY")
    )
    today = stockholm_date(SystemClock().now())
    run_date = args.run_date or today
    if run_date > today:
        raise ConfigError(f"--run-date {run_date} is in the future (today is {today} in Stockholm)")
    if args.recheck_days is not None and not MIN_RECHECK_DAYS <= args.recheck_days <= MAX_RECHECK_DAYS:
        raise ConfigError(f"--recheck-days must be from {MIN_RECHECK_DAYS} to {MAX_RECHECK_DAYS}")
    select_accounts(inventory, args.account)  # unknown ids are refused before anything is opened
    store = open_store(_require(args.store, "no store: give --store or set ARCHIVE_STORE"))
    _register_secrets(inventory)
    options = CaptureOptions(
        checkpoint_items=max(1, args.checkpoint_items),
        warc_max_bytes=max(1024, args.warc_max_bytes),
        recheck_days=args.recheck_days,
        contact=inventory.contact,
        operator=inventory.organisation,
        http=HttpPolicy.from_environ(os.environ),
    )
    progress = _Progress(sys.stderr) if tty else None
    night = capture_night(
        inventory,
        store,
        run_date,
        args.account,
        options=options,
        progress=progress.update if progress else None,
    )
    if progress:
        progress.clear()
    _print_night(night, inventory, store.url, sys.stdout)
    return EXIT_OK if night.ok else EXIT_FAILED


def _register_secrets(inventory: Inventory) -> None:
    """Every token the inventory names, from whichever source, is kept out of the log lines."""
    for account in inventory.accounts:
        try:
            SECRETS.add(env_tokens(account))
        except ArchiveError:
            continue  # a token that cannot be read cannot leak; its account fails with the reason


def _check_inventory(args: argparse.Namespace) -> int:
    inventory = load_inventory(_require(args.inventory, "no inventory: give a file or set ARCHIVE_INVENTORY"))
    today = stockholm_date(SystemClock().now())
    print(terminal_text(f"{inventory.path}: {inventory.organisation}, {len(inventory.accounts)} accounts"))
    for account in inventory.accounts:
        state = "active" if account.is_active(today) else "inactive"
        token = _token_state(account)
        people = f"{account.responsible or 'NO RESPONSIBLE'} / {account.substitute or 'NO SUBSTITUTE'}"
        print(
            terminal_text(
                f"  {account.id:<24} {account.platform:<9} {account.board:<28} {state:<8} "
                f"{account.retention.name:<20} {token:<18} {people}"
            )
        )
    return EXIT_OK


def _token_state(account: Account) -> str:
    """Whether this process could read the account's token (Airflow may hold more connections)."""
    if account.token_env:
        where = f"${account.token_env}"
    elif account.token_connection:
        where = f"${connection_env_name(account.token_connection)}"
    else:
        return "no token"
    try:
        env_tokens(account)
    except ArchiveError:
        return f"{where} UNSET"
    return f"{where} set"


def _runs(args: argparse.Namespace) -> int:
    store = open_store(_require(args.store, "no store: give --store or set ARCHIVE_STORE"))
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


def _print_night(night: NightResult, inventory: Inventory, store_url: str, out: TextIO) -> None:
    print(f"Night of {night.run_date}, store {store_url}", file=out)
    header = (
        f"  {'account':<24} {'status':<8} {'posts':>6} {'comments':>9} {'edited':>7} {'deleted':>8} "
        f"{'media':>6} {'requests':>9} {'bytes':>11}"
    )
    print(header, file=out)
    for result in night.results:
        c = result.counts
        status = "done" if result.skipped else result.status
        print(
            f"  {result.account_id:<24} {status:<8} {c.posts_new:>6} {c.comments_new:>9} {c.edited:>7} "
            f"{c.deleted:>8} {c.media_files:>6} {result.http_requests:>9} {result.bytes_stored:>11}",
            file=out,
        )
    for result in night.results:
        if result.skipped:
            print(f"  {result.account_id}: already captured this night by run {result.run_id}", file=out)
        if result.status == "failed":
            account = inventory.account(result.account_id)
            who = f"responsible: {account.responsible or 'NOT NAMED'}, "
            who += f"substitute: {account.substitute or 'NOT NAMED'}"
            # Each run's error is redacted with its own token; any inventory's token goes too.
            line = SECRETS.scrub(f"  FAILED {result.account_id}: {result.error} ({who})")
            print(terminal_text(line), file=out)
    for account_id in night.inactive:
        print(f"  {account_id}: not active on {night.run_date} (active_from/active_to)", file=out)
    if night.store_error:
        print(
            terminal_text(
                f"  STORE FAILED: {night.store_error}; not captured: {', '.join(night.not_attempted)}"
            ),
            file=out,
        )


class _Progress:
    """One status line on a terminal, rewritten in place."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def update(self, account_id: str, counts: dict[str, int]) -> None:
        line = (
            f"{account_id}: {counts['threads']} threads, {counts['versions']} new versions, "
            f"{counts['requests']} requests"
        )
        self._stream.write("\r\033[K" + line[:200])
        self._stream.flush()

    def clear(self) -> None:
        self._stream.write("\r\033[K")
        self._stream.flush()


if __name__ == "__main__":
    raise SystemExit(main())
