"""Reading the WARC files the archive wrote: record by record, or one record by its pointer.

The writer (:mod:`.writer`) compresses every record as a gzip member of its own, so a pointer
(:class:`~archive_lib.models.WarcPointer`: file key, offset, length) covers exactly one member
and opens one record without reading the rest of the file; the file's first member is its
``warcinfo`` record.

Streams in, streams out: :func:`iter_records` reads the stream it is given, and the functions
that follow a pointer read byte ranges from the :class:`RangeSource` they are given (an
:class:`~archive_lib.storage.base.ObjectStore` is one). The reader never knows where the bytes
are kept. Every reader of the archive's WARC files reads through here, with warcio's
``ArchiveIterator``: the audit's fixity check and the release package.
"""

from __future__ import annotations

import dataclasses
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from archive_lib.errors import ArchiveError
from archive_lib.models import WarcPointer

#: How much of a file is read at first to find its warcinfo record (grown fourfold until whole).
_FIRST_READ = 16 * 1024
_INFLATE_STEP = 1 << 20  # bytes of a record's content held at once while finding its end


class Stream(Protocol):
    """A readable binary stream that knows how far it has been read (warcio asks ``tell()``)."""

    def read(self, size: int = -1, /) -> bytes | None: ...

    def tell(self) -> int: ...


class RangeSource(Protocol):
    """Where stored WARC files are read from, a byte range at a time."""

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the file ``key`` starting at ``offset``."""
        ...


class WarcReadError(ArchiveError):
    """A pointer does not lead to the one record it names; ``reason`` says what it found."""

    def __init__(self, pointer: WarcPointer, reason: str) -> None:
        super().__init__(f"{pointer.warc_key}@{pointer.offset}: {reason}")
        self.pointer = pointer
        self.reason = reason


@dataclass(frozen=True, slots=True)
class WarcRecord:
    """One record as read: where it lies in its file, what it is, and what its digests said."""

    offset: int
    length: int  # in the file as stored: for a compressed file, its whole gzip member
    record_id: str | None
    warc_type: str | None
    block_digest: str | None  # the WARC-Block-Digest the record states, if any
    digest_passed: bool | None = None  # None: not checked, or no digest to check
    digest_problems: tuple[str, ...] = ()


def iter_records(stream: Stream, *, check_digests: bool = False) -> Iterator[WarcRecord]:
    """Every record of the WARC file read from ``stream``, in order, each read to its end.

    With ``check_digests`` each record's ``WARC-Block-Digest`` and ``WARC-Payload-Digest`` are
    recomputed as it is read. A damaged file raises whatever warcio or zlib raise, after the
    records before the damage were yielded.
    """
    # Imported here: warcio brings fsspec, which costs a worker of the fixity pool (that reads the
    # archive's own files without warcio) more to start than it takes to verify a file.
    from warcio.archiveiterator import ArchiveIterator

    iterator = ArchiveIterator(stream, check_digests=check_digests)
    for record in iterator:
        iterator.read_to_end()
        headers = record.rec_headers
        checker = record.digest_checker
        yield WarcRecord(
            offset=iterator.get_record_offset(),
            length=iterator.get_record_length(),
            record_id=headers.get_header("WARC-Record-ID"),
            warc_type=headers.get_header("WARC-Type"),
            block_digest=headers.get_header("WARC-Block-Digest"),
            digest_passed=checker.passed,
            digest_problems=tuple(checker.problems),
        )


def open_record(source: RangeSource, pointer: WarcPointer) -> WarcRecord:
    """The one record ``pointer`` covers, parsed (its ``offset`` is the pointer's).

    Raises :class:`WarcReadError` when the range is not one whole record, and what ``source``
    raises when it cannot be read.
    """
    data = source.read_range(pointer.warc_key, pointer.offset, pointer.length)
    try:
        records = list(iter_records(io.BytesIO(data)))
    except Exception as exc:  # a range that does not start a record fails to parse, in many ways
        raise WarcReadError(pointer, f"is not a WARC record ({type(exc).__name__})") from exc
    if len(records) != 1:
        raise WarcReadError(pointer, f"holds {len(records)} records, not one")
    return dataclasses.replace(records[0], offset=pointer.offset)


def record_bytes(source: RangeSource, pointer: WarcPointer) -> bytes:
    """The record ``pointer`` covers as stored, to be copied byte for byte: exactly one gzip
    member, or :class:`WarcReadError`."""
    data = source.read_range(pointer.warc_key, pointer.offset, pointer.length)
    try:
        end = _first_member_end(data)
    except zlib.error as e:
        raise WarcReadError(pointer, f"not a gzip member ({e})") from e
    if end != len(data):
        raise WarcReadError(pointer, "the pointer does not cover exactly one gzip member")
    return data


def warcinfo_bytes(source: RangeSource, key: str, size: int) -> bytes:
    """The first gzip member of the ``size`` bytes long WARC file ``key`` as stored: its
    ``warcinfo`` record."""
    length = min(size, _FIRST_READ)
    while True:
        data = source.read_range(key, 0, length)
        try:
            end = _first_member_end(data)
        except zlib.error as e:
            raise ArchiveError(f"{key}: the first record is not a gzip member ({e})") from e
        if end is not None:
            return data[:end]
        if length >= size:
            raise ArchiveError(f"{key}: the first record is not a whole gzip member")
        length = min(size, length * 4)


def warcinfo_fields(source: RangeSource, key: str, size: int) -> dict[str, str]:
    """The fields of the warcinfo record that starts the WARC file ``key`` (software, run id,
    run kind ...), as written by :class:`~archive_lib.warc.writer.WarcRecorder`."""
    from warcio.archiveiterator import ArchiveIterator

    data = warcinfo_bytes(source, key, size)
    fields: dict[str, str] = {}
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type != "warcinfo":
            break
        for line in record.content_stream().read().decode("utf-8", "replace").splitlines():
            name, sep, value = line.partition(":")
            if sep:
                fields.setdefault(name.strip(), value.strip())
        break
    return fields


def _first_member_end(data: bytes) -> int | None:
    """Where the first gzip member in ``data`` ends; None when ``data`` ends inside it.

    The member is inflated in bounded steps and its content dropped, so a large record (a video
    attachment) costs no more memory than its stored bytes.
    """
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = data
    while not decoder.eof:
        inflated = decoder.decompress(pending, _INFLATE_STEP)
        pending = decoder.unconsumed_tail
        if not inflated and not pending:
            return None  # every byte read and nothing more to give: the member goes on past data
    return len(data) - len(decoder.unused_data)


def record_payload(member: bytes, limit: int = 64 << 20) -> bytes:
    """The decoded payload (the HTTP body, for a response) of one record as stored (a gzip
    member, as :func:`record_bytes` returns it), read up to ``limit`` bytes."""
    from warcio.archiveiterator import ArchiveIterator

    for record in ArchiveIterator(io.BytesIO(member)):
        return bytes(record.content_stream().read(limit))
    return b""
