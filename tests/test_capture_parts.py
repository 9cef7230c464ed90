"""Items parts roll as they fill: a night written in many small parts is the night in one part.

A night stores an items part at every checkpoint and lets go of the old items in it (see
:mod:`archive_lib.metadata.state`). Two stores capture the same account from the same fake
instance, one in parts of three versions, one in a single part: they must ask the platform the
same questions and record the same versions, on the first night and on the next one, which reads
the small parts as its state.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from archive_lib import layout
from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import capture_night
from archive_lib.inventory import load_inventory
from archive_lib.metadata.manifest import manifests_of
from archive_lib.metadata.parquet import read_parquet_bytes
from archive_lib.storage import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import FakeClock, assert_pointers_resolve, read_items, write_inventory

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT_1 = dt.date(2026, 11, 20)
NIGHT_2 = dt.date(2026, 11, 21)
#: Where each copy of the night is written: the columns that differ between two runs.
WHERE = {"run_id", "warc_key", "warc_offset", "warc_length", "warc_record_id"}


class Twins:
    """One fake instance captured into two stores, in small parts and in one part."""

    def __init__(self, fake: FakeMastodon, folder: pathlib.Path) -> None:
        self.fake = fake
        self.clock = FakeClock(fake)
        self.inventory = load_inventory(
            write_inventory(folder, fake.base_url, [{"id": "ks-mastodon", "handle": "kristianstad"}])
        )
        self.small = FileStore(f"file://{folder / 'small'}")
        self.whole = FileStore(f"file://{folder / 'whole'}")

    def night(self, day: dt.date, small: CaptureOptions | None = None) -> tuple[Any, Any]:
        """The night in small parts (of three versions), then in one; each with its requests."""
        out = []
        small = small or CaptureOptions(checkpoint_items=3)
        for store, options in ((self.small, small), (self.whole, CaptureOptions(checkpoint_items=10_000))):
            asked = len(self.fake.requests)
            result = capture_night(self.inventory, store, day, clock=self.clock, options=options)
            [run] = result.results
            assert run.status == "ok", run.error
            requests = [(r.method, r.target) for r in self.fake.requests][asked:]
            out.append((run, requests))
        return out[0], out[1]


def versions(store: FileStore, run_id: str) -> list[dict[str, Any]]:
    rows = [r for r in read_items(store) if r["run_id"] == run_id]
    return sorted(({k: v for k, v in r.items() if k not in WHERE} for r in rows), key=_order)


def _order(row: dict[str, Any]) -> tuple[str, int]:
    return (row["item_id"], row["version"])


def parts_of(store: FileStore, run_id: str) -> list[str]:
    return [k for k in store.list(f"{layout.ITEMS}/") if run_id in k]


@pytest.fixture
def twins(tmp_path: pathlib.Path) -> Iterator[Twins]:
    with FakeMastodon(now=NOW) as fake:
        yield Twins(fake, tmp_path)


def history(fake: FakeMastodon) -> dict[str, str]:
    """Threads of a year, most of them older than the 30-day window, some of them deep."""
    town = fake.add_account("kristianstad", "Kristianstads kommun")
    anna = fake.add_account("anna", "Anna Lindqvist")
    mats = fake.add_account("mats", "Mats Ohlsson", domain="other.example")
    ids: dict[str, str] = {}

    def say(author: Any, text: str, days_ago: float, to: str | None = None) -> str:
        at = NOW - dt.timedelta(days=days_ago)
        return str(fake.post(author, fake.html(text), at=at, in_reply_to=to)["id"])

    for n, days in enumerate((360, 250, 120, 75, 45, 20, 2)):
        post = ids[f"post{n}"] = say(town, f"Nyhet {n} från kommunen", days)
        previous = post
        for c in range(5):
            author = (anna, mats, town)[c % 3]
            parent = previous if c % 2 else post
            previous = ids[f"c{n}.{c}"] = say(author, f"Svar {c} på nyhet {n}", days - 0.01 * (c + 1), parent)
    foreign = ids["foreign"] = say(anna, "Varför är det så mörkt i parken?", 200)
    answer = ids["answer"] = say(town, "Belysningen byts nästa vecka.", 199.9, foreign)
    ids["below"] = say(mats, "Äntligen!", 199.8, answer)
    fake.edit(ids["c2.1"], fake.html("Svar 1 på nyhet 2, rättat"))
    return ids


def test_a_night_in_small_parts_is_the_night_in_one_part(twins: Twins) -> None:
    ids = history(twins.fake)

    (small, asked_small), (whole, asked_whole) = twins.night(NIGHT_1)

    assert asked_small == asked_whole  # the same walk, request for request
    assert versions(twins.small, small.run_id) == versions(twins.whole, whole.run_id)
    captured = {r["item_id"] for r in versions(twins.small, small.run_id)}
    assert captured == set(ids.values()) - {ids["foreign"]}  # someone else's post: not the account's
    assert len(parts_of(twins.small, small.run_id)) == 15 and len(parts_of(twins.whole, whole.run_id)) == 1
    assert small.counts == whole.counts
    assert_pointers_resolve(twins.small, read_items(twins.small))
    [manifest] = manifests_of(twins.small, "ks-mastodon", NIGHT_1)
    listed = {o["key"] for o in manifest["objects"] if o["kind"] == "items"}
    assert listed == set(parts_of(twins.small, small.run_id))  # the manifest lists every part

    # The next night reads the small parts as its state: an answer in an old thread reads the
    # whole thread again, an old reply was edited and another deleted, a new one came in.
    twins.fake.advance(days=1)
    town = twins.fake.account_json("kristianstad")["id"]
    anna = twins.fake.account_json("anna")["id"]
    question = twins.fake.post(anna, twins.fake.html("Gäller det fortfarande?"), in_reply_to=ids["c1.3"])
    twins.fake.post(town, twins.fake.html("Ja, det gör det."), in_reply_to=str(question["id"]))
    twins.fake.edit(ids["c1.0"], twins.fake.html("Svar 0 på nyhet 1, ändrat"))
    twins.fake.delete(ids["c1.4"])
    twins.fake.post(anna, twins.fake.html("Ny kommentar"), in_reply_to=ids["post6"])

    (small, asked_small), (whole, asked_whole) = twins.night(NIGHT_2)

    assert asked_small == asked_whole
    tonight = versions(twins.small, small.run_id)
    assert tonight == versions(twins.whole, whole.run_id)
    assert Counter(r["event"] for r in tonight) == Counter({"new": 3, "edited": 1, "deleted": 1})
    every = read_items(twins.small)
    assert len({(r["item_id"], r["version"]) for r in every}) == len(every)  # nothing twice


def test_parts_roll_at_a_size_too(twins: Twins) -> None:
    ids = history(twins.fake)
    town = twins.fake.account_json("kristianstad")["id"]
    at = NOW - dt.timedelta(days=100)
    long = twins.fake.post(town, twins.fake.html("Protokoll. " + "Paragraf om budgeten. " * 300), at=at)

    (small, asked_small), (whole, asked_whole) = twins.night(NIGHT_1, CaptureOptions(checkpoint_bytes=10_000))

    assert asked_small == asked_whole
    assert versions(twins.small, small.run_id) == versions(twins.whole, whole.run_id)
    sizes, with_long = [], []
    for key in sorted(parts_of(twins.small, small.run_id)):
        with twins.small.open(key) as handle:
            held = read_parquet_bytes(handle.read()).to_pylist()
        sizes.append(len(held))
        with_long.append(held[-1]["item_id"] == str(long["id"]))
    # Versions of about a kilobyte each fill a part of 10,000 bytes at the tenth; the long post
    # (about 7 kB) fills its part early, and ends it.
    assert sum(sizes) == len(ids) + 1 and max(sizes) == 10 and len(sizes) == 6
    [long_part] = [n for n, last in zip(sizes, with_long, strict=True) if last]
    assert long_part < 10
