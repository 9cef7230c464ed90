"""Legal holds: which records must not be disposed of, derived from the ``holds`` event stream.

A hold is placed while a request for records, an appeal or an investigation is open, and
released when it closes. Each is an event (:mod:`archive_lib.metadata.events`) with who, when,
why (``reason``) and the case in the diarium (``reference``); the active holds are those placed
and not yet released. A hold's *scope* says which items it covers:

* ``items``: items by account and id (``--item``, and ``--query``, whose matches are resolved
  when the hold is placed, so the hold covers what was found then);
* ``thread``: every item of one thread of an account, also items captured later;
* ``account``: every item of an account created within ``since``..``until`` (Stockholm days,
  either end open), also items captured later.

``objects`` are the stored objects that held the covered items when the hold was placed (their
WARC files and items parts); on S3 these carry an Object Lock legal hold while the hold is active.
Disposal asks :meth:`Hold.covers` of every row it would dispose of, so later captures are held too.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from archive_lib.clock import stockholm_date
from archive_lib.errors import EventLogError
from archive_lib.metadata.events import Event, read
from archive_lib.storage.base import ObjectStore

STREAM = "holds"
PLACE, RELEASE = "place", "release"
SCOPES = ("items", "thread", "account")


@dataclass(frozen=True)
class HoldScope:
    """What a hold covers; see the module docstring."""

    kind: str
    account_id: str | None = None
    items: tuple[tuple[str, str], ...] = ()  # (account id, item id)
    post_id: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    query: Mapping[str, Any] | None = None  # the query the items were found by, for the record

    def covers(self, row: Mapping[str, Any]) -> bool:
        """Whether this scope covers the item of one items row (``account_id``, ``item_id``...)."""
        account = str(row.get("account_id") or "")
        if self.kind == "items":
            return (account, str(row.get("item_id"))) in self._item_set
        if account != self.account_id:
            return False
        if self.kind == "thread":
            return str(row.get("post_id")) == self.post_id
        moment = row.get("created_at") or row.get("observed_at")
        if not isinstance(moment, dt.datetime):
            return True  # an item of unknown age may lie in the period: kept, not disposed
        day = stockholm_date(moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC))
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)

    @property
    def _item_set(self) -> frozenset[tuple[str, str]]:
        return frozenset(self.items)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.kind == "items":
            data["items"] = [list(pair) for pair in self.items]
            if self.query is not None:
                data["query"] = dict(self.query)
        else:
            data["account_id"] = self.account_id
        if self.kind == "thread":
            data["post_id"] = self.post_id
        if self.kind == "account":
            data["since"] = self.since.isoformat() if self.since else None
            data["until"] = self.until.isoformat() if self.until else None
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HoldScope:
        kind = str(data["kind"])
        if kind not in SCOPES:
            raise ValueError(f"unknown hold scope {kind!r}")
        return cls(
            kind=kind,
            account_id=data.get("account_id"),
            items=tuple((str(a), str(i)) for a, i in data.get("items") or ()),
            post_id=data.get("post_id"),
            since=_day(data.get("since")),
            until=_day(data.get("until")),
            query=data.get("query"),
        )

    def describe(self) -> str:
        """The scope in a few words, for listings and refusals."""
        if self.kind == "items":
            what = f"{len(self.items)} items"
            return what + (" found by a query" if self.query is not None else "")
        if self.kind == "thread":
            return f"thread {self.post_id} of {self.account_id}"
        span = f"{self.since or '…'}..{self.until or '…'}"
        return f"account {self.account_id}, items created {span}"


@dataclass
class Hold:
    """One legal hold as its events say: placed, and perhaps released."""

    id: str
    scope: HoldScope
    reason: str
    reference: str
    placed_by: str
    placed_at: dt.datetime
    objects: tuple[str, ...] = ()
    released_by: str | None = None
    released_at: dt.datetime | None = None
    release_reason: str | None = None
    lifted: tuple[str, ...] = field(default_factory=tuple)

    @property
    def active(self) -> bool:
        return self.released_at is None

    def covers(self, row: Mapping[str, Any]) -> bool:
        return self.active and self.scope.covers(row)

    def to_json(self) -> dict[str, Any]:
        return {
            "hold_id": self.id,
            "active": self.active,
            "scope": self.scope.to_json(),
            "covers": self.scope.describe(),
            "reason": self.reason,
            "reference": self.reference,
            "placed_by": self.placed_by,
            "placed_at": _iso(self.placed_at),
            "objects": list(self.objects),
            "released_by": self.released_by,
            "released_at": _iso(self.released_at) if self.released_at else None,
            "release_reason": self.release_reason,
        }


def new_hold_id(now: dt.datetime) -> str:
    """A new hold's id: ``hold-YYYYMMDD-`` and six hex digits."""
    return f"hold-{now.astimezone(dt.UTC):%Y%m%d}-{secrets.token_hex(3)}"


def place_event(hold: Hold) -> Event:
    """The event that places ``hold``."""
    return Event(
        stream=STREAM,
        action=PLACE,
        actor=hold.placed_by,
        at=hold.placed_at,
        data={
            "hold_id": hold.id,
            "scope": hold.scope.to_json(),
            "reason": hold.reason,
            "reference": hold.reference,
            "objects": list(hold.objects),
        },
    )


def release_event(hold_id: str, *, actor: str, at: dt.datetime, reason: str, lifted: Iterable[str]) -> Event:
    """The event that releases the hold ``hold_id``; ``lifted``: the objects whose legal hold went."""
    return Event(
        stream=STREAM,
        action=RELEASE,
        actor=actor,
        at=at,
        data={"hold_id": hold_id, "reason": reason, "lifted": sorted(lifted)},
    )


def all_holds(store: ObjectStore) -> dict[str, Hold]:
    """Every hold ever placed, by id, in the order placed, with its release if there was one."""
    holds: dict[str, Hold] = {}
    for event in read(store, STREAM):
        data = event.data
        try:
            hold_id = str(data["hold_id"])
            if event.action == PLACE:
                holds[hold_id] = Hold(
                    id=hold_id,
                    scope=HoldScope.from_json(data["scope"]),
                    reason=str(data["reason"]),
                    reference=str(data["reference"]),
                    placed_by=event.actor,
                    placed_at=event.at,
                    objects=tuple(str(k) for k in data.get("objects") or ()),
                )
            elif event.action == RELEASE and hold_id in holds:
                hold = holds[hold_id]
                hold.released_by, hold.released_at = event.actor, event.at
                hold.release_reason = str(data.get("reason") or "")
                hold.lifted = tuple(str(k) for k in data.get("lifted") or ())
        except (KeyError, TypeError, ValueError) as exc:
            raise EventLogError(f"hold event {event.id}: {exc}") from exc
    return holds


def active_holds(store: ObjectStore) -> list[Hold]:
    """The holds placed and not released, oldest first."""
    return [hold for hold in all_holds(store).values() if hold.active]


def holding(holds: Iterable[Hold], row: Mapping[str, Any]) -> list[Hold]:
    """The active holds among ``holds`` that cover the item of ``row``."""
    return [hold for hold in holds if hold.covers(row)]


#: The columns of an items row that :meth:`Hold.covers` and :func:`row_objects` read.
ROW_COLUMNS = ("account_id", "item_id", "post_id", "created_at", "observed_at", "warc_key", "media")


def row_objects(part_key: str, row: Mapping[str, Any]) -> list[str]:
    """The objects holding one item version: its items part, its WARC file and its media's."""
    keys = [part_key, row.get("warc_key"), *(m.get("warc_key") for m in row.get("media") or ())]
    return [str(k) for k in keys if k]


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value else None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
