"""A whole night: every active account of the inventory, one after the other.

Used by ``archivectl capture``. Airflow runs the same per-account function in parallel mapped
tasks instead (see :mod:`archive_lib.airflow_glue.capture`). A platform failure fails that account only;
a store failure stops the night, since nothing could be kept anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from archive_lib.capture.account import CaptureOptions, Progress, TokenSource, capture_account
from archive_lib.capture.tokens import env_tokens
from archive_lib.clock import Clock, IdFactory
from archive_lib.errors import ConfigError, StoreError
from archive_lib.models import Account, Inventory, RunResult
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NightResult:
    """What a night did for each account it was asked to capture."""

    run_date: dt.date
    results: tuple[RunResult, ...]
    inactive: tuple[str, ...]  # asked for, but outside active_from/active_to on this date
    not_attempted: tuple[str, ...]  # left out because the store failed
    store_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.store_error is None and all(r.status == "ok" for r in self.results)


def select_accounts(inventory: Inventory, account_ids: Sequence[str] = ()) -> list[Account]:
    """The accounts named (in inventory order), or all; unknown ids are a configuration error."""
    if not account_ids:
        return list(inventory.accounts)
    known = {a.id for a in inventory.accounts}
    unknown = [a for a in account_ids if a not in known]
    if unknown:
        raise ConfigError(f"{inventory.path}: no account with id {', '.join(map(repr, unknown))}")
    wanted = set(account_ids)
    return [a for a in inventory.accounts if a.id in wanted]


def capture_night(
    inventory: Inventory,
    store: ObjectStore,
    run_date: dt.date,
    account_ids: Sequence[str] = (),
    *,
    tokens: TokenSource = env_tokens,
    clock: Clock | None = None,
    ids: IdFactory | None = None,
    options: CaptureOptions | None = None,
    progress: Progress | None = None,
) -> NightResult:
    accounts = select_accounts(inventory, account_ids)
    options = options or CaptureOptions()
    options = replace(
        options,
        contact=options.contact or inventory.contact,
        operator=options.operator or inventory.organisation,
    )
    results: list[RunResult] = []
    inactive = [a.id for a in accounts if not a.is_active(run_date)]
    todo = [a for a in accounts if a.is_active(run_date)]
    for index, account in enumerate(todo):
        try:
            results.append(
                capture_account(
                    account,
                    store,
                    run_date,
                    tokens=tokens,
                    clock=clock,
                    ids=ids,
                    options=options,
                    progress=progress,
                )
            )
        except StoreError as exc:
            log.error("the store failed while capturing %s: %s", account.id, exc)
            rest = tuple(a.id for a in todo[index:])
            return NightResult(run_date, tuple(results), tuple(inactive), rest, str(exc))
    return NightResult(run_date, tuple(results), tuple(inactive), ())
