"""``archivectl capture``: every inventoried account's night, as the nightly DAG captures it.

``archivectl capture --recent [--hours N]`` makes a hot pass instead: the posts of the last N
hours (72 by default) with their whole threads, as the ``capture_recent`` DAG does every 15
minutes (:mod:`archive_lib.capture.recent`). It uses the current time.

Exit codes: 0 when every account succeeded (or its night was already captured); 1 when at least
one failed (the others completed; each failure is named with its reason and the people
responsible) or the store failed during the night; 2 for bad usage or configuration.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import NightResult, capture_night, select_accounts
from archive_lib.capture.recent import DEFAULT_HOURS, MAX_HOURS, capture_recent
from archive_lib.capture.tokens import env_tokens
from archive_lib.cli.args import EXIT_FAILED, EXIT_OK, add_verbosity, date_arg, required
from archive_lib.clock import SystemClock, stockholm_date
from archive_lib.connectors.policy import HttpPolicy
from archive_lib.errors import ArchiveError, ConfigError
from archive_lib.evidence.config import signer_from_settings
from archive_lib.inert import terminal_text
from archive_lib.inventory import MAX_RECHECK_DAYS, MIN_RECHECK_DAYS, load_inventory
from archive_lib.logs import SECRETS
from archive_lib.models import Inventory
from archive_lib.settings import ENVIRONMENT, HOT_BUDGET_PERCENT, INVENTORY, LEASE_SECONDS, STORE
from archive_lib.storage import open_store


def register(sub: Any) -> None:
    """Add the ``capture`` command to ``archivectl``'s subparsers."""
    capture = sub.add_parser("capture", help="capture every inventoried account for one night")
    capture.add_argument(
        "--inventory",
        default=ENVIRONMENT.get(INVENTORY),
        help="inventory YAML file (default: $ARCHIVE_INVENTORY)",
    )
    capture.add_argument(
        "--store",
        default=ENVIRONMENT.get(STORE),
        help="store URL, file:///path or s3://bucket/prefix (default: $ARCHIVE_STORE)",
    )
    capture.add_argument(
        "--run-date", type=date_arg, help="the night, YYYY-MM-DD (default: today in Stockholm)"
    )
    capture.add_argument(
        "--account", action="extend", nargs="+", default=[], metavar="ID", help="capture only these accounts"
    )
    capture.add_argument(
        "--recent",
        action="store_true",
        help="a hot pass: the posts of the last --hours with their whole threads, now",
    )
    capture.add_argument(
        "--hours",
        type=float,
        help=f"with --recent: how far back the hot pass reaches (default {DEFAULT_HOURS})",
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
    capture.set_defaults(run=run_capture)


def run_capture(args: argparse.Namespace) -> int:
    """Capture the night; a progress line on stderr when it is a terminal, the table on stdout."""
    inventory = load_inventory(
        required(args.inventory, "no inventory: give --inventory or set ARCHIVE_INVENTORY")
    )
    if args.recent and (args.run_date is not None or args.recheck_days is not None):
        raise ConfigError("--recent uses the current time: give neither --run-date nor --recheck-days")
    if args.hours is not None and not args.recent:
        raise ConfigError("--hours goes with --recent")
    hours = DEFAULT_HOURS if args.hours is None else args.hours
    if args.recent and not 0 < hours <= MAX_HOURS:
        raise ConfigError(f"--hours must be more than 0 and at most {MAX_HOURS}")
    today = stockholm_date(SystemClock().now())
    run_date = args.run_date or today
    if run_date > today:
        raise ConfigError(f"--run-date {run_date} is in the future (today is {today} in Stockholm)")
    if args.recheck_days is not None and not MIN_RECHECK_DAYS <= args.recheck_days <= MAX_RECHECK_DAYS:
        raise ConfigError(f"--recheck-days must be from {MIN_RECHECK_DAYS} to {MAX_RECHECK_DAYS}")
    select_accounts(inventory, args.account)  # unknown ids are refused before anything is opened
    signer = signer_from_settings(ENVIRONMENT)  # a key that cannot be used is refused here too
    store = open_store(required(args.store, "no store: give --store or set ARCHIVE_STORE"))
    _register_secrets(inventory)
    options = CaptureOptions(
        checkpoint_items=max(1, args.checkpoint_items),
        warc_max_bytes=max(1024, args.warc_max_bytes),
        recheck_days=args.recheck_days,
        contact=inventory.contact,
        operator=inventory.organisation,
        http=HttpPolicy.from_environ(ENVIRONMENT.environ),
        lease_seconds=ENVIRONMENT.whole_number(LEASE_SECONDS, 15),
        signer=signer,
    )
    progress = _Progress(sys.stderr) if sys.stderr.isatty() else None
    if args.recent:
        night = capture_recent(
            inventory,
            store,
            account_ids=args.account,
            hours=hours,
            options=options,
            progress=progress.update if progress else None,
            budget_percent=ENVIRONMENT.whole_number(HOT_BUDGET_PERCENT, 75),
        )
    else:
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
    title = f"Hot pass of the last {hours:g} hours on {night.run_date}" if args.recent else None
    _print_night(night, inventory, store.url, sys.stdout, title=title)
    return EXIT_OK if night.ok else EXIT_FAILED


def _register_secrets(inventory: Inventory) -> None:
    """Every token the inventory names, from whichever source, is kept out of the log lines."""
    for account in inventory.accounts:
        try:
            SECRETS.add(env_tokens(account))
        except ArchiveError:
            continue  # a token that cannot be read cannot leak; its account fails with the reason


def _print_night(
    night: NightResult, inventory: Inventory, store_url: str, out: TextIO, title: str | None = None
) -> None:
    print(f"{title or f'Night of {night.run_date}'}, store {store_url}", file=out)
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
        if result.skipped and result.error:
            print(terminal_text(f"  {result.account_id}: {result.error}"), file=out)
        elif result.skipped:
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
