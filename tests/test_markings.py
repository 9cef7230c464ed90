"""The state of secrecy markings is derived from the ``markings`` events alone, in order."""

from __future__ import annotations

import datetime as dt
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive_lib.errors import ConfigError, MarkingRefusedError
from archive_lib.metadata.markings import active_markings, mark, unmark
from archive_lib.storage import FileStore

#: Later than any clock the test runs at, so each batch is keyed by its events' own time.
T0 = dt.datetime(2040, 1, 1, tzinfo=dt.UTC)
ITEMS = [("ks", "1"), ("ks", "2"), ("bib", "1")]


@settings(max_examples=25)
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(ITEMS)), max_size=12))
def test_the_active_markings_follow_every_mark_and_unmark(ops: list[tuple[bool, tuple[str, str]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = FileStore(f"file://{folder}/archive")
        model: dict[tuple[str, str], str] = {}
        for n, (marking, (account, item)) in enumerate(ops):
            at = T0 + dt.timedelta(seconds=n)
            if marking:
                if (account, item) in model:
                    with pytest.raises(MarkingRefusedError, match="marked already"):
                        mark(store, account_id=account, item_id=item, ground="OSL 26:1", reference="r",
                             note=None, actor="eva", at=at)  # fmt: skip
                    continue
                ground = f"OSL 26 kap. {n} §"
                mark(store, account_id=account, item_id=item, ground=ground, reference=f"KS {n}", note=None,
                     actor="eva", at=at)  # fmt: skip
                model[(account, item)] = ground
            elif (account, item) in model:
                unmark(store, account_id=account, item_id=item, reason="prövat", actor="olle", at=at)
                del model[(account, item)]
            else:
                with pytest.raises(MarkingRefusedError, match="not marked"):
                    unmark(store, account_id=account, item_id=item, reason="prövat", actor="olle", at=at)
        assert {k: m.ground for k, m in active_markings(store).items()} == model


def test_a_marking_needs_a_ground_and_a_reference(tmp_path: object) -> None:
    store = FileStore(f"file://{tmp_path}/archive")
    for ground, reference in (("", "KS 1"), ("OSL 26 kap. 1 §", "  "), ("x" * 2001, "KS 1")):
        with pytest.raises(ConfigError):
            mark(store, account_id="ks", item_id="1", ground=ground, reference=reference, note=None,
                 actor="eva", at=T0)  # fmt: skip
    assert active_markings(store) == {} and list(store.list("")) == []
