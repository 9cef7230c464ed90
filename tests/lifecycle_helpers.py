"""Helpers of the records'-lifecycle tests: a copy of the registrars' archive of a test's own
(markings, notes and access events are written to it), and ``archivectl`` run in this process."""

from __future__ import annotations

import json
import pathlib
import shutil
from typing import Any

import pytest

from archive_lib.cli.main import main
from tests.registrar_fixtures import RegistrarArchive


@pytest.fixture
def archive(registrar_archive: RegistrarArchive, tmp_path: pathlib.Path) -> RegistrarArchive:
    """A copy of the registrars' archive of its own: markings and access events are written to it."""
    shutil.copytree(registrar_archive.folder / "archive", tmp_path / "archive")
    return RegistrarArchive((tmp_path / "archive").as_uri(), tmp_path, dict(registrar_archive.ids))


def run(archive: RegistrarArchive, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``archivectl`` in this process (it flushes the access log as it exits)."""
    command, rest = (
        (list(args[:2]), list(args[2:])) if args[0] == "moderation" else ([args[0]], list(args[1:]))
    )
    try:
        code = main([*command, "--store", archive.store_url, "--index", str(archive.folder / "index"), *rest])
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def json_of(archive: RegistrarArchive, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    code, out, err = run(archive, capsys, *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)
