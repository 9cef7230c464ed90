"""The one module that imports Airflow: settings, tokens and task bodies for the DAGs.

Task bodies live here rather than in the DAG files so the DAG files stay declarations and
every decision stays testable. Settings are read inside tasks, never at DAG parse time.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict
from typing import Any

from airflow.sdk import Connection, Variable, get_current_context
from airflow.sdk.exceptions import AirflowFailException
from airflow.sdk.log import mask_secret

from archive_lib.airflow_glue.signing import archive_signer
from archive_lib.capture.account import CaptureOptions, capture_account
from archive_lib.capture.host_order import spread_over_hosts
from archive_lib.capture.tokens import env_tokens
from archive_lib.clock import stockholm_date
from archive_lib.connectors.policy import HttpPolicy
from archive_lib.errors import ArchiveError, MissingTokenError
from archive_lib.inventory import load_inventory
from archive_lib.metadata.runs import runs_of_night
from archive_lib.models import Account, Inventory, RunResult
from archive_lib.settings import INVENTORY, STORE, Settings
from archive_lib.storage import open_store
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)


class CaptureFailed(RuntimeError):
    """An account's night failed in a way a later attempt may fix (Airflow retries it)."""


def airflow_variable(name: str) -> str | None:
    """An Airflow Variable's value, None when it is not set: the lookup of :data:`SETTINGS`."""
    value = Variable.get(name, default=None)
    return None if value is None else str(value)


#: The settings of a task: the environment first, then Airflow Variables (read when asked).
SETTINGS = Settings(variables=airflow_variable)


def open_inventory() -> Inventory:
    """The inventory the settings name; the task fails (no retry) when it is missing or broken."""
    try:
        return load_inventory(SETTINGS.require(INVENTORY))
    except ArchiveError as exc:
        raise AirflowFailException(str(exc)) from exc


def open_archive_store() -> ObjectStore:
    """The store the settings name; the task fails (no retry) when it is missing or unusable."""
    try:
        return open_store(SETTINGS.require(STORE))
    except ArchiveError as exc:
        raise AirflowFailException(str(exc)) from exc


def run_date() -> dt.date:
    """The night being captured: the run's logical date (or, for manual runs, its start) in Stockholm."""
    context = get_current_context()
    moment = context.get("logical_date") or context["dag_run"].run_after
    return stockholm_date(moment)


def airflow_tokens(account: Account) -> str | None:
    """The account's token from its Airflow Connection (password field) or its environment variable."""
    if account.token_connection:
        try:
            connection = Connection.get(account.token_connection)
        except Exception as exc:  # Airflow raises its own not-found type, which may change
            raise MissingTokenError(
                f"the Airflow connection {account.token_connection!r} cannot be read: {exc}"
            ) from exc
        token = (connection.password or "").strip() if connection else ""
        if not token:
            raise MissingTokenError(
                f"the Airflow connection {account.token_connection!r} has no password (token)"
            )
    else:
        token = env_tokens(account) or ""
    if token:
        mask_secret(token)
    return token or None


def accounts_for_night(platform: str | None = None) -> list[str]:
    """Ids of the accounts active on this night, of one platform if given (a mapped task's input)."""
    inventory = open_inventory()
    night = run_date()
    chosen = [a for a in inventory.active_on(night) if platform is None or a.platform == platform]
    # Mapped tasks start in list order: spread them over the hosts' separate rate limits.
    active = [a.id for a in spread_over_hosts(chosen)]
    log.info(
        "%d of %d inventoried accounts are active on %s%s",
        len(active),
        len(inventory.accounts),
        night,
        f" on {platform}" if platform else "",
    )
    return active


def capture_one(account_id: str) -> dict[str, Any]:
    """Capture one account's night; the task fails (and alerts) when the account fails."""
    get_current_context()["account_label"] = account_id  # type: ignore[typeddict-unknown-key]
    inventory = open_inventory()
    account = inventory.account(account_id)
    try:
        policy = HttpPolicy.from_environ(SETTINGS.environ)
        signer = archive_signer(SETTINGS)
    except ArchiveError as exc:
        raise AirflowFailException(str(exc)) from exc
    options = CaptureOptions(
        contact=inventory.contact, operator=inventory.organisation, http=policy, signer=signer
    )
    result = capture_account(
        account, open_archive_store(), run_date(), tokens=airflow_tokens, options=options
    )
    summary = result_dict(result)
    if result.status == "failed":
        message = (
            f"{account_id} failed: {result.error} (responsible: {account.responsible}, "
            f"substitute: {account.substitute})"
        )
        if result.retryable:
            raise CaptureFailed(message)
        raise AirflowFailException(message)
    return summary


def summarize_night() -> dict[str, Any]:
    """Log the night's outcome per account, read back from the store (the source of truth).

    Fails when any active account failed or has no run at all, so the DAG run itself is marked
    failed and alerts fire.
    """
    night = run_date()
    active = [a.id for a in open_inventory().active_on(night)]
    latest: dict[str, dict[str, Any]] = {}
    for row in runs_of_night(open_archive_store(), night, kind="nightly"):
        latest[row["account_id"]] = row  # rows come sorted by start time: the last attempt wins
    for account_id in active:
        last = latest.get(account_id)
        log.info(
            "%s: %s %s", account_id, last["status"] if last else "missing", (last or {}).get("error") or ""
        )
    failed = [a for a in active if a in latest and latest[a]["status"] != "ok"]
    missing = [a for a in active if a not in latest]
    if failed or missing:
        parts = [
            f"failed: {', '.join(failed)}" if failed else "",
            f"no run: {', '.join(missing)}" if missing else "",
        ]
        raise AirflowFailException(f"the night of {night} is incomplete; " + "; ".join(p for p in parts if p))
    return {"run_date": night.isoformat(), "accounts": len(active), "failed": []}


def refresh_search_index() -> dict[str, Any]:
    """Bring the registrars' search index up to date with the night (``$ARCHIVE_INDEX_DIR``).

    The index is derived data: a failure here loses nothing and the next search retries it.
    """
    from archive_lib.search import SearchIndex

    report = SearchIndex(open_archive_store()).refresh()
    log.info(
        "search index: %d new items parts (%d in all), %d items written in %.1f s",
        report.parts_new,
        report.parts_total,
        report.items_written,
        report.seconds,
    )
    return {"parts_new": report.parts_new, "items_written": report.items_written}


def result_dict(result: RunResult) -> dict[str, Any]:
    data = asdict(result)
    data["run_date"] = result.run_date.isoformat()
    data["objects"] = list(result.objects)
    return data
