"""Recording a moderation note on an item (:mod:`archive_lib.metadata.moderation`): the item is
found by its id (and account), the note written at once, and the act logged as an access."""

from __future__ import annotations

import datetime as dt

from archive_lib.metadata.access import record_access
from archive_lib.metadata.events import Event
from archive_lib.metadata.moderation import add_note
from archive_lib.search.index import SearchIndex
from archive_lib.search.locate import locate_one


def note_item(
    index: SearchIndex,
    item_id: str,
    *,
    account_id: str | None,
    action: str,
    by: str,
    ground: str,
    moderated_at: dt.datetime | None,
    actor: str,
    now: dt.datetime,
) -> Event:
    """Record that ``by`` did ``action`` to the item on ``ground`` at ``moderated_at`` (default ``now``)."""
    found = locate_one(index, item_id, account_id)
    event = add_note(
        index.store,
        account_id=found["account_id"],
        item_id=item_id,
        action=action,
        by=by,
        ground=ground,
        moderated_at=moderated_at or now,
        actor=actor,
        at=now,
    )
    record_access(index.store, "moderation", actor, items=[item_id], purpose=f"{action}: {ground.strip()}")
    return event
