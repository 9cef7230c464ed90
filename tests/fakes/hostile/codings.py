"""Coded bodies a hostile server sends: bombs, several gzip members, raw deflate, gzip comments.

Everything is built byte by byte with :mod:`zlib`, never with the archive's own decoder, so a
test of that decoder is not a test of itself.

The bombs are made cheaply: a deflate stream may be cut into pieces that each end on a byte
boundary and refer to nothing before them (a *full flush*), so the piece that encodes one MiB of
spaces can be repeated as often as wanted. Two thousand copies are two MiB on the wire and two
GiB decoded; the JSON around them is valid, so only the size is hostile.
"""

from __future__ import annotations

import functools
import struct
import zlib

MIB = 1 << 20
_UNIT = b" " * MIB  # JSON whitespace: the bomb's decoded body is valid JSON


def _piece(data: bytes, final: bool) -> bytes:
    """Raw deflate blocks for ``data`` that stand alone (byte-aligned, no references before)."""
    encoder = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 9)
    return encoder.compress(data) + encoder.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _gzip_header(comment: bytes | None = None, name: bytes | None = None) -> bytes:
    flags = (0x08 if name is not None else 0) | (0x10 if comment is not None else 0)
    header = b"\x1f\x8b\x08" + bytes([flags]) + struct.pack("<I", 0) + b"\x00\xff"
    if name is not None:
        header += name + b"\x00"
    if comment is not None:
        header += comment + b"\x00"
    return header


def raw_deflate(data: bytes) -> bytes:
    """``data`` as raw deflate (no zlib header), as some servers send ``Content-Encoding: deflate``."""
    return _piece(data, final=True)


def gzip_member(data: bytes, *, comment: bytes | None = None, name: bytes | None = None) -> bytes:
    """One gzip member (RFC 1952) of ``data``; ``comment`` and ``name`` go into its header."""
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return _gzip_header(comment, name) + _piece(data, final=True) + trailer


def gzip_members(*parts: bytes) -> bytes:
    """A gzip body of several members, one per part: it decodes to the parts joined."""
    return b"".join(gzip_member(part) for part in parts)


@functools.lru_cache(maxsize=4)
def deflate_bomb(head: bytes, tail: bytes, mib: int = 2048) -> bytes:
    """Raw deflate of ``head``, ``mib`` MiB of spaces, then ``tail`` (about 1 KiB per MiB)."""
    return _piece(head, final=False) + _piece(_UNIT, final=False) * mib + _piece(tail, final=True)


@functools.lru_cache(maxsize=4)
def gzip_bomb(head: bytes, tail: bytes, mib: int = 2048) -> bytes:
    """One gzip member holding ``head``, ``mib`` MiB of spaces and ``tail``, with a true trailer."""
    crc = zlib.crc32(head)
    for _ in range(mib):
        crc = zlib.crc32(_UNIT, crc)
    crc = zlib.crc32(tail, crc)
    size = (len(head) + mib * MIB + len(tail)) & 0xFFFFFFFF
    return _gzip_header() + deflate_bomb(head, tail, mib) + struct.pack("<II", crc, size)


def bomb_size(head: bytes, tail: bytes, mib: int = 2048) -> int:
    """How many bytes a bomb of these parts decodes to."""
    return len(head) + mib * MIB + len(tail)
