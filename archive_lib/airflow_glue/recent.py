"""Task bodies of the ``capture_recent`` DAG: a hot pass of every account, or named threads.

A run of the DAG without configuration is a hot pass (``kind = 'recent'``) of every active
account over the last ``ARCHIVE_HOT_HOURS`` hours (72 by default; environment or Airflow Variable
``archive_hot_hours``). A run triggered with the configuration ``{"threads": {"ACCOUNT_ID":
["POST_ID", ...]}}`` (Airflow's REST API, as ``archivectl listen`` may do) captures only those
threads (``kind = 'targeted'``). See :mod:`archive_lib.capture.recent`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from airflow.sdk import get_current_context
from airflow.sdk.exceptions import AirflowFailException

from archive_lib.airflow_glue.capture import (
    SETTINGS,
    CaptureFailed,
    airflow_tokens,
    open_archive_store,
    open_inventory,
    result_dict,
)
from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.host_order import spread_over_hosts
from archive_lib.capture.recent import DEFAULT_HOURS, capture_recent
from archive_lib.clock import stockholm_date
from archive_lib.connectors.policy import HttpPolicy
from archive_lib.errors import ArchiveError
from archive_lib.settings import HOT_BUDGET_PERCENT, HOT_HOURS, LEASE_SECONDS

log = logging.getLogger(__name__)


def requested_threads() -> dict[str, list[str]] | None:
    """The ``threads`` of the DAG run's configuration (account id -> post ids), or ``None``.

    A malformed configuration fails the task without retry.
    """
    conf = get_current_context()["dag_run"].conf or {}
    threads = conf.get("threads") if isinstance(conf, Mapping) else None
    if threads is None:
        return None
    if not isinstance(threads, Mapping) or not all(
        isinstance(k, str)
        and isinstance(v, Sequence)
        and not isinstance(v, str)
        and all(isinstance(i, str) for i in v)
        for k, v in threads.items()
    ):
        raise AirflowFailException('conf "threads" must map account ids to lists of post ids')
    return {str(k): [str(i) for i in v] for k, v in threads.items()}


def requested_accounts() -> set[str] | None:
    """The accounts the run's configuration names (``account_ids``, and the keys of
    ``threads``), or ``None`` when it names none: a scheduled pass of every account.

    ``archivectl listen`` asks for ``{"account_ids": [...], "threads": {...}, "kind": ...}``: a
    recent pass of each account in ``account_ids`` that has no threads, the named threads of the
    others.
    """
    conf = get_current_context()["dag_run"].conf or {}
    ids = conf.get("account_ids") if isinstance(conf, Mapping) else None
    if ids is not None and (
        isinstance(ids, str) or not isinstance(ids, Sequence) or not all(isinstance(i, str) for i in ids)
    ):
        raise AirflowFailException('conf "account_ids" must be a list of account ids')
    threads = requested_threads()
    if ids is None and threads is None:
        return None
    return {*(ids or ()), *(threads or {})}


def accounts_for_hot_pass(platform: str | None = None) -> list[str]:
    """Ids of the accounts of ``platform`` this run captures: those named by ``threads``, or
    every account active today."""
    inventory = open_inventory()
    named = requested_accounts()
    today = stockholm_date(dt.datetime.now(dt.UTC))
    chosen = [
        a
        for a in inventory.active_on(today)
        if (platform is None or a.platform == platform) and (named is None or a.id in named)
    ]
    return [a.id for a in spread_over_hosts(chosen)]


def capture_recent_one(account_id: str) -> dict[str, Any]:
    """One account's hot pass (or its named threads), now; the task fails when the account fails."""
    get_current_context()["account_label"] = account_id  # type: ignore[typeddict-unknown-key]
    inventory = open_inventory()
    threads = requested_threads()
    try:
        options = CaptureOptions(
            contact=inventory.contact,
            operator=inventory.organisation,
            http=HttpPolicy.from_environ(SETTINGS.environ),
            lease_seconds=SETTINGS.whole_number(LEASE_SECONDS, 15),
        )
        hours = SETTINGS.whole_number(HOT_HOURS, DEFAULT_HOURS)
        budget = SETTINGS.whole_number(HOT_BUDGET_PERCENT, 75)
    except ArchiveError as exc:
        raise AirflowFailException(str(exc)) from exc
    result = capture_recent(
        inventory,
        open_archive_store(),
        account_ids=[account_id],
        hours=hours,
        # Named threads are captured alone; an account named without threads gets a recent pass.
        threads={account_id: threads[account_id]} if threads and threads.get(account_id) else None,
        tokens=airflow_tokens,
        options=options,
        budget_percent=budget,
    )
    if result.store_error:
        raise CaptureFailed(f"the store failed: {result.store_error}")
    if not result.results:
        return {"account_id": account_id, "inactive": True}
    run = result.results[0]
    if run.status == "failed":
        account = inventory.account(account_id)
        message = (
            f"{account_id}: hot pass failed: {run.error} (responsible: {account.responsible}, "
            f"substitute: {account.substitute})"
        )
        raise AirflowFailException(message)  # the next pass is due in minutes: no retry
    if run.skipped:
        log.warning("%s: %s", account_id, run.error)
    return result_dict(run)
