"""The bundled Graph sample (``make demo``) captures cleanly and shows what it is meant to show."""

from __future__ import annotations

import pathlib

from archive_lib.capture.account import CaptureOptions
from archive_lib.capture.night import capture_night
from archive_lib.inventory import load_inventory
from archive_lib.metadata.runs import runs_of_night
from archive_lib.models import Account
from archive_lib.storage import FileStore
from tests.fakes.graph_sample import populate_demo
from tests.fakes.graph_server import FakeGraph
from tests.graph_helpers import NIGHT_1, NOW, GraphClock, by_id
from tests.helpers import assert_pointers_resolve, read_items, write_inventory


def test_the_sample_page_and_instagram_account_capture_in_one_night(tmp_path: pathlib.Path) -> None:
    with FakeGraph(NOW) as fake:
        info = populate_demo(fake)
        accounts = [
            {"id": "ks-facebook", "platform": "facebook", "handle": info["page"].id, "token_env": "T"},
            {"id": "ks-instagram", "platform": "instagram", "handle": info["instagram"].id, "token_env": "T"},
        ]
        inventory = load_inventory(write_inventory(tmp_path, fake.api_base, accounts))
        store = FileStore(f"file://{tmp_path / 'archive'}")

        def tokens(account: Account) -> str:
            return str(info["token"])

        night = capture_night(
            inventory, store, NIGHT_1, tokens=tokens, clock=GraphClock(fake), options=CaptureOptions()
        )

    assert [r.status for r in night.results] == ["ok", "ok"], [r.error for r in night.results]
    rows = read_items(store)
    items = by_id(rows)
    roles = info["roles"]
    assert set(info["facebook_posts"]) | set(info["facebook_comments"]) <= set(items)
    assert items[roles["hidden_comment"]][0]["hidden"] is True
    assert items[roles["ig_hidden_comment"]][0]["hidden"] is True
    assert items[roles["markup_comment"]][0]["text"].startswith("<script>")
    assert "unknown" in items[roles["anonymous_comment"]][0]["author_name"]
    runs = {r["account_id"]: r for r in runs_of_night(store, NIGHT_1)}
    assert any("restricted users" in w for w in runs["ks-instagram"]["warnings"])
    assert runs["ks-facebook"]["counts"]["media_files"] >= 4
    assert_pointers_resolve(store, rows)
