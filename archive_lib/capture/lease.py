"""The write lease of an account: one run at a time commits versions of an account.

Several runs may capture one account at the same time: the nightly pass, a hot pass every 15
minutes, a targeted capture of a thread the platform pushed. They walk and record WARC files
freely; only *committing* versions (storing an items part) is serialised, so that each commit
sees every version committed before it (the merge rule, :mod:`archive_lib.capture.merge`).

The store is create-only (no delete, no overwrite), so the lease is a series of time slots: the
object ``leases/{account_id}/{YYYY-MM-DD}/{slot}.json`` exists once the slot is taken, and
create-only puts (``If-None-Match: *`` on S3, ``link()`` on files) let exactly one run take it.
A slot is ``seconds`` long (``ARCHIVE_LEASE_SECONDS``, 15 by default). A run takes the current
slot, and begins its write only with a third of its slot still ahead: otherwise it takes the next
slot first (it holds the lease on), and if another run took that one, it starts its commit
again under a fresh lease. An uncontended commit never waits. A run that finds the
slot taken waits for the next one; after ``patience`` (10 minutes) of taken slots it gives up with
a retryable error, and what it captured is stored by the next run. The lease assumes the clocks
of the processes agree within a few seconds (NTP) and a part's put takes less than a third of a
slot. A run that dies holding a slot loses it when the slot ends. The slot objects are small
JSON (run id, kind, when), listed in the manifest of the run that took them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Callable

from archive_lib import layout
from archive_lib.clock import Clock
from archive_lib.errors import ArchiveError, ObjectExistsError
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore, StoredObject

log = logging.getLogger(__name__)

LEASES = layout.LEASES
DEFAULT_SECONDS = 15.0
PATIENCE_SECONDS = 600.0
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class LeaseTimeout(ArchiveError):
    """Other runs held the account's write lease for longer than the patience allowed: this
    account's run fails (retryable); the store itself is fine, so the other accounts go on."""

    retryable = True


def lease_key(account_id: str, slot: int, seconds: float) -> str:
    """The key of one slot of ``account_id``'s lease."""
    start = _EPOCH + dt.timedelta(seconds=slot * seconds)
    return f"{LEASES}/{account_id}/{start:%Y-%m-%d}/{slot:012d}.json"


class WriteLease:
    """The account's write lease, taken around each commit of one run (see the module docstring)."""

    def __init__(
        self,
        store: ObjectStore,
        account_id: str,
        run_id: str,
        *,
        kind: str,
        clock: Clock,
        retention: ObjectRetention,
        tags: dict[str, str],
        seconds: float = DEFAULT_SECONDS,
        patience: float = PATIENCE_SECONDS,
    ) -> None:
        if not 1 <= seconds <= 3600:
            raise ValueError("a lease slot lasts from 1 to 3600 seconds")
        self._store = store
        self._account_id = account_id
        self._run_id = run_id
        self._kind = kind
        self._clock = clock
        self._retention = retention
        self._tags = tags
        self._seconds = seconds
        self._patience = patience
        self._held: int | None = None
        self._mine: set[int] = set()  # slots this run took (a fast run may commit twice in one)
        self.taken: list[StoredObject] = []  # every slot object this run wrote

    def _slot(self) -> tuple[int, float]:
        """The current slot and the seconds left in it."""
        elapsed = (self._clock.now() - _EPOCH).total_seconds()
        slot = math.floor(elapsed / self._seconds)
        return slot, (slot + 1) * self._seconds - elapsed

    def _claim(self, slot: int) -> bool:
        now = self._clock.now()
        body = {
            "account_id": self._account_id,
            "run_id": self._run_id,
            "kind": self._kind,
            "claimed_at": now.isoformat(),
            "slot_seconds": self._seconds,
        }
        key = lease_key(self._account_id, slot, self._seconds)
        try:
            stored = self._store.put(
                key, json.dumps(body).encode(), retention=self._retention, tags=self._tags
            )
        except ObjectExistsError:
            return slot in self._mine
        self.taken.append(stored)
        self._mine.add(slot)
        return True

    def acquire(self) -> None:
        """Take the lease, waiting for other runs' slots to end."""
        waited = 0.0
        while True:
            slot, left = self._slot()
            if self._claim(slot):
                self._held = slot
                return
            if waited >= self._patience:
                raise LeaseTimeout(
                    f"the write lease of {self._account_id} stayed taken by other runs for {waited:.0f} s"
                )
            pause = left + 0.01
            log.info(
                "%s: the write lease is taken; waiting %.1f s",
                self._account_id,
                pause,
                extra={"account_id": self._account_id, "run_id": self._run_id},
            )
            self._clock.sleep(pause)
            waited += pause

    def hold_on(self) -> bool:
        """Before a write: make sure a third of the slot is still ahead, taking the next slot
        if it is not. False when the lease was lost (another run took the next slot)."""
        assert self._held is not None, "hold_on() without acquire()"
        slot, left = self._slot()
        if slot == self._held and left >= self._seconds / 3:
            return True
        if slot == self._held and self._claim(slot + 1):
            self._held = slot + 1
            return True  # the rest of this slot and the whole next one
        self._held = None  # the slot ran out: another run may hold the next one
        return False

    def release(self) -> None:
        """Done with this commit; the slot ends by itself."""
        self._held = None


def with_lease(lease: WriteLease, commit: Callable[[], bool]) -> None:
    """Run ``commit`` under ``lease``; ``commit`` returns False when it found the lease lost
    before writing, and is then run again under a fresh lease."""
    for _ in range(100):
        lease.acquire()
        try:
            if commit():
                return
        finally:
            lease.release()
    raise LeaseTimeout("the write lease was lost 100 times in a row")
