"""A mail server on loopback that keeps every message it is given (aiosmtpd), for the reminders."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.helpers import EVENT_TIMEOUT


class Mailbox:
    """What the server received: each message with the envelope's recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[EmailMessage, list[str]]] = []
        self.refuse = False
        self._changed = threading.Condition()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "451 4.3.0 try again later"
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._changed:
            self.messages.append((message, list(envelope.rcpt_tos)))  # type: ignore[arg-type]
            self._changed.notify_all()
        return "250 OK"

    def wait_for(self, count: int) -> list[tuple[EmailMessage, list[str]]]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.messages) >= count, timeout=EVENT_TIMEOUT):
                raise AssertionError(f"{count} messages expected, {len(self.messages)} arrived")
            return list(self.messages)


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def connection_uri(self, sender: str = "arkiv@kristianstad.se") -> str:
        """The server as an Airflow connection URI, plain SMTP on loopback."""
        return (
            f"smtp://127.0.0.1:{self.port}?from_email={sender.replace('@', '%40')}"
            "&disable_ssl=true&disable_tls=true&timeout=10"
        )

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._controller.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running loopback mail server that keeps what it receives."""
    with SmtpServer() as server:
        yield server
