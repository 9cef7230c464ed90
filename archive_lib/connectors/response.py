"""A response as the HTTP door received and recorded it, and what its headers say.

:class:`Response` gives the status, headers, the WARC pointer and the body with its content
codings undone (bounded); the functions below read what a server says in its headers and error
bodies: its clock (``Date``), how long to wait (``Retry-After``, the rate-limit reset) and the
error text worth quoting.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from archive_lib.clock import parse_utc
from archive_lib.content_coding import DEFAULT_LIMIT, TooLargeError, UndecodableError, codings, decoded_chunks
from archive_lib.errors import BodyTooLargeError, ProtocolError
from archive_lib.models import Exchange, RecordRef

_LAST_EPOCH = 253402300799.0  # 9999-12-31T23:59:59Z
_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")
_REL = re.compile(r'rel\s*=\s*"?([^";]+)"?', re.I)


class Response:
    """A received response: its status, headers, the WARC pointer to it, and its body."""

    def __init__(
        self, exchange: Exchange, record: RecordRef, max_decoded_bytes: int = DEFAULT_LIMIT
    ) -> None:
        self.exchange = exchange
        self.record = record
        self.status = exchange.status
        self.url = exchange.url
        self._limit = max_decoded_bytes
        self._content: bytes | None = None

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.exchange.response_headers:
            if key.lower() == lower:
                return value
        return None

    @property
    def content(self) -> bytes:
        """The entity body with its content codings undone (see :mod:`archive_lib.content_coding`)."""
        if self._content is None:
            if self.exchange.truncated:
                raise ProtocolError(f"{self.where}: the body was cut short ({self.exchange.truncated})")
            body = self.exchange.body
            body.seek(0)
            try:
                applied = codings(self.header("Content-Encoding"))
                data = b"".join(decoded_chunks(_read_chunks(body), applied, self._limit))
            except TooLargeError as exc:
                raise BodyTooLargeError(f"{self.where}: {exc}") from exc
            except UndecodableError as exc:
                raise ProtocolError(f"{self.where}: {exc}") from exc
            finally:
                body.seek(0)
            self._content = data
        return self._content

    @property
    def where(self) -> str:
        """The URL without its query (which may carry a credential): safe to put in a message."""
        return short_url(self.url)

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object; anything else is a :class:`ProtocolError`."""
        data = self.json()
        if not isinstance(data, dict):
            raise ProtocolError(f"{self.where}: expected a JSON object")
        return data

    def json(self) -> Any:
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested past any real API body
            kind = self.header("Content-Type") or "no content type"
            raise ProtocolError(
                f"{self.where}: expected JSON, got {len(self.content)} bytes of {kind[:60]!r}"
            ) from exc

    def links(self) -> dict[str, str]:
        """The RFC 8288 ``Link`` header as ``{rel: absolute URL}``."""
        value = self.header("Link")
        out: dict[str, str] = {}
        if not value:
            return out
        for match in _LINK.finditer(value):
            target, params = match.group(1), match.group(2)
            for rel in _REL.findall(params):
                for name in rel.split():
                    out.setdefault(name.lower(), urljoin(self.url, target))
        return out


def _read_chunks(body: IO[bytes], size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := body.read(size):
        yield chunk


def short_url(url: str) -> str:
    """``url`` without its query (which may carry a credential): safe to quote."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def error_text(response: Response) -> str:
    """What an error response says of itself, as short text (not yet scrubbed of secrets)."""
    try:
        data = response.json()
    except ProtocolError:
        try:
            text = response.content[:200].decode("utf-8", "replace").strip()
        except ProtocolError:  # an error page that cannot be decoded (or is too large) says no more
            text = ""
        return text or response.exchange.reason
    if isinstance(data, dict):
        for key in ("error_description", "error", "message", "detail"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])
    return json.dumps(data)[:200]


def server_now(response: Response, fallback: dt.datetime) -> dt.datetime:
    """The server's clock by its ``Date`` header; ``fallback`` without one."""
    value = response.header("Date")
    if value:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except (TypeError, ValueError):
            pass
    return fallback


def retry_after(response: Response, now: dt.datetime) -> float | None:
    """Seconds ``Retry-After`` asks for (seconds or a date, by the server's clock)."""
    value = (response.header("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - server_now(response, now)).total_seconds())


def reset_wait(response: Response, now: dt.datetime) -> float | None:
    """Seconds until the rate limit resets, by the server's clock."""
    server_clock = server_now(response, now)
    value = response.header("X-RateLimit-Reset")
    if value is None:
        value = response.header("RateLimit-Reset")  # IETF draft: seconds; Bluesky: an epoch
        if value is None or not value.strip().isdigit():
            return None
    value = value.strip()
    try:
        if re.fullmatch(r"\d+(\.\d+)?", value):
            number = float(value)
            if number < 1e9:  # small numbers are a delta, as some servers send
                return number
            reset = dt.datetime.fromtimestamp(min(number, _LAST_EPOCH), dt.UTC)
        else:
            reset = parse_utc(value)
    except ValueError:
        return None
    return max(0.0, (reset - server_clock).total_seconds())
