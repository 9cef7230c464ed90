"""HTTP content codings, undone in one place for everyone who reads a response body.

The HTTP client asks for ``gzip`` and ``deflate`` (:data:`ACCEPT_ENCODING`) and reads bodies
through :func:`decoded_chunks`; the WARC writer hunts secrets in exactly the same decoded
bytes before it stores a body. So whatever the client can read, the secret scan has read too:

* ``gzip`` (and ``x-gzip``) with any number of members, one after the other, as RFC 1952
  allows and as a server that echoes a token in a second member would send; NUL padding after
  the last member is ignored, as zcat does;
* ``deflate`` zlib-wrapped as RFC 9110 says, or raw, as some servers send it;
* several codings stacked (``Content-Encoding: gzip, deflate`` is undone right to left);
* ``identity``.

Anything else cannot be decoded (:class:`UndecodableError`). Decoding is streamed and bounded:
more than ``limit`` decoded bytes is a :class:`TooLargeError`, found after at most one chunk
past the limit, so a body that inflates a thousandfold costs neither memory nor much time. A
bound holds for every layer of stacked codings, not only the last (an outer layer may inflate
to a flood of empty gzip members that the inner one turns into nothing). Input is fed to zlib
in slices of :data:`SLICE` bytes, so a body of a million tiny members costs time in proportion
to its size (zlib copies what follows a member's end, which for a whole chunk is quadratic).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence

ACCEPT_ENCODING = "gzip, deflate"
#: Decoded bytes read of one body unless the caller says otherwise; API pages are far smaller.
DEFAULT_LIMIT = 64 * 1024 * 1024
#: At most this many bytes are produced by one decompression step.
STEP = 1 << 20
#: At most this many bytes are given to one decompression step.
SLICE = 16 * 1024
_SLACK = 64 * 1024
_GZIP = "gzip"
_DEFLATE = "deflate"
_NAMES = {"gzip": _GZIP, "x-gzip": _GZIP, "deflate": _DEFLATE}


class UndecodableError(ValueError):
    """The body is not in the coding its headers name, or in one this archive does not read."""


class TooLargeError(ValueError):
    """The decoded body is larger than the limit."""


def codings(content_encoding: str | None) -> list[str]:
    """The codings named by a ``Content-Encoding`` value, in the order they were applied.

    ``identity`` is dropped; an unknown name raises :class:`UndecodableError`.
    """
    names = [n.strip().lower() for n in (content_encoding or "").split(",")]
    out = []
    for name in names:
        if name in ("", "identity"):
            continue
        if name not in _NAMES:
            raise UndecodableError(f"content coding {name[:40]!r} is not one this archive reads")
        out.append(_NAMES[name])
    return out


def decoded_chunks(chunks: Iterable[bytes], applied: Sequence[str], limit: int) -> Iterator[bytes]:
    """The bytes of ``chunks`` with the codings ``applied`` (from :func:`codings`) undone.

    Raises :class:`UndecodableError` for a corrupt or cut-off coded body, and
    :class:`TooLargeError` once more than ``limit`` decoded bytes have come out.
    """
    stream: Iterator[bytes] = iter(chunks)
    # Every layer is bounded. An intermediate layer holds the next one still coded, which for
    # data that does not compress is a little larger than the data itself: it gets twice the room.
    for index, name in enumerate(reversed(applied), start=1):
        bound = limit if index == len(applied) else 2 * limit + _SLACK
        stream = _bounded(_GUNZIP(stream) if name == _GZIP else _INFLATE(stream), bound)
    if not applied:
        stream = _bounded(stream, limit)
    for chunk in stream:
        if chunk:
            yield chunk


def _bounded(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise TooLargeError(f"the body decodes to more than {limit} bytes")
        yield chunk


def decode(data: bytes, applied: Sequence[str], limit: int) -> bytes:
    """``data`` with ``applied`` codings undone, whole; see :func:`decoded_chunks`."""
    return b"".join(decoded_chunks([data], applied, limit))


def _drain(decoder: zlib._Decompress, data: bytes | memoryview) -> Iterator[bytes]:
    """Everything ``decoder`` makes of ``data``, at most :data:`STEP` bytes at a time."""
    while True:
        out = decoder.decompress(data, STEP)
        if out:
            yield out
        data = decoder.unconsumed_tail
        # A full step may leave output pending inside zlib although all input is taken.
        if decoder.eof or (not data and len(out) < STEP):
            return


def _gunzip(chunks: Iterator[bytes]) -> Iterator[bytes]:
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    first = True  # the current member is the body's first
    produced = False  # the current member has given decoded bytes
    fed = False
    for piece in _sliced(chunks):
        data: bytes | memoryview = piece
        while data:
            if decoder.eof:
                decoder, first, produced = zlib.decompressobj(16 + zlib.MAX_WBITS), False, False
            fed = True
            try:
                for out in _drain(decoder, data):
                    produced = True
                    yield out
            except zlib.error as exc:
                if first or produced:
                    raise UndecodableError(f"the body is not valid gzip: {exc}") from exc
                return  # what follows the last member is not a member (NUL padding): ignored
            data = decoder.unused_data if decoder.eof else b""
    if fed and not decoder.eof:
        raise UndecodableError("the gzip body is cut short")


def _sliced(chunks: Iterator[bytes]) -> Iterator[bytes | memoryview]:
    for chunk in chunks:
        view = memoryview(chunk)
        for start in range(0, len(view), SLICE):
            yield view[start : start + SLICE]


def _inflate(chunks: Iterator[bytes]) -> Iterator[bytes]:
    decoder: zlib._Decompress | None = None
    head = b""
    try:
        for chunk in chunks:
            if decoder is None:
                head += chunk
                if len(head) < 2:
                    continue
                decoder = zlib.decompressobj(zlib.MAX_WBITS if _zlib_header(head) else -zlib.MAX_WBITS)
                chunk, head = head, b""
            if not decoder.eof:
                yield from _drain(decoder, chunk)
        if decoder is None and head:
            decoder = zlib.decompressobj(-zlib.MAX_WBITS)
            yield from _drain(decoder, head)
    except zlib.error as exc:
        raise UndecodableError(f"the body is not valid deflate: {exc}") from exc
    if decoder is not None and not decoder.eof:
        raise UndecodableError("the deflate body is cut short")


def _zlib_header(data: bytes) -> bool:
    """Whether ``data`` starts with a zlib header (RFC 1950): method 8 and a valid check."""
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and cmf >> 4 <= 7 and (cmf * 256 + flg) % 31 == 0


_GUNZIP: Callable[[Iterator[bytes]], Iterator[bytes]] = _gunzip
_INFLATE: Callable[[Iterator[bytes]], Iterator[bytes]] = _inflate
