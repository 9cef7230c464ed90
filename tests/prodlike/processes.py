"""Long-running child processes for the production-like stack: started, logged, always stopped.

Each process runs in a session of its own, so stopping it also reaches the workers it forked
(the scheduler's LocalExecutor workers, the api-server's uvicorn workers) without touching any
process this code did not start.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers that need a number)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: pathlib.Path
    stop_signal: int

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class ProcessGroup:
    """The children started so far; :meth:`stop_all` ends them in reverse order of starting."""

    def __init__(self, log_folder: pathlib.Path) -> None:
        self.log_folder = log_folder
        log_folder.mkdir(parents=True, exist_ok=True)
        self.children: list[Child] = []

    def start(
        self,
        name: str,
        command: Sequence[str],
        env: Mapping[str, str],
        *,
        stop_signal: int = signal.SIGTERM,
        user: str | None = None,
        cwd: pathlib.Path | None = None,
    ) -> Child:
        log = self.log_folder / f"{name}.log"
        with log.open("ab") as out:
            process = subprocess.Popen(
                list(command),
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                user=user,
                cwd=cwd,
            )
        child = Child(name, process, log, stop_signal)
        self.children.append(child)
        return child

    def check_running(self) -> None:
        """Raise if a child has exited: a service that died early explains a later time-out."""
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                raise RuntimeError(
                    f"{child.name} exited with {code}; last lines of {child.log}:\n{child.tail()}"
                )

    def stop_all(self, timeout: float = 30.0) -> None:
        """Stop every child (its own signal, then SIGKILL after ``timeout``), newest first."""
        for child in reversed(self.children):
            _stop(child, timeout)

    def pids(self) -> list[int]:
        return [child.process.pid for child in self.children]


def _stop(child: Child, timeout: float) -> None:
    process = child.process
    group = process.pid  # the child leads its own session and process group
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, child.stop_signal)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            process.wait(timeout=10)
    # Workers the child forked and left behind (it exited first) still carry its group id.
    deadline = time.monotonic() + timeout
    while group_alive(group):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            break
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        time.sleep(0.2)


def group_alive(group: int) -> bool:
    """Whether any process of process group ``group`` is still running (zombies do not count)."""
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == group:
            return True
    return False
