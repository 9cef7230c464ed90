"""Long-running child processes for the production-like stack: started, logged, always stopped.

Each process runs in a session of its own, so stopping it also reaches the workers it forked
(the scheduler's LocalExecutor workers, the api-server's uvicorn workers) without touching any
process this code did not start.

Servers are waited for by what they print, not by time: a child started with ``watch=True`` has
its output copied to its log by a thread that also lets the caller wait for a line (uvicorn's
"Uvicorn running on http://127.0.0.1:PORT", PostgreSQL's "ready to accept connections"). A
server told to listen on port 0 names the port the OS gave it in that line, so no port is
chosen before the server binds it (another process could take a port between the choosing
and the binding).
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

# The longest a server may take to start on a machine busy with other work. Only a server that
# will never come up makes a test wait this long; readiness itself is a line the server prints.
START_TIMEOUT = 600.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (for servers that need a number).

    Another process may take it before the server binds it: a server that can, binds port 0 and
    says which port it got; one that cannot must be started again on another port if its port
    was taken (see :meth:`tests.prodlike.postgres.TempPostgres.start`).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class OutputWatch(threading.Thread):
    """Copies a child's output to its log file and lets callers wait for a line in it."""

    def __init__(self, source: IO[bytes], log: pathlib.Path) -> None:
        super().__init__(name=f"watch-{log.stem}", daemon=True)
        self._source = source
        self._log = log
        self._changed = threading.Condition()
        self._lines: list[str] = []
        self._ended = False

    def run(self) -> None:
        with self._source, self._log.open("ab") as out:
            for raw in iter(self._source.readline, b""):
                out.write(raw)
                out.flush()
                with self._changed:
                    self._lines.append(raw.decode(errors="replace"))
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, pattern: str | re.Pattern[str], timeout: float) -> re.Match[str] | None:
        """The first output line matching ``pattern``; None if the output ended without one.

        The output ends when the child (and every process it forked) has closed it, i.e. exited.
        Raises :class:`TimeoutError` after ``timeout`` seconds (a safety net, see START_TIMEOUT).
        """
        compiled = re.compile(pattern)
        seen = 0
        with self._changed:
            deadline = time.monotonic() + timeout
            while True:
                for line in self._lines[seen:]:
                    match = compiled.search(line)
                    if match:
                        return match
                seen = len(self._lines)
                if self._ended:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no line matching {compiled.pattern!r} in {timeout:.0f} s")
                self._changed.wait(remaining)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: pathlib.Path
    stop_signal: int
    watch: OutputWatch | None = field(default=None, repr=False)

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_for_line(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match[str]:
        """Wait until the child prints a line matching ``pattern`` (started with ``watch=True``).

        Raises RuntimeError, with the end of the child's log, if it exits without printing one.
        """
        assert self.watch is not None, f"{self.name} was started without watch=True"
        try:
            match = self.watch.wait_for(pattern, timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"{self.name}: {exc}; last lines of {self.log}:\n{self.tail()}") from exc
        if match is None:
            self.watch.join(timeout)
            raise RuntimeError(
                f"{self.name} ended its output (exit code {self.process.poll()}) without a line "
                f"matching {pattern!r}; last lines of {self.log}:\n{self.tail()}"
            )
        return match


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
        watch: bool = False,
    ) -> Child:
        """Start ``command``; its output goes to ``<name>.log`` (through an :class:`OutputWatch`
        when ``watch`` is true, so that :meth:`Child.wait_for_line` can wait for a line)."""
        log = self.log_folder / f"{name}.log"
        with contextlib.ExitStack() as stack:
            out: IO[bytes] | int = subprocess.PIPE if watch else stack.enter_context(log.open("ab"))
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
        output = None
        if watch:
            assert process.stdout is not None
            output = OutputWatch(process.stdout, log)
            output.start()
        child = Child(name, process, log, stop_signal, output)
        self.children.append(child)
        return child

    def forget(self, child: Child) -> None:
        """Stop ``child`` (if it still runs) and drop it from the group: a failed start retried."""
        _stop(child, 30.0)
        self.children.remove(child)

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
