"""A small archive to audit: real captures from the fake Mastodon server into a store."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from archive_lib.audit import AuditOptions, AuditReport, audit_period, run_audit
from archive_lib.capture.account import CaptureOptions, capture_account
from archive_lib.capture.tokens import env_tokens
from archive_lib.inventory import load_inventory
from archive_lib.models import Inventory, RunResult
from archive_lib.storage.base import ObjectStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import FakeClock, write_inventory
from tests.signing import signer_for_tests


class AuditWorld:
    """One fake instance with a municipal account and citizens, one store, one inventory."""

    def __init__(
        self, fake: FakeMastodon, folder: pathlib.Path, store: ObjectStore, *, people: bool = True
    ) -> None:
        """``people=False`` for a fake already populated (the sample content has its own)."""
        self.fake = fake
        self.folder = folder
        self.store = store
        self.clock = FakeClock(fake)
        if people:
            self.town = fake.add_account("kristianstad", "Kristianstads kommun")
            self.anna = fake.add_account("anna", "Anna Lindqvist")
            self.mats = fake.add_account("mats", "Mats Ohlsson", domain="other.example")
        self.accounts: list[Mapping[str, Any]] = [{"id": "ks-mastodon", "handle": "kristianstad"}]

    def inventory(self, accounts: Sequence[Mapping[str, Any]] | None = None) -> Inventory:
        path = write_inventory(self.folder, self.fake.base_url, accounts or self.accounts)
        return load_inventory(path)

    def capture(
        self, night: dt.date, account_id: str, inventory: Inventory | None = None, **kw: Any
    ) -> RunResult:
        """Capture one night, its manifest signed with the tests' key unless ``options`` say otherwise."""
        account = (inventory or self.inventory()).account(account_id)
        kw.setdefault("options", CaptureOptions(signer=signer_for_tests()))
        return capture_account(
            account, self.store, night, clock=self.clock, tokens=kw.pop("tokens", env_tokens), **kw
        )

    def audit(
        self,
        since: dt.date,
        until: dt.date,
        inventory: Inventory | None = None,
        *,
        full: bool = True,
        period_days: int = 90,
    ) -> AuditReport:
        period = audit_period(since, until, self.clock.now())
        return run_audit(
            self.store,
            inventory or self.inventory(),
            period,
            options=AuditOptions(full=full, period_days=period_days),
            clock=self.clock,
        )


def kinds(report: AuditReport) -> set[str]:
    return {p.kind for p in report.problems}


def problems_of(report: AuditReport, kind: str) -> list[dict[str, Any]]:
    return [p.to_json() for p in report.problems if p.kind == kind]
