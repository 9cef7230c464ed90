"""The hostile archive: two nights of a real ``archivectl capture`` against the hostile instance.

One inventory holds every town of :data:`tests.fakes.hostile.NIGHT` (the municipality's own
account and one account per behaviour), each with a token. Each night runs as its own process
(:mod:`tests.hostile.peak`, which reports its peak memory) with the HTTP door's bounds set
small through the environment, as an operator would set them. The archive is built once per
test session and only read afterwards (registrar exports add objects under ``exports/`` only).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from archive_lib.storage import FileStore
from tests.conftest import REPO
from tests.fakes.hostile import MIB, NIGHT, HostileServer, Request, Town
from tests.helpers import PROCESS_TIMEOUT, write_inventory
from tests.hostile.peak import peak_kib

NIGHTS = ("2026-11-20", "2026-11-21")
DEADLINE_SECONDS = 2
MAX_BODY = 4 * MIB
MAX_DECODED = 8 * MIB
BOUNDS = {
    "ARCHIVE_REQUEST_DEADLINE": str(DEADLINE_SECONDS),
    "ARCHIVE_MAX_BODY_BYTES": str(MAX_BODY),
    "ARCHIVE_MAX_DECODED_BYTES": str(MAX_DECODED),
    "ARCHIVE_MAX_REQUESTS": "200",
}


@dataclass
class Night:
    """One ``archivectl capture`` process and what it left."""

    run_date: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_kib: int


@dataclass
class HostileArchive:
    folder: pathlib.Path
    store_url: str
    towns: list[Town]
    env: dict[str, str]
    requests: list[Request] = field(default_factory=list)
    mirror_requests: list[Request] = field(default_factory=list)
    nights: list[Night] = field(default_factory=list)

    @property
    def root(self) -> pathlib.Path:
        return self.folder / "archive"

    @property
    def store(self) -> FileStore:
        return FileStore(self.store_url)

    def town(self, behaviour: str) -> Town:
        return next(t for t in self.towns if t.behaviour == behaviour)

    def archivectl(self, *args: str) -> Command:
        """A registrar's command over the hostile archive, as a real process."""
        command = [sys.executable, "-m", "archive_lib.cli", *args, "--store", self.store_url]
        done = subprocess.run(
            command, env=self.env, cwd=REPO, capture_output=True, timeout=PROCESS_TIMEOUT, check=False
        )
        # Decoded by hand: text mode would turn a carriage return the command printed into "\n".
        return Command(args, done.returncode, _text(done.stdout), _text(done.stderr))


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


@dataclass
class Command:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> str:
        """The output of a command that must have succeeded."""
        assert self.returncode == 0, (
            f"archivectl {self.args}: exit {self.returncode}\n{self.stdout}\n{self.stderr}"
        )
        return self.stdout


def capture(archive: HostileArchive, inventory: pathlib.Path, run_date: str) -> Night:
    command = [
        sys.executable,
        "-m",
        "tests.hostile.peak",
        "capture",
        "--inventory",
        str(inventory),
        "--store",
        archive.store_url,
        "--run-date",
        run_date,
    ]
    started = time.monotonic()
    done = subprocess.run(
        command,
        env=archive.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    seconds = time.monotonic() - started
    return Night(run_date, done.returncode, done.stdout, done.stderr, seconds, peak_kib(done.stderr))


@pytest.fixture(scope="session")
def hostile_archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileArchive]:
    folder = tmp_path_factory.mktemp("hostile")
    with HostileServer(max_body_bytes=MAX_BODY) as server:
        towns = server.towns(NIGHT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARCHIVE_")}
        env.update(BOUNDS)
        env.update({t.token_env: t.token for t in towns})
        env.update(PYTHONUNBUFFERED="1", ARCHIVE_INDEX_DIR=str(folder / "index"))
        archive = HostileArchive(folder, (folder / "archive").as_uri(), towns, env)
        accounts = [{"id": t.account_id, "handle": t.handle, "token_env": t.token_env} for t in towns]
        inventory = write_inventory(folder, server.base_url, accounts)
        for run_date in NIGHTS:
            archive.nights.append(capture(archive, inventory, run_date))
        archive.requests = server.requests
        archive.mirror_requests = server.mirror_requests
    yield archive


@dataclass
class Registrar:
    """What a registrar's commands made of the hostile archive."""

    commands: dict[str, Command]
    packages: dict[str, pathlib.Path]  # release packages, by what they hold

    @property
    def outputs(self) -> str:
        return "\n".join(f"{c.stdout}\n{c.stderr}" for c in self.commands.values())


@pytest.fixture(scope="session")
def registrar(hostile_archive: HostileArchive) -> Registrar:
    """Search, show and export over the hostile archive, each a real ``archivectl`` process."""
    archive = hostile_archive
    ordinary, traversal, old = archive.town("ordinary"), archive.town("traversal"), archive.town("year99")
    commands = {
        "search csv": archive.archivectl("search", "--format", "csv", "--limit", "1000"),
        "search table": archive.archivectl("search", "--limit", "1000"),
        "search ancient": archive.archivectl("search", "vattentornet", "--format", "json"),
    }
    for town in (ordinary, traversal, old):
        for post in (s for s in town.statuses if s.parent is None):
            commands[f"show {post.id}"] = archive.archivectl("show", post.id, "--account", town.account_id)
    packages = {"ordinary": archive.folder / "ordinary.zip", "odd ids": archive.folder / "odd-ids.zip"}
    wanted = {
        "ordinary": [s.id for s in ordinary.statuses],
        "odd ids": [s.id for s in (*traversal.statuses, *old.statuses)],
    }
    for name, path in packages.items():
        commands[f"export {name}"] = archive.archivectl(
            "export",
            "--item",
            *wanted[name],
            "--purpose",
            "Begäran om allmän handling",
            "--reference",
            "KS 2026/999",
            "--by",
            "Eva Registrator",
            "--out",
            str(path),
        )
    return Registrar(commands, packages)
