"""Tiny valid PNG files built with zlib and struct (no image library needed)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def make_png(
    width: int, height: int, rgb: tuple[int, int, int], stripe: tuple[int, int, int] | None = None
) -> bytes:
    """An 8-bit RGB PNG of one colour, with optional horizontal stripes every 8 rows."""
    if width <= 0 or height <= 0:
        raise ValueError("a PNG needs a positive size")
    rows = []
    for row in range(height):
        colour = stripe if stripe is not None and (row // 8) % 2 else rgb
        rows.append(b"\x00" + bytes(colour) * width)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


MISSING_AVATAR = make_png(8, 8, (217, 225, 232))
