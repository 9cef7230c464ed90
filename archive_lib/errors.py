"""One small hierarchy of errors; each says whether trying again can help.

``retryable`` is the contract with the scheduler: Airflow retries a task only when the error that
ended it is retryable (a platform outage, a throttle that outlasted our patience), never for a bad
token or a broken inventory, where the same attempt would fail the same way.

Messages quote values from outside (an inventory, a platform) only through :func:`shown`: cut
short and inert, so that no file or response can make an error message huge, multi-line or
misleading on a terminal.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from archive_lib.inert import terminal_text

if TYPE_CHECKING:
    from archive_lib.models import RecordRef

#: How many characters of a value from outside a message quotes at most.
MAX_SHOWN = 60
_MAX_FIELD = 120
_MAX_MESSAGE = 400


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """A value from outside as a message may quote it: short, quoted and inert.

    Text is cut to ``limit`` characters and written as a Python literal (control and formatting
    characters escaped), with its full length when it was cut. Containers are named by their
    kind, never printed: their text can be any size.
    """
    if isinstance(value, str | bytes):
        if len(value) <= limit:
            return repr(value)
        unit = "characters" if isinstance(value, str) else "bytes"
        return f"{value[:limit]!r}… ({len(value)} {unit})"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | float):
        return repr(value)
    if isinstance(value, int):
        # str() of a huge int is slow, and refused past 4300 digits.
        return repr(value) if value.bit_length() <= 3 * limit else "a number too long to show"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a value of type {type(value).__name__}"


def _one_line(text: str, limit: int) -> str:
    text = terminal_text(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ArchiveError(Exception):
    """Base of every error the archive raises on purpose."""

    retryable: bool = False


class ConfigError(ArchiveError):
    """Bad usage or configuration: the run cannot start (exit code 2)."""


class InventoryError(ConfigError):
    """The account inventory is broken.

    Carries every problem found in one pass; each names the file, the line and the field, so an
    operator can fix them all before the next try.
    """

    #: Problems the message lists one by one; the rest are counted (``problems`` has them all).
    MAX_LISTED = 100

    def __init__(self, path: str, problems: list[InventoryProblem]) -> None:
        self.path = path
        self.problems = problems
        lines = [str(p) for p in problems[: self.MAX_LISTED]]
        if len(problems) > self.MAX_LISTED:
            lines.append(f"{path}: and {len(problems) - self.MAX_LISTED} more problems")
        super().__init__("\n".join(lines))


class InventoryProblem:
    """One problem in the inventory: where it is and what is wrong.

    The field and message are kept to one line of bounded length whatever they quote; values
    from the file should be quoted with :func:`shown` before they get here.
    """

    def __init__(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.path = path
        self.line = line
        self.field = _one_line(field, _MAX_FIELD) if field is not None else None
        self.message = _one_line(message, _MAX_MESSAGE)

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}, line {self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        return f"{where}: {what}"

    def __repr__(self) -> str:
        return f"InventoryProblem({self!s})"


class StoreError(ArchiveError):
    """The object store failed to read or write."""

    retryable = True


class StoreConfigError(ConfigError, StoreError):
    """The store cannot be used as configured (unknown URL scheme, bucket without Object Lock)."""

    retryable = False


class ObjectExistsError(StoreError):
    """A different object already holds this key; stored objects are never overwritten."""

    retryable = False


class ObjectNotFoundError(StoreError):
    """No object under this key."""

    retryable = False


class EventLogError(StoreError):
    """An object of the event log does not hold valid events: the store was changed from outside."""

    retryable = False


class ObjectProtectedError(StoreError):
    """The store refused to dispose of an object: a lock, a legal hold or its retention forbids it."""

    retryable = False


class LifecycleRefusedError(ArchiveError):
    """A disposal or a hold was refused (no such decision, nothing due, no such hold); nothing changed."""

    retryable = False


class PlatformError(ArchiveError):
    """A platform did not give us what we asked for; fails one account, never the others.

    ``record`` points to the last response the HTTP client received for the request that
    failed (the last 500 of its retries, say), where there was one: the evidence of the failure.
    """

    record: RecordRef | None = None


class AuthError(PlatformError):
    """The platform refused our credentials (401/403, expired or revoked token)."""


class TokenExpiredError(AuthError):
    """The platform says the token has expired or was invalidated (Graph error 190)."""


class MissingTokenError(AuthError):
    """The inventory names a token that the environment or Airflow does not hold."""


class AccountNotFoundError(PlatformError):
    """The platform does not know the inventoried handle."""


class TransientPlatformError(PlatformError):
    """Outage, server error or timeout that outlasted the retries; a later attempt may succeed."""

    retryable = True


class RateLimitedError(TransientPlatformError):
    """The platform's rate limit would keep us waiting longer than we are willing to."""


class QuotaExceededError(PlatformError):
    """The platform's daily quota is spent (YouTube ``quotaExceeded``).

    Not retryable: the quota resets on the platform's own day, so the account stops for the night
    with what it captured kept, and the next night continues.
    """


class ProtocolError(PlatformError):
    """The platform answered with something that does not follow its documented API."""


class PaginationLoopError(ProtocolError):
    """A listing offered a next page (URL, cursor, page token) it had offered before.

    The walk cannot be complete, so no deletion may be concluded from it; asking again would
    loop forever.
    """


class BodyTooLargeError(ProtocolError):
    """A response body, as received or once decoded, is larger than the archive reads."""


class BudgetExhaustedError(PlatformError):
    """The account's night made as many requests as one night may; what it captured is kept.

    Not retryable on the same night: the same walk would spend the same budget.
    """


class SecretLeakError(ArchiveError):
    """A secret was about to be written into a stored byte; the write was stopped."""


class MarkingRefusedError(ArchiveError):
    """A secrecy marking or a moderation note was refused: the item is not in the archive, is
    marked already, or is not marked (exit 1; retrying the same request does not help)."""
