"""The records' lifecycle in the audit: the disposals carried out and the legal holds in force.

Lists every disposal protocol (*gallringsprotokoll*) and every active legal hold, and checks them
against the store:

* a disposal intent without its protocol is a disposal cut short (``disposal_incomplete``: run
  the decision again to complete it);
* every object an active hold recorded must still be in the store (``held_object_missing``) and,
  where the store protects with Object Lock, carry its legal hold (``hold_not_applied``).
"""

from __future__ import annotations

from typing import Any

from archive_lib.audit.holdings import Holdings
from archive_lib.audit.report import Problem
from archive_lib.errors import ObjectNotFoundError
from archive_lib.metadata.holds import active_holds
from archive_lib.storage.base import ObjectStore, ProtectedStore, Protection


def lifecycle_section(store: ObjectStore, holdings: Holdings) -> tuple[dict[str, Any], list[Problem]]:
    """The report's ``lifecycle`` section, and its problems."""
    problems: list[Problem] = []
    state = holdings.disposed
    for key in state.pending:
        problems.append(
            Problem(
                "disposal_incomplete",
                "a disposal was cut short after stating its intent: run archivectl dispose with its"
                " decision again to complete it and write its protocol",
                key=key,
            )
        )
    for key, why in sorted(state.unreadable.items()):
        problems.append(Problem("disposal_unreadable", why, key=key))
    locked = isinstance(store, ProtectedStore) and store.protection is Protection.OBJECT_LOCK
    holds = []
    for hold in active_holds(store):
        checked = 0
        for key in hold.objects:
            try:
                stored = store.stat(key)
            except ObjectNotFoundError:
                problems.append(
                    Problem("held_object_missing", f"hold {hold.id} ({hold.reference}) holds {key}", key=key)
                )
                continue
            checked += 1
            if locked and not stored.legal_hold:
                problems.append(
                    Problem(
                        "hold_not_applied",
                        f"hold {hold.id} ({hold.reference}) is active but the object has no legal hold",
                        key=key,
                    )
                )
        holds.append({**hold.to_json(), "objects_checked": checked})
    section = {
        "disposals": state.protocols,
        "disposals_incomplete": state.pending,
        "objects_disposed": len(state.objects),
        "holds": holds,
    }
    return section, problems
