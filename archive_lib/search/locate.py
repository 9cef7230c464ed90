"""One item by its id: item ids are unique within an account, so where two accounts captured
the same id, the account picks one (``--account`` on every command that takes an item)."""

from __future__ import annotations

from typing import Any

from archive_lib.errors import ArchiveError, ConfigError
from archive_lib.metadata.disposals import disposal_state
from archive_lib.search.index import SearchIndex
from archive_lib.storage.base import ObjectStore


class ItemNotFoundError(ArchiveError):
    """No item with this id in the archive (or none before the as-of date)."""


def locate_one(index: SearchIndex, item_id: str, account_id: str | None = None) -> dict[str, Any]:
    """The index payload of the item ``item_id`` (of ``account_id`` when given).

    :class:`ItemNotFoundError` (exit 1) when there is none, saying so when a disposal by decision
    removed it; :class:`ConfigError` (exit 2) naming the accounts when several captured that id
    and no account was given.
    """
    found = index.locate(item_id, account_id)
    if not found:
        raise ItemNotFoundError(
            f"no item {item_id!r} in the archive"
            + (f" of {account_id}" if account_id else "")
            + disposed_note(index.store, item_id, account_id)
        )
    accounts = sorted({hit["account_id"] for hit in found})
    if len(accounts) > 1:
        raise ConfigError(
            f"item {item_id!r} was captured by several accounts: give --account ({', '.join(accounts)})"
        )
    return found[0]


def disposed_note(store: ObjectStore, item_id: str, account_id: str | None = None) -> str:
    """``: it was disposed of by decision …`` when a disposal protocol lists the item, else ``""``."""
    found = disposal_state(store).item(item_id, account_id)
    if not found:
        return ""
    return ": it was " + "; ".join(f"{why.describe()} (account {account})" for account, why in found)
