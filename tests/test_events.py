"""The event log: append-only batches in the store, read back in the order they were written."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_lib.errors import EventLogError
from archive_lib.metadata import events
from archive_lib.metadata.events import Event, EventBuffer
from archive_lib.storage import open_store
from archive_lib.storage.base import ObjectStore
from archive_lib.storage.file import FileStore

T0 = dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["file", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> ObjectStore:
    if request.param == "file":
        return FileStore((tmp_path / "archive").as_uri())
    bucket = request.getfixturevalue("locked_bucket")
    return open_store(f"s3://{bucket}/archive")


def _hold(n: int, at: dt.datetime = T0) -> Event:
    return Event("holds", "place", "registrator1", at, {"hold_id": f"h{n}", "items": [str(n)]})


def test_events_come_back_in_the_order_they_were_recorded_with_their_fields(store: ObjectStore) -> None:
    first = events.append(store, [_hold(1), _hold(2)], written_at=T0)
    second = events.append(
        store, [_hold(3, T0 + dt.timedelta(hours=1))], written_at=T0 + dt.timedelta(hours=1)
    )
    assert first and second and first < second
    assert first.startswith("events/holds/2026/11/27/") and first.endswith(".jsonl")
    read = list(events.read(store, "holds"))
    assert [e.data["hold_id"] for e in read] == ["h1", "h2", "h3"]
    assert read[0].actor == "registrator1" and read[0].at == T0 and read[0].action == "place"
    assert store.stat(first).retention is not None and store.stat(first).retention.permanent
    assert list(events.read(store, "markings")) == []


def test_since_and_until_filter_on_the_events_own_time(store: ObjectStore) -> None:
    for day in range(5):
        at = T0 + dt.timedelta(days=day)
        events.append(store, [_hold(day, at)], written_at=at)
    got = events.read(store, "holds", since=T0 + dt.timedelta(days=1), until=T0 + dt.timedelta(days=3))
    assert [e.data["hold_id"] for e in got] == ["h1", "h2", "h3"]


def test_a_batch_is_one_stream_and_an_unknown_stream_is_refused(tmp_path: pathlib.Path) -> None:
    store = FileStore((tmp_path / "a").as_uri())
    with pytest.raises(ValueError, match="one stream"):
        events.append(store, [_hold(1), Event("access", "search", "u", T0)])
    with pytest.raises(ValueError, match="unknown event stream"):
        Event("gossip", "say", "u", T0)
    with pytest.raises(ValueError, match="time zone"):
        Event("holds", "place", "u", dt.datetime(2026, 1, 1))
    assert events.append(store, []) is None
    assert list(store.list("events/")) == []


def test_a_changed_batch_is_named_with_its_line_not_skipped(tmp_path: pathlib.Path) -> None:
    store = FileStore((tmp_path / "a").as_uri())
    good = json.dumps(_hold(1).to_json())
    key = "events/holds/2026/11/27/110000000000Z_00000000000000aa.jsonl"
    store.put(key, f"{good}\n{{not json\n".encode(), retention=events.EVENT_RETENTION, tags={})
    with pytest.raises(EventLogError, match=r"110000000000Z_00000000000000aa\.jsonl, line 2"):
        list(events.read(store, "holds"))


def test_the_buffer_writes_in_batches_and_everything_at_the_end(tmp_path: pathlib.Path) -> None:
    store = FileStore((tmp_path / "a").as_uri())
    with EventBuffer(store, max_events=3, max_age=3600) as buffer:
        for n in range(7):
            buffer.add(Event("access", "search", "u", T0, {"query": str(n)}))
        assert len(list(store.list("events/access/"))) == 2  # two full batches of three
    assert len(list(store.list("events/access/"))) == 3
    assert [e.data["query"] for e in events.read(store, "access")] == [str(n) for n in range(7)]


@given(
    actor=st.text(max_size=40),
    data=st.dictionaries(
        st.text(max_size=20), st.one_of(st.text(max_size=50), st.integers(), st.none()), max_size=5
    ),
)
def test_any_text_round_trips_unchanged(
    tmp_path_factory: pytest.TempPathFactory, actor: str, data: dict
) -> None:
    store = FileStore((tmp_path_factory.mktemp("ev") / "a").as_uri())
    event = Event("moderation", "note", actor, T0, data)
    events.append(store, [event])
    (back,) = events.read(store, "moderation")
    assert (back.actor, dict(back.data), back.id, back.at) == (actor, data, event.id, T0)
