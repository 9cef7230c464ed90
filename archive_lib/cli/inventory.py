"""``archivectl check-inventory``: validate an inventory and list its accounts, people and tokens."""

from __future__ import annotations

import argparse
from typing import Any

from archive_lib.capture.tokens import connection_env_name, env_tokens
from archive_lib.cli.args import EXIT_OK, add_verbosity, required
from archive_lib.clock import SystemClock, stockholm_date
from archive_lib.errors import ArchiveError
from archive_lib.inert import terminal_text
from archive_lib.inventory import load_inventory
from archive_lib.models import Account
from archive_lib.settings import ENVIRONMENT, INVENTORY


def register(sub: Any) -> None:
    """Add the ``check-inventory`` command to ``archivectl``'s subparsers."""
    check = sub.add_parser("check-inventory", help="validate an inventory and list its accounts")
    check.add_argument("inventory", nargs="?", default=ENVIRONMENT.get(INVENTORY))
    add_verbosity(check)
    check.set_defaults(run=run_check_inventory)


def run_check_inventory(args: argparse.Namespace) -> int:
    """Print the inventory's accounts; a broken inventory is a ConfigError naming every problem."""
    inventory = load_inventory(required(args.inventory, "no inventory: give a file or set ARCHIVE_INVENTORY"))
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
