"""A night lets go of the old items it has stored, and answers every question as if it had not.

The reference is the same state with letting go turned off: both are driven through the same
nights (sightings, edits, deletions, checkpoints that store items parts) and asked the same
questions at every step; every row and every answer must agree, while the state that lets go
holds only a small part of the items.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import random
import shutil
from typing import Any

from archive_lib import layout
from archive_lib.capture.versions import Versioner
from archive_lib.connectors.base import content_digest
from archive_lib.metadata.keyparts import KeyParts, KeySet
from archive_lib.metadata.parts import account_parts
from archive_lib.metadata.state import KnownItem, KnownState, load_state
from archive_lib.models import Account, ItemSnapshot, RecordRef
from archive_lib.retention_classes import ObjectRetention, RetentionClass
from archive_lib.storage import FileStore

ACCOUNT = Account(
    id="ks-mastodon",
    board="Kommunstyrelsen",
    platform="mastodon",
    handle="kristianstad",
    retention=RetentionClass("bevaras", None),
    api_base="https://social.example",
)
NIGHT_1 = dt.date(2026, 11, 20)
NIGHT_2 = dt.date(2026, 11, 21)
RETENTION = ObjectRetention("bevaras", None)


class KeepsEverything(KnownState):
    """The reference: a state that holds every item it meets until the night ends."""

    def _let_go(self, keep: int) -> None:
        return None


@dataclasses.dataclass
class Item:
    item_id: str
    post_id: str
    parent_id: str | None
    created_at: dt.datetime
    own: bool
    text: str


class Night:
    """One night driven through a state, storing an items part every ``rows_per_part`` rows."""

    def __init__(self, state: KnownState, store: FileStore, day: dt.date, rows_per_part: int) -> None:
        self.state, self.store, self.day = state, store, day
        self.run_id = f"ks-mastodon_{day:%Y%m%d}T013000Z_abcd"
        start = dt.datetime.combine(day, dt.time(1, 30), tzinfo=dt.UTC)
        recheck_from = start - dt.timedelta(days=30)
        self.versioner = Versioner(
            state, account=ACCOUNT, run_id=self.run_id, run_date=day, recheck_from=recheck_from
        )
        self.rows_per_part = rows_per_part
        self.pending: list[dict[str, Any]] = []
        self.parts = 0
        self.n = 0
        self.held: list[int] = []  # items in memory after each part was stored

    def seen(self, item: Item) -> list[dict[str, Any]]:
        self.n += 1
        snap = ItemSnapshot(
            item_id=item.item_id,
            item_type="post" if item.parent_id is None else "comment",
            post_id=item.post_id,
            parent_id=item.parent_id,
            author_id="1" if item.own else "7",
            author_name="Kristianstads kommun" if item.own else "Anna Lindqvist",
            author_handle="kristianstad" if item.own else "anna",
            author_is_account=item.own,
            text=item.text,
            url=None,
            created_at=item.created_at,
            edited_at=None,
            content_sha256=content_digest(text=item.text),
            record=self.record(),
        )
        return self.keep(self.versioner.seen(snap))

    def gone(self, item_id: str) -> list[dict[str, Any]]:
        self.n += 1
        row = self.versioner.gone(item_id, dataclasses.replace(self.record(), status=404))
        return self.keep([row] if row is not None else [])

    def record(self) -> RecordRef:
        moment = dt.datetime.combine(self.day, dt.time(2), tzinfo=dt.UTC) + dt.timedelta(seconds=self.n)
        return RecordRef(
            f"warc/{self.run_id}.warc.gz", self.n * 10, 9, f"<urn:uuid:{self.n}>", "u", moment, 200
        )

    def keep(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.pending.extend(rows)
        if len(self.pending) >= self.rows_per_part:
            self.checkpoint()
        return [dict(r) for r in rows]

    def checkpoint(self) -> None:
        if not self.pending:
            return
        rows, self.pending = self.pending, []
        self.parts += 1
        created = [r["created_at"] for r in rows]
        key = layout.items_key(ACCOUNT.id, self.day, self.run_id, self.parts, min(created), max(created))
        data = self.versioner.parquet(rows, {"run_id": self.run_id})
        self.store.put(key, data, retention=RETENTION, tags={"kind": "items"})
        self.versioner.stored(key, rows)
        self.held.append(len(self.state.items))


def history(rng: random.Random, threads: int, now: dt.datetime) -> list[list[Item]]:
    """Threads of an account, most of them older than the 30-day window."""
    out = []
    for t in range(threads):
        created = now - dt.timedelta(days=rng.uniform(0.5, 400))
        post = Item(f"p{t}", f"p{t}", None, created, True, f"Inlägg {t}")
        items = [post]
        for c in range(rng.randint(0, 8)):
            parent = rng.choice(items)
            created = parent.created_at + dt.timedelta(minutes=rng.randint(1, 600))
            own = rng.random() < 0.2
            items.append(Item(f"c{t}.{c}", post.item_id, parent.item_id, created, own, f"Svar {t}.{c}"))
        out.append(items)
    return out


def walk(rng: random.Random, nights: list[Night], threads: list[list[Item]], ask: Any) -> None:
    """Both nights see the same things in the same order; ``ask`` compares their answers."""
    everything = [i for thread in threads for i in thread]
    for thread in threads:
        for item in thread:
            if rng.random() < 0.1:
                item.text += " (ändrad)"
            ask(lambda n, item=item: n.seen(item))
        ask(lambda n, post=thread[0].item_id: sorted_items(n.state.thread(post)))
        for _ in range(rng.randint(0, 3)):
            other = rng.choice(everything)
            roll = rng.random()
            if roll < 0.15:
                ask(lambda n, i=other: n.gone(i.item_id))
            elif roll < 0.3:
                other.text += " (ändrad)"
                ask(lambda n, i=other: n.seen(i))
            elif roll < 0.45:
                ask(lambda n, i=other: n.seen(i))
            elif roll < 0.6:
                ask(lambda n, i=other: sorted_items(n.state.thread(i.post_id)))
            elif roll < 0.75:
                ask(lambda n, i=other: sorted(n.state.below(i.item_id)))
            elif roll < 0.9:
                ask(lambda n, i=other: n.state.latest(i.item_id))
            else:
                ask(lambda n, i=other: n.state.latest(i.item_id, i.created_at))
    window = nights[0].versioner._recheck_from
    ask(lambda n: sorted_items(n.state.account_items_since(window)))
    ask(lambda n: sorted_items(n.state.account_items_since(window - dt.timedelta(days=365))))
    for night in nights:
        night.checkpoint()


def sorted_items(items: list[KnownItem]) -> list[KnownItem]:
    return sorted(items, key=lambda k: k.item_id)


def drive(nights: list[Night], threads: list[list[Item]], seed: int) -> int:
    asked = 0

    def ask(question: Any) -> None:
        nonlocal asked
        answers = [question(n) for n in nights]
        assert answers[0] == answers[1], f"question {asked}"
        asked += 1

    walk(random.Random(seed), nights, threads, ask)
    return asked


def test_a_night_that_lets_go_answers_as_one_that_keeps_everything(tmp_path: pathlib.Path) -> None:
    rng = random.Random(20261120)
    now = dt.datetime.combine(NIGHT_1, dt.time(1, 30), tzinfo=dt.UTC)
    threads = history(rng, 120, now)
    rng.shuffle(threads)
    stores = [FileStore(f"file://{tmp_path / name}") for name in ("lets-go", "keeps")]
    recheck_from = now - dt.timedelta(days=30)
    lets_go = load_state(stores[0], ACCOUNT.id, recheck_from)
    keeps = KeepsEverything(stores[1], [], high_water=None, last_ok_run=None)
    keeps.load_created_since(recheck_from - dt.timedelta(days=2))
    first = [Night(lets_go, stores[0], NIGHT_1, 7), Night(keeps, stores[1], NIGHT_1, 7)]

    assert drive(first, threads, seed=1) > 500
    assert first[0].parts == first[1].parts > 20
    # Most of the history was let go at every part (the reference holds all of it at the end).
    assert max(first[0].held) < len(keeps.items) / 4
    assert first[1].held == sorted(first[1].held)

    # The next night starts from what the first one stored, and lets go of its own parts too.
    shutil.rmtree(tmp_path / "keeps")
    shutil.copytree(tmp_path / "lets-go", tmp_path / "keeps")
    later = now + dt.timedelta(days=1)
    recheck_from = later - dt.timedelta(days=30)
    lets_go = load_state(stores[0], ACCOUNT.id, recheck_from)
    keeps = KeepsEverything(
        stores[1], account_parts(stores[1], ACCOUNT.id), high_water=None, last_ok_run=None
    )
    keeps.load_created_since(recheck_from - dt.timedelta(days=2))
    second = [Night(lets_go, stores[0], NIGHT_2, 5), Night(keeps, stores[1], NIGHT_2, 5)]
    for thread in threads[:40]:
        for c in range(rng.randint(1, 3)):
            parent = rng.choice(thread)
            thread.append(
                Item(f"n{parent.item_id}.{c}", thread[0].item_id, parent.item_id, later, False, "Nytt")
            )

    assert drive(second, threads[:40], seed=2) > 150
    assert max(second[0].held) < max(second[1].held)


def test_an_item_the_part_gives_back_otherwise_is_held(tmp_path: pathlib.Path) -> None:
    """A value made to fit the schema on writing (a lone surrogate in an id) comes back changed:
    such an item stays in memory, so the night still knows it as the platform sent it."""
    store = FileStore(f"file://{tmp_path}")
    now = dt.datetime.combine(NIGHT_1, dt.time(1, 30), tzinfo=dt.UTC)
    state = load_state(store, ACCOUNT.id, now - dt.timedelta(days=30))
    night = Night(state, store, NIGHT_1, 3)
    old = now - dt.timedelta(days=300)
    post = Item("p\ud800", "p\ud800", None, old, True, "Konstigt id")
    odd = Item("c1", "p\ud800", "p\ud800", old, False, "Svar i en tråd med konstigt id")
    plain = Item("c2", "p1", "p1", old, False, "Vanligt svar")
    assert night.seen(post) and night.seen(odd) and night.seen(plain)  # three rows: one part
    for n in range(3):  # the next part, after which the first one's items may go
        night.seen(Item(f"p{n + 2}", f"p{n + 2}", None, old, True, "Fyllnad"))

    assert night.parts == 2
    assert set(state.items) == {"p\ud800", "c1", "p2", "p3", "p4"}  # the plain one was let go
    assert [k.item_id for k in sorted_items(state.thread("p\ud800"))] == ["c1", "p\ud800"]
    assert night.seen(post) == [] and night.seen(odd) == [] and night.seen(plain) == []


def test_reading_a_part_back_never_brings_back_an_older_version(tmp_path: pathlib.Path) -> None:
    store = FileStore(f"file://{tmp_path}")
    now = dt.datetime.combine(NIGHT_1, dt.time(1, 30), tzinfo=dt.UTC)
    state = load_state(store, ACCOUNT.id, now - dt.timedelta(days=30))
    night = Night(state, store, NIGHT_1, 2)
    old = now - dt.timedelta(days=300)
    x, y = (Item(i, i, None, old, True, f"Inlägg {i}") for i in ("x", "y"))
    filler = iter(Item(f"f{n}", f"f{n}", None, old, True, "Fyllnad") for n in range(6))
    night.seen(x), night.seen(y)  # part 1
    night.seen(next(filler)), night.seen(next(filler))  # part 2: part 1 let go
    x.text = "Inlägg x, ändrat"
    [edit] = night.seen(x)  # x read back from part 1, its edit goes into part 3
    night.seen(next(filler))
    night.seen(next(filler)), night.seen(next(filler))  # part 4: part 3 let go, x with it
    assert night.parts == 4 and "x" not in state.items and "y" not in state.items

    assert state.latest("y") is not None  # reads part 1 back, which holds x's first version
    latest = state.latest("x")
    assert latest is not None and (latest.version, latest.event) == (edit["version"], "edited")


def test_key_parts_finds_every_part_of_a_key() -> None:
    keys = KeyParts(capacity=4)
    for n in range(5000):
        keys.add(f"item-{n}", n % 7)
        keys.add(f"item-{n}", (n + 1) % 7)
        keys.add(f"item-{n}", n % 7)  # the same pair again adds nothing
    assert len(keys) == 10_000
    for n in range(5000):
        assert keys.parts(f"item-{n}") >= {n % 7, (n + 1) % 7}
    misses = sum(1 for n in range(5000) if keys.parts(f"other-{n}"))
    assert misses <= 2  # only a 32-bit hash collision names a part for a key never added


def test_key_set_holds_every_key_it_was_given() -> None:
    keys = KeySet()
    for n in range(5000):
        keys.add(f"item-{n}")
        keys.add(f"item-{n}")  # the same key again adds nothing
    assert len(keys) == 5000
    assert all(f"item-{n}" in keys for n in range(5000))
    assert 7 not in keys
    misses = sum(1 for n in range(5000) if f"other-{n}" in keys)
    assert misses <= 2  # only a 32-bit hash collision holds a key never added
