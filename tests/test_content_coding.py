"""The one content decoder (archive_lib.content_coding), by property and at its bounds.

For any bytes and any stack of codings (gzip in one or several members, zlib-wrapped or raw
deflate), fed in any chunks, decoding gives back exactly the bytes; several gzip members give
their concatenation; and no more than the limit ever comes out: beyond it, TooLargeError. The
encoders here are zlib's own, never the decoder under test.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_lib.content_coding import TooLargeError, UndecodableError, codings, decode, decoded_chunks
from tests.fakes.hostile import codings as hostile

#: How a layer is encoded, and the Content-Encoding name it goes by.
LAYERS = {
    "gzip": "gzip",
    "x-gzip": "x-gzip",
    "gzip-members": "gzip",
    "zlib": "deflate",
    "raw-deflate": "deflate",
}
BIG = 1 << 30


def _encode(data: bytes, how: str, cut: int) -> bytes:
    if how in ("gzip", "x-gzip"):
        return gzip.compress(data, mtime=0)
    if how == "gzip-members":
        at = cut % (len(data) + 1)
        return hostile.gzip_members(data[:at], data[at:])
    if how == "zlib":
        return zlib.compress(data)
    return hostile.raw_deflate(data)


def _stack(data: bytes, stack: list[str], cut: int) -> tuple[bytes, list[str]]:
    """``data`` with each layer of ``stack`` applied in turn, and the codings named as a server would."""
    for how in stack:
        data = _encode(data, how, cut)
    header = ", ".join(LAYERS[how] for how in stack) or "identity"
    return data, codings(header)


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


stacks = st.lists(st.sampled_from(sorted(LAYERS)), max_size=3)
payloads = st.binary(max_size=4096) | st.text(max_size=2000).map(str.encode)


@given(payloads, stacks, st.integers(1, 5000), st.integers(0, 10_000))
def test_decoding_undoes_any_stack_of_codings_fed_in_any_chunks(
    data: bytes, stack: list[str], chunk: int, cut: int
) -> None:
    body, applied = _stack(data, stack, cut)
    assert b"".join(decoded_chunks(_chunks(body, chunk), applied, BIG)) == data
    assert decode(body, applied, BIG) == data


@given(st.lists(payloads, min_size=1, max_size=6), st.integers(1, 300))
def test_several_gzip_members_decode_to_their_concatenation(parts: list[bytes], chunk: int) -> None:
    body = b"".join(gzip.compress(part, mtime=0) for part in parts)
    assert b"".join(decoded_chunks(_chunks(body, chunk), ["gzip"], BIG)) == b"".join(parts)


@given(payloads, stacks, st.integers(0, 5000), st.integers(1, 5000), st.integers(0, 10_000))
def test_no_more_than_the_limit_ever_comes_out(
    data: bytes, stack: list[str], limit: int, chunk: int, cut: int
) -> None:
    body, applied = _stack(data, stack, cut)
    out = bytearray()
    try:
        for piece in decoded_chunks(_chunks(body, chunk), applied, limit):
            out += piece
            assert len(out) <= limit
    except TooLargeError:
        assert len(data) > limit and data.startswith(bytes(out))
    else:
        assert len(data) <= limit and bytes(out) == data


@given(payloads.filter(bool), st.sampled_from(["gzip", "zlib", "raw-deflate"]), st.data())
def test_a_body_cut_short_is_undecodable(data: bytes, how: str, draw: st.DataObject) -> None:
    body, applied = _stack(data, [how], 0)
    cut = draw.draw(st.integers(1, len(body) - 1))  # an empty body is an empty body
    with pytest.raises(UndecodableError):
        decode(body[:cut], applied, BIG)


# -- bombs and floods ------------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_a_bomb_stops_at_the_limit(coding: str) -> None:
    head, tail = b'{"a":"', b'"}'
    body = (hostile.gzip_bomb if coding == "gzip" else hostile.deflate_bomb)(head, tail, 64)
    assert hostile.bomb_size(head, tail, 64) > 1000 * len(body)
    with pytest.raises(TooLargeError):
        decode(body, [coding], 8 * hostile.MIB)
    assert decode(body, [coding], BIG)[: len(head)] == head


def test_a_flood_of_empty_gzip_members_costs_time_in_proportion_to_its_size() -> None:
    """Four MiB of empty members: a couple of hundred thousand ends of member, each one cheap."""
    body = gzip.compress(b"", mtime=0) * (4 * hostile.MIB // 20)
    started = time.monotonic()
    assert decode(body, ["gzip"], 8 * hostile.MIB) == b""
    assert time.monotonic() - started < 10  # a decoder that copies the rest at each member's end: ~30 s


def test_every_layer_of_stacked_codings_is_bounded() -> None:
    """Small on the wire, its outer layer inflates to a flood that the inner one makes nothing of."""
    flood = gzip.compress(b"", mtime=0) * 500_000  # 10 MB of empty members
    body = gzip.compress(flood, mtime=0)
    assert len(body) < 100_000
    with pytest.raises(TooLargeError):
        decode(body, codings("gzip, gzip"), 1 * hostile.MIB)
