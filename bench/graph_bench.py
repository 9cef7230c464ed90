"""Benchmark: what a Facebook Page night costs in Graph API requests, and what the counts save.

With the fake Graph server on loopback and the file store, in this process:

* a first night capturing a Page's history of P posts with C comments each;
* a later night after N new posts (C comments each) and one new comment on each of K old posts.

Reported per night: Graph API requests (the figure Meta's rate limits count), new versions,
wall time and items per second. The later night reads a thread again only when the post is in
the re-check window, new, or its ``comments.summary`` count moved; the report sets that beside
the requests a night would make re-reading every thread. Wall time includes the fake server,
which runs on the same cores: read it as a ratio between the nights, not as an absolute.

    .venv/bin/python bench/graph_bench.py                 # P = 1000, C = 9, N = 10, K = 5
    .venv/bin/python bench/graph_bench.py --posts 200     # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import pathlib
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive_lib.capture.account import CaptureOptions  # noqa: E402
from archive_lib.capture.night import capture_night  # noqa: E402
from archive_lib.inventory import load_inventory  # noqa: E402
from archive_lib.models import Account  # noqa: E402
from archive_lib.storage import FileStore  # noqa: E402
from tests.fakes.graph_server import FakeGraph  # noqa: E402
from tests.graph_helpers import GraphClock  # noqa: E402
from tests.helpers import write_inventory  # noqa: E402

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
TOKEN = "EAAGm0PX4ZCpsBABench" + "b3" * 40


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=9)
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument("--moved", type=int, default=5)
    args = parser.parse_args()
    logging.getLogger("archive_lib").setLevel(logging.ERROR)  # every Graph page echoes the token: redacted
    with tempfile.TemporaryDirectory() as folder, FakeGraph(NOW) as fake:
        w = fake.world
        page = w.add_page("Kristianstads kommun", "kristianstadskommun")
        w.add_token(TOKEN, page)
        people = [w.add_person(f"Invånare {n}") for n in range(50)]
        posts = []
        for n in range(args.posts):
            at = NOW - dt.timedelta(days=730 * (n + 1) / args.posts)
            post = w.post(page, f"Nyhet nummer {n} från kommunen.", at=at)
            posts.append(post)
            for c in range(args.comments):
                w.comment(
                    post,
                    people[(n + c) % 50],
                    f"Kommentar {c} om nyhet {n}",
                    at=at + dt.timedelta(minutes=c + 1),
                )
        root = pathlib.Path(folder)
        inventory = load_inventory(
            write_inventory(
                root,
                fake.api_base,
                [{"id": "ks-facebook", "platform": "facebook", "handle": page.id, "token_env": "T"}],
            )
        )
        store = FileStore((root / "archive").as_uri())
        clock = GraphClock(fake)

        def tokens(account: Account) -> str:
            return TOKEN

        def night(day: dt.date) -> tuple[int, int, float]:
            started = time.perf_counter()
            result = capture_night(
                inventory, store, day, tokens=tokens, clock=clock, options=CaptureOptions()
            )
            elapsed = time.perf_counter() - started
            run = result.results[0]
            assert run.status == "ok", run.error
            return run.http_requests, run.counts.versions, elapsed

        first = night(dt.date(2026, 11, 20))
        fake.advance(days=1)
        for n in range(args.new):
            post = w.post(page, f"Ny nyhet {n}", at=fake.clock.now() - dt.timedelta(hours=n + 1))
            for c in range(args.comments):
                w.comment(post, people[c], f"Svar {c}", at=fake.clock.now() - dt.timedelta(minutes=30 - c))
        for post in posts[-args.moved :] if args.moved else []:
            w.comment(post, people[0], "En sen fråga", at=fake.clock.now() - dt.timedelta(minutes=5))
        window = sum(1 for p in posts if p.created >= fake.clock.now() - dt.timedelta(days=31))
        second = night(dt.date(2026, 11, 21))
    threads_read = window + args.new + args.moved
    every_thread = second[0] - threads_read + args.posts + args.new
    items = args.posts * (1 + args.comments)
    lines = [
        f"Page: {args.posts} posts x {args.comments} comments ({items} items) over two years",
        f"first night:  {first[0]:>6} requests, {first[1]:>6} versions, {first[2]:6.1f} s, "
        f"{first[1] / first[2]:,.0f} items/s",
        f"later night:  {second[0]:>6} requests, {second[1]:>6} versions, {second[2]:6.1f} s",
        f"  threads read again: {threads_read} of {args.posts + args.new} "
        f"(window {window}, new {args.new}, count moved {args.moved})",
        f"  re-reading every thread would take {every_thread} requests: "
        f"{every_thread / second[0]:.1f} times as many",
        f"later night / first night: {second[0] / first[0]:.2f} of the requests, "
        f"{second[2] / first[2]:.2f} of the time",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
