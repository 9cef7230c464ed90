"""Events: the archive's append-only record of what people decided and did.

Disposal decisions and protocols, legal holds, secrecy markings, moderation notes, access to
the archive and reminders sent are all *events* with who, when, why and a reference. They live
in the same write-once store as the records they govern, never in a side database, so they are
as immutable and auditable as those records. The current state (which holds are active, which
items are marked) is always derived by reading the events of a stream in order.

Layout::

    events/{stream}/{YYYY}/{MM}/{DD}/{HHMMSSffffff}Z_{batch id}.jsonl

One object holds one batch of events of one stream, one JSON object per line, written once with
permanent retention. Keys sort by the time the batch was written, so reading a stream in key
order and each batch in line order gives the events in the order they were recorded.

Reading is strict: events are the archive's own writing, so a line that does not parse means
the store was changed from outside, and :class:`~archive_lib.errors.EventLogError` names the
object and the line rather than skipping it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive_lib.errors import EventLogError
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore

EVENTS = "events"
#: Events are kept permanently: they document the decisions taken on the records.
EVENT_RETENTION = ObjectRetention("events", None)
#: The streams the archive writes; a stream name is also a folder in the store.
STREAMS = frozenset(
    {"decisions", "disposals", "holds", "markings", "moderation", "access", "reminders", "deliveries"}
)
#: One line of an event batch may not be longer than this (a guard against a swollen object).
MAX_LINE = 1 << 20
EVENT_VERSION = 1

_KEY = re.compile(
    r"^events/(?P<stream>[a-z_]+)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/"
    r"(?P<stamp>\d{12})Z_(?P<batch>[0-9a-f]{16})\.jsonl$"
)


@dataclass(frozen=True)
class Event:
    """One thing that happened to the archive's records.

    ``action`` is the verb within the stream (``place``/``release`` for holds, ``mark``/``unmark``
    for markings, ``search``/``show``/``export`` for access, ...); ``actor`` who did it (an OS or
    Airflow user name); ``data`` the stream's own fields, JSON values only. ``id`` is unique.
    """

    stream: str
    action: str
    actor: str
    at: dt.datetime
    data: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: secrets.token_hex(8))

    def __post_init__(self) -> None:
        if self.stream not in STREAMS:
            raise ValueError(f"unknown event stream {self.stream!r}")
        if self.at.tzinfo is None:
            raise ValueError("an event's time must carry a time zone")

    def to_json(self) -> dict[str, Any]:
        return {
            "event_version": EVENT_VERSION,
            "id": self.id,
            "stream": self.stream,
            "action": self.action,
            "actor": self.actor,
            "at": _iso(self.at),
            "data": dict(self.data),
        }


def stream_prefix(stream: str) -> str:
    """The folder of one stream's batches."""
    if stream not in STREAMS:
        raise ValueError(f"unknown event stream {stream!r}")
    return f"{EVENTS}/{stream}/"


def batch_key(stream: str, written_at: dt.datetime, batch_id: str) -> str:
    """Where a batch of ``stream`` written at ``written_at`` lives."""
    moment = written_at.astimezone(dt.UTC)
    return f"{stream_prefix(stream)}{moment:%Y/%m/%d}/{moment:%H%M%S%f}Z_{batch_id}.jsonl"


def parse_batch_key(key: str) -> tuple[str, dt.date] | None:
    """The stream and the (UTC) day of a batch key as :func:`batch_key` names it, else ``None``."""
    found = _KEY.match(key)
    if found is None or found["stream"] not in STREAMS:
        return None
    try:
        return found["stream"], dt.date(int(found["y"]), int(found["m"]), int(found["d"]))
    except ValueError:
        return None


def append(
    store: ObjectStore, events: Sequence[Event], *, written_at: dt.datetime | None = None
) -> str | None:
    """Write ``events`` (all of one stream) as one batch; its key, or ``None`` for no events.

    The batch is written once and never changed; a caller that needs an event to be durable
    before it acts (a disposal's intent, say) appends it alone and acts after this returns.
    """
    if not events:
        return None
    streams = {event.stream for event in events}
    if len(streams) != 1:
        raise ValueError(f"one batch holds one stream, got {sorted(streams)}")
    lines = []
    for event in events:
        line = json.dumps(event.to_json(), ensure_ascii=False, sort_keys=True, default=_json_default)
        if len(line) > MAX_LINE:
            raise ValueError(f"event {event.id} is longer than {MAX_LINE} characters")
        lines.append(line)
    stream = events[0].stream
    # A batch is never keyed before the events it holds, so that ``read(since=...)`` may skip
    # the days written before ``since`` without opening them.
    moment = max([written_at or dt.datetime.now(dt.UTC), *(event.at for event in events)])
    key = batch_key(stream, moment, secrets.token_hex(8))
    body = ("\n".join(lines) + "\n").encode()
    store.put(key, body, retention=EVENT_RETENTION, tags={"kind": "events", "stream": stream})
    return key


def read(
    store: ObjectStore,
    stream: str,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> Iterator[Event]:
    """The events of ``stream`` in the order they were recorded.

    ``since``/``until`` (inclusive) filter on each event's own time. Batches are listed by key,
    so a ``since`` skips whole days of batches without opening them.
    """
    prefix = stream_prefix(stream)
    start_after = None
    if since is not None:
        # Batches are keyed by the time they were written, never before the events they hold.
        day = since.astimezone(dt.UTC).date()
        start_after = f"{prefix}{day:%Y/%m/%d}/"
    for key in store.list(prefix, start_after=start_after):
        if _KEY.match(key) is None:
            continue
        for event in read_batch(store, key):
            if since is not None and event.at < since:
                continue
            if until is not None and event.at > until:
                continue
            yield event


def read_batch(store: ObjectStore, key: str) -> list[Event]:
    """The events of one batch object."""
    with store.open(key) as handle:
        events = []
        for number, raw in enumerate(_lines(handle, key), start=1):
            events.append(_parse(raw, key, number))
    return events


class EventBuffer:
    """Collects events and writes them in batches, so that recording is cheap for the caller.

    A batch is written when ``max_events`` are waiting, when the oldest waiting event is
    ``max_age`` seconds old (checked at each :meth:`add`), and at :meth:`flush` or the end of a
    ``with`` block. Safe to share between threads.
    """

    def __init__(self, store: ObjectStore, *, max_events: int = 500, max_age: float = 5.0) -> None:
        self._store = store
        self._max_events = max_events
        self._max_age = max_age
        self._waiting: dict[str, list[Event]] = {}
        self._oldest: float | None = None
        self._lock = threading.Lock()

    def add(self, event: Event) -> None:
        with self._lock:
            self._waiting.setdefault(event.stream, []).append(event)
            if self._oldest is None:
                self._oldest = time.monotonic()
            due = sum(len(v) for v in self._waiting.values()) >= self._max_events or (
                time.monotonic() - self._oldest >= self._max_age
            )
        if due:
            self.flush()

    def flush(self) -> list[str]:
        """Write every waiting event; the keys written."""
        with self._lock:
            waiting, self._waiting, self._oldest = self._waiting, {}, None
        keys = []
        for events in waiting.values():
            key = append(self._store, events)
            if key is not None:
                keys.append(key)
        return keys

    def __enter__(self) -> EventBuffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.flush()


def _lines(handle: Any, key: str) -> Iterable[bytes]:
    while True:
        raw = handle.readline(MAX_LINE + 2)
        if not raw:
            return
        if len(raw) > MAX_LINE + 1:
            raise EventLogError(f"{key}: a line is longer than {MAX_LINE} bytes")
        if raw.strip():
            yield raw


def _parse(raw: bytes, key: str, number: int) -> Event:
    try:
        obj = json.loads(raw)
        if not isinstance(obj, dict) or not isinstance(obj.get("data"), dict):
            raise ValueError("not an event object")
        at = dt.datetime.fromisoformat(str(obj["at"]).replace("Z", "+00:00"))
        return Event(
            stream=str(obj["stream"]),
            action=str(obj["action"]),
            actor=str(obj["actor"]),
            at=at,
            data=obj["data"],
            id=str(obj["id"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise EventLogError(f"{key}, line {number}: not a valid event ({exc})") from exc


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _json_default(value: object) -> Any:
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"not a JSON value: {type(value).__name__}")
