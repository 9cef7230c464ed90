"""Verifying a whole WARC file in one streaming pass: its SHA-256 and every record's digests.

The audit's fixity check needs, for each stored WARC file, the SHA-256 of the whole object and
every record's ``WARC-Block-Digest`` and ``WARC-Payload-Digest`` checked, with each record's
place in the file (to resolve the Parquet pointers). :func:`verify_warc` does both while reading
the file once, chunk by chunk: the bytes feed the file's hash and, gzip member by member, a
record parser that hashes each record's block and payload as they stream past. Nothing larger
than a chunk, a record's headers or a step of inflated content is held at once.

It reads records exactly as warcio does for the archive's own files (one record per gzip
member, WARC/1.0 or 1.1 headers, HTTP headers of ``response`` and ``request`` records with an
``http(s)`` target, digests in base32 or hex), and answers only when every digest it checks
holds. Whenever a file is anything else, or a digest fails, it answers ``None``: the caller then
reads the file with warcio (:func:`archive_lib.warc.reader.iter_records`), whose verdict and
words are the reference. So the findings do not depend on which path read the file.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import pickle
import struct
import sys
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from archive_lib.warc.reader import Stream, WarcRecord, iter_records

CHUNK = 1 << 20
_STEP = 1 << 20  # inflated bytes handled at once
_MAX_HEAD = 1 << 16  # WARC headers larger than this are left to warcio
_MAX_HTTP_HEAD = 1 << 20  # so are HTTP headers larger than this
_WARC_VERSIONS = (b"WARC/1.0\r\n", b"WARC/1.1\r\n")
_HTTP_RECORDS = (b"response", b"request")
_STATUS = (b"HTTP/1.0", b"HTTP/1.1")
_VERBS = (b"GET", b"HEAD", b"POST", b"PUT", b"DELETE", b"TRACE", b"OPTIONS", b"CONNECT", b"PATCH")
_END = b"\r\n\r\n"
_ALGORITHMS = {"sha1", "sha256", "sha512", "md5"}
_HEADER_BYTES = bytes(range(0x20, 0x7F)) + b"\t\r\n"
_VISIBLE = bytes(range(0x21, 0x7F))
_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BASE32_DIGITS = str.maketrans(_BASE32, "0123456789abcdefghijklmnopqrstuv")
_NOT_BASE32 = str.maketrans("", "", _BASE32)


@dataclass(frozen=True, slots=True)
class VerifiedWarc:
    """A WARC file whose every record's digests held."""

    size: int
    sha256: str
    records: tuple[WarcRecord, ...]


@dataclass(frozen=True, slots=True)
class WarcCheck:
    """What reading a whole WARC file found: its size and SHA-256, every record read (with what
    its digests said), and, when reading stopped at damage, why (``"ErrorType: message"``)."""

    size: int
    sha256: str
    records: tuple[WarcRecord, ...]
    stopped: str | None = None


def check_warc(
    open_stream: Callable[[], AbstractContextManager[BinaryIO]],
    on_record: Callable[[WarcRecord], None] | None = None,
) -> WarcCheck:
    """Read the WARC file ``open_stream`` opens (once, or twice when warcio must decide).

    The fast pass (:func:`verify_warc`) answers for a file whose digests all hold; any other file
    is read again by warcio, record by record, as it always was: a damaged record is reported
    with warcio's words, and reading stops at the first damage warcio cannot read past. What
    ``open_stream`` and the final read raise (the store's errors) is raised.

    ``on_record`` is given every record as it is known, so a caller keeps what was read before
    an error the store raises.
    """
    try:
        with open_stream() as stream:
            fast = verify_warc(stream)
    except Exception:  # a read that fails is read again by the reference path, which decides
        fast = None
    if fast is not None:
        if on_record is not None:
            for record in fast.records:
                on_record(record)
        return WarcCheck(fast.size, fast.sha256, fast.records)
    with open_stream() as stream:
        reader = HashingReader(stream)
        records: list[WarcRecord] = []
        stopped = None
        try:
            for record in iter_records(reader, check_digests=True):
                records.append(record)
                if on_record is not None:
                    on_record(record)
        except Exception as exc:  # warcio and zlib raise many types for a damaged file
            stopped = f"{type(exc).__name__}: {printable(exc)}"
        reader.drain()
    return WarcCheck(reader.size, reader.hexdigest(), tuple(records), stopped)


def check_warc_file(path: str) -> WarcCheck | None:
    """:func:`check_warc` of a local file (in a worker process); ``None`` when it cannot be read
    (the caller reads it through its store, which says why)."""
    try:
        return check_warc(lambda: open(path, "rb"))
    except OSError:
        return None


_LENGTH = struct.Struct(">Q")


def send(stream: IO[bytes], value: object) -> None:
    """Write one value to a worker's pipe (length-prefixed pickle; both ends are this program)."""
    data = pickle.dumps(value)
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def receive(stream: IO[bytes]) -> Any:
    """Read one value :func:`send` wrote; raises EOFError when the other end has gone."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError
    data = stream.read(_LENGTH.unpack(head)[0])
    return pickle.loads(data)  # noqa: S301 (our own worker process, over its own pipe)


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """A worker: read local file paths, answer each with :func:`check_warc_file`, until the
    pipe closes. Run as ``python -m archive_lib.warc.verify`` by the audit's pool."""
    while True:
        try:
            path = receive(requests)
        except EOFError:
            return
        send(answers, check_warc_file(str(path)))


class HashingReader(io.RawIOBase):
    """A stream that hashes and counts what is read through it (warcio asks ``tell()``)."""

    def __init__(self, raw: BinaryIO) -> None:
        super().__init__()
        self._raw = raw
        self._digest = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(len(view))
        view[: len(data)] = data
        self._digest.update(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def drain(self) -> None:
        while self.read(CHUNK):
            pass

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def printable(exc: Exception, limit: int = 160) -> str:
    """An exception's message without the damaged bytes some parsers quote in it."""
    message = str(exc).split(", first line:", 1)[0]  # warcio quotes the damaged line
    text = "".join(c if c.isprintable() and ord(c) < 0x7F else "?" for c in message)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _Doubt(Exception):
    """The file is not one this reader vouches for: leave it to warcio."""


def verify_warc(stream: Stream, chunk: int = CHUNK) -> VerifiedWarc | None:
    """The file's size, SHA-256 and records, when every record's digests hold; ``None`` when the
    file must be read by warcio instead (see the module docstring). The stream is read to its
    end either way."""
    whole = hashlib.sha256()
    size = 0
    doubt = False
    members = _Members()
    while True:
        data = stream.read(chunk)
        if not data:
            break
        whole.update(data)
        size += len(data)
        if not doubt:
            try:
                members.feed(data)
            except (_Doubt, zlib.error):
                doubt = True
    if doubt or not members.finished():
        return None
    return VerifiedWarc(size, whole.hexdigest(), tuple(members.records))


class _Members:
    """Splits compressed bytes into gzip members and hands each member's content to a record."""

    def __init__(self) -> None:
        self.records: list[WarcRecord] = []
        self.position = 0  # compressed bytes consumed
        self.start = 0  # where the current member began
        self.decoder: Any = None
        self.record: _Record | None = None

    def feed(self, data: bytes) -> None:
        while data:
            if self.decoder is None:
                self.decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self.record = _Record()
                self.start = self.position
            assert self.record is not None
            out = self.decoder.decompress(data, _STEP)
            if out:
                self.record.feed(out)
            if self.decoder.eof:
                rest = self.decoder.unused_data
                self.position += len(data) - len(rest)
                self.records.append(self.record.finish(self.start, self.position - self.start))
                self.decoder = None
                data = rest
            else:
                tail = self.decoder.unconsumed_tail
                self.position += len(data) - len(tail)
                data = tail

    def finished(self) -> bool:
        return self.decoder is None and bool(self.records)


class _Record:
    """One WARC record's content, streamed: headers parsed, block and payload hashed."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.headers: dict[str, str] | None = None
        self.remaining = 0  # content bytes still to come
        self.trailer = bytearray()
        self.block: Any = None
        self.payload: Any = None
        self.http_head: bytearray | None = None  # collecting a request's or response's HTTP headers

    def feed(self, data: bytes) -> None:
        if self.headers is None:
            self.head += data
            end = self.head.find(_END)
            if end < 0:
                if len(self.head) > _MAX_HEAD:
                    raise _Doubt
                return
            data = bytes(self.head[end + 4 :])
            self._start(bytes(self.head[: end + 2]))
        if self.remaining:
            content, data = data[: self.remaining], data[self.remaining :]
            self.remaining -= len(content)
            self._content(content)
            if not self.remaining and self.http_head is not None:
                raise _Doubt  # the content ended inside the HTTP headers
        self.trailer += data
        if len(self.trailer) > len(_END):
            raise _Doubt

    def _start(self, head: bytes) -> None:
        if not head.startswith(_WARC_VERSIONS) or head.translate(None, _HEADER_BYTES):
            raise _Doubt  # bytes whose reading (decoding, stripping) warcio might do otherwise
        text = head.decode("ascii")
        if text.count("\n") != text.count("\r\n") or text.count("\r") != text.count("\r\n"):
            raise _Doubt
        headers: dict[str, str] = {}
        for line in text.split("\r\n")[1:-1]:
            name, sep, value = line.partition(":")
            if not sep or not name.strip() or name[0] in " \t":
                raise _Doubt
            headers.setdefault(name.rstrip(" \t").lower(), value.strip())
        self.headers = headers
        kind = headers.get("warc-type", "").encode()
        if kind == b"revisit" or "warc-segment-number" in headers:
            raise _Doubt
        try:
            self.remaining = int(headers["content-length"])
        except (KeyError, ValueError):
            raise _Doubt from None
        if self.remaining < 0 or "warc-block-digest" not in headers:
            raise _Doubt
        self.block = _digester(headers["warc-block-digest"])
        if "warc-payload-digest" in headers:
            self.payload = _digester(headers["warc-payload-digest"])
        uri = headers.get("warc-target-uri", "")
        if uri.startswith("<"):
            raise _Doubt
        if self.remaining and kind in _HTTP_RECORDS and uri.startswith(("http:", "https:")):
            self.http_head = bytearray()

    def _content(self, data: bytes) -> None:
        self.block.update(data)
        if self.http_head is not None:
            self.http_head += data
            end = self.http_head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.http_head) > _MAX_HTTP_HEAD:
                    raise _Doubt
                return
            _check_http_head(bytes(self.http_head[: end + 2]), self.headers or {})
            data = bytes(self.http_head[end + 4 :])
            self.http_head = None
        if self.payload is not None:
            self.payload.update(data)

    def finish(self, offset: int, length: int) -> WarcRecord:
        headers = self.headers
        if headers is None or self.remaining or bytes(self.trailer) != _END:
            raise _Doubt
        if not _matches(self.block, headers["warc-block-digest"]):
            raise _Doubt
        if self.payload is not None and not _matches(self.payload, headers["warc-payload-digest"]):
            raise _Doubt
        return WarcRecord(
            offset=offset,
            length=length,
            record_id=headers.get("warc-record-id"),
            warc_type=headers.get("warc-type"),
            block_digest=headers["warc-block-digest"],
            digest_passed=True,
        )


def _check_http_head(head: bytes, headers: dict[str, str]) -> None:
    """HTTP headers that warcio reads to the same end: a status or request line it accepts, then
    lines that are plainly not blank, each ended by CRLF."""
    crlf = head.count(b"\r\n")
    if head.count(b"\n") != crlf or head.count(b"\r") != crlf:
        raise _Doubt
    wanted = _STATUS if headers.get("warc-type") == "response" else _VERBS
    if not head.startswith(wanted):
        raise _Doubt
    for line in head.split(b"\r\n")[:-1]:
        if len(line.translate(None, _VISIBLE)) == len(line):
            raise _Doubt  # a line of only spaces or control characters: blank to warcio, or not


def _digester(value: str) -> Any:
    algorithm, sep, _ = value.partition(":")
    if not sep or algorithm not in _ALGORITHMS:
        raise _Doubt
    return hashlib.new(algorithm)


def _matches(digester: Any, stated: str) -> bool:
    """Whether ``stated`` (``algo:value``) is the digest computed, as warcio compares them: the
    value exactly as RFC 4648 base32 writes the digest (padding included), or longer, as hex."""
    value = stated.partition(":")[2]
    digest = digester.digest()
    size = len(digest)
    encoded = (size + 4) // 5 * 8
    if len(value) == encoded:
        chars = (size * 8 + 4) // 5
        body, padding = value[:chars], value[chars:]
        if padding != "=" * (encoded - chars) or body.translate(_NOT_BASE32):
            return False
        # int() reads base 32 in C; the alphabet is mapped onto its digits.
        return int(body.translate(_BASE32_DIGITS), 32) == int.from_bytes(digest, "big") << (
            chars * 5 - size * 8
        )
    if len(value) > encoded:
        try:
            return bool(base64.b16decode(value, casefold=True) == digest)
        except binascii.Error:
            return False
    return False


if __name__ == "__main__":
    # Through the module's own name, so what it sends unpickles as archive_lib.warc.verify's types.
    from archive_lib.warc import verify

    verify.serve(sys.stdin.buffer, sys.stdout.buffer)
