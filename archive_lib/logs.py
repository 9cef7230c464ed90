"""Logging set-up for the command line, keeping secrets out of every log line.

Log messages quote what platforms answered, so each line goes through the terminal rule of
:mod:`archive_lib.inert`: one line per message, no control character reaches the terminal.
"""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from urllib.parse import quote

from archive_lib.inert import terminal_text


class Secrets:
    """The secret values no log line may show."""

    def __init__(self) -> None:
        self.values: set[str] = set()

    def add(self, secret: str | None) -> None:
        if secret:
            # A secret quoted inside a URL may come percent-encoded: both spellings go.
            self.values.update({secret, quote(secret, safe="")})

    def scrub(self, text: str) -> str:
        for secret in sorted(self.values, key=len, reverse=True):
            text = text.replace(secret, "REDACTED")
        return text


SECRETS = Secrets()


class RedactingFormatter(logging.Formatter):
    """Formats as usual, message and traceback made inert, then replaces known secrets."""

    def format(self, record: logging.LogRecord) -> str:
        return SECRETS.scrub(super().format(record))

    def formatMessage(self, record: logging.LogRecord) -> str:
        return terminal_text(super().formatMessage(record))

    def formatException(
        self, ei: tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
    ) -> str:
        return terminal_text(super().formatException(ei), keep="\n")

    def formatStack(self, stack_info: str) -> str:
        return terminal_text(super().formatStack(stack_info), keep="\n")


def configure(level: int) -> None:
    """Logs to stderr, one line each, secrets replaced."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("urllib3", "botocore", "boto3", "s3transfer"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
