"""What the Facebook and Instagram capture tests share: a fake Graph world, a store, nights."""

from __future__ import annotations

import datetime as dt
import logging
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import NightResult, capture_night
from archive_lib.inventory import load_inventory
from archive_lib.metadata.runs import runs_of_night
from archive_lib.models import Account, Inventory
from archive_lib.storage import FileStore
from tests.fakes.graph_server import FakeGraph
from tests.helpers import all_bytes, read_items, write_inventory

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT_1 = dt.date(2026, 11, 20)
NIGHT_2 = dt.date(2026, 11, 21)
TOKEN = "EAAGm0PX4ZCpsBAJkq2dX7" + "Zb9" * 30  # the shape of a Page access token
OTHER_TOKEN = "EAAGm0PX4ZCpsBAKother" + "Qx4" * 30


class GraphClock:
    """The fake Graph's clock as the archive's clock: waiting advances it, nothing sleeps."""

    def __init__(self, fake: FakeGraph) -> None:
        self.fake = fake
        self.waits: list[float] = []

    def now(self) -> dt.datetime:
        return self.fake.clock.now()

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.fake.sleep(seconds)


class GraphTown:
    """One fake Graph, the municipality's Page (and Instagram account), citizens, one store."""

    def __init__(self, fake: FakeGraph, folder: pathlib.Path) -> None:
        self.fake = fake
        self.world = fake.world
        self.folder = folder
        self.page = self.world.add_page("Kristianstads kommun", "kristianstadskommun")
        self.library = self.world.add_page("Biblioteken i Kristianstad", "kristianstadbibliotek")
        self.ig = self.world.add_ig_user("kristianstadskommun", "Kristianstads kommun", self.page)
        self.token = self.world.add_token(TOKEN, self.page)
        self.other = self.world.add_token(OTHER_TOKEN, self.library)
        self.anna = self.world.add_person("Anna Lindqvist")
        self.mats = self.world.add_person("Mats Ohlsson")
        self.clock = GraphClock(fake)
        self.store = FileStore(f"file://{folder / 'archive'}")
        self.tokens = {"ks-facebook": TOKEN, "ks-instagram": TOKEN, "bib-facebook": OTHER_TOKEN}

    def ago(self, *, days: float = 0, hours: float = 0) -> dt.datetime:
        return self.fake.clock.now() - dt.timedelta(days=days, hours=hours)

    def accounts(self, *which: str) -> list[dict[str, Any]]:
        every = {
            "ks-facebook": {
                "id": "ks-facebook",
                "platform": "facebook",
                "handle": self.page.id,
                "token_env": "KS_FB",
            },
            "ks-instagram": {
                "id": "ks-instagram",
                "platform": "instagram",
                "handle": self.ig.id,
                "token_env": "KS_FB",
            },
            "bib-facebook": {
                "id": "bib-facebook",
                "platform": "facebook",
                "handle": self.library.id,
                "token_env": "BIB_FB",
                "board": "Kultur- och fritidsnämnden",
            },
        }
        return [every[w] for w in which]

    def inventory(self, *which: str) -> Inventory:
        return load_inventory(write_inventory(self.folder, self.fake.api_base, self.accounts(*which)))

    def night(self, day: dt.date, *which: str, **options: Any) -> NightResult:
        def tokens(account: Account) -> str | None:
            return self.tokens.get(account.id)

        return capture_night(
            self.inventory(*which),
            self.store,
            day,
            tokens=tokens,
            clock=self.clock,
            options=CaptureOptions(**options),
        )

    def rows(self) -> list[dict[str, Any]]:
        return read_items(self.store)

    def runs(self, day: dt.date) -> dict[str, dict[str, Any]]:
        return {r["account_id"]: r for r in runs_of_night(self.store, day)}

    def stored_bytes(self) -> bytes:
        """Every stored byte: files as stored, gzip members unpacked, and each WARC record's
        payload with its HTTP content encoding undone (a token could hide in a gzip body)."""
        from warcio.archiveiterator import ArchiveIterator

        files = sorted(p for p in (self.folder / "archive").rglob("*") if p.is_file())
        out = [all_bytes(p) for p in files]
        for path in files:
            if path.name.endswith(".warc.gz"):
                with path.open("rb") as handle:
                    out.extend(record.content_stream().read() for record in ArchiveIterator(handle))
        return b"".join(out)


def graph_town(tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture) -> Iterator[GraphTown]:
    """The body of each test module's ``town`` fixture; every log record is captured."""
    caplog.set_level(logging.DEBUG)
    with FakeGraph(NOW) as fake:
        yield GraphTown(fake, tmp_path)


def by_id(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every item's versions, oldest first."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: r["version"]):
        out.setdefault(row["item_id"], []).append(row)
    return out
