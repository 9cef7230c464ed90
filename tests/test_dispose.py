"""Disposal by decision (gallring) and legal holds on the file store, through ``archivectl``.

The archive (tests/lifecycle_world.py) was captured in 2020, so the two-year class's retain-until
dates have passed; the ten-year class's have not. Every refusal must leave every object in place.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import signal
import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from archive_lib.cli.main import main
from archive_lib.metadata.disposals import disposal_state, pending_intents, read_document
from tests.helpers import DECISION, PROCESS_TIMEOUT, archivectl
from tests.lifecycle_world import LATER_DECISION, LifecycleWorld, copy_world, lifecycle_template

__all__ = ["lifecycle_template"]  # a fixture


@pytest.fixture
def world(lifecycle_template: LifecycleWorld, tmp_path: pathlib.Path) -> LifecycleWorld:
    return copy_world(lifecycle_template, tmp_path)


def cli(world: LifecycleWorld, *args: str) -> Done:
    """Run ``archivectl`` in this process (its own parser, commands and exit codes)."""
    index = str(world.inventory_path.parent / "index")
    if args[0] in ("search", "show", "export"):
        argv = [*args, "--store", world.store.url, "--index", index]
    elif args[0] == "hold" and args[1] == "place":
        argv = [*args, "--store", world.store.url, "--inventory", str(world.inventory_path), "--index", index]
    else:
        argv = [*args, "--store", world.store.url, "--inventory", str(world.inventory_path)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return Done(code, out.getvalue(), err.getvalue())


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def subprocess_cli(
    world: LifecycleWorld, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """Run ``archivectl`` as a process of its own (one a test can see killed)."""
    argv = [*args, "--store", world.store.url, "--inventory", str(world.inventory_path)]
    return subprocess.run(
        archivectl(*argv),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
        env={**os.environ, **env},
    )


def as_json(done: Done) -> Any:
    assert done.stdout, done.stderr
    return json.loads(done.stdout)


def test_refusals_delete_nothing(world: LifecycleWorld) -> None:
    before = world.stored_keys()

    missing = cli(world, "dispose", "--format", "json")
    assert missing.returncode == 2 and "--decision" in missing.stderr

    unknown = cli(world, "dispose", "--decision", "KS 1999/1", "--format", "json")
    assert unknown.returncode == 1
    assert "names the decision 'KS 1999/1'" in unknown.stderr and "nothing disposed" in unknown.stderr

    # Another decision's class: the ten-year class is not due before 2030, and the two-year
    # class (due) is not touched by it.
    early = cli(world, "dispose", "--decision", LATER_DECISION, "--format", "json")
    assert early.returncode == 1
    assert "has reached its retain-until date (the earliest is 2030-11-20)" in early.stderr

    hold_id = cli(
        world,
        "hold",
        "place",
        "--account",
        "ks-mastodon",
        "--reason",
        "Begäran om allmän handling",
        "--reference",
        "KS 2026/900",
    )
    assert hold_id.returncode == 0, hold_id.stderr
    held = cli(world, "dispose", "--decision", DECISION, "--format", "json")
    assert held.returncode == 1, held.stderr
    report = as_json(held)
    assert report["objects"] == [] and report["protocol_key"] is None
    assert report["refused"] and all(
        hold_id.stdout.strip() in r["reason"] or "kept while run" in r["reason"] for r in report["refused"]
    )
    assert {r["key"] for r in report["refused"]} == set(world.run_objects("ks-mastodon"))

    assert world.stored_keys() - before == {k for k in world.stored_keys() if k.startswith("events/")}
    assert before <= world.stored_keys()


def test_holds_are_listed_released_once_and_then_no_longer_keep_anything(world: LifecycleWorld) -> None:
    placed = cli(
        world,
        "hold",
        "place",
        "--thread",
        world.ids["question"],
        "--reason",
        "Överklagan",
        "--reference",
        "KS 2026/903",
        "--format",
        "json",
    )
    assert placed.returncode == 0, placed.stderr
    hold = as_json(placed)
    assert hold["scope"] == {"kind": "thread", "account_id": "ks-mastodon", "post_id": world.ids["post"]}
    [listed] = as_json(cli(world, "hold", "list", "--format", "json"))
    assert listed["hold_id"] == hold["hold_id"] and listed["active"] is True
    assert listed["reference"] == "KS 2026/903" and listed["reason"] == "Överklagan"

    kept = as_json(cli(world, "dispose", "--decision", DECISION, "--format", "json"))
    assert {r["key"] for r in kept["refused"]} >= set(hold["objects"])
    assert not {o["key"] for o in kept["objects"]} & set(hold["objects"])

    released = cli(world, "hold", "release", hold["hold_id"], "--reason", "Avgjort")
    assert released.returncode == 0, released.stderr
    assert cli(world, "hold", "release", hold["hold_id"], "--reason", "Igen").returncode == 1
    assert as_json(cli(world, "hold", "list", "--active", "--format", "json")) == []
    done = as_json(cli(world, "dispose", "--decision", DECISION, "--format", "json"))
    assert done["refused"] == [] and set(hold["objects"]) <= {o["key"] for o in done["objects"]}
    assert not set(world.run_objects("ks-mastodon")) & world.stored_keys()


def test_a_disposal_removes_exactly_the_due_objects_and_keeps_a_protocol(world: LifecycleWorld) -> None:
    expected = world.run_objects("ks-mastodon")
    kept = world.stored_keys() - set(expected)

    planned = as_json(cli(world, "dispose", "--decision", DECISION, "--dry-run", "--format", "json"))
    assert planned["dry_run"] is True and planned["protocol_key"] is None
    assert {o["key"] for o in planned["objects"]} == set(expected)
    assert world.stored_keys() >= set(expected)

    done = cli(world, "dispose", "--decision", DECISION, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = as_json(done)
    assert set(report) == {"decision", "dry_run", "objects", "items", "refused", "protocol_key"}
    assert report["decision"] == DECISION and report["refused"] == []
    assert {o["key"]: o["sha256"] for o in report["objects"]} == {k: o["sha256"] for k, o in expected.items()}
    assert report["items"] == 5  # post, two comments, the second night's post and answer
    assert not set(expected) & world.stored_keys()
    assert kept <= world.stored_keys()  # the other accounts' objects are all still there

    key = report["protocol_key"]
    assert key.startswith("disposals/") and key.endswith(".json")
    protocol = read_document(world.store, key)
    assert protocol["decision"]["id"] == DECISION and protocol["run_by"] and protocol["completed_at"]
    assert {(o["key"], o["size"], o["sha256"]) for o in protocol["objects"]} == {
        (k, o["size"], o["sha256"]) for k, o in expected.items()
    }
    assert {(c["account_id"], c["period"]) for c in protocol["item_counts"]} == {("ks-mastodon", "2020-11")}
    assert world.store.stat(key).retention is not None and world.store.stat(key).retention.permanent  # type: ignore[union-attr]

    again = cli(world, "dispose", "--decision", DECISION, "--format", "json")
    assert again.returncode == 0 and as_json(again)["objects"] == []


def test_after_a_disposal_no_command_finds_the_items_and_the_audit_says_disposed(
    world: LifecycleWorld,
) -> None:
    expected = world.run_objects("ks-mastodon")
    found = as_json(cli(world, "search", "simhallen", "--format", "json"))
    assert {h["item_id"] for h in found} >= {world.ids["question"], world.ids["angry"]}  # the index is built

    assert cli(world, "dispose", "--decision", DECISION).returncode == 0

    assert as_json(cli(world, "search", "simhallen", "--format", "json")) == []
    remaining = as_json(cli(world, "search", "--format", "json"))
    assert {h["account_id"] for h in remaining} == {"bibliotek-mastodon", "arkiv-mastodon"}
    shown = cli(world, "show", world.ids["question"])
    assert shown.returncode == 1
    assert f"disposed of by decision {DECISION}" in shown.stderr and "disposals/" in shown.stderr
    out = pathlib.Path(world.inventory_path).parent / "release.zip"
    exported = cli(
        world,
        "export",
        "--item",
        world.ids["angry"],
        "--purpose",
        "Begäran",
        "--reference",
        "KS 2026/901",
        "--out",
        str(out),
    )
    assert exported.returncode == 1 and f"decision {DECISION}" in exported.stderr and not out.exists()

    audit = cli(world, "audit", "--since", "2020-11-20", "--until", "2020-11-21", "--full")
    report = as_json(audit)
    kinds = {p["kind"] for p in report["problems"]}
    assert not kinds & {"object_missing", "night_missing", "object_not_in_manifest"}, report["problems"]
    assert report["nights"]["ks-mastodon"] == {"2020-11-20": "disposed", "2020-11-21": "disposed"}
    [protocol] = report["lifecycle"]["disposals"]
    assert protocol["decision"] == DECISION and protocol["objects"] == len(expected)
    assert report["lifecycle"]["objects_disposed"] == len(expected)


def test_a_disposal_killed_midway_is_completed_by_the_next_run(world: LifecycleWorld) -> None:
    expected = world.run_objects("ks-mastodon")
    killed = subprocess_cli(
        world, "dispose", "--decision", DECISION, env={"ARCHIVE_DISPOSAL_CRASH_AFTER": "2"}
    )
    assert killed.returncode == -signal.SIGKILL

    [intent] = pending_intents(world.store)
    gone = set(expected) - world.stored_keys()
    assert len(gone) == 2  # killed right after the second delete
    assert disposal_state(world.store).objects[next(iter(gone))].complete is False

    done = cli(world, "dispose", "--decision", DECISION, "--format", "json")
    assert done.returncode == 0, done.stderr
    report = as_json(done)
    assert report["protocol_key"] == intent.replace(".intent.json", ".json")
    assert {o["key"] for o in report["objects"]} == set(expected)
    assert not set(expected) & world.stored_keys()
    assert pending_intents(world.store) == []


def test_disposal_is_the_only_code_that_deletes_stored_objects() -> None:
    """S3 deletes appear only in S3Store.dispose; in the stores, files are removed only by
    FileStore.dispose and by the clean-up of a put's own temporary file."""
    import ast

    from tests.conftest import REPO

    found: set[tuple[str, str, str]] = set()
    for path in sorted((REPO / "archive_lib").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    name = node.func.attr
                    where = str(path.relative_to(REPO))
                    if name in ("delete_object", "delete_objects") or (
                        name in ("unlink", "remove", "rmtree") and "/storage/" in where
                    ):
                        found.add((where, function.name, name))
    assert found == {
        ("archive_lib/storage/s3.py", "dispose", "delete_object"),
        ("archive_lib/storage/file.py", "dispose", "unlink"),
        ("archive_lib/storage/file.py", "_stage", "unlink"),
        ("archive_lib/storage/file.py", "_publish", "unlink"),
    }
