"""Which parts hold a key: a compact map from text keys to the numbers of the parts holding them.

A night lets go of the items it has stored (see :class:`~archive_lib.metadata.state.KnownState`)
and must still find them again by id, by thread and by parent. Python's own dict or set would
cost about a hundred bytes per key; this map keeps a 32-bit hash of each key and a part number
in two flat arrays (open addressing, linear probing, at most half full): 8 to 16 bytes per
(key, part) pair, whatever the keys' length.

It never holds the keys themselves, so two keys whose hashes agree in 32 bits share their
parts: a lookup may name a part that does not hold the key, never miss one that does. Callers
read the parts it names and look for the key in their rows.
"""

from __future__ import annotations

from array import array

_EMPTY = 0
_MASK32 = 0xFFFFFFFF


class KeyParts:
    """A multimap from text keys to part numbers (0 and up); see the module docstring."""

    def __init__(self, capacity: int = 1024) -> None:
        size = 16
        while size < capacity * 2:
            size *= 2
        self._tags = array("I", bytes(4 * size))  # 32-bit hash of the key, 0 for an empty slot
        self._parts = array("I", bytes(4 * size))
        self._used = 0

    def __len__(self) -> int:
        """How many (key, part) pairs it holds."""
        return self._used

    def add(self, key: str, part: int) -> None:
        """Record that ``part`` holds ``key`` (adding a pair twice keeps one)."""
        tag = _tag(key)
        tags, parts = self._tags, self._parts
        mask = len(tags) - 1
        slot = tag & mask
        while (found := tags[slot]) != _EMPTY:
            if found == tag and parts[slot] == part:
                return
            slot = (slot + 1) & mask
        tags[slot], parts[slot] = tag, part
        self._used += 1
        if self._used * 2 > len(tags):
            self._grow()

    def parts(self, key: str) -> set[int]:
        """Every part recorded for ``key`` (and, rarely, a part of a key with the same hash)."""
        tag = _tag(key)
        tags, parts = self._tags, self._parts
        mask = len(tags) - 1
        slot = tag & mask
        out: set[int] = set()
        while (found := tags[slot]) != _EMPTY:
            if found == tag:
                out.add(parts[slot])
            slot = (slot + 1) & mask
        return out

    def _grow(self) -> None:
        old_tags, old_parts = self._tags, self._parts
        size = len(old_tags) * 2
        tags, parts = array("I", bytes(4 * size)), array("I", bytes(4 * size))
        mask = size - 1
        for tag, part in zip(old_tags, old_parts, strict=True):
            if tag == _EMPTY:
                continue
            slot = tag & mask
            while tags[slot] != _EMPTY:
                slot = (slot + 1) & mask
            tags[slot], parts[slot] = tag, part
        self._tags, self._parts = tags, parts


class KeySet:
    """A set of text keys kept as 32-bit hashes (open addressing, at most half full): 4 to 8
    bytes a key. Like :class:`KeyParts` it may say it holds a key it was never given (one whose
    hash agrees), never the other way round."""

    def __init__(self) -> None:
        self._tags = array("I", [_EMPTY]) * 16
        self._used = 0

    def __len__(self) -> int:
        """How many distinct hashes it holds."""
        return self._used

    def add(self, key: str) -> None:
        """Hold ``key``."""
        if self._place(self._tags, _tag(key)):
            self._used += 1
            if self._used * 2 > len(self._tags):
                old, self._tags = self._tags, array("I", [_EMPTY]) * (len(self._tags) * 2)
                for tag in old:
                    if tag != _EMPTY:
                        self._place(self._tags, tag)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        tag, tags = _tag(key), self._tags
        mask = len(tags) - 1
        slot = tag & mask
        while (found := tags[slot]) != _EMPTY:
            if found == tag:
                return True
            slot = (slot + 1) & mask
        return False

    @staticmethod
    def _place(tags: array[int], tag: int) -> bool:
        mask = len(tags) - 1
        slot = tag & mask
        while (found := tags[slot]) != _EMPTY:
            if found == tag:
                return False
            slot = (slot + 1) & mask
        tags[slot] = tag
        return True


def _tag(key: str) -> int:
    # Python's string hash is seeded per process: fine for a map that lives in one process.
    return (hash(key) & _MASK32) or 1
