"""Targeted captures: the threads pushes name, captured by the same code as ``capture --recent``.

The queue collects (account, thread) pairs and, for an account after a stream reconnect, a
recent pass of its hot threads (nothing is replayed after a reconnect). A worker takes what was
queued at most ``batch_seconds`` after the first of it arrived (default 10 s, so a thread is
captured well within a minute of its push) and calls the capture once per account with every
thread queued for it. A failing capture is logged and never stops the worker: the threads it
named are captured by the next hot pass.

The capture is a callable with the shape of
:func:`archive_lib.capture.recent.capture_recent` (``inventory, store, *, account_ids,
threads, kind``): without Airflow, ``listen`` calls it in its own process (:func:`in_process`);
with Airflow, :class:`AirflowTrigger` asks Airflow's REST API for a run of the
``capture_recent`` DAG with the threads in its ``conf``, so the capture runs inside the
platform's pool like every other (see README, "Platform push").
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import urllib3

from archive_lib.errors import ConfigError
from archive_lib.models import Inventory
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)

#: Threads waiting at most; past this the oldest are dropped with a warning (the next hot pass
#: captures them), so a platform pushing without end cannot fill memory.
MAX_QUEUED = 50_000
RECENT = "*recent*"  # stands for "a recent pass of the account's hot threads"


class CaptureRecent(Protocol):
    """The shape of :func:`archive_lib.capture.recent.capture_recent`."""

    def __call__(
        self,
        inventory: Inventory,
        store: ObjectStore,
        *,
        account_ids: Sequence[str] = (),
        threads: Mapping[str, Sequence[str]] | None = None,
        kind: str = "recent",
    ) -> Any: ...


def in_process() -> CaptureRecent:
    """``capture_recent`` itself, imported when first needed (``listen`` without Airflow)."""
    module = importlib.import_module("archive_lib.capture.recent")
    capture: CaptureRecent = module.capture_recent
    return capture


@dataclass(frozen=True)
class Stats:
    """What the worker did so far."""

    captures: int
    failures: int
    threads: int
    dropped: int


class TargetQueue:
    """Queued threads per account, and the worker that captures them (module docstring)."""

    def __init__(
        self,
        inventory: Inventory,
        store: ObjectStore,
        capture: CaptureRecent | None = None,
        *,
        batch_seconds: float = 10.0,
    ) -> None:
        self.inventory = inventory
        self.store = store
        self._resolved: CaptureRecent | None = capture  # None: in_process(), when first needed
        self.batch_seconds = batch_seconds
        self._cond = threading.Condition()
        self._queued: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._captures = self._failures = self._threads = self._dropped = 0

    def thread(self, account_id: str, post_id: str) -> None:
        """Queue the thread ``post_id`` of ``account_id`` for a targeted capture."""
        self._put(account_id, post_id)

    def recent(self, account_id: str) -> None:
        """Queue a recent pass of every hot thread of ``account_id``."""
        self._put(account_id, RECENT)

    def _put(self, account_id: str, what: str) -> None:
        with self._cond:
            self._queued[(account_id, what)] = None
            while len(self._queued) > MAX_QUEUED:
                (dropped, _), _ = self._queued.popitem(last=False)
                self._dropped += 1
                log.warning(
                    "the targeted-capture queue is full; a thread of %s is left to the hot pass", dropped
                )
            self._cond.notify_all()

    @property
    def stats(self) -> Stats:
        with self._cond:
            return Stats(self._captures, self._failures, self._threads, self._dropped)

    def run(self, stop: threading.Event) -> None:
        """Capture what is queued until ``stop`` is set; what is queued then is left to the hot pass."""
        while not stop.is_set():
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queued) or stop.is_set(), timeout=1.0)
                if stop.is_set() or not self._queued:
                    continue
            # Let a burst of pushes about one thread become one capture.
            if stop.wait(self.batch_seconds):
                break
            with self._cond:
                batch, self._queued = list(self._queued), OrderedDict()
            self._run_batch(batch)
        with self._cond:
            if self._queued:
                log.info("%d queued threads are left to the next hot pass", len(self._queued))

    def _run_batch(self, batch: list[tuple[str, str]]) -> None:
        per_account: dict[str, list[str]] = {}
        for account_id, what in batch:
            per_account.setdefault(account_id, []).append(what)
        for account_id, items in per_account.items():
            recent = RECENT in items
            threads = sorted({t for t in items if t != RECENT})
            try:
                capture = self._capture_fn()
                if recent:
                    capture(self.inventory, self.store, account_ids=(account_id,), kind="recent")
                if threads:
                    capture(
                        self.inventory,
                        self.store,
                        account_ids=(account_id,),
                        threads={account_id: threads},
                        kind="targeted",
                    )
                with self._cond:
                    self._captures += 1
                    self._threads += len(threads)
            except Exception:
                with self._cond:
                    self._failures += 1
                log.exception(
                    "the targeted capture of %s failed; its threads are left to the next hot pass",
                    account_id,
                    extra={"account_id": account_id},
                )

    def _capture_fn(self) -> CaptureRecent:
        if self._resolved is None:
            self._resolved = in_process()
        return self._resolved


class AirflowTrigger:
    """Asks Airflow for a run of the ``capture_recent`` DAG for the threads (a :class:`CaptureRecent`).

    ``POST {api}/api/v2/dags/capture_recent/dagRuns`` with ``conf`` ``{"account_ids": [...],
    "threads": {...}, "kind": ...}`` and a JWT from ``POST {api}/auth/token``. The DAG runs the
    capture in the platform's pool, so it shares the platform's rate limit with every other
    capture. A refused or failed request raises: the queue logs it and the hot pass catches up.
    """

    def __init__(
        self, api: str, username: str, password: str, *, dag_id: str = "capture_recent", timeout: float = 10.0
    ) -> None:
        if not api.startswith(("http://", "https://")):
            raise ConfigError(f"the Airflow API must be an http(s) URL, not {api[:60]!r}")
        self.api = api.rstrip("/")
        self.dag_id = dag_id
        self._username = username
        self._password = password
        self._pool = urllib3.PoolManager(
            timeout=urllib3.Timeout(total=timeout), retries=urllib3.Retry(total=2, backoff_factor=0.5)
        )

    def __call__(
        self,
        inventory: Inventory,
        store: ObjectStore,
        *,
        account_ids: Sequence[str] = (),
        threads: Mapping[str, Sequence[str]] | None = None,
        kind: str = "recent",
    ) -> Any:
        token = self._token()
        conf = {"account_ids": list(account_ids), "threads": dict(threads or {}), "kind": kind}
        response = self._pool.request(
            "POST",
            f"{self.api}/api/v2/dags/{self.dag_id}/dagRuns",
            body=json.dumps({"logical_date": None, "conf": conf}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        )
        if response.status not in (200, 201):
            raise RuntimeError(f"Airflow refused the run of {self.dag_id}: HTTP {response.status}")
        run = json.loads(response.data)
        log.info("asked Airflow for %s run %s", self.dag_id, run.get("dag_run_id"))
        return run

    def _token(self) -> str:
        response = self._pool.request(
            "POST",
            f"{self.api}/auth/token",
            body=json.dumps({"username": self._username, "password": self._password}).encode(),
            headers={"Content-Type": "application/json"},
        )
        if response.status not in (200, 201):
            raise RuntimeError(f"Airflow refused the credentials: HTTP {response.status}")
        token = json.loads(response.data).get("access_token")
        if not isinstance(token, str) or not token:
            raise RuntimeError("Airflow's token answer holds no access_token")
        return token
