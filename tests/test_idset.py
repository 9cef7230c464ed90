"""The compact id set (archive_lib.connectors.idset): exact membership, whatever the id looks like."""

from __future__ import annotations

import random
import sys

from archive_lib.connectors.idset import IdSet


def test_membership_is_exact_for_numeric_and_other_ids() -> None:
    ids = IdSet()
    added = ["103270115826048975", "0", "7", "17841400008460056", "at://did:plc:x/app.bsky.feed.post/3k"]
    added.append("UgyZ1jqkHKYvi1-ruOZ4AaABAg")
    for item_id in added:
        assert ids.add(item_id) is True

    for item_id in added:
        assert item_id in ids
    # The same number written otherwise is another id; so is a number too long for 64 bits.
    others = ("00", "07", "+7", "7.0", " 7", "٣", "1032701158260489750", "", "ugyz1jqkhkyvi1-ruoz4aaabag")
    for other in others:
        assert other not in ids
    assert 7 not in ids and None not in ids
    assert len(ids) == len(added)


def test_adding_again_changes_nothing_and_says_so() -> None:
    ids = IdSet()
    assert ids.add("42") and ids.add("x")
    assert not ids.add("42") and not ids.add("x")
    assert len(ids) == 2


def test_ids_longer_than_18_digits_and_leading_zeros_are_kept_as_text() -> None:
    ids = IdSet()
    kept = ("0001", "1" * 19, "999999999999999999")
    for item_id in kept:
        ids.add(item_id)

    assert all(i in ids for i in kept)
    assert "1" not in ids and "1" * 18 not in ids and "1" * 20 not in ids


def test_many_snowflake_ids_stay_exact_and_cost_a_few_bytes_each() -> None:
    rng = random.Random(11)
    base = 110_000_000_000_000_000
    added = [str(base + (n << 16) + rng.randrange(1 << 16)) for n in range(50_000)]
    ids = IdSet()
    for item_id in added:
        ids.add(item_id)
    every = set(added)
    absent = [str(int(i) + 1) for i in added if str(int(i) + 1) not in every]

    assert len(ids) == len(set(added))
    assert all(i in ids for i in added)
    assert not any(i in ids for i in absent)
    assert sys.getsizeof(ids._slots) <= 32 * len(added)  # a set of the same strings costs over 100 bytes each
