"""Mastodon's reply ledger (archive_lib.connectors.mastodon_replies): what is owed, what is forgotten."""

from __future__ import annotations

from archive_lib.connectors.mastodon_replies import ReplyLedger


def test_a_status_is_owed_the_replies_it_counts_beyond_those_seen_below_it() -> None:
    ledger = ReplyLedger()
    ledger.saw("p", "p", 3, None)
    ledger.saw("c1", "p", 1, "p")
    ledger.saw("c2", "p", 0, "p")
    ledger.saw("c2", "p", 0, "p")  # seen again: one reply, not two

    assert list(ledger.owed()) == [("p", 1, "p"), ("c1", 1, "p")]


def test_the_latest_count_and_thread_of_a_status_count() -> None:
    ledger = ReplyLedger()
    ledger.saw("p", "p", 2, None)
    ledger.saw("c1", "p", 0, "p")
    ledger.saw("p", "p", 1, None)  # read again later: one reply counted, one seen

    assert list(ledger.owed()) == []
    ledger.saw("c1", "q", 2, "p")
    assert list(ledger.owed()) == [("c1", 2, "q")] and ledger.post_of("c1") == "q"


def test_replies_seen_before_their_parent_count_for_it() -> None:
    ledger = ReplyLedger()
    ledger.saw("c1", "p", 0, "p")
    ledger.saw("c2", "p", 0, "p")
    ledger.saw("p", "p", 3, None)

    assert list(ledger.owed()) == [("p", 1, "p")]


def test_a_thread_owed_nothing_is_forgotten_after_its_walk_and_one_owed_is_kept_whole() -> None:
    ledger = ReplyLedger()
    ledger.saw("p", "p", 1, None)
    ledger.saw("c1", "p", 0, "p")
    ledger.saw("q", "q", 2, None)
    ledger.saw("d1", "q", 0, "q")

    ledger.settle()

    assert ledger.post_of("p") is None and ledger.post_of("c1") is None
    assert ledger.post_of("q") == "q" and ledger.post_of("d1") == "q"
    assert list(ledger.owed()) == [("q", 1, "q")]
    ledger.saw("d2", "q", 0, "q")  # the end of the night finds the missing reply
    assert list(ledger.owed()) == []
    ledger.settle()
    assert ledger.post_of("q") is None


def test_order_is_the_order_first_seen_across_threads() -> None:
    ledger = ReplyLedger()
    ledger.saw("q", "q", 1, None)
    ledger.saw("p", "p", 1, None)
    ledger.saw("q", "q", 2, None)

    assert [s for s, _, _ in ledger.owed()] == ["q", "p"]


def test_the_thread_of_a_status_in_keep_outlives_its_thread() -> None:
    ledger = ReplyLedger()
    ledger.saw("p", "p", 0, None)
    ledger.saw("c1", "p", 0, "p")

    ledger.settle(keep={"c1"})

    assert ledger.post_of("c1") == "p" and ledger.post_of("p") is None


def test_only_threads_seen_in_since_the_last_settle_are_looked_at() -> None:
    ledger = ReplyLedger()
    ledger.saw("q", "q", 1, None)
    ledger.settle()  # owed: kept
    ledger.saw("p", "p", 0, None)
    ledger.settle()

    assert ledger.post_of("q") == "q" and ledger.post_of("p") is None
    assert list(ledger.owed()) == [("q", 1, "q")]


def test_a_post_shown_again_after_its_thread_was_forgotten_keeps_its_replies_counted() -> None:
    ledger = ReplyLedger()
    ledger.saw("p", "p", 2, None)
    ledger.saw("c1", "p", 0, "p")
    ledger.saw("c2", "p", 0, "p")
    ledger.settle()

    ledger.saw("p", "p", 2, None)  # the listing shows the post once more; its thread is not read again
    assert list(ledger.owed()) == []
    ledger.saw("p", "p", 3, None)  # now counting one more than was seen
    assert list(ledger.owed()) == [("p", 1, "p")]
