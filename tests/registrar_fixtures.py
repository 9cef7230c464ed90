"""A small archive for the registrars' tests, built by the real capture against the fake platform.

Two boards' accounts on one fake Mastodon instance, captured on two nights:

* night 1 (2026-11-20): the municipality's post about the bath house (2026-11-10) with
  comments, one of them hostile markup; the library's post (2026-11-17) with a question;
* night 2 (2026-11-21): a comment edited, a comment deleted, a new comment.

The archive is built once per test session (``registrar_archive``); tests only read it (exports
add objects under ``exports/`` only, which searches never read).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from archive_lib.capture import CaptureOptions
from archive_lib.inventory import load_inventory
from archive_lib.nightly import capture_night
from archive_lib.storage import FileStore
from archive_lib.storage.base import ObjectStore
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_png import make_png
from tests.helpers import FakeClock, write_inventory

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT_1 = dt.date(2026, 11, 20)
NIGHT_2 = dt.date(2026, 11, 21)
SCRIPT_TEXT = "<script>document.title='pwned';window.pwned=1</script> Titta på <b>detta</b>!"
ACCOUNTS = [
    {"id": "ks-mastodon", "handle": "kristianstad"},
    {"id": "bibliotek-mastodon", "handle": "bibliotek", "board": "Kultur- och fritidsnämnden"},
]


@dataclass
class RegistrarArchive:
    """The archive's store and the ids of the items the tests look for."""

    store_url: str
    folder: pathlib.Path
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def store(self) -> ObjectStore:
        return FileStore(self.store_url)


def build_archive(fake: FakeMastodon, store: ObjectStore, folder: pathlib.Path) -> dict[str, str]:
    """Capture the two nights described in the module docstring into ``store``; the ids by role."""
    town = fake.add_account("kristianstad", "Kristianstads kommun")
    library = fake.add_account("bibliotek", "Kristianstads bibliotek")
    anna = fake.add_account("anna", "Anna Lindqvist")
    mats = fake.add_account("mats", "Mats Ohlsson", domain="other.example")

    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC)

    def say(author: object, text: str, when: dt.datetime, to: str | None = None, **kw: object) -> str:
        return str(fake.post(author, fake.html(text), in_reply_to=to, at=when, **kw)["id"])  # type: ignore[arg-type]

    ids: dict[str, str] = {}
    ids["post"] = say(
        town,
        "Badhuset stänger för renovering från måndag.",
        at(10, 8),
        media=[("ritning.png", make_png(3, 2, (0, 90, 200)), "image/png", "Ritning av nya bassängen")],
    )
    ids["question"] = say(anna, "Hur länge blir badhusets bassäng stängd?", at(10, 9), ids["post"])
    ids["answer"] = say(town, "Bassängen öppnar igen i mars.", at(10, 10), ids["question"])
    ids["doomed"] = say(
        mats, "Skandal att simhallen stänger igen! Ring kommunalrådet.", at(10, 11), ids["post"]
    )
    ids["edited"] = say(anna, "Simskolan börjar den 12 januari.", at(10, 12), ids["post"])
    ids["script"] = say(mats, SCRIPT_TEXT, at(10, 13), ids["post"])
    ids["library_post"] = say(library, "Biblioteket i Åhus har nya öppettider från december.", at(17, 9))
    ids["library_question"] = say(anna, "Öppnar ni på söndagar också?", at(17, 10), ids["library_post"])

    inventory = load_inventory(write_inventory(folder, fake.base_url, ACCOUNTS))
    clock = FakeClock(fake)
    first = capture_night(inventory, store, NIGHT_1, clock=clock, options=CaptureOptions())
    assert all(r.status == "ok" for r in first.results), [r.error for r in first.results]

    fake.advance(days=1)
    fake.edit(ids["edited"], fake.html("Simskolan börjar den 19 januari, inte den 12."))
    fake.delete(ids["doomed"])
    ids["late"] = say(anna, "Tack för beskedet om badhuset!", fake.clock.now(), ids["post"])
    second = capture_night(inventory, store, NIGHT_2, clock=clock, options=CaptureOptions())
    assert all(r.status == "ok" for r in second.results), [r.error for r in second.results]
    return ids


@pytest.fixture(scope="session")
def registrar_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistrarArchive]:
    folder = tmp_path_factory.mktemp("registrar")
    store = FileStore((folder / "archive").as_uri())
    with FakeMastodon(now=NOW) as fake:
        ids = build_archive(fake, store, folder)
    yield RegistrarArchive(store.url, folder, ids)
