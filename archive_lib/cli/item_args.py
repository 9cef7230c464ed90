"""Options every records'-lifecycle command shares: ``--store``, ``--inventory`` and ``--index``
(after the subcommand, with the environment defaults of the other commands), and the item."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from archive_lib.cli.args import add_verbosity
from archive_lib.errors import ConfigError
from archive_lib.settings import ENVIRONMENT, INVENTORY, STORE

if TYPE_CHECKING:
    from archive_lib.search import SearchIndex

ENV_INDEX_DIR = "ARCHIVE_INDEX_DIR"  # archive_lib.search.index.ENV_INDEX_DIR


def add_store_options(parser: argparse.ArgumentParser) -> None:
    """``--store``, ``--inventory``, ``--index`` and the verbosity options."""
    parser.add_argument("--store", default=ENVIRONMENT.get(STORE), help="store URL (default: $ARCHIVE_STORE)")
    parser.add_argument(
        "--inventory",
        default=ENVIRONMENT.get(INVENTORY),
        help="inventory YAML (default: $ARCHIVE_INVENTORY); checked when given",
    )
    parser.add_argument(
        "--index",
        default=None,
        metavar="DIR",
        help=f"folder for search indexes (default: ${ENV_INDEX_DIR}, else"
        " ~/.cache/social-records-archive/search)",
    )
    add_verbosity(parser)


def add_item_options(parser: argparse.ArgumentParser) -> None:
    """``--item ID`` and ``--account ID`` (which account's item, where several share the id)."""
    parser.add_argument("--item", required=True, metavar="ID", help="the item's id")
    parser.add_argument("--account", help="the account, when several captured the same item id")


def open_index(args: argparse.Namespace) -> SearchIndex:
    """The store's search index, brought up to date; the inventory checked when one is named."""
    from archive_lib.inventory import load_inventory
    from archive_lib.search import SearchIndex
    from archive_lib.storage import open_store

    if not args.store:
        raise ConfigError("no store: give --store or set ARCHIVE_STORE")
    if args.inventory:
        load_inventory(args.inventory)  # a broken inventory is bad configuration (exit 2)
    index = SearchIndex(open_store(args.store), args.index)
    index.refresh()
    return index
