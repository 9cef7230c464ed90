"""``archivectl``'s shell: the commands it lists, where each option's default comes from, and
what it says when a command has no store or inventory.

The parser is built in this process (building it reads the environment for the defaults);
commands that must fail run as real processes, as an operator runs them.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess

import pytest

from archive_lib.cli.main import build_parser
from tests.helpers import PROCESS_TIMEOUT, archivectl

COMMANDS = [
    "capture",
    "check-inventory",
    "runs",
    "pools",
    "tables",
    "search",
    "show",
    "export",
    "reindex",
    "audit",
    "verify",
    "deliver",
    "dispose",
    "hold",
    "mark",
    "unmark",
    "moderation",
    "access-log",
    "remind",
    "listen",
]
DELIVER = ["deliver", "--board", "KS", "--since", "2026-01-01", "--until", "2026-01-31", "--out", "sip"]


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def test_help_lists_every_command_in_order() -> None:
    parser = build_parser()
    assert list(_commands(parser)) == COMMANDS
    text = parser.format_help()
    assert "{" + ",".join(COMMANDS) + "}" in text
    for name in COMMANDS:
        assert f"    {name} " in text or f"    {name}\n" in text


def _leaves(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every command that runs, a group's own commands (``hold place``) by their full name."""
    found = {}
    for name, command in _commands(parser).items():
        if any(isinstance(a, argparse._SubParsersAction) for a in command._actions):
            found.update({f"{name} {verb}": sub for verb, sub in _commands(command).items()})
        else:
            found[name] = command
    return found


def test_every_command_runs_through_its_group() -> None:
    for name, parser in _leaves(build_parser()).items():
        run = parser.get_default("run")
        assert callable(run), name
        assert run.__module__.startswith("archive_lib.cli."), name
        assert run.__module__ != "archive_lib.cli.main", name


def test_store_and_inventory_default_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_STORE", "file:///srv/arkiv")
    monkeypatch.setenv("ARCHIVE_INVENTORY", "/etc/arkiv/inventory.yaml")
    parser = build_parser()
    for command in (
        ["capture"],
        ["runs"],
        ["tables", "--engine", "duckdb"],
        ["search"],
        ["reindex"],
        ["audit"],
        ["listen"],
        ["dispose", "--decision", "KS 2026/123"],
        ["hold", "list"],
        ["hold", "release", "hold-20261203-4f2a1c", "--reason", "Klar"],
        DELIVER,
    ):
        assert parser.parse_args(command).store == "file:///srv/arkiv", command
    for command in (
        ["capture"],
        ["audit"],
        ["check-inventory"],
        ["listen"],
        ["dispose", "--decision", "KS 2026/123"],
        DELIVER,
    ):
        assert parser.parse_args(command).inventory == "/etc/arkiv/inventory.yaml", command
    item = ["--item", "1", "--ground", "OSL 26 kap. 1 §", "--reference", "KS 1"]
    for command in (
        ["mark", *item],
        ["unmark", "--item", "1", "--reason", "r"],
        ["moderation", "note", "--item", "1", "--action", "hidden", "--by", "E", "--ground", "g"],
        ["access-log"],
    ):
        parsed = parser.parse_args(command)
        assert parsed.store == "file:///srv/arkiv", command
        assert parsed.inventory == "/etc/arkiv/inventory.yaml", command
    assert parser.parse_args(["runs", "--store", "file:///other"]).store == "file:///other"
    assert parser.parse_args(["check-inventory", "other.yaml"]).inventory == "other.yaml"


def test_without_the_environment_there_is_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_STORE", raising=False)
    monkeypatch.delenv("ARCHIVE_INVENTORY", raising=False)
    parser = build_parser()
    assert parser.parse_args(["runs"]).store is None
    assert parser.parse_args(["capture"]).inventory is None
    assert parser.parse_args(["check-inventory"]).inventory is None


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["capture"], "archivectl: no inventory: give --inventory or set ARCHIVE_INVENTORY"),
        (["check-inventory"], "archivectl: no inventory: give a file or set ARCHIVE_INVENTORY"),
        (["runs"], "archivectl: no store: give --store or set ARCHIVE_STORE"),
        (["tables", "--engine", "duckdb"], "archivectl: no store: give --store or set ARCHIVE_STORE"),
        (["reindex"], "archivectl: no store: give --store or set ARCHIVE_STORE"),
        (["audit"], "archivectl: no store: give --store or set ARCHIVE_STORE"),
        (DELIVER, "archivectl: no store: give --store or set ARCHIVE_STORE"),
    ],
)
def test_a_missing_setting_exits_2_naming_it(
    command: list[str], message: str, tmp_path: pathlib.Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("ARCHIVE_STORE", "ARCHIVE_INVENTORY")}
    result = subprocess.run(
        archivectl(*command),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == message
    assert result.stdout == ""
