"""Live push: comments that live two seconds on the platforms are all kept by ``archivectl listen``.

One real ``listen`` process follows three fake platforms at once: a Mastodon instance (the
account's ``user`` stream), Jetstream (the account and the people it answered) and Meta (this
test posts signed webhook deliveries, as Meta's servers do). Citizens comment at random moments
(a seeded generator) and every comment is deleted two seconds after it was made; the comment is
kept when an item version with its text is in the archive after ``listen`` was stopped. The
figure (kept of pushed) is printed and must be 100 %.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import random
import threading
import time
from typing import Any

from archive_lib.storage.file import FileStore
from tests.fakes.jetstream import FakeJetstream
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import EVENT_TIMEOUT, read_items, write_inventory
from tests.listen_helpers import Listen, bluesky_post, wait_until

LIFETIME = 2.0  # seconds a comment lives before its author deletes it
SPREAD = 4.0  # seconds over which the comments are made
PER_PLATFORM = 15
TOKEN = "live-town-token-5e6f"
PAGE = "104857600777777"
FB_POST = f"{PAGE}_900000000000042"
TOWN_DID = "did:plc:kristianstadlive000001"


def _meta(verb: str, comment_id: str, message: str | None) -> bytes:
    value: dict[str, Any] = {
        "from": {"id": "31313131", "name": "Eva Svensson"},
        "post_id": FB_POST,
        "comment_id": comment_id,
        "created_time": int(time.time()),
        "item": "comment",
        "parent_id": FB_POST,
        "verb": verb,
    }
    if message is not None:
        value["message"] = message
    body = {
        "object": "page",
        "entry": [{"id": PAGE, "time": int(time.time()), "changes": [{"field": "feed", "value": value}]}],
    }
    return json.dumps(body, ensure_ascii=False).encode()


def test_push_keeps_every_comment_that_lived_two_seconds(tmp_path: pathlib.Path) -> None:
    rng = random.Random(20261203)
    root = tmp_path / "archive"
    with FakeMastodon(now=dt.datetime.now(dt.UTC)) as mastodon, FakeJetstream() as jetstream:
        mastodon.stream_heartbeat = 0.5
        town = mastodon.add_account("kristianstad", "Kristianstads kommun")
        citizens = [mastodon.add_account(f"medborgare{n}", f"Medborgare {n}") for n in range(3)]
        mastodon.add_token(TOKEN, account=town)
        dids = [f"did:plc:medborgare{n:016d}" for n in range(3)]
        inventory = write_inventory(
            tmp_path,
            mastodon.base_url,
            [
                {"id": "ks-mastodon", "handle": "kristianstad", "token_env": "LIVE_TOKEN"},
                {"id": "ks-bluesky", "platform": "bluesky", "handle": TOWN_DID},
                {"id": "ks-facebook", "platform": "facebook", "handle": PAGE, "token_env": "LIVE_FB"},
            ],
        )
        env = {"LIVE_TOKEN": TOKEN, "LIVE_FB": "page-token", "ARCHIVE_JETSTREAM_URL": jetstream.url}
        with Listen(inventory, f"file://{root}", env) as listen:
            store = FileStore(f"file://{root}")
            wait_until(lambda: mastodon.streams.open_count(int(town["id"])) == 1, "the Mastodon stream")
            subscription = jetstream.wait_for_connection(1, EVENT_TIMEOUT)
            toot = mastodon.post(town, mastodon.html("Badhuset stänger för renovering."))
            skeet = jetstream.create(TOWN_DID, bluesky_post("Badhuset stänger för renovering."))
            for did in dids:  # the account answered each of them once: they are in its thread
                jetstream.create(
                    TOWN_DID,
                    bluesky_post(
                        "Välkommen!", root=skeet["uri"], parent=f"at://{did}/app.bsky.feed.post/3lstub"
                    ),
                )
            wait_until(lambda: set(dids) <= subscription.dids, "the citizens in wantedDids")
            wait_until(lambda: len(read_items(store)) == 5, "the posts")

            pushed: list[str] = []
            failures: list[BaseException] = []
            lock = threading.Lock()

            def comment(platform: str, n: int) -> None:
                text = f"{platform} kommentar {n}: öppnar det i mars?"
                try:
                    if platform == "mastodon":
                        status = mastodon.post(rng_citizen[n], mastodon.html(text), in_reply_to=toot["id"])
                        time.sleep(LIFETIME)  # the comment's life on the platform
                        mastodon.delete(status)
                    elif platform == "bluesky":
                        event = jetstream.create(dids[n % 3], bluesky_post(text, root=skeet["uri"]))
                        time.sleep(LIFETIME)
                        jetstream.delete(dids[n % 3], event["commit"]["rkey"])
                    else:
                        comment_id = f"900000000000042_{5000 + n}"
                        assert listen.deliver(_meta("add", comment_id, text)).status == 200
                        time.sleep(LIFETIME)
                        assert listen.deliver(_meta("remove", comment_id, None)).status == 200
                    with lock:
                        pushed.append(text)
                except BaseException as exc:  # reported below
                    failures.append(exc)

            rng_citizen = [citizens[rng.randrange(3)] for _ in range(PER_PLATFORM)]
            plan = sorted(
                (rng.uniform(0, SPREAD), platform, n)
                for platform in ("mastodon", "bluesky", "facebook")
                for n in range(PER_PLATFORM)
            )
            started = time.monotonic()
            workers = []
            for at, platform, n in plan:
                delay = at - (time.monotonic() - started)
                if delay > 0:
                    time.sleep(delay)  # the comment's random moment on the test's schedule
                worker = threading.Thread(target=comment, args=(platform, n))
                worker.start()
                workers.append(worker)
            for worker in workers:
                worker.join(EVENT_TIMEOUT)
            assert not failures, failures
            assert listen.terminate() == 0

    kept = {r["text"] for r in read_items(FileStore(f"file://{root}"))}
    found = [t for t in pushed if t in kept]
    share = 100.0 * len(found) / len(pushed)
    print(f"\npush kept {len(found)} of {len(pushed)} comments that lived {LIFETIME:.0f} s: {share:.1f} %")
    assert len(pushed) == 3 * PER_PLATFORM
    assert found == pushed
