"""The platform's own comment counts against the comments archived (YouTube's commentCount)."""

from __future__ import annotations

import datetime as dt
import pathlib

import pytest

from archive_lib.audit import audit_period, run_audit
from archive_lib.capture.account import CaptureOptions, capture_account
from archive_lib.inventory import load_inventory
from archive_lib.storage import FileStore
from tests.fakes.youtube import FakeYouTube
from tests.helpers import FakeClock, write_inventory
from tests.signing import signer_for_tests

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT = dt.date(2026, 11, 20)
KEY = "AIzaSyD-kristianstad-TEST-0123456789abc"


def test_a_comment_held_for_review_is_explained_not_a_problem(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeYouTube(now=NOW) as fake:
        fake.add_key(KEY)
        channel = fake.add_channel("kristianstadkommun", "Kristianstads kommun")
        video = fake.upload(channel, "Sommarlov 2026", "Aktiviteter i sommar", at=NOW - dt.timedelta(days=2))
        first = fake.comment(video, "Anna", "Finns det plats kvar?", at=NOW - dt.timedelta(days=1))
        fake.comment(video, "Bo", "Samma fråga", reply_to=first, at=NOW - dt.timedelta(hours=20))
        fake.comment(
            video, "Okänd", "Köp billiga solglasögon här!!!", at=NOW - dt.timedelta(hours=5), held=True
        )
        path = write_inventory(
            tmp_path,
            fake.base_url,
            [
                {
                    "id": "ks-youtube",
                    "platform": "youtube",
                    "handle": "@kristianstadkommun",
                    "token_env": "KS_YOUTUBE_KEY_TEST",
                }
            ],
        )
        monkeypatch.setenv("KS_YOUTUBE_KEY_TEST", KEY)
        inventory = load_inventory(path)
        store = FileStore((tmp_path / "archive").as_uri())
        clock = FakeClock(fake)  # type: ignore[arg-type]
        options = CaptureOptions(signer=signer_for_tests())
        result = capture_account(inventory.accounts[0], store, NIGHT, clock=clock, options=options)
        assert result.status == "ok"

        report = run_audit(store, inventory, audit_period(NIGHT, NIGHT, clock.now()), clock=clock)

    [count] = report.comment_counts
    assert (count["post_id"], count["reported"], count["captured"], count["difference"]) == (
        video.id,
        3,
        2,
        1,
    )
    assert "held for review" in count["explanation"]
    assert report.problems == []
