"""Items as registrars see them: an item's state, when a version came to be, Stockholm days.

The rows come from the store's items parts, read through :mod:`archive_lib.metadata.parts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from archive_lib.metadata.schema import item_time

#: The latest known state of an item, as registrars filter and see it.
STATES = ("new", "edited", "hidden", "deleted")

#: The event of a version that only adds attachment files an earlier night could not fetch.
FILES_ARCHIVED = "media"


def item_state(versions: Sequence[Mapping[str, Any]]) -> str:
    """``deleted``, ``hidden``, ``edited`` or ``new``: the latest known state of an item.

    ``versions`` are the item's version rows (any order). The newest decides deletion and
    hiding; an item that was ever edited and is still visible is ``edited``. A ``media`` version
    (files an earlier night could not fetch, archived later) repeats the version before it and
    changes nothing here.
    """
    latest = max(versions, key=lambda v: int(v["version"]))
    if latest["event"] == "deleted":
        return "deleted"
    if latest.get("hidden") is True or latest["event"] == "hidden":
        return "hidden"
    if any(v["event"] == "edited" for v in versions):
        return "edited"
    return "new"


def version_time(row: Mapping[str, Any]) -> dt.datetime:
    """When a version came into being: its edit or creation on the platform, or, for a
    deletion, a visibility change (which platforms do not date) or late-archived files
    (``media``), the capture that saw it."""
    if row["event"] in ("new", "edited"):
        return row.get("edited_at") or item_time(row)
    return row["observed_at"]  # type: ignore[no-any-return]


def content_versions(versions: Iterable[Mapping[str, Any]]) -> int:
    """How many versions an item has, leaving out ``media`` rows (files archived late), which
    repeat the version before them."""
    return sum(1 for v in versions if v["event"] != FILES_ARCHIVED)
