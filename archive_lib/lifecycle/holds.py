"""Legal holds: place, release and list them (the state lives in :mod:`archive_lib.metadata.holds`).

Placing a hold records it first (an event in the ``holds`` stream, with the objects that hold
its items), then, on a store that can (:class:`~archive_lib.storage.base.LegalHoldStore`, S3),
turns on the Object Lock legal hold of each of those objects. Releasing records the release,
then lifts the legal hold only from objects no other active hold covers and that are not of a
permanent class (those are written with a legal hold that must stay). On the file store holds
are recorded and honoured by disposal alone. The audit checks both against the store.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from archive_lib import layout
from archive_lib.errors import ConfigError, LifecycleRefusedError, ObjectNotFoundError, StoreError
from archive_lib.inert import CONTROLS
from archive_lib.metadata.events import append
from archive_lib.metadata.holds import (
    ROW_COLUMNS,
    Hold,
    HoldScope,
    active_holds,
    all_holds,
    new_hold_id,
    place_event,
    release_event,
    row_objects,
)
from archive_lib.metadata.manifest import read_manifest
from archive_lib.metadata.parts import account_parts, read_part
from archive_lib.search import SearchIndex, SearchQuery
from archive_lib.storage.base import LegalHoldStore, ObjectStore

log = logging.getLogger(__name__)

#: The most items one ``--query`` hold may resolve to; a broader hold is placed by account.
MAX_QUERY_ITEMS = 100_000
#: A hold's reason and reference are one line of plain text of at most these many characters.
MAX_REASON, MAX_REFERENCE = 2000, 200


def scope_for_items(index: SearchIndex, item_ids: Sequence[str], account_id: str | None) -> HoldScope:
    """The scope of a hold on ``item_ids`` (``account_id`` picks one where accounts share an id)."""
    return HoldScope("items", items=tuple(_locate(index, item_id, account_id)[:2] for item_id in item_ids))


def scope_for_thread(index: SearchIndex, item_id: str, account_id: str | None) -> HoldScope:
    """The scope of a hold on the thread holding ``item_id`` (its post, or any item in it)."""
    account, _, post_id = _locate(index, item_id, account_id)
    return HoldScope("thread", account_id=account, post_id=post_id)


def scope_for_query(index: SearchIndex, text: str, account_id: str | None) -> HoldScope:
    """The scope of a hold on every item the query ``text`` finds now."""
    query = SearchQuery(text=text, accounts=(account_id,) if account_id else (), limit=MAX_QUERY_ITEMS)
    results = index.search(query)
    if not results.hits:
        raise LifecycleRefusedError(f"nothing in the archive matches {text!r}: no hold placed")
    if results.total > len(results.hits):
        raise LifecycleRefusedError(
            f"{results.total} items match, more than the {MAX_QUERY_ITEMS} a query hold may hold:"
            " place the hold by account and period instead"
        )
    items = tuple(sorted({(h["account_id"], h["item_id"]) for h in results.hits}))
    return HoldScope("items", items=items, query=query.describe())


def scope_for_account(
    account_ids: Iterable[str], account_id: str, since: dt.date | None, until: dt.date | None
) -> HoldScope:
    """The scope of a hold on an account's items created ``since``..``until``."""
    if account_id not in set(account_ids):
        raise ConfigError(f"no account {account_id!r} in the inventory")
    if since and until and since > until:
        raise ConfigError(f"--since {since} is after --until {until}")
    return HoldScope("account", account_id=account_id, since=since, until=until)


def place_hold(
    store: ObjectStore,
    scope: HoldScope,
    *,
    reason: str,
    reference: str,
    actor: str,
    now: dt.datetime | None = None,
) -> Hold:
    """Record a hold on ``scope`` and, where the store can, set the legal hold on its objects."""
    reason, reference = _text("--reason", reason, MAX_REASON), _text("--reference", reference, MAX_REFERENCE)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    hold = Hold(
        id=new_hold_id(now),
        scope=scope,
        reason=reason,
        reference=reference,
        placed_by=actor,
        placed_at=now,
        objects=tuple(sorted(covered_objects(store, scope))),
    )
    append(store, [place_event(hold)])  # the record comes first; the audit checks the store after
    if isinstance(store, LegalHoldStore):
        for key in hold.objects:
            try:
                store.set_legal_hold(key, True)
            except ObjectNotFoundError:
                log.warning("hold %s: %s is not in the store", hold.id, key, extra={"key": key})
    log.info("hold %s placed on %s: %d objects", hold.id, scope.describe(), len(hold.objects))
    return hold


def release_hold(
    store: ObjectStore, hold_id: str, *, reason: str, actor: str, now: dt.datetime | None = None
) -> tuple[Hold, list[str]]:
    """Record the release of ``hold_id`` and lift the legal hold where nothing else keeps it.

    The objects lifted are returned with the hold; on a store without legal holds, none.
    """
    reason = _text("--reason", reason, MAX_REASON)
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    holds = all_holds(store)
    hold = holds.get(hold_id)
    if hold is None:
        raise LifecycleRefusedError(f"no hold {hold_id!r} in the archive: nothing released")
    if not hold.active:
        raise LifecycleRefusedError(f"hold {hold_id} was released already, on {hold.released_at:%Y-%m-%d}")
    others = {
        key for other in holds.values() if other.active and other.id != hold_id for key in other.objects
    }
    lifted: list[str] = []
    if isinstance(store, LegalHoldStore):
        lifted = [key for key in hold.objects if key not in others and not _permanent(store, key)]
    append(store, [release_event(hold_id, actor=actor, at=now, reason=reason, lifted=lifted)])
    if isinstance(store, LegalHoldStore):
        for key in lifted:
            try:
                store.set_legal_hold(key, False)
            except ObjectNotFoundError:
                log.warning("hold %s: %s is not in the store", hold_id, key, extra={"key": key})
    hold.released_by, hold.released_at, hold.release_reason = actor, now, reason
    hold.lifted = tuple(lifted)
    return hold, lifted


def list_holds(store: ObjectStore, *, active_only: bool = False) -> list[Hold]:
    """Every hold (or only the active ones), oldest first."""
    return active_holds(store) if active_only else list(all_holds(store).values())


def covered_objects(store: ObjectStore, scope: HoldScope) -> set[str]:
    """The items parts and WARC files holding a version (or a file) of an item ``scope`` covers."""
    accounts = sorted({a for a, _ in scope.items}) if scope.kind == "items" else [str(scope.account_id)]
    found: set[str] = set()
    for account in accounts:
        for part in account_parts(store, account):
            for row in read_part(store, part, ROW_COLUMNS):
                if scope.covers(row):
                    found.update(row_objects(part.key, row))
    return found


def _text(option: str, value: str, limit: int) -> str:
    """``value`` stripped, if it is one line of plain text within ``limit``; else ConfigError."""
    text = value.strip()
    if not text:
        raise ConfigError(
            f"{option} must not be empty (a hold needs --reason and --reference, the case in the diarium)"
        )
    if CONTROLS.search(text):
        raise ConfigError(f"{option} must be one line of plain text, without control characters")
    if len(text) > limit:
        raise ConfigError(f"{option} is {len(text)} characters long, at most {limit} are allowed")
    return text


def _locate(index: SearchIndex, item_id: str, account_id: str | None) -> tuple[str, str, str]:
    found = index.locate(item_id, account_id)
    if not found:
        where = f" of {account_id}" if account_id else ""
        raise LifecycleRefusedError(f"no item {item_id!r} in the archive{where}: no hold placed")
    accounts = sorted({hit["account_id"] for hit in found})
    if len(accounts) > 1:
        raise ConfigError(
            f"item {item_id!r} was captured by several accounts: give --account ({', '.join(accounts)})"
        )
    return accounts[0], item_id, str(found[0]["post_id"])


def _permanent(store: ObjectStore, key: str) -> bool:
    """Whether ``key`` belongs to a run of a permanent class; when unsure, True (never lift)."""
    run_id = layout.run_id_of(key)
    night = _night(key)
    if run_id is None or night is None:
        return True
    try:
        manifest: dict[str, Any] = read_manifest(store, layout.manifest_key(night, run_id))
    except (StoreError, ValueError):
        return True
    return not manifest.get("retain_until")


def _night(key: str) -> dt.date | None:
    part = layout.parse_items_key(key)
    if part is not None:
        return part.run_date
    bits = key.split("/")
    if key.startswith(f"{layout.WARC}/") and len(bits) >= 6:
        try:
            return dt.date(int(bits[3]), int(bits[4]), int(bits[5]))
        except ValueError:
            return None
    return None
