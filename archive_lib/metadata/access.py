"""The access log: who searched, viewed, released, held, marked or disposed of what, and why.

Every such act appends an event to the ``access`` stream (:mod:`archive_lib.metadata.events`)
with who (the OS user, or the Airflow user in the web view), when, what (the query and its
filters, the item ids) and the purpose where one is given. Events are written in batches
(:class:`~archive_lib.metadata.events.EventBuffer`) so that logging costs a search almost
nothing: one :class:`AccessLog` per store collects them, and whoever owns the process writes
what is waiting at its end (``archivectl`` calls :func:`flush_access` as it exits; the web view
after each response).

A command records its access with one call::

    from archive_lib.metadata.access import record_access
    record_access(store, "hold", user, items=item_ids, query=None, purpose=reason)
"""

from __future__ import annotations

import datetime as dt
import getpass
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from archive_lib.metadata.events import Event, EventBuffer, read
from archive_lib.storage.base import ObjectStore

STREAM = "access"
#: What an access event may record.
ACTIONS = frozenset(
    {"search", "show", "export", "hold", "mark", "unmark", "dispose", "moderation", "access-log"}
)
#: A search records at most this many of the item ids it returned.
MAX_ITEMS = 1000


@dataclass(frozen=True)
class AccessEntry:
    """One access event as ``archivectl access-log`` prints it."""

    at: dt.datetime
    user: str
    action: str
    items: list[str]
    query: Any
    purpose: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "at": self.at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "user": self.user,
            "action": self.action,
            "items": self.items,
            "query": self.query,
            "purpose": self.purpose,
        }


class AccessLog:
    """Collects one store's access events and writes them in batches (see the module docstring)."""

    def __init__(
        self,
        store: ObjectStore,
        *,
        max_events: int = 500,
        max_age: float = 5.0,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.store = store
        self._buffer = EventBuffer(store, max_events=max_events, max_age=max_age)
        self._now = now

    def record(
        self,
        action: str,
        user: str,
        *,
        items: Iterable[str] = (),
        query: Any = None,
        purpose: str | None = None,
    ) -> Event:
        """Add one access event; it is written with the next batch."""
        if action not in ACTIONS:
            raise ValueError(f"unknown access action {action!r}")
        ids = [str(item) for item in items][:MAX_ITEMS]
        event = Event(STREAM, action, user, self._now(), {"items": ids, "query": query, "purpose": purpose})
        self._buffer.add(event)
        return event

    def flush(self) -> list[str]:
        """Write every waiting event; the keys of the batches written."""
        return self._buffer.flush()

    def __enter__(self) -> AccessLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


_OPEN: dict[str, AccessLog] = {}
_OPEN_LOCK = threading.Lock()


def access_log(store: ObjectStore) -> AccessLog:
    """The process's access log of ``store`` (one per store URL), flushed by :func:`flush_access`."""
    with _OPEN_LOCK:
        log = _OPEN.get(store.url)
        if log is None:
            log = _OPEN[store.url] = AccessLog(store)
        return log


def record_access(
    store: ObjectStore,
    action: str,
    user: str,
    *,
    items: Iterable[str] = (),
    query: Any = None,
    purpose: str | None = None,
) -> Event:
    """Record one access to ``store`` in the process's access log of it (written in batches)."""
    return access_log(store).record(action, user, items=items, query=query, purpose=purpose)


def flush_access() -> list[str]:
    """Write what every open access log holds; the keys written."""
    with _OPEN_LOCK:
        logs = list(_OPEN.values())
    keys: list[str] = []
    for log in logs:
        keys.extend(log.flush())
    return keys


def read_access(
    store: ObjectStore,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    user: str | None = None,
) -> Iterator[AccessEntry]:
    """The access events of ``store`` in the order they were recorded, filtered."""
    for event in read(store, STREAM, since=since, until=until):
        if user is not None and event.actor != user:
            continue
        items = event.data.get("items")
        purpose = event.data.get("purpose")
        yield AccessEntry(
            at=event.at,
            user=event.actor,
            action=event.action,
            items=[str(i) for i in items] if isinstance(items, list) else [],
            query=event.data.get("query"),
            purpose=None if purpose is None else str(purpose),
        )


def os_user() -> str:
    """The login name of the user running this process (who an ``archivectl`` act is by)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
