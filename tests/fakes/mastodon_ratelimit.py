"""Rate limiting of the fake Mastodon server, copied from Mastodon's rack-attack set-up.

Source: mastodon/mastodon:config/initializers/rack_attack.rb.

Throttles are checked in the order that file declares them; each one that applies to a request
increments its counter for the current *aligned* window (``epoch seconds // period``, as
rack-attack keys its cache), and the first one over its limit rejects the request with 429.
Every API response then reports the throttle closest to exhaustion
(app/controllers/concerns/rate_limit_headers.rb): ``X-RateLimit-Limit``, ``-Remaining`` and
``-Reset`` = now + (period - now % period), formatted with microseconds.

Defaults are Mastodon's: 300 requests / 5 min per token, per user 1,500 / 5 min, per IP 300 / 5 min
when there is no user, and 300 / 15 min for paging requests (``page``, ``min_id``, ``max_id`` or
``since_id`` present) per user or per IP.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from tests.fakes.mastodon_clock import FakeClock, format_reset

PAGING_PARAMS = ("page", "min_id", "max_id", "since_id")


@dataclass(frozen=True)
class Throttle:
    """One rack-attack throttle: at most ``limit`` requests per aligned ``period`` seconds."""

    name: str
    limit: int
    period: int


@dataclass(frozen=True)
class ThrottleHit:
    """A throttle that applied to a request, and its count including that request."""

    throttle: Throttle
    count: int

    @property
    def remaining(self) -> int:
        """How many requests are left in the window."""
        return self.throttle.limit - self.count


@dataclass(frozen=True)
class RateDecision:
    """The outcome for one request: the throttles it hit and the one it exceeded, if any."""

    now: dt.datetime
    hits: tuple[ThrottleHit, ...]
    exceeded: ThrottleHit | None

    def reset_at(self, throttle: Throttle) -> dt.datetime:
        """The end of the throttle's current window, keeping the sub-second part of now."""
        epoch_seconds = int(self.now.timestamp())
        return self.now + dt.timedelta(seconds=throttle.period - epoch_seconds % throttle.period)

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers for the response (empty when no throttle applied)."""
        if self.exceeded is not None:
            throttle = self.exceeded.throttle
            remaining = 0
        elif self.hits:
            closest = min(self.hits, key=lambda hit: hit.remaining)
            throttle, remaining = closest.throttle, closest.remaining
        else:
            return {}
        return {
            "X-RateLimit-Limit": str(throttle.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": format_reset(self.reset_at(throttle)),
        }


class RateLimiter:
    """Counters for the API throttles; limits are attributes tests may change at any time."""

    def __init__(
        self,
        clock: FakeClock,
        *,
        api_limit: int = 300,
        api_period: int = 300,
        user_limit: int = 1500,
        paging_limit: int = 300,
        paging_period: int = 900,
    ) -> None:
        self.clock = clock
        self.enabled = True
        self.api_limit = api_limit
        self.api_period = api_period
        self.user_limit = user_limit
        self.paging_limit = paging_limit
        self.paging_period = paging_period
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}

    def reset(self) -> None:
        """Forget every counter."""
        with self._lock:
            self._counts.clear()

    def _throttles(
        self, *, user: str | None, token: str | None, ip: str, paging: bool
    ) -> list[tuple[Throttle, str]]:
        applicable: list[tuple[Throttle, str]] = []
        if user is not None:
            applicable.append(
                (Throttle("throttle_authenticated_api", self.user_limit, self.api_period), user)
            )
        if token is not None:
            applicable.append(
                (Throttle("throttle_per_token_api", self.api_limit, self.api_period), token)
            )
        if user is None:
            applicable.append(
                (Throttle("throttle_unauthenticated_api", self.api_limit, self.api_period), ip)
            )
        if paging and user is not None:
            throttle = Throttle(
                "throttle_authenticated_paging", self.paging_limit, self.paging_period
            )
            applicable.append((throttle, user))
        if paging and user is None:
            throttle = Throttle(
                "throttle_unauthenticated_paging", self.paging_limit, self.paging_period
            )
            applicable.append((throttle, ip))
        return applicable

    def check(self, *, user: str | None, token: str | None, ip: str, paging: bool) -> RateDecision:
        """Count one API request and say whether it is allowed.

        ``user`` identifies the token's user (``None`` for anonymous and app-only tokens),
        ``token`` any token the server knows (valid or revoked), ``ip`` the client address.
        """
        now = self.clock.now()
        hits: list[ThrottleHit] = []
        if not self.enabled:
            return RateDecision(now, (), None)
        epoch_seconds = int(now.timestamp())
        with self._lock:
            for throttle, discriminator in self._throttles(
                user=user, token=token, ip=ip, paging=paging
            ):
                key = (throttle.name, discriminator, epoch_seconds // throttle.period)
                count = self._counts.get(key, 0) + 1
                self._counts[key] = count
                hit = ThrottleHit(throttle, count)
                hits.append(hit)
                if count > throttle.limit:
                    return RateDecision(now, tuple(hits), hit)
        return RateDecision(now, tuple(hits), None)
