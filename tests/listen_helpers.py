"""Running ``archivectl listen`` as a real process on loopback, and reading what it stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import pathlib
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import urllib3

from tests.helpers import EVENT_TIMEOUT, PROCESS_TIMEOUT, archivectl

VERIFY_TOKEN = "verify-6f1c2a"
APP_SECRET = "app-secret-9d8e7f6a5b4c"


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class Listen:
    """``archivectl listen`` on a port the OS picks; ``url`` is known once it prints it."""

    def __init__(self, inventory: pathlib.Path, store: str, env: Mapping[str, str] | None = None) -> None:
        self.inventory = inventory
        self.store = store
        self.env = {
            **os.environ,
            "ARCHIVE_META_VERIFY_TOKEN": VERIFY_TOKEN,
            "ARCHIVE_META_APP_SECRET": APP_SECRET,
            "ARCHIVE_LISTEN_FLUSH_SECONDS": "0.5",
            "ARCHIVE_LISTEN_BATCH_SECONDS": "0.5",
            **(env or {}),
        }
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.stderr: list[str] = []
        self.http = urllib3.PoolManager(timeout=urllib3.Timeout(total=EVENT_TIMEOUT), retries=False)

    def start(self) -> Listen:
        command = archivectl(
            "listen", "--inventory", str(self.inventory), "--store", self.store, "--port", "0", "-v"
        )
        self.process = subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None and self.process.stderr is not None
        threading.Thread(target=self._drain, args=(self.process.stderr,), daemon=True).start()
        found = threading.Event()

        def first_line() -> None:
            assert self.process is not None and self.process.stdout is not None
            line = self.process.stdout.readline()
            if line.startswith("listening on "):
                self.url = line.split(" ", 2)[2].strip()
            found.set()

        threading.Thread(target=first_line, daemon=True).start()
        assert found.wait(PROCESS_TIMEOUT), "listen did not start"
        assert self.url, "".join(self.stderr)
        return self

    def _drain(self, stream: Any) -> None:
        for line in stream:
            self.stderr.append(line)

    def get(self, path: str, **fields: str) -> urllib3.BaseHTTPResponse:
        return self.http.request("GET", f"{self.url}{path}", fields=fields or None)

    def post(self, path: str, body: bytes, headers: Mapping[str, str]) -> urllib3.BaseHTTPResponse:
        return self.http.request("POST", f"{self.url}{path}", body=body, headers=dict(headers))

    def deliver(self, body: bytes, signature: str | None = "valid") -> urllib3.BaseHTTPResponse:
        headers = {"Content-Type": "application/json", "User-Agent": "facebookexternalua"}
        if signature == "valid":
            headers["X-Hub-Signature-256"] = sign(body)
        elif signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return self.post("/webhooks/meta", body, headers)

    def terminate(self) -> int:
        """SIGTERM, then the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(PROCESS_TIMEOUT)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(PROCESS_TIMEOUT)

    def __enter__(self) -> Listen:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(PROCESS_TIMEOUT)


def store_keys(root: pathlib.Path) -> list[str]:
    """Every object key under a file store's folder (sidecars and temporary files left out)."""
    if not root.exists():
        return []
    return sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def wait_until(condition: Callable[[], Any], what: str, timeout: float = EVENT_TIMEOUT) -> Any:
    """Poll ``condition`` until it holds (the store has no notifications); its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def bluesky_post(text: str, *, root: str | None = None, parent: str | None = None) -> dict[str, Any]:
    """An ``app.bsky.feed.post`` record, a reply when ``root`` is given."""
    record: dict[str, Any] = {
        "$type": "app.bsky.feed.post",
        "text": text,
        "createdAt": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z",
        "langs": ["sv"],
    }
    if root:
        cid = "bafyreiexamplecid"
        record["reply"] = {"root": {"uri": root, "cid": cid}, "parent": {"uri": parent or root, "cid": cid}}
    return record
