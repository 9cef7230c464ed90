"""Writing HTTP exchanges as WARC records, rolling files and handing each finished file to the store.

Every exchange becomes a ``response`` record followed by its ``request`` record (linked by
``WARC-Concurrent-To``), each gzip-compressed on its own so a pointer (key, offset, length)
opens one record without reading the file. Each file starts with a ``warcinfo`` record saying
which software, version, account and run made it. Every record carries ``WARC-Block-Digest``
and ``WARC-Payload-Digest`` (SHA-256).

The response is stored as it came over the wire: status line, headers and entity body (still
gzip-compressed when the server compressed it). Only the framing is normalised: a body that
arrived chunked is stored whole, with ``Content-Length`` set and the original
``Transfer-Encoding`` kept as ``X-Archive-Orig-Transfer-Encoding`` (pywb's convention), so every
WARC reader replays it. A body the client stopped reading is stored as far as it came, with
``WARC-Truncated`` saying why (``length``, ``time``, ``disconnect``).

Credentials are redacted first (see :mod:`.redact`). When the run holds a secret, every body is
searched for it both as received and decoded, through the same decoder the HTTP client reads
with (:mod:`archive_lib.content_coding`): every gzip member, zlib or raw deflate, stacked
codings. A body that holds the secret either way is stored decoded with the secret replaced; a
body that cannot be decoded to be searched (corrupt, an unknown coding, too large once
decoded) is withheld: the record keeps the status and headers, an empty body,
``WARC-Truncated: unspecified`` and ``X-Archive-Withheld`` saying why.

The writer knows nothing of where bytes end up: it hands each finished file to the :class:`Sink` it
is given (an :class:`~archive_lib.storage.base.ObjectStore` is one) and keeps what the sink returns.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, BinaryIO, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from archive_lib.clock import IdFactory
from archive_lib.content_coding import DEFAULT_LIMIT, TooLargeError, UndecodableError, codings, decoded_chunks
from archive_lib.inert import terminal_text
from archive_lib.models import Exchange, RecordRef
from archive_lib.retention_classes import ObjectRetention
from archive_lib.warc.redact import Redactor

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 256 * 1024 * 1024
_HOP_BY_HOP = "transfer-encoding"


class _Sha256WARCWriter(WARCWriter):  # type: ignore[misc]
    """warcio's writer with SHA-256 digests instead of SHA-1."""

    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def sha256_digest(data: bytes) -> str:
    """A WARC digest value (``sha256:BASE32``) for ``data``."""
    digester = Digester("sha256")
    digester.update(data)
    return str(digester)


class Stored(Protocol):
    """What a sink says of a file it took: at least its size."""

    @property
    def size(self) -> int: ...


StoredT = TypeVar("StoredT", bound=Stored)
StoredT_co = TypeVar("StoredT_co", bound=Stored, covariant=True)


class Sink(Protocol[StoredT_co]):
    """Where finished WARC files go: one create-only put per file, with its retention and tags."""

    def put(
        self, key: str, data: BinaryIO, *, retention: ObjectRetention, tags: Mapping[str, str]
    ) -> StoredT_co: ...


class WarcRecorder(Generic[StoredT]):
    """Writes exchanges into WARC files of at most ``max_bytes`` and stores each finished file.

    ``key_for(n)`` names the n-th file (1-based). Files are assembled in anonymous temporary
    files and written to the store in one create-only put when they roll or on :meth:`flush`.
    """

    def __init__(
        self,
        store: Sink[StoredT],
        *,
        key_for: Callable[[int], str],
        warcinfo: Mapping[str, str],
        retention: ObjectRetention,
        tags: Mapping[str, str],
        redactor: Redactor,
        ids: IdFactory,
        now: Callable[[], dt.datetime],
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_decoded_bytes: int = DEFAULT_LIMIT,
    ) -> None:
        self._store = store
        self._key_for = key_for
        self._warcinfo = dict(warcinfo)
        self._retention = retention
        self._tags = dict(tags)
        self._redactor = redactor
        self._ids = ids
        self._now = now
        self._max_bytes = max_bytes
        self._max_decoded = max_decoded_bytes
        self._seq = 0
        self._file: IO[bytes] | None = None
        self._writer: _Sha256WARCWriter | None = None
        self._key: str | None = None
        self._records_in_file = 0
        self.stored: list[StoredT] = []

    @property
    def pending(self) -> bool:
        """Whether records are waiting in a file not yet stored."""
        return self._records_in_file > 0

    def record(self, exchange: Exchange) -> RecordRef:
        """Write ``exchange`` and return the pointer to its response record."""
        if self._file is None:
            self._open()
        assert self._file is not None and self._writer is not None and self._key is not None
        url = self._redactor.url(exchange.url)
        response_id = self._ids.record_id()
        response = self._response_record(exchange, url, response_id)
        request = self._request_record(exchange, url, response_id)
        offset = self._file.tell()
        self._writer.write_record(response)
        length = self._file.tell() - offset
        self._writer.write_record(request)
        self._records_in_file += 1
        ref = RecordRef(
            warc_key=self._key,
            offset=offset,
            length=length,
            record_id=response_id,
            target_uri=url,
            date=exchange.received_at,
            status=exchange.status,
        )
        if self._file.tell() >= self._max_bytes:
            self.flush()
        return ref

    def record_received(
        self,
        *,
        record_type: str,
        url: str,
        payload: bytes,
        received_at: dt.datetime,
        content_type: str,
        method: str = "POST",
        headers: Sequence[tuple[str, str]] = (),
        peer_ip: str | None = None,
    ) -> RecordRef:
        """Write something a platform pushed to the archive, as it was received.

        ``record_type`` ``request``: an HTTP request a platform made to us (a webhook delivery),
        stored with its method, target, headers and body; ``resource``: one message of a stream
        the archive holds open (a server-sent event, a websocket message), stored with
        ``content_type``. Credentials in the URL and headers are redacted as in every record, and
        a known secret in the body is replaced. Returns the pointer to the record.
        """
        if record_type not in ("request", "resource"):
            raise ValueError(f"record_type must be 'request' or 'resource', not {record_type!r}")
        if self._file is None:
            self._open()
        assert self._file is not None and self._writer is not None and self._key is not None
        clean_url = self._redactor.url(url)
        body = self._redactor.body(payload) if self._redactor.hunting else payload
        record_id = self._ids.record_id()
        warc_headers = {"WARC-Record-ID": record_id, "WARC-Date": _warc_date(received_at)}
        if peer_ip:
            warc_headers["WARC-IP-Address"] = peer_ip
        http_headers = None
        if record_type == "request":
            parts = urlsplit(clean_url)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            kept = [(n, v) for n, v in self._redactor.headers(headers) if n.lower() != "content-length"]
            kept = [(f"X-Archive-Orig-{n}", v) if n.lower() == _HOP_BY_HOP else (n, v) for n, v in kept]
            kept.append(("Content-Length", str(len(body))))
            http_headers = StatusAndHeaders(f"{method} {target} HTTP/1.1", kept, is_http_request=True)
            headers_text = str(http_headers).encode("utf-8", "replace")
            self._redactor.ensure_clean(headers_text, f"the delivery to {url}")
        offset = self._file.tell()
        record = self._writer.create_warc_record(
            clean_url,
            record_type,
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_content_type="" if http_headers is not None else content_type,
            warc_headers_dict=warc_headers,
        )
        self._writer.write_record(record)
        length = self._file.tell() - offset
        self._records_in_file += 1
        ref = RecordRef(
            warc_key=self._key,
            offset=offset,
            length=length,
            record_id=record_id,
            target_uri=clean_url,
            date=received_at,
            status=200,
        )
        if self._file.tell() >= self._max_bytes:
            self.flush()
        return ref

    def flush(self) -> StoredT | None:
        """Store the current file if it holds any exchange; the next record starts a new file."""
        if self._file is None:
            return None
        handle, key, count = self._file, self._key, self._records_in_file
        self._file = self._writer = self._key = None
        self._records_in_file = 0
        try:
            if not count:
                return None
            assert key is not None
            handle.flush()
            handle.seek(0)
            stored = self._store.put(key, handle, retention=self._retention, tags=self._tags)  # type: ignore[arg-type]
            self.stored.append(stored)
            log.info("stored %s (%d exchanges, %d bytes)", key, count, stored.size, extra={"key": key})
            return stored
        finally:
            handle.close()

    def close(self) -> None:
        """Discard an unstored file without storing it (used when a run is abandoned)."""
        if self._file is not None:
            self._file.close()
        self._file = self._writer = self._key = None
        self._records_in_file = 0

    def _open(self) -> None:
        self._seq += 1
        self._key = self._key_for(self._seq)
        self._file = tempfile.TemporaryFile(prefix="warc-")  # noqa: SIM115 -- lives until flush()
        self._writer = _Sha256WARCWriter(self._file, gzip=True, warc_version="1.1")
        self._writer.write_record(self._warcinfo_record(self._key.rsplit("/", 1)[-1]))

    def _warcinfo_record(self, filename: str) -> object:
        assert self._writer is not None
        fields = {
            **self._warcinfo,
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        }
        # Each field is one line: a line break in a value (an inventory's handle, say) would start
        # a field of its own, so control characters are written as escapes instead.
        body = "".join(
            f"{terminal_text(name)}: {terminal_text(value)}\r\n"
            for name, value in fields.items()
            if value
        ).encode()
        self._redactor.ensure_clean(body, "a warcinfo record")
        headers = {
            "WARC-Record-ID": self._ids.record_id(),
            "WARC-Date": _warc_date(self._now()),
            "WARC-Filename": filename,
            "WARC-Payload-Digest": sha256_digest(body),
        }
        return self._writer.create_warc_record(
            "",
            "warcinfo",
            payload=io.BytesIO(body),
            length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict=headers,
        )

    def _response_record(self, exchange: Exchange, url: str, record_id: str) -> object:
        assert self._writer is not None
        headers = self._redactor.headers(exchange.response_headers)
        body, length, headers, withheld = self._clean_body(exchange, headers, url)
        headers = _fix_framing(headers, length)
        reason = self._redactor.text(exchange.reason)  # a server may say anything there, a token too
        status = StatusAndHeaders(
            f"{exchange.status} {reason}".strip(), headers, protocol=exchange.http_version
        )
        self._redactor.ensure_clean(str(status).encode("utf-8", "replace"), f"the response headers of {url}")
        warc_headers = {"WARC-Record-ID": record_id, "WARC-Date": _warc_date(exchange.received_at)}
        if exchange.peer_ip:
            warc_headers["WARC-IP-Address"] = exchange.peer_ip
        if withheld:
            warc_headers["WARC-Truncated"] = "unspecified"
        elif exchange.truncated:
            warc_headers["WARC-Truncated"] = exchange.truncated
        return self._writer.create_warc_record(
            url,
            "response",
            payload=body,
            length=length,
            http_headers=status,
            warc_headers_dict=warc_headers,
        )

    def _clean_body(
        self, exchange: Exchange, headers: list[tuple[str, str]], url: str
    ) -> tuple[BinaryIO, int, list[tuple[str, str]], bool]:
        """The body to store, its length, the headers that describe it, and whether it was withheld."""
        body: BinaryIO = exchange.body
        body.seek(0)
        if not self._redactor.hunting:
            return body, exchange.body_length, headers, False
        # The original coding and length no longer describe a body stored otherwise: they are kept
        # as X-Archive-Orig-*, and _fix_framing sets the Content-Length of what is stored.
        changed = ("content-encoding", "content-length")
        renamed = [(f"X-Archive-Orig-{n}", v) if n.lower() in changed else (n, v) for n, v in headers]
        try:
            applied = codings(_content_encoding(exchange.response_headers))
            found = self._redactor.find_in_chunks(_chunks(body))
            if applied:
                body.seek(0)
                stream = decoded_chunks(_chunks(body), applied, self._max_decoded)
                found = self._redactor.find_in_chunks(stream) or found
        except (UndecodableError, TooLargeError) as exc:
            log.warning("the body of %s was withheld: it cannot be searched for secrets (%s)", url, exc)
            reason = f"the body could not be decoded to be searched for secrets: {exc}"
            return io.BytesIO(b""), 0, [*renamed, ("X-Archive-Withheld", reason)], True
        finally:
            body.seek(0)
        if not found:
            return body, exchange.body_length, headers, False
        # A platform echoed a secret in its body (Graph API does, in paging links): store the
        # decoded body with the secret replaced rather than the original bytes.
        log.info("a secret in the response body of %s was redacted", url)  # expected of Graph
        decoded = b"".join(decoded_chunks(_chunks(body), applied, self._max_decoded))
        body.seek(0)
        clean = self._redactor.body(decoded)
        return io.BytesIO(clean), len(clean), renamed, False

    def _request_record(self, exchange: Exchange, url: str, response_id: str) -> object:
        assert self._writer is not None
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = self._redactor.headers(exchange.request_headers)
        if not any(name.lower() == "host" for name, _ in headers):
            headers.insert(0, ("Host", parts.netloc))
        status = StatusAndHeaders(
            f"{exchange.method} {target} {exchange.http_version}", headers, is_http_request=True
        )
        self._redactor.ensure_clean(str(status).encode("utf-8", "replace"), f"the request to {url}")
        warc_headers = {
            "WARC-Record-ID": self._ids.record_id(),
            "WARC-Date": _warc_date(exchange.sent_at),
            "WARC-Concurrent-To": response_id,
        }
        return self._writer.create_warc_record(
            url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=status,
            warc_headers_dict=warc_headers,
        )


def _fix_framing(headers: list[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    """Headers consistent with a body of ``length`` bytes stored whole (no chunking)."""
    chunked = any(n.lower() == _HOP_BY_HOP for n, _ in headers)
    if not chunked:
        if not any(n.lower() == "content-length" for n, _ in headers):
            headers = [*headers, ("Content-Length", str(length))]
        return headers
    out = [
        (f"X-Archive-Orig-{n}", v) if n.lower() == _HOP_BY_HOP else (n, v)
        for n, v in headers
        if n.lower() != "content-length"
    ]
    out.append(("Content-Length", str(length)))
    return out


def _chunks(body: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while chunk := body.read(size):
        yield chunk


def _content_encoding(headers: Sequence[tuple[str, str]]) -> str:
    return ", ".join(v for n, v in headers if n.lower() == "content-encoding")


def _warc_date(moment: dt.datetime) -> str:
    return str(datetime_to_iso_date(moment.astimezone(dt.UTC).replace(tzinfo=None), use_micros=True))
