"""A small archive whose retention has run out, for the tests of disposal and legal holds.

Captured by the real capture from the fake Mastodon server on two nights of 2020, so that the
retain-until dates of the two-year class (2022) have passed:

* ``ks-mastodon`` (class ``gallras-efter-2-ar``, decision :data:`tests.helpers.DECISION`): the
  bath house post with two comments on night 1, a town-hall post and an answer on night 2;
* ``bibliotek-mastodon`` (class ``gallras-efter-10-ar``, decision :data:`LATER_DECISION`, due in
  2030): one post and a question;
* ``arkiv-mastodon`` (class ``bevaras``): one post, kept permanently.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from archive_lib.capture.account import capture_account
from archive_lib.capture.tokens import env_tokens
from archive_lib.inventory import load_inventory
from archive_lib.metadata.manifest import read_manifest
from archive_lib.models import Inventory
from archive_lib.storage import FileStore
from archive_lib.storage.base import ObjectStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import DECISION, FakeClock, write_inventory

NOW = dt.datetime(2020, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT_1 = dt.date(2020, 11, 20)
NIGHT_2 = dt.date(2020, 11, 21)
LATER_DECISION = "KFN 2026/45"
CLASSES = {
    "bevaras": {"keep": "permanent"},
    "gallras-efter-2-ar": {"keep_years": 2, "decision": DECISION},
    "gallras-efter-10-ar": {
        "keep_years": 10,
        "decision": {"id": LATER_DECISION, "date": "2026-02-01", "board": "Kultur- och fritidsnämnden"},
    },
}
ACCOUNTS = [
    {"id": "ks-mastodon", "handle": "kristianstad", "retention": "gallras-efter-2-ar"},
    {"id": "bibliotek-mastodon", "handle": "bibliotek", "retention": "gallras-efter-10-ar"},
    {"id": "arkiv-mastodon", "handle": "arkiv", "retention": "bevaras"},
]


@dataclass
class LifecycleWorld:
    """The store, the inventory file and the ids of the items the tests look for."""

    store: ObjectStore
    inventory_path: pathlib.Path
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def inventory(self) -> Inventory:
        return load_inventory(self.inventory_path)

    def stored_keys(self) -> set[str]:
        return set(self.store.list(""))

    def run_objects(self, account_id: str) -> dict[str, dict[str, Any]]:
        """Every object the runs of ``account_id`` wrote, manifests (with their signatures and
        timestamps) included, by key."""
        found: dict[str, dict[str, Any]] = {}
        for key in self.store.list("manifests/"):
            if f"/{account_id}_" not in key or not key.endswith(".json"):
                continue
            manifest = read_manifest(self.store, key)
            for obj in manifest["objects"]:
                found[obj["key"]] = obj
            for evidence in (key, f"{key}.sig", f"{key}.tsr"):  # the manifest, its signature and timestamp
                if self.store.exists(evidence):
                    stored = self.store.stat(evidence)
                    found[evidence] = {"key": evidence, "size": stored.size, "sha256": stored.sha256}
        return found


def build_world(
    fake: FakeMastodon, folder: pathlib.Path, store_for: Callable[[FakeClock], ObjectStore]
) -> LifecycleWorld:
    """Capture the nights of the module docstring into ``store_for(clock)``."""
    clock = FakeClock(fake)
    store = store_for(clock)
    town = fake.add_account("kristianstad", "Kristianstads kommun")
    library = fake.add_account("bibliotek", "Kristianstads bibliotek")
    archive = fake.add_account("arkiv", "Kommunarkivet")
    anna = fake.add_account("anna", "Anna Lindqvist")
    mats = fake.add_account("mats", "Mats Ohlsson", domain="other.example")

    def say(author: object, text: str, hours: int, to: str | None = None) -> str:
        when = fake.clock.now() - dt.timedelta(hours=hours)
        return str(fake.post(author, fake.html(text), in_reply_to=to, at=when)["id"])  # type: ignore[arg-type]

    ids: dict[str, str] = {}
    ids["post"] = say(town, "Badhuset stänger för renovering från måndag.", 5)
    ids["question"] = say(anna, "Hur länge blir simhallen stängd?", 4, ids["post"])
    ids["angry"] = say(mats, "Skandal att simhallen stänger igen!", 3, ids["post"])
    ids["library_post"] = say(library, "Biblioteket i Åhus får nya öppettider.", 5)
    ids["library_question"] = say(anna, "Öppnar ni på söndagar?", 4, ids["library_post"])
    ids["archive_post"] = say(archive, "Kommunarkivet visar gamla kartor.", 5)
    path = write_inventory(folder, fake.base_url, ACCOUNTS, retention_classes=CLASSES)
    inventory = load_inventory(path)
    for account in inventory.accounts:
        result = capture_account(account, store, NIGHT_1, clock=clock, tokens=env_tokens)
        assert result.status == "ok", result.error
    fake.advance(days=1)
    ids["hours"] = say(town, "Stadshusets öppettider i jul.", 2)
    ids["answer"] = say(town, "Simhallen öppnar i mars.", 1, ids["question"])
    for account in inventory.accounts:
        result = capture_account(account, store, NIGHT_2, clock=clock, tokens=env_tokens)
        assert result.status == "ok", result.error
    return LifecycleWorld(store, path, ids)


def copy_world(template: LifecycleWorld, folder: pathlib.Path) -> LifecycleWorld:
    """A copy of a file-store world in ``folder`` (a test may change it; the template stays)."""
    assert isinstance(template.store, FileStore)
    shutil.copytree(template.store.root, folder / "archive")
    shutil.copy(template.inventory_path, folder / "inventory.yaml")
    return LifecycleWorld(
        FileStore((folder / "archive").as_uri()), folder / "inventory.yaml", dict(template.ids)
    )


def copy_into(template: LifecycleWorld, store: ObjectStore, folder: pathlib.Path) -> LifecycleWorld:
    """The template's objects put into ``store`` as the capture put them (same bytes, retention
    and tags), with a copy of its inventory in ``folder``."""
    for key in template.store.list(""):
        stored = template.store.stat(key)
        assert stored.retention is not None
        with template.store.open(key) as handle:
            store.put(key, handle.read(), retention=stored.retention, tags=stored.tags)
    shutil.copy(template.inventory_path, folder / "inventory.yaml")
    return LifecycleWorld(store, folder / "inventory.yaml", dict(template.ids))


@pytest.fixture(scope="module")
def lifecycle_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LifecycleWorld]:
    """The archive of the module docstring in a file store, built once for a test module."""
    folder = tmp_path_factory.mktemp("lifecycle")
    with FakeMastodon(now=NOW) as fake:
        yield build_world(fake, folder, lambda clock: FileStore((folder / "archive").as_uri()))
