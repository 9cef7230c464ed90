"""Marking items under secrecy and lifting a marking: the item is found by its id (and account),
the marking recorded in the ``markings`` stream (:mod:`archive_lib.metadata.markings`), and the
act in the access log. The stored record is never touched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from archive_lib.metadata.access import record_access
from archive_lib.metadata.markings import Marking, mark, unmark
from archive_lib.search.index import SearchIndex
from archive_lib.search.locate import locate_one


@dataclass(frozen=True)
class MarkingResult:
    """What a ``mark`` or ``unmark`` did: the item, the ground, and the event recorded."""

    action: str
    account_id: str
    item_id: str
    ground: str
    reference: str
    event_id: str
    by: str
    at: dt.datetime


def mark_item(
    index: SearchIndex,
    item_id: str,
    *,
    account_id: str | None,
    ground: str,
    reference: str,
    note: str | None,
    actor: str,
    now: dt.datetime,
) -> MarkingResult:
    """Mark the item ``item_id`` (of ``account_id``, where several accounts hold that id)."""
    found = locate_one(index, item_id, account_id)
    event = mark(
        index.store,
        account_id=found["account_id"],
        item_id=item_id,
        ground=ground,
        reference=reference,
        note=note,
        actor=actor,
        at=now,
    )
    record_access(
        index.store, "mark", actor, items=[item_id], purpose=f"{ground.strip()} ({reference.strip()})"
    )
    return MarkingResult(
        "mark",
        found["account_id"],
        item_id,
        str(event.data["ground"]),
        str(event.data["reference"]),
        event.id,
        actor,
        now,
    )


def unmark_item(
    index: SearchIndex, item_id: str, *, account_id: str | None, reason: str, actor: str, now: dt.datetime
) -> MarkingResult:
    """Lift the marking of the item ``item_id``; refused when it is not marked."""
    found = locate_one(index, item_id, account_id)
    event, lifted = unmark(
        index.store, account_id=found["account_id"], item_id=item_id, reason=reason, actor=actor, at=now
    )
    record_access(index.store, "unmark", actor, items=[item_id], purpose=reason.strip())
    return _result("unmark", lifted, event.id, actor, now)


def _result(action: str, marking: Marking, event_id: str, actor: str, now: dt.datetime) -> MarkingResult:
    return MarkingResult(
        action, marking.account_id, marking.item_id, marking.ground, marking.reference, event_id, actor, now
    )
