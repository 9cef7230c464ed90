"""``archivectl pools``: one Airflow pool per platform, in the form ``airflow pools import`` reads."""

from __future__ import annotations

import json
import subprocess

from archive_lib.capture.pools import DEFAULT_SLOTS, pool_definitions, pool_name
from archive_lib.connectors import PLATFORMS
from tests.helpers import archivectl


def test_every_platform_has_a_pool_the_dag_uses() -> None:
    pools = pool_definitions()
    assert set(pools) == {pool_name(p) for p in PLATFORMS}
    for spec in pools.values():
        assert isinstance(spec["slots"], int) and spec["slots"] >= 1
        assert spec["description"]


def test_cli_prints_importable_json_with_overrides() -> None:
    done = subprocess.run(archivectl("pools", "--slots", "mastodon=2"), capture_output=True, check=True)
    pools = json.loads(done.stdout)
    assert pools["capture_mastodon"]["slots"] == 2
    assert {"slots", "description"} <= set(pools["capture_mastodon"])
    assert pool_definitions(["newplatform"])["capture_newplatform"]["slots"] == DEFAULT_SLOTS


def test_cli_refuses_an_unknown_platform_or_a_bad_number() -> None:
    for bad in ("nosuch=2", "mastodon=0", "mastodon=two"):
        done = subprocess.run(
            archivectl("pools", "--slots", bad), capture_output=True, text=True, check=False
        )
        assert done.returncode == 2, bad
        assert "--slots" in done.stderr and "Traceback" not in done.stderr
