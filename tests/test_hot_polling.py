"""Hot polling against live fake platforms: comments that live minutes are kept, text included.

The fake Mastodon and the fake Bluesky AppView run on one compressed clock (their own fake
clocks, moved by the test; nothing sleeps). Citizens comment at random moments (seeded), and a
share of the comments is deleted after a random life of 30 s to 10 min. A hot pass
(:func:`archive_lib.capture.recent.capture_recent`, the code behind ``archivectl capture --recent``)
runs every poll interval of 20 s of that clock. Polling alone must keep at least 99 % of the
comments that lived at least one poll interval, with their text, and record the deletions it saw.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import random
from collections import Counter
from dataclasses import dataclass
from typing import Any

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.recent import capture_recent
from archive_lib.inventory import load_inventory
from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage import FileStore
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import read_items, write_inventory

START = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
POLL = dt.timedelta(seconds=20)
SPAN = dt.timedelta(minutes=5)  # comments are written during this span
LIFE = (30, 600)  # seconds a deleted comment lived
COMMENTS = 40  # per platform
SEED = 20261120


class SharedClock:
    """The archive's clock: the fakes' time; waiting moves both fakes on."""

    def __init__(self, mastodon: FakeMastodon, bluesky: FakeBluesky) -> None:
        self.mastodon = mastodon
        self.bluesky = bluesky

    def now(self) -> dt.datetime:
        return self.mastodon.clock.now()

    def sleep(self, seconds: float) -> None:
        self.mastodon.clock.advance(seconds)
        self.bluesky.clock.advance(seconds)

    def to(self, moment: dt.datetime) -> None:
        self.mastodon.clock.set(moment)
        self.bluesky.clock.set(moment)


@dataclass
class Comment:
    platform: str
    text: str
    born: dt.datetime
    dies: dt.datetime | None
    handle: Any = None  # the fake's status or post, once written
    item_id: str | None = None


def _schedule(rng: random.Random, platform: str) -> list[Comment]:
    out = []
    for n in range(COMMENTS):
        born = START + dt.timedelta(seconds=rng.uniform(0, SPAN.total_seconds()))
        dies = born + dt.timedelta(seconds=rng.uniform(*LIFE)) if rng.random() < 0.6 else None
        out.append(
            Comment(platform, f"Fråga {n} om badhuset på {platform} ({rng.randrange(10**6)})?", born, dies)
        )
    return out


def test_polling_every_20_seconds_keeps_short_lived_comments(tmp_path: pathlib.Path) -> None:
    rng = random.Random(SEED)
    with (
        FakeMastodon(now=START - dt.timedelta(hours=1)) as mastodon,
        FakeBluesky(now=START - dt.timedelta(hours=1)) as bluesky,
    ):
        clock = SharedClock(mastodon, bluesky)
        clock.to(START - dt.timedelta(hours=1))
        town_m = mastodon.add_account("kristianstad", "Kristianstads kommun")
        anna_m = mastodon.add_account("anna", "Anna Lindqvist")
        town_b = bluesky.add_actor("kristianstad.se", "Kristianstads kommun")
        anna_b = bluesky.add_actor("annalind.bsky.social", "Anna Lindqvist")
        posts_m = [mastodon.post(town_m, mastodon.html(f"Nyhet {n} från kommunen")) for n in range(3)]
        posts_b = [bluesky.post(town_b, f"Nyhet {n} från kommunen") for n in range(3)]
        # An old post outside the hot window: a hot pass does not read it.
        clock.to(START - dt.timedelta(days=5))
        old = mastodon.post(town_m, mastodon.html("Gammal nyhet"))
        clock.to(START - dt.timedelta(hours=1))
        mastodon.post(anna_m, mastodon.html("Sen kommentar på gammal nyhet"), in_reply_to=old)

        inventory_path = write_inventory(
            tmp_path,
            mastodon.base_url,
            [
                {"id": "ks-mastodon", "handle": "kristianstad"},
                {
                    "id": "ks-bluesky",
                    "platform": "bluesky",
                    "handle": "kristianstad.se",
                    "api_base": bluesky.base_url,
                },
            ],
        )
        inventory = load_inventory(inventory_path)
        store = FileStore(f"file://{tmp_path / 'archive'}")

        comments = _schedule(rng, "mastodon") + _schedule(rng, "bluesky")
        events: list[tuple[dt.datetime, int, Comment]] = []
        for comment in comments:
            events.append((comment.born, 0, comment))
            if comment.dies is not None:
                events.append((comment.dies, 1, comment))
        events.sort(key=lambda e: (e[0], e[1]))

        moment, index, passes = START, 0, 0
        end = START + SPAN + dt.timedelta(seconds=LIFE[1]) + POLL
        while moment <= end:
            while index < len(events) and events[index][0] <= moment:
                at, what, comment = events[index]
                index += 1
                if what == 0:
                    if comment.platform == "mastodon":
                        parent = posts_m[rng.randrange(len(posts_m))]
                        status = mastodon.post(anna_m, mastodon.html(comment.text), in_reply_to=parent, at=at)
                        comment.handle, comment.item_id = status, str(status["id"])
                    else:
                        post = bluesky.post(
                            anna_b, comment.text, reply_to=posts_b[rng.randrange(len(posts_b))], at=at
                        )
                        comment.handle, comment.item_id = post, post.uri
                elif comment.platform == "mastodon":
                    mastodon.delete(comment.handle)
                else:
                    bluesky.delete(comment.handle)
            clock.to(moment)
            result = capture_recent(
                inventory, store, hours=2, now=moment, clock=clock, options=CaptureOptions(lease_seconds=5)
            )
            assert result.ok, [(r.account_id, r.error) for r in result.results]
            passes += 1
            moment += POLL

        rows = read_items(store)
        texts = {(r["item_id"], r["text"]) for r in rows}
        lived = [c for c in comments if c.dies is None or c.dies - c.born >= POLL]
        kept = [c for c in lived if (c.item_id, c.text) in texts]
        share = len(kept) / len(lived)
        print(f"hot polling kept {len(kept)} of {len(lived)} comments living one poll interval ({share:.2%})")
        assert share >= 0.99
        # Deletions seen are recorded after the thread walk and a lookup, as at night.
        deleted = {r["item_id"] for r in rows if r["event"] == "deleted"}
        gone = {c.item_id for c in comments if c.dies is not None}
        assert gone <= deleted
        assert not deleted - gone
        # No version twice, numbered 1, 2 ... per item.
        versions = Counter((r["item_id"], r["version"]) for r in rows)
        assert max(versions.values()) == 1
        # Every pass is a 'recent' run of each account; the old post's thread was not read.
        runs = runs_of_night(store, START.date())
        assert {r["kind"] for r in runs} == {"recent"}
        assert len(runs) == 2 * passes
        assert all(r["high_water"] is None for r in runs)
        for platform in ("mastodon", "bluesky"):
            spent = [r["http_requests"] for r in runs if r["platform"] == platform]
            print(f"{platform}: {sum(spent) / len(spent):.1f} requests per hot pass of 3 threads")
        assert str(old["id"]) not in {r["item_id"] for r in rows}
