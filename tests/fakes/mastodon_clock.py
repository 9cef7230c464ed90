"""Virtual time and Mastodon-style ids for the fake Mastodon server.

The fake reads time only from a :class:`FakeClock`: content timestamps, rate-limit windows and the
``Date`` header all follow it, so a test can move the instance through a night without sleeping.
It satisfies ``archive_lib.clock.Clock`` (``now()`` and ``sleep()``), so a test can hand the very
same object to the client under test as its clock or sleep function.
"""

from __future__ import annotations

import datetime as dt
import threading

UTC = dt.UTC
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = dt.timedelta(milliseconds=1)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """An aware UTC datetime (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_timestamp(moment: dt.datetime) -> str:
    """Mastodon's datetime format: UTC, milliseconds, ``Z`` (``2019-12-08T03:48:33.901Z``)."""
    utc = as_utc(moment)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_reset(moment: dt.datetime) -> str:
    """Ruby's ``Time#iso8601(6)`` in UTC, as in ``X-RateLimit-Reset`` (``…:00.029100Z``)."""
    utc = as_utc(moment)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond:06d}Z"


def epoch_ms(moment: dt.datetime) -> int:
    """Whole milliseconds since the Unix epoch."""
    return (as_utc(moment) - _EPOCH) // _MILLISECOND


class FakeClock:
    """The fake's time: the real UTC time plus an offset, or a fixed manual time.

    ``set()`` switches to manual time; ``advance()`` and ``sleep()`` move either kind forward
    without blocking, so rate-limit waits in tests take no wall-clock time.
    """

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._fixed: dt.datetime | None = as_utc(start) if start is not None else None
        self._offset = dt.timedelta(0)

    @property
    def manual(self) -> bool:
        """True once the clock has been set to a fixed time."""
        return self._fixed is not None

    def now(self) -> dt.datetime:
        """The current fake time, aware UTC."""
        with self._lock:
            if self._fixed is not None:
                return self._fixed
            return dt.datetime.now(UTC) + self._offset

    def set(self, moment: dt.datetime) -> None:
        """Fix the clock at ``moment`` (naive means UTC); it moves only when advanced."""
        with self._lock:
            self._fixed = as_utc(moment)

    def advance(self, seconds: float = 0.0) -> None:
        """Move the clock forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("the fake clock does not go backwards")
        step = dt.timedelta(seconds=seconds)
        with self._lock:
            if self._fixed is not None:
                self._fixed += step
            else:
                self._offset += step

    def sleep(self, seconds: float) -> None:
        """Pretend to sleep: advance the clock by ``seconds`` and return at once."""
        if seconds > 0:
            self.advance(seconds)


class SnowflakeIds:
    """Mastodon's id scheme: ``(milliseconds since epoch << 16) + sequence``; ids sort by time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_sequence: dict[int, int] = {}

    def next_id(self, moment: dt.datetime) -> int:
        """A fresh id for something created at ``moment``."""
        millis = epoch_ms(moment)
        with self._lock:
            sequence = self._next_sequence.get(millis, 0)
            if sequence > 0xFFFF:
                raise RuntimeError("more than 65536 ids in one millisecond")
            self._next_sequence[millis] = sequence + 1
        return (millis << 16) + sequence


def id_time(snowflake: int) -> dt.datetime:
    """The creation time encoded in a snowflake id (millisecond precision)."""
    return _EPOCH + (snowflake >> 16) * _MILLISECOND
