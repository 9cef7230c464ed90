"""A throw-away Redis server from Debian's packages (``redis-server``), the Celery broker of the
scale-out smoke test: on 127.0.0.1, with a password, nothing written to disk."""

from __future__ import annotations

import pathlib
import secrets
import shutil
import tempfile

from tests.prodlike.processes import START_TIMEOUT, ProcessGroup, free_port

APT_PACKAGE = "redis-server"
PORT_ATTEMPTS = 5


class RedisMissing(RuntimeError):
    """Redis's server program is not installed."""


def server_path() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if pathlib.Path("/usr/bin/redis-server").exists() else None
    )
    if not found:
        raise RedisMissing(
            "Redis is not installed (no redis-server): install Debian's package with "
            f"`apt-get install -y {APT_PACKAGE}`"
        )
    return found


class TempRedis:
    """One Redis server for one test run."""

    def __init__(self, processes: ProcessGroup) -> None:
        self.processes = processes
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self.folder: pathlib.Path | None = None

    @property
    def url(self) -> str:
        """The broker URL, as Airflow's ``[celery] broker_url``."""
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """Start the server and wait until it accepts connections; return :attr:`url`."""
        program = server_path()
        self.folder = pathlib.Path(tempfile.mkdtemp(prefix="archive-redis-"))
        # Redis needs its port number up front; a port taken meanwhile makes it exit, and it starts again.
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.port = free_port()
            child = self.processes.start(
                "redis",
                [
                    program,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--requirepass",
                    self.password,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.folder),
                ],
                {"PATH": "/usr/bin:/bin"},
                watch=True,
            )
            try:
                child.wait_for_line(r"Ready to accept connections", timeout)
                return self.url
            except RuntimeError:
                if attempt == PORT_ATTEMPTS or "Address already in use" not in child.tail():
                    raise
                self.processes.forget(child)
        raise AssertionError("unreachable")

    def remove(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
