"""Moderation notes: who hid, deleted or restored a comment, when, and on what ground.

The capture sees *that* a comment was hidden or deleted (a version with the ``hidden`` flag or
the ``deleted`` event); a note records who acted and why (BBS-lagen or a rule of the
guideline). A note is an event of the ``moderation`` stream (:mod:`archive_lib.metadata.events`)
with the item (account and id), the action, the moderator, the ground and the moment of the
act (``moderated_at``; the event's own time is when the note was recorded). The thread view and
the audit join notes to what the capture saw (:func:`notes_by_item`, :func:`join`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archive_lib.errors import ConfigError
from archive_lib.metadata.events import Event, append, read
from archive_lib.storage.base import ObjectStore

STREAM = "moderation"
ACTIONS = ("hidden", "deleted", "restored")
_MAX_FIELD = 2000


@dataclass(frozen=True)
class ModerationNote:
    """One note on one item."""

    account_id: str
    item_id: str
    action: str
    by: str
    ground: str
    moderated_at: dt.datetime
    noted_by: str
    noted_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "by": self.by,
            "ground": self.ground,
            "at": _iso(self.moderated_at),
            "noted_by": self.noted_by,
            "noted_at": _iso(self.noted_at),
        }


def add_note(
    store: ObjectStore,
    *,
    account_id: str,
    item_id: str,
    action: str,
    by: str,
    ground: str,
    moderated_at: dt.datetime,
    actor: str,
    at: dt.datetime,
) -> Event:
    """Record one moderation note (written at once: it documents a decision)."""
    if action not in ACTIONS:
        raise ConfigError(f"--action must be one of {', '.join(ACTIONS)}, not {action!r}")
    if moderated_at.tzinfo is None:
        raise ConfigError("the moment of moderation needs a time zone")
    data = {
        "account_id": account_id,
        "item_id": item_id,
        "action": action,
        "by": _field(by, "who moderated (--by)"),
        "ground": _field(ground, "a ground (--ground)"),
        "moderated_at": _iso(moderated_at),
    }
    event = Event(STREAM, "note", actor, at, data)
    append(store, [event])
    return event


def notes_by_item(store: ObjectStore) -> dict[tuple[str, str], list[ModerationNote]]:
    """Every note, by ``(account_id, item_id)``, each item's in the order of the acts."""
    found: dict[tuple[str, str], list[ModerationNote]] = defaultdict(list)
    for event in read(store, STREAM):
        if event.action != "note":
            continue
        d = event.data
        note = ModerationNote(
            account_id=str(d.get("account_id")),
            item_id=str(d.get("item_id")),
            action=str(d.get("action")),
            by=str(d.get("by")),
            ground=str(d.get("ground")),
            moderated_at=dt.datetime.fromisoformat(str(d.get("moderated_at")).replace("Z", "+00:00")),
            noted_by=event.actor,
            noted_at=event.at,
        )
        found[(note.account_id, note.item_id)].append(note)
    for notes in found.values():
        notes.sort(key=lambda n: n.moderated_at)
    return dict(found)


def captured_action(versions: Sequence[Mapping[str, Any]]) -> str | None:
    """``deleted`` or ``hidden`` when the capture saw the item go (its newest version), else ``None``."""
    if not versions:
        return None
    latest = max(versions, key=lambda v: int(v["version"]))
    if latest.get("event") == "deleted":
        return "deleted"
    if latest.get("hidden") is True or latest.get("event") == "hidden":
        return "hidden"
    return None


def join(versions: Sequence[Mapping[str, Any]], notes: Sequence[ModerationNote]) -> dict[str, Any] | None:
    """What the capture saw of an item's moderation, with the notes on it; ``None`` when the item
    was neither hidden nor deleted and has no notes. ``noted`` says whether a note explains the
    state the capture saw."""
    seen = captured_action(versions)
    if seen is None and not notes:
        return None
    return {
        "captured": seen,
        "notes": [n.to_json() for n in notes],
        "noted": seen is None or any(n.action == seen for n in notes),
    }


def _field(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ConfigError(f"a moderation note needs {what}")
    if len(text) > _MAX_FIELD:
        raise ConfigError(f"{what} is longer than {_MAX_FIELD} characters")
    return text


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
