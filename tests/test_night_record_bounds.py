"""A night's runs row quotes platforms (ids, messages) in its error, warnings and notes: however
many and however long they come, the record stays bounded and says what it left out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from archive_lib.capture.account import MAX_MESSAGE, MAX_MESSAGES, _bounded, _messages


@given(st.lists(st.text(max_size=3 * MAX_MESSAGE), max_size=3 * MAX_MESSAGES))
def test_warnings_are_bounded_in_number_and_length(texts: list[str]) -> None:
    kept = _messages(texts)
    assert len(kept) <= MAX_MESSAGES
    assert all(len(k) <= MAX_MESSAGE + 40 for k in kept)
    if len(texts) > MAX_MESSAGES:
        assert kept[-1] == f"and {len(texts) - MAX_MESSAGES + 1} more like these"
    else:
        assert [k[: MAX_MESSAGE - 1] for k in kept] == [t[: MAX_MESSAGE - 1] for t in texts]


def test_a_long_message_says_how_long_it_was() -> None:
    assert _bounded("x" * 10) == "x" * 10
    cut = _bounded("y" * 50_000)
    assert cut.startswith("y" * (MAX_MESSAGE - 1) + "…") and cut.endswith("(50000 characters)")
