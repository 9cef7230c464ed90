"""Mastodon's ``Mastodon-Async-Refresh`` header on ``statuses/:id/context`` (4.4+).

While the server fetches a thread's missing remote replies in the background, it answers the
context with what it has and ``Mastodon-Async-Refresh: id="<id>", retry=<seconds>`` (newer
servers add ``, result_count=<n>``); the header is gone once the fetch is done (mastodon/mastodon
app/controllers/concerns/async_refreshes_concern.rb). The walk waits the suggested time and reads
the context again, within caps, because a night must end:

* one wait lasts at least :data:`MIN_WAIT` and at most :data:`MAX_WAIT` seconds, whatever
  ``retry`` says (a missing, negative or non-numeric value waits :data:`DEFAULT_WAIT`);
* one context waits at most :data:`CONTEXT_BUDGET` seconds in all, and is read at most
  :data:`MAX_READS` times;
* one night (one account) waits at most :data:`NIGHT_BUDGET` seconds in all.

A context still refreshing when its budget is spent is used as it is, and the walk reports it
(an ``Incomplete`` warning naming the thread); the next night reads the thread again.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

HEADER = "Mastodon-Async-Refresh"
MIN_WAIT = 1.0
DEFAULT_WAIT = 5.0
MAX_WAIT = 30.0
CONTEXT_BUDGET = 60.0
MAX_READS = 6
NIGHT_BUDGET = 600.0

_RETRY = re.compile(r"(?:^|[,;\s])retry\s*=\s*\"?([^,;\s\"]*)", re.I)
_ID = re.compile(r"(?:^|[,;\s])id\s*=\s*\"([^\"]*)\"", re.I)


@dataclass(frozen=True)
class AsyncRefresh:
    """One ``Mastodon-Async-Refresh`` header, read leniently."""

    refresh_id: str | None
    wait: float  # seconds to wait before reading again, already within MIN_WAIT..MAX_WAIT


def parse(value: str | None) -> AsyncRefresh | None:
    """The header's meaning, or ``None`` when there is none (the refresh is over).

    Any value is accepted: an unreadable ``retry`` waits :data:`DEFAULT_WAIT`, and every wait is
    held within :data:`MIN_WAIT`..:data:`MAX_WAIT`.
    """
    if value is None or not value.strip():
        return None
    wait = DEFAULT_WAIT
    found = _RETRY.search(value)
    if found:
        try:
            number = float(found.group(1))
        except ValueError:
            number = math.nan
        if math.isfinite(number):
            wait = number
    refresh_id = _ID.search(value)
    return AsyncRefresh(refresh_id.group(1) if refresh_id else None, min(max(wait, MIN_WAIT), MAX_WAIT))


class RefreshBudget:
    """The waits one night may spend on refreshing contexts (see the module docstring)."""

    def __init__(self, sleep: Callable[[float], None], night: float = NIGHT_BUDGET) -> None:
        """``sleep`` waits (the HTTP client's :meth:`~archive_lib.connectors.http.HttpClient.wait`,
        which also keeps within the account's night)."""
        self._sleep = sleep
        self._left = night

    def wait(self, refresh: AsyncRefresh, reads: int, waited: float) -> float | None:
        """Wait before reading a context again: the seconds waited, or ``None`` when the
        context (``reads`` so far, ``waited`` seconds so far) or the night has no time left."""
        wait = refresh.wait
        if reads >= MAX_READS or waited + wait > CONTEXT_BUDGET or wait > self._left:
            return None
        self._left -= wait
        self._sleep(wait)
        return wait
