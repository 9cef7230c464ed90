"""The gold set of Swedish search (tests/search_gold.py) through the index's own schema, word
forms and queries, with the Swedish Snowball stemmer alone as the baseline.

Each form is one document of an index in memory; a pair is found when the query built for a
registrar's words matches the document. Goals: inflection recall at least 0.95 (whole words),
compound recall at least 0.8, every precision pair held (no tier finds it).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import tantivy

from archive_lib.search.documents import analyzers, schema, word_forms
from archive_lib.search.query import SearchQuery
from archive_lib.search.translate import QueryBuilder
from tests.search_gold import COMPOUNDS, INFLECTIONS, PRECISION, pairs

INFLECTION_GOAL = 0.95
COMPOUND_GOAL = 0.8

Finder = Callable[[str, str], bool]


def _index(forms: list[str]) -> tuple[tantivy.Searcher, dict[str, int]]:
    index = tantivy.Index(schema())
    for name, analyzer in analyzers().items():
        index.register_tokenizer(name, analyzer)
    writer = index.writer(15_000_000, 1)
    for number, form in enumerate(forms):
        doc = tantivy.Document()
        doc.add_text("key", str(number))
        doc.add_text("text", form)
        found, parts = word_forms([form])
        doc.add_text("forms", " ".join(found))
        doc.add_text("parts", " ".join(parts))
        writer.add_document(doc)
    writer.commit()
    index.reload()
    return index.searcher(), {form: number for number, form in enumerate(forms)}


@pytest.fixture(scope="module")
def project() -> tuple[Finder, Finder]:
    """(whole words only, with compounds): whether a query finds a form, as the index does."""
    forms = sorted({form for _, form in pairs(INFLECTIONS) + pairs(COMPOUNDS) + PRECISION})
    searcher, numbers = _index(forms)
    builder = QueryBuilder(schema(), analyzers())

    def finds(query: str, form: str, *, compounds: bool) -> bool:
        built = builder.build(SearchQuery(query))
        run = built.full if compounds or built.whole is None else built.whole
        keys = {searcher.doc(address)["key"][0] for _, address in searcher.search(run, 1000).hits}
        return str(numbers[form]) in keys

    return (lambda q, f: finds(q, f, compounds=False)), (lambda q, f: finds(q, f, compounds=True))


@pytest.fixture(scope="module")
def snowball() -> Finder:
    """The baseline: the Swedish Snowball stem of the query against the stems of the form."""
    stem = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("swedish"))
        .build()
    )
    return lambda query, form: bool(set(stem.analyze(query)) & set(stem.analyze(form)))


def recall(finds: Finder, gold: list[tuple[str, str]]) -> tuple[float, list[tuple[str, str]]]:
    missed = [pair for pair in gold if not finds(*pair)]
    return 1 - len(missed) / len(gold), missed


def test_the_gold_set_is_large_enough() -> None:
    assert len(pairs(INFLECTIONS)) + len(pairs(COMPOUNDS)) + len(PRECISION) >= 150
    assert len(PRECISION) >= 20
    assert {"irregular", "verbs and participles", "place names"} <= set(INFLECTIONS)
    assert {"without linking letters", "with a linking letter"} <= set(COMPOUNDS)


def test_gold_set_recall_and_precision(
    project: tuple[Finder, Finder],
    snowball: Finder,
    record_property: Callable[[str, object], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    whole, with_compounds = project
    inflections, missed_inflections = recall(whole, pairs(INFLECTIONS))
    compounds, missed_compounds = recall(with_compounds, pairs(COMPOUNDS))
    wrong = [pair for pair in PRECISION if with_compounds(*pair)]
    base_inflections, _ = recall(snowball, pairs(INFLECTIONS))
    base_compounds, _ = recall(snowball, pairs(COMPOUNDS))
    base_wrong = [pair for pair in PRECISION if snowball(*pair)]
    figures = (
        f"gold set: inflection recall {inflections:.3f} (Snowball alone {base_inflections:.3f}), "
        f"compound recall {compounds:.3f} (Snowball alone {base_compounds:.3f}), "
        f"precision pairs held {len(PRECISION) - len(wrong)}/{len(PRECISION)} "
        f"(Snowball alone {len(PRECISION) - len(base_wrong)}/{len(PRECISION)})"
    )
    with capsys.disabled():
        print(f"\n{figures}")
    record_property("gold_set", figures)
    assert inflections >= INFLECTION_GOAL, (figures, missed_inflections)
    assert compounds >= COMPOUND_GOAL, (figures, missed_compounds)
    assert not wrong, (figures, wrong)
    # The figures the choice rests on: the lemma and compounds add what Snowball misses.
    assert base_inflections < inflections and base_compounds < compounds


def test_a_compound_ranks_below_whole_words(project: tuple[Finder, Finder]) -> None:
    whole, with_compounds = project
    assert with_compounds("cykel", "cykelbanan") and not whole("cykel", "cykelbanan")
    assert whole("cykelbana", "cykelbanan")
