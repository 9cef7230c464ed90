"""Odd values from platforms are archived, never dropped: through every connector's parsing, the
layout and the Parquet schema (issue: "Nothing a platform sends can break a night").

Each property starts from a documented body of the platform (tests/fakes/*_reference.py, which
name their sources), replaces fields with values Hypothesis generates (times in the years 1 to
9999, with and without a zone, or no time at all; ids and languages as JSON numbers; null, lists
and objects where text belongs; lone surrogates and control characters in text), and checks that:

* the connector turns the item into a snapshot without raising;
* the version row fits the items schema: it is written to Parquet and read back unchanged in
  type, and every value the archive could not read as typed is in ``unparsed``, as sent;
* the items part's key made from the row round-trips through the layout and names a range
  that holds the item's time.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import pathlib
from typing import Any

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from archive_lib import layout
from archive_lib.capture.versions import Versioner
from archive_lib.connectors.bluesky import BlueskyConnector
from archive_lib.connectors.facebook import FacebookConnector
from archive_lib.connectors.instagram import InstagramConnector
from archive_lib.connectors.mastodon import MastodonConnector, _status
from archive_lib.connectors.youtube import YouTubeConnector
from archive_lib.metadata.parquet import read_parquet_bytes
from archive_lib.metadata.schema import ITEMS_SCHEMA, item_time
from archive_lib.metadata.state import KnownState
from archive_lib.models import Account, ItemSnapshot, RecordRef
from archive_lib.retention_classes import RetentionClass
from archive_lib.storage import FileStore
from archive_lib.values import moment
from tests.fakes import bluesky_reference, graph_reference, mastodon_reference, youtube_reference

RUN_DATE = dt.date(2026, 11, 20)
OBSERVED = dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC)
RECORD = RecordRef("warc/x/a/2026/11/20/a-00001.warc.gz", 10, 20, "<urn:uuid:1>", "https://x/", OBSERVED, 200)

# -- odd values ------------------------------------------------------------------------------

years = st.integers(min_value=1, max_value=9999)
times = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
)
iso_times = st.one_of(
    times.map(lambda t: t.isoformat().replace("+00:00", "Z")),
    times.map(lambda t: t.replace(tzinfo=None).isoformat()),  # no zone: a client's own clock
    times.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S+0000") if t.year >= 1000 else t.isoformat()),
    st.just("0001-01-01T00:00:00+01:00"),  # before the year 1 in UTC
    st.just("9999-12-31T23:59:59.999999Z"),
    st.just("0099-03-01T12:00:00Z"),
)
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
odd_times = st.one_of(iso_times, junk)
odd_ids = st.one_of(st.integers(min_value=0, max_value=2**70), st.text(min_size=1, max_size=40), junk)
hostile_text = st.text(
    alphabet=st.characters(codec=None, categories=None, min_codepoint=0, max_codepoint=0x10FFFF),
    max_size=60,
)
odd_text = st.one_of(hostile_text, junk)


def _account(platform: str) -> Account:
    return Account(
        id=f"ks-{platform}",
        board="Kommunstyrelsen",
        platform=platform,
        handle="kristianstad",
        retention=RetentionClass("bevaras", None),
        api_base="https://social.example" if platform == "mastodon" else "https://api.example",
    )


def _versioner(tmp: pathlib.Path, account: Account) -> Versioner:
    store = FileStore(tmp.as_uri())
    known = KnownState(store, [], high_water=None, last_ok_run=None)
    return Versioner(known, account=account, run_id=f"{account.id}_20261120T013000Z_abcd", run_date=RUN_DATE)


def _archived(tmp: pathlib.Path, account: Account, snapshot: ItemSnapshot) -> dict[str, Any]:
    """The snapshot's row as written to Parquet and read back; the layout checked on the way."""
    versioner = _versioner(tmp, account)
    (row,) = versioner.seen(snapshot)
    data = versioner.parquet([row], {})  # as the night writes its parts
    (back,) = read_parquet_bytes(data).to_pylist()
    assert pa.Table.from_pylist([back], ITEMS_SCHEMA).schema.equals(ITEMS_SCHEMA)
    when = item_time(back)
    key = layout.items_key(account.id, RUN_DATE, row["run_id"], 1, when, when)
    part = layout.parse_items_key(key)
    assert part is not None, key
    assert part.may_hold(when)
    for note in back["unparsed"]:  # the value as sent, as JSON text (cut when very long)
        if not note["value"].endswith("…"):
            json.loads(note["value"])
    return back


def _noted(row: dict[str, Any], field: str) -> bool:
    return any(n["field"] == field for n in row["unparsed"])


def _check_time(row: dict[str, Any], sent: Any, field: str = "created_at") -> None:
    """An unreadable time is None and noted; a readable one is kept, to the microsecond."""
    parsed = moment(sent)
    if parsed is None:
        assert row[field] is None
        assert _noted(row, field) or _noted(row, f"record.{field}")
    else:
        assert row[field] == parsed


# -- Mastodon ----------------------------------------------------------------------------------


@given(created=odd_times, status_id=odd_ids, language=odd_text, content=odd_text, name=odd_text)
def test_mastodon_statuses_with_odd_values_are_archived(
    tmp_path_factory: Any, created: Any, status_id: Any, language: Any, content: Any, name: Any
) -> None:
    raw = copy.deepcopy(mastodon_reference.STATUS)
    raw.update(id=status_id, created_at=created, language=language, content=content)
    raw["account"]["display_name"] = name
    account = _account("mastodon")
    connector = MastodonConnector(account, None, None, authenticated=False)  # type: ignore[arg-type]
    connector.me = "1"
    status = _status(raw)
    if status is None:  # no usable id: the WARC record is all there is (the walk warns)
        assert not isinstance(status_id, str) or not status_id
        return
    snapshot = connector._snapshot(status, status, RECORD, "post", status["id"])
    row = _archived(tmp_path_factory.mktemp("m"), account, snapshot)
    assert row["item_id"] == status["id"]
    _check_time(row, created)
    assert isinstance(row["text"], str) and isinstance(row["author_name"], str)
    if language is not None and not isinstance(language, str):
        assert row["language"] == json.dumps(language, ensure_ascii=False) or _noted(row, "language")
        assert _noted(row, "language")


# -- Bluesky -------------------------------------------------------------------------------------


@given(
    created=odd_times, indexed=odd_times, text=odd_text, langs=st.one_of(junk, st.lists(odd_text, max_size=3))
)
def test_bluesky_posts_with_odd_values_are_archived(
    tmp_path_factory: Any, created: Any, indexed: Any, text: Any, langs: Any
) -> None:
    view = copy.deepcopy(bluesky_reference.THREAD["thread"]["post"])
    view["record"].update(createdAt=created, text=text, langs=langs)
    view["indexedAt"] = indexed
    account = _account("bluesky")
    connector = BlueskyConnector(account, None, None, authenticated=False)  # type: ignore[arg-type]
    connector.did = "did:plc:kvwvcn5iqfooopmyzvb4qzba"
    snapshot = connector._snapshot(_Fetched(view), "post", view["uri"])
    row = _archived(tmp_path_factory.mktemp("b"), account, snapshot)
    readable, index_time = moment(created), moment(indexed)
    if readable is not None and (index_time is None or readable - index_time <= dt.timedelta(minutes=10)):
        assert row["created_at"] == readable  # a backdated post keeps the author's date
    else:  # unreadable (noted), or later than the AppView saw it: the AppView's time
        assert row["created_at"] == index_time
        assert _noted(row, "record.createdAt") == (readable is None)


class _Fetched:
    def __init__(self, view: dict[str, Any]) -> None:
        self.view = view
        self.record = RECORD


# -- YouTube -------------------------------------------------------------------------------------


@given(published=odd_times, updated=odd_times, text=odd_text, comment_id=odd_ids)
def test_youtube_comments_with_odd_values_are_archived(
    tmp_path_factory: Any, published: Any, updated: Any, text: Any, comment_id: Any
) -> None:
    thread = copy.deepcopy(youtube_reference.COMMENT_THREADS["items"][0])
    comment = thread["snippet"]["topLevelComment"]
    comment["snippet"].update(publishedAt=published, updatedAt=updated, textOriginal=text)
    account = _account("youtube")
    connector = YouTubeConnector(account, None, None, authenticated=True)  # type: ignore[arg-type]
    comment["id"] = str(comment_id) if isinstance(comment_id, int) else comment_id
    if not isinstance(comment["id"], str) or not comment["id"]:
        return  # no usable id: left out by the walk (which warns), kept in the WARC record
    snapshot = connector._comment_snapshot(comment, "video-1", RECORD)
    row = _archived(tmp_path_factory.mktemp("y"), account, snapshot)
    _check_time(row, published)
    assert isinstance(row["text"], str)


@given(published=odd_times, title=odd_text, language=odd_text)
def test_youtube_videos_with_odd_values_are_archived(
    tmp_path_factory: Any, published: Any, title: Any, language: Any
) -> None:
    video = {
        "id": "dQw4w9WgXcQ",
        "snippet": {
            "publishedAt": published,
            "title": title,
            "description": "Kommunfullmäktige 20 november",
            "channelId": "UC123",
            "channelTitle": "Kristianstads kommun",
            "defaultAudioLanguage": language,
        },
        "status": {"privacyStatus": "public"},
    }
    account = _account("youtube")
    connector = YouTubeConnector(account, None, None, authenticated=True)  # type: ignore[arg-type]
    snapshot = connector._video_snapshot(video, RECORD)
    row = _archived(tmp_path_factory.mktemp("v"), account, snapshot)
    _check_time(row, published)


# -- Facebook and Instagram (Graph API) ------------------------------------------------------------


@given(created=odd_times, message=odd_text, author_id=odd_ids, hidden=junk)
def test_facebook_comments_with_odd_values_are_archived(
    tmp_path_factory: Any, created: Any, message: Any, author_id: Any, hidden: Any
) -> None:
    comment = copy.deepcopy(graph_reference.COMMENT)
    comment.update(created_time=created, message=message, is_hidden=hidden)
    comment["from"]["id"] = author_id
    account = _account("facebook")
    connector = FacebookConnector(account, None, None, authenticated=True)  # type: ignore[arg-type]
    snapshot = connector.snapshot(comment, RECORD, "comment", "2954961744718970")
    row = _archived(tmp_path_factory.mktemp("f"), account, snapshot)
    _check_time(row, created)
    assert isinstance(row["author_id"], str)


@given(created=odd_times, text=odd_text, username=odd_text)
def test_instagram_comments_with_odd_values_are_archived(
    tmp_path_factory: Any, created: Any, text: Any, username: Any
) -> None:
    comment = copy.deepcopy(graph_reference.IG_COMMENT)
    comment.update(timestamp=created, text=text, username=username)
    account = _account("instagram")
    connector = InstagramConnector(account, None, None, authenticated=True)  # type: ignore[arg-type]
    snapshot = connector.snapshot(comment, RECORD, "comment", "17895695668004550")
    row = _archived(tmp_path_factory.mktemp("i"), account, snapshot)
    _check_time(row, created)


# -- the layout alone ------------------------------------------------------------------------------


@given(first=times, last=times)
def test_every_items_key_round_trips_and_holds_its_range(first: dt.datetime, last: dt.datetime) -> None:
    first, last = min(first, last), max(first, last)
    key = layout.items_key("ks-bluesky", RUN_DATE, "ks-bluesky_20261120T013000Z_abcd", 7, first, last)
    part = layout.parse_items_key(key)
    assert part is not None, key
    assert (part.account_id, part.run_date, part.seq) == ("ks-bluesky", RUN_DATE, 7)
    assert part.may_hold(first) and part.may_hold(last)


def test_a_run_of_more_than_99999_parts_names_them_all_readably() -> None:
    moment = dt.datetime(2026, 11, 19, 12, tzinfo=dt.UTC)
    run_id = "ks-bluesky_20261120T013000Z_abcd"
    keys = [layout.items_key("ks-bluesky", RUN_DATE, run_id, n, moment, moment) for n in (1, 99_999, 100_000)]
    assert [k.rsplit("/", 1)[1].split(".")[0] for k in keys] == [
        f"{run_id}-00001",
        f"{run_id}-99999",
        f"{run_id}-100000",
    ]
    parts = [layout.parse_items_key(k) for k in keys]
    assert [p.seq if p else None for p in parts] == [1, 99_999, 100_000]
