"""Replies Mastodon counts against the replies a night has seen: which statuses are still owed some.

Every status carries ``replies_count``; the walk sees some of its replies. A status is *owed*
replies while it counts more than the distinct replies seen below it tonight. At the end of the
night the connector reads the context of every owed status it has not read yet, and reports those
still owed as a warning per thread (see :mod:`archive_lib.connectors.mastodon`).

What the ledger holds is bounded by the threads that matter, not by the account:

* while a thread (the statuses seen with one ``post_id``) is being walked, every status seen in
  it: its count, its thread, the ids of the replies seen below it, in the order first seen;
* after the walk (:meth:`ReplyLedger.settle`), a thread in which no status is owed anything is
  forgotten; a thread still owed replies is kept whole, since the end of the night reads more
  of it and compares again;
* replies seen below a status that was not seen itself (a private status, one older than
  ``active_from``, the other account's status an answer of the account replies to), for when it
  is seen later; the number of replies seen below a forgotten thread's post, for a listing that
  shows the post again; and the thread of a status whose context was still being completed by
  the server when its thread was forgotten (``keep``), for the warning that names the thread.

Apart from its post, a forgotten thread is not met again in one night while Mastodon keeps its
documented context semantics (a context shows a status only with every status between it and
the anchor, and ``replies_count`` counts the replies the context can show): a later walk that
reaches one of its statuses reaches a status it did not show, so the thread was still owed
replies and is kept.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass, field


@dataclass
class _Status:
    count: int  # replies_count, as last seen
    post: str  # the thread it was last seen in
    replies: set[str] = field(default_factory=set)  # replies seen below it tonight
    earlier: int = 0  # replies seen below it before its thread was forgotten (a post shown again)

    @property
    def owed(self) -> int:
        return self.count - self.earlier - len(self.replies)


class ReplyLedger:
    """The statuses of the threads walked since the last :meth:`settle`, and of threads still owed replies."""

    def __init__(self) -> None:
        self._statuses: dict[str, _Status] = {}  # in the order first seen
        self._threads: dict[str, set[str]] = {}  # post id -> its statuses held here
        self._orphans: dict[str, set[str]] = {}  # a status not seen -> replies seen below it
        self._touched: set[str] = set()  # threads seen in since the last settle
        self._kept_posts: dict[str, str] = {}  # a status in settle()'s keep -> its forgotten thread
        self._earlier: dict[str, int] = {}  # a forgotten thread's post -> replies seen below it

    def saw(self, status_id: str, post_id: str, replies_count: int, parent_id: str | None) -> None:
        """``status_id`` was seen in the thread of ``post_id``, counting ``replies_count`` replies."""
        status = self._statuses.get(status_id)
        if status is None:
            orphans = self._orphans.pop(status_id, set())
            status = _Status(replies_count, post_id, orphans, self._earlier.pop(status_id, 0))
            self._statuses[status_id] = status
        else:
            status.count = replies_count
            if status.post != post_id:
                self._threads[status.post].discard(status_id)
                status.post = post_id
        self._threads.setdefault(post_id, set()).add(status_id)
        self._touched.add(post_id)
        if parent_id is not None:
            parent = self._statuses.get(parent_id)
            replies = parent.replies if parent is not None else self._orphans.setdefault(parent_id, set())
            replies.add(status_id)

    def owed(self) -> Iterator[tuple[str, int, str]]:
        """``(status, replies owed, thread)`` of every status owed replies, in the order first seen."""
        for status_id, status in self._statuses.items():
            if status.owed > 0:
                yield status_id, status.owed, status.post

    def post_of(self, status_id: str) -> str | None:
        """The thread ``status_id`` was last seen in, where the ledger still knows it."""
        status = self._statuses.get(status_id)
        return status.post if status is not None else self._kept_posts.get(status_id)

    def settle(self, keep: Container[str] = ()) -> None:
        """Forget the threads walked since the last call in which no status is owed replies;
        remember the thread of each of their statuses in ``keep``."""
        for post_id in self._touched:
            members = self._threads.get(post_id, set())
            if any(self._statuses[s].owed > 0 for s in members):
                continue
            for status_id in members:
                status = self._statuses.pop(status_id)
                if status_id in keep:
                    self._kept_posts[status_id] = post_id
                if status_id == post_id and (status.earlier or status.replies):
                    self._earlier[status_id] = status.earlier + len(status.replies)
            self._threads.pop(post_id, None)
        self._touched.clear()
