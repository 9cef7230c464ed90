"""Swedish search over a small archive of items parts: forms, compounds ranked after whole
words, exact phrases, suggestions (library, command line, web template) and the rebuild of an
index made with the earlier analysis."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import subprocess
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archive_lib import layout
from archive_lib.metadata.schema import ITEMS_SCHEMA
from archive_lib.search import SearchIndex, SearchQuery
from archive_lib.search.index import _STATE, edit_distance
from archive_lib.storage import open_store
from tests.helpers import PROCESS_TIMEOUT, archivectl

NIGHT = dt.date(2026, 11, 20)
RUN = "kommun-mastodon_20261120T013000Z_0001"
#: (item id, text), oldest first: each an hour after the one before.
TEXTS = [
    ("1", "Cykeln stod vid busshållplatsen hela natten."),
    ("2", "Snön ligger kvar på Hässleholmsvägen, när plogas den?"),
    ("3", "Skolan stänger klockan tre."),
    ("4", "Nya cykelbanan är klar, och gatlampan är lagad."),
    ("5", "Bilagan finns i diariet."),
    ("6", "Skolor stänger i sommar."),
]


def _row(item_id: str, text: str, n: int) -> dict[str, Any]:
    created = dt.datetime(2026, 11, 10, 8, tzinfo=dt.UTC) + dt.timedelta(hours=n)
    return {
        "platform": "mastodon",
        "account_id": "kommun-mastodon",
        "board": "Kommunstyrelsen",
        "item_id": item_id,
        "item_type": "post",
        "parent_id": None,
        "post_id": item_id,
        "author_id": "1",
        "author_name": "Kommunen",
        "author_handle": "kommunen",
        "author_is_account": True,
        "text": text,
        "content_warning": None,
        "sensitive": False,
        "language": "sv",
        "visibility": "public",
        "url": f"https://social.example/@kommunen/{item_id}",
        "created_at": created,
        "edited_at": None,
        "observed_at": dt.datetime(2026, 11, 20, 1, 30, tzinfo=dt.UTC),
        "event": "new",
        "hidden": None,
        "version": 1,
        "content_sha256": "0" * 64,
        "media": None,
        "poll_options": None,
        "run_id": RUN,
        "warc_key": f"warc/mastodon/kommun-mastodon/2026/11/20/{RUN}-00001.warc.gz",
        "warc_offset": n * 4000,
        "warc_length": 4000,
        "warc_record_id": f"<urn:uuid:{int(item_id):032x}>",
        "source_url": f"https://social.example/api/v1/statuses/{item_id}",
        "retention_class": "bevaras",
        "retain_until": None,
    }


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("store")
    rows = [_row(item_id, text, n) for n, (item_id, text) in enumerate(TEXTS)]
    created = [r["created_at"] for r in rows]
    path = root / layout.items_key("kommun-mastodon", NIGHT, RUN, 1, min(created), max(created))
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=ITEMS_SCHEMA), path)
    return root.as_uri()


@pytest.fixture(scope="module")
def index(store_url: str, tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    built = SearchIndex(open_store(store_url), tmp_path_factory.mktemp("index"))
    built.refresh()
    return built


def ids(index: SearchIndex, text: str) -> list[str]:
    return [h["item_id"] for h in index.search(SearchQuery(text)).hits]


def test_a_base_form_finds_inflected_forms_and_back(index: SearchIndex) -> None:
    assert ids(index, "snö") == ["2"]  # Snön
    assert ids(index, "skola") == ["6", "3"]  # Skolor, Skolan
    assert ids(index, "skolorna") == ["6", "3"]
    assert ids(index, "ploga") == ["2"]  # plogas
    assert ids(index, "bil") == []  # not Bilagan


def test_compounds_come_after_whole_words_each_newest_first(index: SearchIndex) -> None:
    # "Cykeln" (item 1, oldest) is the word itself; "cykelbanan" (item 4) only holds it.
    results = index.search(SearchQuery("cykel"))
    assert [h["item_id"] for h in results.hits] == ["1", "4"] and results.total == 2
    assert ids(index, "hållplats") == ["1"]
    assert ids(index, "lampa") == ["4"]
    assert ids(index, "väg") == ["2"]  # Hässleholmsvägen
    limited = index.search(SearchQuery("cykel", limit=1))
    assert [h["item_id"] for h in limited.hits] == ["1"] and limited.total == 2
    assert ids(index, "cykel -cykelbana") == ["1"]


def test_highlights_mark_the_inflected_word_and_the_compound(index: SearchIndex) -> None:
    hit = index.search(SearchQuery("snö")).hits[0]
    assert [hit["snippet"][a:b] for a, b in hit["highlights"]] == ["Snön"]
    hit = index.search(SearchQuery("lampa")).hits[0]
    assert [hit["snippet"][a:b] for a, b in hit["highlights"]] == ["gatlampan"]


def test_a_quoted_phrase_is_exact(index: SearchIndex) -> None:
    assert ids(index, '"skolan stänger"') == ["3"]
    assert ids(index, '"skola stänger"') == []
    assert ids(index, "skola stänger") == ["6", "3"]
    assert ids(index, "skol*") == ["6", "3"]


def test_no_hits_suggests_the_nearest_words_without_changing_the_search(index: SearchIndex) -> None:
    results = index.search(SearchQuery("Hässlehomsvägen"))
    assert results.total == 0 and results.hits == []
    assert results.suggestions == ["Hässleholmsvägen"]
    assert index.search(SearchQuery("snö")).suggestions == []
    assert index.search(SearchQuery("qqqqqqqq")).suggestions == []


def test_edit_distance() -> None:
    assert edit_distance("plgoas", "plogas", 2) == 1  # two letters swapped
    assert edit_distance("snö", "snön", 1) == 1
    assert edit_distance("bil", "bilagan", 2) == 3


def test_the_command_line_suggests(store_url: str, tmp_path: pathlib.Path) -> None:
    base = ["--store", store_url, "--index", str(tmp_path / "i")]
    table = subprocess.run(
        archivectl("search", *base, "hässlehomsvägen"),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
    )
    assert table.returncode == 0, table.stderr
    assert "0 items match" in table.stdout and "did you mean Hässleholmsvägen?" in table.stdout
    done = subprocess.run(
        archivectl("search", *base, "hässlehomsvägen", "--format", "json"),
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
    )
    assert done.returncode == 0 and json.loads(done.stdout) == []
    assert json.loads(done.stderr.strip().splitlines()[-1]) == {"suggestions": ["Hässleholmsvägen"]}


def test_the_web_template_shows_suggestions_as_links() -> None:
    from archive_lib.language import language
    from archive_lib.registry.render import render

    form = dict.fromkeys(("q", "board", "account", "author", "type", "event", "since", "until"), "")
    form.update(q="hässlehomsvägen", board="Kommunstyrelsen")
    results = SimpleNamespace(total=0, hits=[], suggestions=["Hässleholmsvägen", "<b>x</b>"])
    link = '<a href="/registry/?q=H%C3%A4ssleholmsv%C3%A4gen&amp;board=Kommunstyrelsen'
    for code, asked in (("sv", "Menade du "), ("en", "Did you mean ")):
        page = render(
            "web_search.html",
            language(code),
            base="/registry",
            user="Rita",
            form=form,
            results=results,
            error=None,
        )
        assert asked + link in page, code
        assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_an_index_made_by_the_earlier_analysis_is_built_again(store_url: str, tmp_path: pathlib.Path) -> None:
    index = SearchIndex(open_store(store_url), tmp_path)
    index.refresh()
    state = json.loads((index.path / _STATE).read_text())
    state["schema"] = 2
    (index.path / _STATE).write_text(json.dumps(state))
    again = SearchIndex(open_store(store_url), tmp_path).refresh()
    assert again.rebuilt and again.items_written == len(TEXTS)
    assert SearchIndex(open_store(store_url), tmp_path).refresh().rebuilt is False


def test_a_part_larger_than_a_batch_is_committed_in_several(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import archive_lib.search.index as index_module

    monkeypatch.setattr(index_module, "_BATCH_ITEMS", 2)
    rows = [_row(item_id, text, n) for n, (item_id, text) in enumerate(TEXTS)]
    edit = {**_row("1", "Cykeln är hämtad.", 0), "version": 2, "event": "edited"}
    rows.append(edit)  # item 1's second version comes after two batches were committed
    created = [r["created_at"] for r in rows]
    path = tmp_path / "store" / layout.items_key("kommun-mastodon", NIGHT, RUN, 1, min(created), max(created))
    path.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=ITEMS_SCHEMA), path)
    index = SearchIndex(open_store((tmp_path / "store").as_uri()), tmp_path / "index")
    report = index.refresh()
    assert report.rows == len(rows)
    assert ids(index, "busshållplats") == ["1"] and ids(index, "hämta") == ["1"]  # both versions
    hit = index.search(SearchQuery("hämta")).hits[0]
    assert hit["versions"] == 2 and hit["text"] == "Cykeln är hämtad."
    assert json.loads((index.path / _STATE).read_text())["parts"] == [
        path.relative_to(tmp_path / "store").as_posix()
    ]
    assert index.search(SearchQuery()).total == len(TEXTS)
