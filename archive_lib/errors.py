"""One small hierarchy of errors; each says whether trying again can help.

``retryable`` is the contract with the scheduler: Airflow retries a task only when the error that
ended it is retryable (a platform outage, a throttle that outlasted our patience), never for a bad
token or a broken inventory, where the same attempt would fail the same way.
"""

from __future__ import annotations


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

    def __init__(self, path: str, problems: list[InventoryProblem]) -> None:
        self.path = path
        self.problems = problems
        lines = [str(p) for p in problems]
        super().__init__("\n".join(lines))


class InventoryProblem:
    """One problem in the inventory: where it is and what is wrong."""

    def __init__(self, path: str, line: int | None, field: str | None, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message

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


class PlatformError(ArchiveError):
    """A platform did not give us what we asked for; fails one account, never the others."""


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
