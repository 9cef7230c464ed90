"""What the HTTP door may do, and what a platform adds to it: bounds, patience and verdicts.

:class:`HttpPolicy` holds the timeouts, retries and bounds of every exchange and of an account's
night (the operator's bounds come from the environment, :data:`LIMITS_ENV`). A platform that
speaks its errors in the body gives :class:`HttpRules`; its ``classify`` answers with a
:class:`Throttle`, a :class:`Backoff` or an error to raise. :mod:`.http` applies them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from archive_lib import PRODUCT, __version__
from archive_lib.content_coding import DEFAULT_LIMIT
from archive_lib.errors import ArchiveError, ConfigError

if TYPE_CHECKING:
    from archive_lib.connectors.response import Response


def user_agent(contact: str | None = None) -> str:
    """An honest User-Agent: the product, its version, and whom to contact."""
    suffix = f"; +{contact}" if contact else ""
    return f"{PRODUCT}/{__version__} (records archive{suffix})"


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts, retries and patience; the defaults suit a nightly batch."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 5
    backoff_base: float = 2.0
    backoff_max: float = 120.0
    max_rate_wait: float = 1000.0  # Mastodon's paging limit resets every 15 minutes
    max_rate_retries: int = 20
    max_redirects: int = 5
    reset_margin: float = 1.0
    request_deadline: float = 600.0  # one exchange in all: connecting, headers and body
    max_body_bytes: int = 256 * 1024 * 1024  # as received (a video attachment fits)
    max_decoded_bytes: int = DEFAULT_LIMIT  # after gzip/deflate
    max_requests: int = 200_000  # one account's night; a first night of a large account fits
    max_night_seconds: float = 5 * 3600.0  # one account's night, waits included

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HttpPolicy:
        """The defaults, with the bounds an operator set in the environment (:data:`LIMITS_ENV`)."""
        changes: dict[str, float | int] = {}
        for name, variable in LIMITS_ENV.items():
            text = environ.get(variable, "").strip()
            if not text:
                continue
            kind = type(getattr(cls, name))
            try:
                value = kind(text)
            except ValueError:
                value = 0
            if not value > 0:
                what = "number" if kind is float else "whole number"
                raise ConfigError(f"${variable} must be a positive {what}, not {text[:20]!r}")
            changes[name] = value
        return cls(**changes)  # type: ignore[arg-type]


#: The HTTP bounds an operator may change, by environment variable (README: "Bounds").
LIMITS_ENV = {
    "request_deadline": "ARCHIVE_REQUEST_DEADLINE",
    "max_body_bytes": "ARCHIVE_MAX_BODY_BYTES",
    "max_decoded_bytes": "ARCHIVE_MAX_DECODED_BYTES",
    "max_requests": "ARCHIVE_MAX_REQUESTS",
    "max_night_seconds": "ARCHIVE_MAX_NIGHT_SECONDS",
}


@dataclass(frozen=True)
class Throttle:
    """The platform asks us to slow down: wait ``wait`` seconds (None: back off) and try again."""

    reason: str
    wait: float | None = None


@dataclass(frozen=True)
class Backoff:
    """A transient failure: back off exponentially and try again, then give up as retryable."""

    reason: str


Verdict = Throttle | Backoff | ArchiveError


@dataclass(frozen=True)
class HttpRules:
    """What one platform adds to the HTTP door; see :mod:`.http`'s module docstring."""

    classify: Callable[[Response], Verdict | None] | None = None  # None from it: the status rules
    pause_after: Callable[[Response], float | None] | None = None
    token_param: str | None = None
    # The share of the platform's rate-limit budget in use, in percent, as a response's headers
    # say (Graph's usage headers); the client keeps the latest (``HttpClient.usage_percent``).
    usage: Callable[[Response], float | None] | None = None
