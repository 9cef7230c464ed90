"""What a night costs on YouTube (quota units) and Bluesky (requests), from the sample accounts.

Captures the sample channel and the sample Bluesky account (``tests/fakes/*_sample.py``) from the
fake servers into a temporary file store: a first night, then a week of nights in which one new
video or post with two comments arrives each night, and reports, night by night, the YouTube
quota units the runs row records (checked against the units the fake counted) and the requests
each night made. Counts, not times: the result is the same on any machine.

    .venv/bin/python bench/quota_youtube_bluesky.py [--nights 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import pathlib
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive_lib.capture.night import capture_night  # noqa: E402
from archive_lib.connectors import youtube as youtube_connector  # noqa: E402
from archive_lib.inventory import load_inventory  # noqa: E402
from archive_lib.metadata.runs import read_run_row  # noqa: E402
from archive_lib.storage import FileStore  # noqa: E402
from tests.fakes.bluesky import FakeBluesky  # noqa: E402
from tests.fakes.bluesky_sample import populate_demo as populate_bluesky  # noqa: E402
from tests.fakes.youtube import FakeYouTube  # noqa: E402
from tests.fakes.youtube_sample import populate_demo as populate_youtube  # noqa: E402
from tests.helpers import FakeClock, write_inventory  # noqa: E402

START = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.UTC)
KEY_ENV = "BENCH_YOUTUBE_KEY"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=7)
    parser.add_argument(
        "--always", action="store_true", help="re-read every video's comments every night (for comparison)"
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the sample's taken-down reply is a warning every night
    if args.always:
        youtube_connector.ROTATION_NIGHTS = 1
    print("night  youtube units (fake counted)  youtube requests  bluesky requests  new versions yt/bsky")
    with tempfile.TemporaryDirectory() as tmp, FakeYouTube(now=START) as yt, FakeBluesky(now=START) as bsky:
        folder = pathlib.Path(tmp)
        yt_info = populate_youtube(yt)
        bs_info = populate_bluesky(bsky)
        os.environ[KEY_ENV] = yt_info["key"]
        store = FileStore(f"file://{folder / 'archive'}")
        (folder / "yt").mkdir()
        (folder / "bs").mkdir()
        yt_account = {
            "id": "ks-youtube",
            "platform": "youtube",
            "handle": yt_info["handle"],
            "token_env": KEY_ENV,
        }
        yt_inv = load_inventory(write_inventory(folder / "yt", yt.base_url, [yt_account]))
        bs_account = {"id": "ks-bluesky", "platform": "bluesky", "handle": bs_info["handle"]}
        bs_inv = load_inventory(write_inventory(folder / "bs", bsky.base_url, [bs_account]))
        channel = yt.channels[yt_info["channel"]]
        town = next(a for a in bsky.actors.values() if a.handle == bs_info["handle"])
        citizen = next(a for a in bsky.actors.values() if a.handle != bs_info["handle"])
        for n in range(args.nights + 1):
            night = START.date() + dt.timedelta(days=n)
            if n:
                yt.advance(days=1)
                bsky.advance(days=1)
                video = yt.upload(channel, f"Veckans nyheter {n}", at=yt.clock.now() - dt.timedelta(hours=3))
                for c in range(2):
                    yt.comment(
                        video, "Anna Lindqvist", f"Kommentar {c}", at=yt.clock.now() - dt.timedelta(hours=2)
                    )
                post = bsky.post(town, f"Veckans nyheter {n}", at=bsky.clock.now() - dt.timedelta(hours=3))
                for c in range(2):
                    bsky.post(
                        citizen, f"Kommentar {c}", reply_to=post, at=bsky.clock.now() - dt.timedelta(hours=2)
                    )
            yt.reset_quota()
            yt_result = capture_night(yt_inv, store, night, clock=FakeClock(yt)).results[0]  # type: ignore[arg-type]
            bs_result = capture_night(bs_inv, store, night, clock=FakeClock(bsky)).results[0]  # type: ignore[arg-type]
            row = read_run_row(store, night, yt_result.run_id) or {}
            print(
                f"{n + 1:>5}  {row.get('api_units')!s:>13} ({yt.units_used:>3})"
                f"  {yt_result.http_requests:>16}  {bs_result.http_requests:>16}"
                f"  {yt_result.counts.versions:>10}/{bs_result.counts.versions}"
            )
            assert row.get("api_units") == yt.units_used
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
