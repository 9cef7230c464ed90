"""One walk rule for every platform: what a night may call gone, what it remembers, which files it fetches.

A connector *walks*: it reads a listing (the account's posts, newest first) or a thread (the
replies below a post, or below one of the account's replies), page after page. The rule below is
the same on every platform; a connector supplies only how to look up one item (or a batch) and
what the platform's "gone" answer is.

**Deletions.**

1. Only a *complete* walk can show that something is missing: every page read, no error the walk
   stopped at, nothing cut short. A walk that was throttled, failed (an exception, or a
   :class:`~.base.Trouble` for the part that could not be read, :func:`attempt`) or truncated
   (the post went while it was read, a documented page limit) looks up nothing, so it never
   leads to :class:`~.base.Gone`. The listing is complete only when it reaches back to where
   tonight's check begins (:func:`listing_stop`, for listings whose high-water mark is a time).
2. After a complete walk of a thread, the archived *live* items it should have shown (the
   thread's, :func:`live_items`, or the branch's below a reply, :func:`live_below`) that it did
   not show are *missing*. After the complete listing, the account's archived live items of the
   re-check window (created before ``active_to`` ends) that it did not show, and that no walk
   showed tonight, are missing (:func:`unlisted`); Graph, whose listing is the whole feed every
   night, takes every archived live post it captures instead.
3. Every missing item is looked up directly (:func:`confirm`), in the platform's id order, alone
   or in batches. Only the platform's own answer that the item does not exist, :class:`Absent`
   (Mastodon 404 or 410, Bluesky 400 ``NotFound``, YouTube an id a successful ``list`` call leaves
   out, Graph error 100 with subcode 33), becomes :class:`~.base.Gone`, carrying the lookup's
   response as evidence; this module is the only place that makes one. An item the lookup shows
   is seen again like any other. Any other answer, a throttled, failed or unreadable lookup,
   yields a :class:`~.base.Trouble` or raises, as the platform's connector decides: never Gone.
4. A post confirmed gone after the listing takes its thread along only by the same rule: its
   archived live comments are looked up in turn (:func:`confirm_unlisted`).

**Seen tonight.** Every item a walk yields as seen passes :meth:`SeenTonight.saw`. The end-of-night
check does not look up an item that any walk showed tonight, and a connector does not walk again
from an item it has already yielded (the account's replies found through its threads). What is
kept is what those questions can ask about, compactly (:class:`~.idset.IdSet`): Mastodon asks
about anyone's statuses (the ancestors of an answer of the account in its own thread), so it keeps
every id; the other platforms ask only about the account's own items (its listing, its archived
items), so they keep the items the account wrote, by the snapshot or by the archive.

**Media.** A snapshot that will become a version (:func:`becomes_version`: new, back after being
gone, or with other content) gets its attachment files through the night's
:class:`~.base.MediaArchiver` (:func:`with_files`), which fetches each file once, reuses a file
the archive already holds, and records a file that cannot be had as failed, with a warning, never
failing the night. An unchanged snapshot fetches nothing here; the capture core tries again files
an archived version still lacks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Container, Generator, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, Literal, ParamSpec, TypeVar

from archive_lib.clock import parse_utc
from archive_lib.connectors.base import (
    CapturePlan,
    Gone,
    KnownItemView,
    KnownView,
    MediaArchiver,
    Observation,
    Trouble,
)
from archive_lib.connectors.idset import IdSet
from archive_lib.errors import ProtocolError, TransientPlatformError
from archive_lib.models import ItemSnapshot, RecordRef

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Absent:
    """A lookup's answer that the item does not exist on the platform, and the response that said so."""

    item_id: str
    record: RecordRef


Answer = Observation | Absent
#: How a platform looks up items by id: answers in the order asked, an :class:`Absent` per item
#: the platform says does not exist, the observations of an item it shows.
Lookup = Callable[[list[str]], Iterator[Answer]]


class SeenTonight:
    """The items a night has seen, as far as its questions can ask about them (see the module docstring).

    ``keep`` is ``"every item"`` (Mastodon) or ``"the account's items"``: those whose snapshot
    says the account wrote them, or that the archive holds as the account's.
    """

    def __init__(self, keep: Literal["every item", "the account's items"]) -> None:
        self._every = keep == "every item"
        self._ids = IdSet()

    def saw(self, snapshot: ItemSnapshot, known: KnownItemView | None = None) -> None:
        """Remember that ``snapshot`` was seen; ``known`` is its archived version, where looked up."""
        if self._every or snapshot.author_is_account or (known is not None and known.author_is_account):
            self._ids.add(snapshot.item_id)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)


def attempt(
    what: str, read: Callable[P, T | None], /, *args: P.args, **kwargs: P.kwargs
) -> Generator[Observation, None, T | None]:
    """``read(*args, **kwargs)``, or ``None`` after a :class:`~.base.Trouble` naming ``what`` when the
    platform failed it (after the HTTP client's retries) or broke its protocol.

    ``None`` ends that part of the walk either way: one that failed looks up nothing.
    """
    try:
        return read(*args, **kwargs)
    except (TransientPlatformError, ProtocolError) as exc:
        yield Trouble(f"{what}: {exc}")
        return None


def listing_stop(plan: CapturePlan) -> dt.datetime | None:
    """Where a listing newest first may stop, for a platform whose high-water mark is a time.

    Down to the older of the last night's newest item and the start of the re-check window, so
    that nights that did not run leave no gap and the end-of-night check sees the whole window;
    never below ``active_from``. The first night: ``active_from``, or the whole listing.
    """
    stop = plan.capture_from
    if plan.known.high_water is not None:
        floor = min(plan.recheck_from, _moment(plan.known.high_water) or plan.recheck_from)
        stop = max(stop, floor) if stop else floor
    return stop


def becomes_version(known: KnownItemView | None, snapshot: ItemSnapshot) -> bool:
    """Whether ``snapshot`` will be archived as a version: new, back after being gone, or changed."""
    return known is None or known.deleted or known.content_sha256 != snapshot.content_sha256


def with_files(snapshot: ItemSnapshot, media: MediaArchiver, *, only_with_url: bool = False) -> ItemSnapshot:
    """``snapshot`` with its attachment files archived, each file once a night.

    ``only_with_url`` keeps an attachment the platform gives no URL for as it is described
    (Bluesky's videos, links and quotes), instead of asking the archiver for a file of that id.
    """
    if not snapshot.media:
        return snapshot
    files = tuple(
        m if only_with_url and not m.url else media.fetch(m.media_id, m.media_type, m.url, m.description)
        for m in snapshot.media
    )
    return dataclasses.replace(snapshot, media=files)


def live_items(known: KnownView, post_id: str, *, kind: str | None = None) -> set[str]:
    """Ids of the archived items of the thread of ``post_id`` not recorded as gone (of one ``kind``)."""
    return {
        k.item_id for k in known.thread(post_id) if not k.deleted and (kind is None or k.item_type == kind)
    }


def live_below(known: KnownView, item_id: str) -> set[str]:
    """Ids of the archived items in the branch below ``item_id`` not recorded as gone."""
    return {i for i in known.below(item_id) if (k := known.latest(i)) is not None and not k.deleted}


def unlisted(
    known: KnownView, plan: CapturePlan, listed: Container[str], seen: Container[str]
) -> Iterator[KnownItemView]:
    """The account's archived live items of the re-check window that tonight's complete listing
    lacked and no walk showed, as they come: each one is checked when it is reached."""
    until = plan.capture_until
    for item in known.account_items_since(plan.recheck_from):
        if item.item_id in listed or item.item_id in seen:
            continue
        if until and item.created_at is not None and item.created_at >= until:
            continue
        yield item


def confirm(
    item_ids: Iterable[str], look_up: Lookup, *, order: Callable[[str], Any] | None = None, batch: int = 1
) -> Iterator[Observation]:
    """Look up items a complete walk lacked, ``batch`` at a time in ``order``; only :class:`Absent`
    makes one :class:`~.base.Gone`."""
    ordered = sorted(item_ids, key=order)
    for start in range(0, len(ordered), batch):
        for answer in look_up(ordered[start : start + batch]):
            yield _observation(answer)


def confirm_unlisted(
    candidates: Iterable[KnownItemView],
    look_up: Lookup,
    thread: Callable[[str], Iterator[Observation]],
    *,
    batch: int = 1,
) -> Iterator[Observation]:
    """Look up the archived items the complete listing lacked, ``batch`` at a time as they come; a
    post confirmed gone has its thread confirmed by ``thread`` (given its id) before the next answer."""
    pending = iter(candidates)
    while chunk := list(islice(pending, batch)):
        posts = {k.item_id for k in chunk if k.item_type == "post"}
        for answer in look_up([k.item_id for k in chunk]):
            yield _observation(answer)
            if isinstance(answer, Absent) and answer.item_id in posts:
                yield from thread(answer.item_id)


def _observation(answer: Answer) -> Observation:
    return Gone(answer.item_id, answer.record) if isinstance(answer, Absent) else answer


def _moment(value: str) -> dt.datetime | None:
    """A high-water mark written as an ISO time, or None."""
    try:
        return parse_utc(value)
    except ValueError:
        return None
