"""``archivectl dispose`` and ``archivectl hold``: disposal by decision and legal holds.

Exit codes: 0 done; 1 refused or failed, named (a decision no class names, nothing due, an
object kept by a hold or by the store's lock, a hold that does not exist); 2 bad usage.
Who acts is the login name of the process (``--by`` names someone else, for a service account).
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
from typing import TYPE_CHECKING, Any

from archive_lib.cli.args import EXIT_FAILED, EXIT_OK, add_verbosity, date_arg, required
from archive_lib.errors import ConfigError
from archive_lib.inert import json_text, terminal_text
from archive_lib.metadata.access import record_access
from archive_lib.settings import ENVIRONMENT, INVENTORY, STORE

if TYPE_CHECKING:
    from archive_lib.lifecycle.dispose import AfterDelete
    from archive_lib.storage.base import ObjectStore

#: Test hook: the process kills itself (SIGKILL) after this many objects were disposed of, so a
#: test can show that the next disposal completes one cut short.
ENV_CRASH_AFTER = "ARCHIVE_DISPOSAL_CRASH_AFTER"


def register(sub: Any) -> None:
    """Add ``dispose`` and ``hold`` to ``archivectl``'s subparsers."""
    dispose = sub.add_parser(
        "dispose", help="carry out a disposal decision (gallring): delete what it covers, keep a protocol"
    )
    dispose.add_argument(
        "--decision", required=True, metavar="ID", help='the decision\'s id, e.g. "KS 2026/123"'
    )
    dispose.add_argument("--dry-run", action="store_true", help="only say what would be disposed of")
    dispose.add_argument("--format", choices=("table", "json"), default="table")
    _common(dispose)
    dispose.set_defaults(run=run_dispose)

    hold = sub.add_parser("hold", help="legal holds: keep records from disposal while a case is open")
    verbs = hold.add_subparsers(dest="hold_command", required=True, parser_class=type(hold))
    place = verbs.add_parser("place", help="place a hold; prints its id")
    what = place.add_mutually_exclusive_group()
    what.add_argument("--item", dest="items", action="extend", nargs="+", default=[], metavar="ID")
    what.add_argument("--thread", metavar="ID", help="the thread holding this item (its post or any reply)")
    what.add_argument("--query", metavar="Q", help="every item this search finds now")
    place.add_argument("--account", help="the account (alone: all its items, with --since/--until)")
    place.add_argument(
        "--since", type=date_arg, metavar="YYYY-MM-DD", help="with --account: created on or after"
    )
    place.add_argument(
        "--until", type=date_arg, metavar="YYYY-MM-DD", help="with --account: created on or before"
    )
    place.add_argument("--reason", required=True, help="why (the request, appeal or investigation)")
    place.add_argument("--reference", required=True, metavar="DNR", help="the case in the diarium")
    place.add_argument("--index", default=None, metavar="DIR", help="folder for search indexes")
    place.add_argument("--format", choices=("table", "json"), default="table")
    _common(place)
    place.set_defaults(run=run_hold_place)

    release = verbs.add_parser("release", help="release a hold")
    release.add_argument("hold_id", metavar="HOLD_ID")
    release.add_argument("--reason", required=True, help="why the hold ends")
    release.add_argument("--format", choices=("table", "json"), default="table")
    _common(release)
    release.set_defaults(run=run_hold_release)

    listing = verbs.add_parser("list", help="the holds, active and released")
    listing.add_argument("--active", action="store_true", help="only the active holds")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    _common(listing)
    listing.set_defaults(run=run_hold_list)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=ENVIRONMENT.get(STORE), help="store URL ($ARCHIVE_STORE)")
    parser.add_argument(
        "--inventory", default=ENVIRONMENT.get(INVENTORY), help="inventory YAML ($ARCHIVE_INVENTORY)"
    )
    parser.add_argument("--by", default=None, help="who acts (default: the login name)")
    add_verbosity(parser)


def _store(args: argparse.Namespace) -> ObjectStore:
    from archive_lib.storage import open_store

    return open_store(required(args.store, "no store: give --store or set ARCHIVE_STORE"))


def _actor(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def run_dispose(args: argparse.Namespace) -> int:
    from archive_lib.evidence.config import signer_from_settings
    from archive_lib.inventory import load_inventory
    from archive_lib.lifecycle.dispose import dispose

    signer = signer_from_settings(ENVIRONMENT)  # an unusable key is refused before anything goes
    inventory = load_inventory(
        required(args.inventory, "no inventory: give --inventory or set ARCHIVE_INVENTORY")
    )
    store = _store(args)
    # The attempt is logged, whatever comes of it: a refused disposal was still asked for.
    record_access(store, "dispose", _actor(args), query={"decision": args.decision, "dry_run": args.dry_run})
    result = dispose(
        store,
        inventory,
        args.decision,
        actor=_actor(args),
        dry_run=args.dry_run,
        after_delete=_crash_hook(),
        signer=signer,
    )
    if args.format == "json":
        print(json_text(result.to_json()))
    else:
        verb = "would dispose of" if result.dry_run else "disposed of"
        print(
            terminal_text(
                f"decision {result.decision}: {verb} {len(result.objects)} objects, {result.items} items"
            )
        )
        for obj in result.objects:
            print(terminal_text(f"  {obj['key']}  {obj['size']} bytes  sha256 {obj['sha256']}"))
        for refused in result.refused:
            print(terminal_text(f"  KEPT {refused['key']}: {refused['reason']}"))
        for key in result.completed:
            print(terminal_text(f"completed the disposal cut short: {key}"))
        if result.protocol_key:
            print(terminal_text(f"protocol: {result.protocol_key}"))
        if result.note:
            print(terminal_text(result.note))
    return EXIT_FAILED if result.refused else EXIT_OK


def _crash_hook() -> AfterDelete | None:
    value = os.environ.get(ENV_CRASH_AFTER)
    if not value:
        return None
    limit = int(value)

    def crash(count: int) -> None:
        if count >= limit:
            os.kill(os.getpid(), signal.SIGKILL)

    return crash


def run_hold_place(args: argparse.Namespace) -> int:
    from archive_lib.inventory import load_inventory
    from archive_lib.lifecycle import holds
    from archive_lib.search import SearchIndex

    store = _store(args)
    inventory = load_inventory(
        required(args.inventory, "no inventory: give --inventory or set ARCHIVE_INVENTORY")
    )
    if (args.since or args.until) and (args.items or args.thread or args.query or not args.account):
        raise ConfigError("--since and --until go with --account alone")
    if args.items or args.thread or args.query:
        index = SearchIndex(store, args.index)
        index.refresh()
        if args.items:
            scope = holds.scope_for_items(index, args.items, args.account)
        elif args.thread:
            scope = holds.scope_for_thread(index, args.thread, args.account)
        else:
            scope = holds.scope_for_query(index, args.query, args.account)
    elif args.account:
        scope = holds.scope_for_account(
            (a.id for a in inventory.accounts), args.account, args.since, args.until
        )
    else:
        raise ConfigError("say what to hold: --item, --thread, --query or --account")
    hold = holds.place_hold(store, scope, reason=args.reason, reference=args.reference, actor=_actor(args))
    record_access(
        store,
        "hold",
        _actor(args),
        items=args.items or (),
        query={"place": hold.id, "scope": hold.scope.describe(), "reference": args.reference},
        purpose=args.reason,
    )
    if args.format == "json":
        print(json_text(hold.to_json()))
    else:
        print(terminal_text(hold.id))
    return EXIT_OK


def run_hold_release(args: argparse.Namespace) -> int:
    from archive_lib.lifecycle.holds import release_hold

    store = _store(args)
    hold, lifted = release_hold(store, args.hold_id, reason=args.reason, actor=_actor(args))
    record_access(store, "hold", _actor(args), query={"release": hold.id}, purpose=args.reason)
    if args.format == "json":
        print(json_text({**hold.to_json(), "lifted": lifted}))
    else:
        print(terminal_text(f"{hold.id} released; legal hold lifted from {len(lifted)} objects"))
    return EXIT_OK


def run_hold_list(args: argparse.Namespace) -> int:
    from archive_lib.lifecycle.holds import list_holds

    store = _store(args)
    found = list_holds(store, active_only=args.active)
    record_access(store, "hold", _actor(args), query={"list": "active" if args.active else "all"})
    if args.format == "json":
        print(json_text([hold.to_json() for hold in found]))
        return EXIT_OK
    for hold in found:
        state = "active" if hold.active else f"released {hold.released_at:%Y-%m-%d}"
        print(
            terminal_text(
                f"{hold.id}  {state}  {hold.reference}  {hold.scope.describe()}"
                f"  ({len(hold.objects)} objects)  placed {hold.placed_at:%Y-%m-%d}"
                f" by {hold.placed_by}: {hold.reason}"
            )
        )
    return EXIT_OK
