"""Secrecy markings (*sekretessmarkering*): which items a registrar has marked, and on what ground.

A marking is an event of the ``markings`` stream (:mod:`archive_lib.metadata.events`):
``mark`` with the item (account and id), the OSL ground, the case in the diarium and a note;
``unmark`` with the reason. Which items are marked now is derived by reading the stream in
order. A marking never changes the stored record: it governs how the record is shown and
released (masked in every release package, labelled in search, ``show`` and the web view).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from archive_lib.errors import ConfigError, MarkingRefusedError
from archive_lib.metadata.events import Event, append, read
from archive_lib.storage.base import ObjectStore

STREAM = "markings"
#: The notice that stands in for a marked item's text and media in a release package.
MASK_NOTICE = "[Maskerat: sekretess enligt {ground}]"
_MAX_FIELD = 2000


@dataclass(frozen=True)
class Marking:
    """An active marking of one item."""

    account_id: str
    item_id: str
    ground: str
    reference: str
    note: str | None
    marked_by: str
    marked_at: dt.datetime
    event_id: str

    def to_json(self) -> dict[str, object]:
        return {
            "account_id": self.account_id,
            "item_id": self.item_id,
            "ground": self.ground,
            "reference": self.reference,
            "note": self.note,
            "marked_by": self.marked_by,
            "marked_at": self.marked_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        }


def mask_notice(ground: str) -> str:
    """The masking notice naming ``ground``."""
    return MASK_NOTICE.format(ground=ground)


def active_markings(store: ObjectStore) -> dict[tuple[str, str], Marking]:
    """Every item marked now, by ``(account_id, item_id)``."""
    active: dict[tuple[str, str], Marking] = {}
    for event in read(store, STREAM):
        key = (str(event.data.get("account_id")), str(event.data.get("item_id")))
        if event.action == "mark":
            active[key] = Marking(
                account_id=key[0],
                item_id=key[1],
                ground=str(event.data.get("ground")),
                reference=str(event.data.get("reference")),
                note=_optional(event.data.get("note")),
                marked_by=event.actor,
                marked_at=event.at,
                event_id=event.id,
            )
        elif event.action == "unmark":
            active.pop(key, None)
    return active


def mark(
    store: ObjectStore,
    *,
    account_id: str,
    item_id: str,
    ground: str,
    reference: str,
    note: str | None,
    actor: str,
    at: dt.datetime,
) -> Event:
    """Mark one item; refused (:class:`MarkingRefusedError`) when it is marked already."""
    ground, reference = _field(ground, "a ground (e.g. OSL 26 kap. 1 §)"), _field(reference, "a reference")
    current = active_markings(store).get((account_id, item_id))
    if current is not None:
        raise MarkingRefusedError(
            f"item {item_id!r} of {account_id} is marked already ({current.ground}, {current.reference})"
        )
    data: dict[str, object] = {
        "account_id": account_id,
        "item_id": item_id,
        "ground": ground,
        "reference": reference,
        "note": _field(note, "a note") if note else None,
    }
    event = Event(STREAM, "mark", actor, at, data)
    append(store, [event])
    return event


def unmark(
    store: ObjectStore, *, account_id: str, item_id: str, reason: str, actor: str, at: dt.datetime
) -> tuple[Event, Marking]:
    """Lift the marking of one item; refused when the item is not marked."""
    reason = _field(reason, "a reason")
    current = active_markings(store).get((account_id, item_id))
    if current is None:
        raise MarkingRefusedError(f"item {item_id!r} of {account_id} is not marked")
    data = {"account_id": account_id, "item_id": item_id, "reason": reason, "marking": current.event_id}
    event = Event(STREAM, "unmark", actor, at, data)
    append(store, [event])
    return event, current


def secrecy_of(markings: Mapping[tuple[str, str], Marking], account_id: str, item_id: str) -> str | None:
    """The ground of the item's active marking, or ``None``."""
    found = markings.get((account_id, item_id))
    return found.ground if found else None


def _field(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ConfigError(f"a marking needs {what}")
    if len(text) > _MAX_FIELD:
        raise ConfigError(f"{what} is longer than {_MAX_FIELD} characters")
    return text


def _optional(value: object) -> str | None:
    return None if value is None else str(value)
