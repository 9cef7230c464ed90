"""The one HTTP door every connector goes through.

Retry and rate-limit policy live here and nowhere else:

* ``429``: wait for ``Retry-After`` (seconds or a date) when the server sends it, else for the
  rate-limit reset header (``X-RateLimit-Reset`` as Mastodon's ISO 8601 or an epoch, or
  ``RateLimit-Reset`` in seconds), measured against the server's own ``Date`` so a skewed local
  clock does not matter; then try again. A wait longer than ``max_rate_wait`` gives up with
  :class:`RateLimitedError` (retryable: Airflow may try the account later).
* When a response says no requests remain, the next request waits for the reset first.
* ``5xx``, ``408``, timeouts and broken connections: exponential backoff with jitter, then
  :class:`TransientPlatformError`.
* ``401``/``403``: :class:`AuthError` at once; retrying a refused token changes nothing.
* ``404``/``410`` are answers, not failures: the caller decides (usually "deleted").

Platforms that speak their errors in the body rather than the status (Graph API's error codes,
YouTube's ``reason``) give :class:`~.policy.HttpRules`: ``classify`` turns a failed response into a
:class:`Throttle` (wait, then try again, as for a 429), a :class:`Backoff` (as for a 5xx) or an
error to raise; ``pause_after`` reads usage headers of any response and says how long to wait
before the next request (Graph's ``X-App-Usage``). Where the credential travels as a query
parameter (YouTube's ``key``), ``token_param`` names it; it is added for the token's origin
only, like the ``Authorization`` header otherwise.

Every response received, failures included, is handed to the recorder (the run's WARC writer)
before anything else looks at it, so the archive holds the evidence of what each night saw.
Credentials go only to the origin they belong to; redirects to another host lose them.

Nothing a server sends can hold the night: every exchange has a total deadline (connecting,
headers and body together, :mod:`.deadline`), a body is read up to ``max_body_bytes`` and
decoded up to ``max_decoded_bytes`` (:mod:`archive_lib.content_coding`, the same decoder the
WARC writer's secret scan uses), the account's night makes at most ``max_requests`` requests
and lasts at most ``max_night_seconds`` (waits for rate limits and backoff included),
and a listing that offers a next page it offered before is a :class:`PaginationLoopError`
(:class:`~.pages.PageTrail`). A body cut off by a limit, the deadline or a broken connection is still
recorded, marked ``WARC-Truncated``, before the error is raised. Text quoted from responses
in errors and log lines passes through ``scrub`` (the run's redactor) first.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
import tempfile
from collections.abc import Callable, Mapping
from typing import IO
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from archive_lib.clock import Clock
from archive_lib.connectors import deadline
from archive_lib.connectors.policy import Backoff, HttpPolicy, HttpRules, Throttle, user_agent
from archive_lib.connectors.response import Response, error_text, reset_wait, retry_after, short_url
from archive_lib.content_coding import ACCEPT_ENCODING
from archive_lib.errors import (
    ArchiveError,
    AuthError,
    BodyTooLargeError,
    BudgetExhaustedError,
    PlatformError,
    ProtocolError,
    RateLimitedError,
    TransientPlatformError,
    shown,
)
from archive_lib.models import Exchange, RecordRef
from archive_lib.warc.redact import MARK, SECRET_PARAMS

log = logging.getLogger(__name__)
_SECRET_IN_URL = re.compile(r"(?i)\b(" + "|".join(sorted(SECRET_PARAMS)) + r")=[^&\s\"']+")


class _NoSecretsInUrls(logging.Filter):
    """urllib3 logs each request's URL at DEBUG; platforms that take the token as a query
    parameter (Graph's ``access_token``, YouTube's ``key``) would have it in that line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _SECRET_IN_URL.sub(lambda m: f"{m.group(1)}={MARK}", message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_NoSecretsInUrls())

Recorder = Callable[[Exchange], RecordRef]
SPOOL_BYTES = 8 * 1024 * 1024
READ_BYTES = 64 * 1024
_FOREVER = 1e8  # seconds: any wait a server names is cut to this before date arithmetic (about 3 years)


class HttpClient:
    """GET with the archive's retry, rate-limit and recording rules. One per account and run."""

    def __init__(
        self,
        record: Recorder,
        *,
        clock: Clock,
        agent: str | None = None,
        policy: HttpPolicy | None = None,
        token: str | None = None,
        token_origin: str | None = None,
        pool: urllib3.PoolManager | None = None,
        rng: random.Random | None = None,
        rules: HttpRules | None = None,
        scrub: Callable[[str], str] | None = None,
    ) -> None:
        self._record = record
        self._clock = clock
        self._agent = agent or user_agent()
        self._policy = policy or HttpPolicy()
        self._token = token
        self._token_origin = _origin(token_origin) if token_origin else None
        self._pool = pool or deadline.pool_manager(num_pools=4, maxsize=2)
        self._rng = rng or random.Random()  # noqa: S311 -- backoff jitter, not a secret
        self._resume_at: dt.datetime | None = None
        self._rules = rules or HttpRules()
        self._scrub = scrub or (lambda text: text.replace(token, MARK) if token else text)
        self.requests = 0  # exchanges received and recorded
        self.usage_percent: float | None = None  # the platform's budget in use, where it says
        self._last_record: RecordRef | None = None
        self.sent = 0  # requests sent, answered or not: what the budget counts
        self._ends_at = clock.now() + dt.timedelta(seconds=min(self._policy.max_night_seconds, _FOREVER))

    def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        accept: str = "application/json",
        allow: tuple[int, ...] = (404, 410),
        token_as: str | None = None,
    ) -> Response:
        """GET ``url``; returns 2xx responses and those whose status is in ``allow``.

        ``token_as`` also sends the token as that query parameter (for the token's origin only):
        Graph's ``debug_token`` asks for the token it inspects as ``input_token``. A
        :class:`~archive_lib.errors.PlatformError` raised carries, as ``record``, the last
        response received for this request, where there was one.
        """
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
        before = self._last_record
        try:
            return self._get(sendable(url), accept, allow, token_as)
        except PlatformError as exc:
            if exc.record is None and self._last_record is not before:
                exc.record = self._last_record
            raise

    def _get(self, url: str, accept: str, allow: tuple[int, ...], token_as: str | None) -> Response:
        attempt = rate_waits = redirects = 0
        while True:
            self._wait_for_reset(url)
            self._within_the_night(url)
            if self.sent >= self._policy.max_requests:
                raise BudgetExhaustedError(
                    f"this night's {self._policy.max_requests} requests for the account are spent;"
                    f" not sent: {short_url(url)}"
                )
            try:
                response = self._send(url, accept, token_as)
            except _Interrupted as exc:
                attempt += 1
                self._backoff(url, attempt, exc.reason)
                continue
            except (Urllib3Error, OSError) as exc:
                attempt += 1
                self._backoff(url, attempt, f"{type(exc).__name__}: {exc}")
                continue
            status = response.status
            self._note_rate_limit(response)
            if 200 <= status < 300 or status in allow:
                return response
            verdict = self._rules.classify(response) if self._rules.classify else None
            if isinstance(verdict, ArchiveError):
                raise verdict
            if isinstance(verdict, Throttle):
                rate_waits += 1
                self._throttled(url, verdict, rate_waits)
                continue
            if isinstance(verdict, Backoff):
                attempt += 1
                self._backoff(url, attempt, verdict.reason)
                continue
            if status in (301, 302, 303, 307, 308) and response.header("Location"):
                redirects += 1
                if redirects > self._policy.max_redirects:
                    raise ProtocolError(f"{short_url(url)}: more than {self._policy.max_redirects} redirects")
                url = sendable(urljoin(url, response.header("Location") or ""))
                continue
            if status == 429:
                rate_waits += 1
                self._rate_limited(url, response, rate_waits)
                continue
            if status in (401, 403):
                raise AuthError(f"HTTP {status} from {short_url(url)}: {self._error_text(response)}")
            if status >= 500 or status == 408:
                attempt += 1
                self._backoff(url, attempt, f"HTTP {status}: {self._error_text(response)}")
                continue
            raise ProtocolError(f"HTTP {status} from {short_url(url)}: {self._error_text(response)}")

    def _error_text(self, response: Response) -> str:
        """What the server said went wrong, short, with any credential replaced."""
        return self._scrub(error_text(response))

    def _send(self, url: str, accept: str, token_as: str | None = None) -> Response:
        headers = {
            "User-Agent": self._agent,
            "Accept": accept,
            "Accept-Encoding": ACCEPT_ENCODING,
        }
        if self._token and self._token_origin == _origin(url):
            if self._rules.token_param:
                url = _with_param(url, self._rules.token_param, self._token)
            else:
                headers["Authorization"] = f"Bearer {self._token}"
            if token_as:
                url = _with_param(url, token_as, self._token)
        policy = self._policy
        sent_at = self._clock.now()
        self.sent += 1
        body: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 -- handed to the Response
        truncated: str | None = None
        try:
            with deadline.watch(policy.request_deadline) as watch:
                try:
                    raw = self._pool.request(
                        "GET",
                        url,
                        headers=headers,
                        preload_content=False,
                        decode_content=False,
                        redirect=False,
                        retries=False,
                        timeout=urllib3.Timeout(connect=policy.connect_timeout, read=policy.read_timeout),
                    )
                except (Urllib3Error, OSError) as exc:
                    if watch.expired:
                        reason = f"no answer within the {policy.request_deadline:.0f} s deadline"
                        raise _Interrupted(reason) from exc
                    raise
                try:
                    peer_ip = _peer_ip(raw)
                    length, truncated = self._read_body(raw, body, policy.max_body_bytes)
                except (Urllib3Error, OSError):
                    length, truncated = body.tell(), ("time" if watch.expired else "disconnect")
                if watch.expired and not truncated:
                    # A cut socket reads as the end: of a body without a length, or of the headers.
                    truncated = "time"
                received_at = self._clock.now()
                if truncated:
                    raw.close()  # the connection is in an unknown state: never reuse it
                raw.release_conn()
        except BaseException:
            body.close()
            raise
        body.seek(0)
        exchange = Exchange(
            method="GET",
            url=url,
            request_headers=tuple(headers.items()),
            http_version=_http_version(raw.version),
            status=raw.status,
            reason=raw.reason or "",
            response_headers=tuple(_header_items(raw)),
            body=body,  # type: ignore[arg-type]
            body_length=length,
            sent_at=sent_at,
            received_at=received_at,
            peer_ip=peer_ip,
            truncated=truncated,
        )
        self.requests += 1
        record = self._last_record = self._record(exchange)
        if truncated == "length":
            raise BodyTooLargeError(
                f"{short_url(url)}: the body is larger than {policy.max_body_bytes} bytes"
            )
        if truncated == "time":
            raise _Interrupted(f"the exchange outlasted the {policy.request_deadline:.0f} s deadline")
        if truncated:
            raise _Interrupted(f"the connection broke after {length} bytes of the body")
        return Response(exchange, record, policy.max_decoded_bytes)

    @staticmethod
    def _read_body(raw: urllib3.BaseHTTPResponse, body: IO[bytes], limit: int) -> tuple[int, str | None]:
        """Copy the body as received into ``body``, at most ``limit`` bytes; and whether it was cut."""
        length = 0
        while chunk := raw.read1(READ_BYTES, decode_content=False):
            if length + len(chunk) > limit:
                body.write(chunk[: limit - length])
                return limit, "length"
            body.write(chunk)
            length += len(chunk)
        return length, None

    def wait(self, seconds: float, before: str) -> None:
        """Wait ``seconds`` before asking ``before`` again, as a platform asks outside the retry
        rules (Mastodon's async refresh); like every wait here, within the account's night."""
        self._sleep(before, seconds)

    def _within_the_night(self, url: str) -> None:
        if self._clock.now() >= self._ends_at:
            raise BudgetExhaustedError(
                f"this night's {self._policy.max_night_seconds:.0f} s for the account are spent;"
                f" not sent: {short_url(url)}"
            )

    def _sleep(self, url: str, seconds: float) -> None:
        """Wait, unless the wait would outlast the account's night (then it is over now)."""
        if self._clock.now() + dt.timedelta(seconds=min(seconds, _FOREVER)) > self._ends_at:
            raise BudgetExhaustedError(
                f"waiting {seconds:.0f} s before {short_url(url)} would outlast this night's"
                f" {self._policy.max_night_seconds:.0f} s for the account"
            )
        self._clock.sleep(seconds)

    def _wait_for_reset(self, url: str) -> None:
        if self._resume_at is None:
            return
        wait = (self._resume_at - self._clock.now()).total_seconds()
        self._resume_at = None
        if wait <= 0:
            return
        if wait > self._policy.max_rate_wait:
            raise RateLimitedError(
                f"{short_url(url)}: rate limit exhausted; it resets in {wait:.0f} s, "
                f"longer than the {self._policy.max_rate_wait:.0f} s we wait"
            )
        log.info("rate limit exhausted; waiting %.1f s for the reset before %s", wait, short_url(url))
        self._sleep(url, wait)

    def _note_rate_limit(self, response: Response) -> None:
        if self._rules.usage is not None:
            used = self._rules.usage(response)
            if used is not None:
                self.usage_percent = used
        if self._rules.pause_after is not None:
            pause = self._rules.pause_after(response)
            if pause is not None and pause > 0:
                resume = self._clock.now() + dt.timedelta(seconds=min(pause, _FOREVER))
                self._resume_at = max(resume, self._resume_at) if self._resume_at else resume
        remaining = response.header("X-RateLimit-Remaining") or response.header("RateLimit-Remaining")
        if remaining is None or response.status == 429:
            return
        try:
            left = int(float(remaining))
        except (ValueError, OverflowError):
            return
        if left <= 0:
            wait = reset_wait(response, self._clock.now())
            if wait is not None:
                wait = min(wait + self._policy.reset_margin, _FOREVER)
                self._resume_at = self._clock.now() + dt.timedelta(seconds=wait)

    def _rate_limited(self, url: str, response: Response, count: int) -> None:
        policy = self._policy
        wait = retry_after(response, self._clock.now())
        if wait is None:
            wait = reset_wait(response, self._clock.now())
        if wait is None:
            wait = min(policy.backoff_base * 2**count, policy.backoff_max)
        wait += policy.reset_margin
        if count > policy.max_rate_retries or wait > policy.max_rate_wait:
            raise RateLimitedError(
                f"{short_url(url)}: rate limited (HTTP 429); the limit resets in {wait:.0f} s, "
                f"beyond the {policy.max_rate_wait:.0f} s this run waits"
            )
        log.warning("HTTP 429 from %s; waiting %.1f s as the server asks", short_url(url), wait)
        self._sleep(url, wait)

    def _throttled(self, url: str, verdict: Throttle, count: int) -> None:
        policy = self._policy
        wait = verdict.wait
        if wait is None:
            wait = min(policy.backoff_base * 2**count, policy.backoff_max)
        wait += policy.reset_margin
        if count > policy.max_rate_retries or wait > policy.max_rate_wait:
            raise RateLimitedError(
                f"{short_url(url)}: throttled ({self._scrub(verdict.reason)}); "
                f"waiting {wait:.0f} s is beyond the {policy.max_rate_wait:.0f} s this run waits"
            )
        log.warning("%s from %s; waiting %.1f s", self._scrub(verdict.reason), short_url(url), wait)
        self._sleep(url, wait)

    def _backoff(self, url: str, attempt: int, reason: str) -> None:
        policy = self._policy
        if attempt >= policy.max_attempts:
            raise TransientPlatformError(
                f"{short_url(url)}: gave up after {attempt} attempts; last: {self._scrub(reason)}"
            )
        wait = min(policy.backoff_base * 2 ** (attempt - 1), policy.backoff_max)
        wait *= 0.5 + self._rng.random() / 2
        log.warning(
            "%s from %s; attempt %d of %d, retrying in %.1f s",
            self._scrub(reason),
            short_url(url),
            attempt,
            policy.max_attempts,
            wait,
        )
        self._sleep(url, wait)


_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"  # the characters a URL keeps as they are (RFC 3986)


def sendable(url: str) -> str:
    """``url`` as it goes over the wire and into the WARC record: ASCII only.

    Platforms hand out URLs with spaces, control characters or letters like ö in them (a next
    page, an attachment): those are percent-encoded (an existing ``%XX`` is kept), and a
    non-ASCII host name becomes its IDNA form. Anything that is no http(s) URL with a host is a
    :class:`ProtocolError`: asking again would not help.
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            raise ValueError("not an http(s) URL with a host")
        if not host.isascii():
            ascii_host = host.encode("idna").decode("ascii")
            parts = parts._replace(netloc=parts.netloc.replace(host, ascii_host))
        return quote(urlunsplit(parts), safe=_URL_SAFE)
    except (ValueError, UnicodeError) as exc:
        raise ProtocolError(f"cannot request {shown(url)}: {exc}") from None


class _Interrupted(Exception):
    """An exchange that ended early in a way a later attempt may not (deadline, broken connection)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    if any(k == name for k, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url  # a next-page URL that already carries it
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({name: value})))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _http_version(version: int) -> str:
    return {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}.get(version, "HTTP/1.1")


def _header_items(raw: urllib3.BaseHTTPResponse) -> list[tuple[str, str]]:
    original = getattr(raw, "_original_response", None)
    if original is not None and hasattr(original, "msg"):
        # http.client keeps the headers as they came: names' case, order and repeats intact.
        return [(str(k), str(v)) for k, v in original.msg.items()]
    return [(str(k), str(v)) for k, v in raw.headers.items()]


def _peer_ip(raw: urllib3.BaseHTTPResponse) -> str | None:
    try:
        sock = raw.connection.sock if raw.connection else None  # type: ignore[attr-defined]
        return str(sock.getpeername()[0]) if sock else None
    except (AttributeError, OSError):
        return None
