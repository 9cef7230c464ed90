"""A compact set of platform ids: what a night remembers about items it has already met.

A Python set of strings costs about a hundred bytes an id, so a night that must remember every
item of an account with a million of them would spend a hundred megabytes on the ids alone.
:class:`IdSet` keeps an id that is a decimal number of at most 18 digits, without leading zeros
(Mastodon's status ids, Instagram's), as a 64-bit integer in an open-addressing table that is
at most half full: 8 to 32 bytes an id. Any other id is kept as text.
"""

from __future__ import annotations

from array import array

_FIBONACCI = 0x9E3779B97F4A7C15  # 2**64 / golden ratio: spreads consecutive ids over the table
_WORD = (1 << 64) - 1
_FIRST_BITS = 10


class IdSet:
    """A set of ids (``add``, ``in``, ``len``) that keeps numeric ids as integers.

    Membership is exact: an id is in the set only if it was added, as the same text.
    """

    def __init__(self) -> None:
        self._bits = _FIRST_BITS
        self._slots = _table(self._bits)  # 0 is an empty slot; the number n is kept as n + 1
        self._numbers = 0
        self._texts: set[str] = set()

    def __len__(self) -> int:
        return self._numbers + len(self._texts)

    def __contains__(self, item_id: object) -> bool:
        if not isinstance(item_id, str):
            return False
        key = _key(item_id)
        if key is None:
            return item_id in self._texts
        return self._slots[self._find(key)] == key

    def add(self, item_id: str) -> bool:
        """Remember ``item_id``; whether it is new to the set."""
        key = _key(item_id)
        if key is None:
            new = item_id not in self._texts
            self._texts.add(item_id)
            return new
        slot = self._find(key)
        if self._slots[slot] == key:
            return False
        self._slots[slot] = key
        self._numbers += 1
        if 2 * self._numbers > len(self._slots):
            self._grow()
        return True

    def _find(self, key: int) -> int:
        """The slot that holds ``key``, or the empty slot where it belongs (linear probing)."""
        slots, mask = self._slots, len(self._slots) - 1
        slot = ((key * _FIBONACCI) & _WORD) >> (64 - self._bits)
        while slots[slot] and slots[slot] != key:
            slot = (slot + 1) & mask
        return slot

    def _grow(self) -> None:
        old = self._slots
        self._bits += 1
        self._slots = _table(self._bits)
        for key in old:
            if key:
                self._slots[self._find(key)] = key


def _table(bits: int) -> array[int]:
    return array("q", bytes(8 << bits))


def _key(item_id: str) -> int | None:
    """The table key of a canonical decimal id of at most 18 digits, else ``None`` (kept as text)."""
    canonical = item_id[:1] != "0" or item_id == "0"
    if len(item_id) <= 18 and item_id.isascii() and item_id.isdigit() and canonical:
        return int(item_id) + 1
    return None
