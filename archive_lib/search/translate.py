"""A registrar's query (:class:`~archive_lib.search.query.SearchQuery`) as a Tantivy query.

A word is looked up by its forms (:mod:`archive_lib.search.swedish`): among the indexed words'
base forms (``badhus`` meets ``badhuset``) and, as a second tier, among the parts of compounds
(``hus`` meets ``badhuset``), which come after every whole-word match. Phrases and prefixes
match the words as written (lower case), in the text and in the extras (content warnings, poll
options, image descriptions). Filters are exact terms on lower-cased fields, and dates a range
on ``created_at`` (Stockholm days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import tantivy

from archive_lib.clock import local_day_end, local_day_start
from archive_lib.search.documents import FIRST_DATE, LAST_DATE, index_date
from archive_lib.search.query import Clause, SearchQuery
from archive_lib.search.swedish import SWEDISH, words

# Days a date filter can name within what the index holds (see documents.index_date).
_FIRST_DAY = FIRST_DATE.date() + dt.timedelta(days=1)
_LAST_DAY = LAST_DATE.date() - dt.timedelta(days=1)


@dataclass(frozen=True)
class BuiltQuery:
    """A query as Tantivy runs it: ``full`` finds every match; ``whole`` (``None`` when it is
    the same) only the items matching every word as a whole word, which are listed first;
    ``matches`` tells a word (lower case) to highlight (``None`` without free text)."""

    full: tantivy.Query
    whole: tantivy.Query | None
    matches: Callable[[str], bool] | None
    #: The forms of the query's words, as compound parts would hold them (if no item holds
    #: any, ``whole`` and ``full`` find the same items).
    part_terms: tuple[str, ...] = ()


class QueryBuilder:
    """Builds queries for one index schema and its analyzers."""

    def __init__(self, schema: tantivy.Schema, analyzers: dict[str, tantivy.TextAnalyzer]) -> None:
        self._schema = schema
        self._analyzers = analyzers

    def build(self, query: SearchQuery) -> BuiltQuery:
        """The query in Tantivy's terms; see :class:`BuiltQuery`."""
        full = self._query(query, self._text_query(query.clauses, compounds=True))
        has_words = any(c.kind == "word" and not c.negated for c in query.clauses)
        whole = self._query(query, self._text_query(query.clauses, compounds=False)) if has_words else None
        positive = [c for c in query.clauses if not c.negated]
        part_terms = tuple(
            form
            for c in positive
            if c.kind == "word" and len(written := self._analyzers["words"].analyze(c.text)) == 1
            for form in SWEDISH.forms(written[0])
        )
        return BuiltQuery(full, whole, _matcher(positive) if positive else None, part_terms)

    def any_word(self, word: str) -> tantivy.Query:
        """Items holding ``word`` in any form or as a part of a compound."""
        return self._text_query((Clause("word", word),), compounds=True) or tantivy.Query.empty_query()

    def _query(self, query: SearchQuery, text_query: tantivy.Query | None) -> tantivy.Query:
        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        if text_query is not None:
            must.append((tantivy.Occur.Must, text_query))
        for field_name, values in (
            ("account_id", query.accounts),
            ("board", query.boards),
            ("platform", query.platforms),
            ("item_type", query.item_types),
            ("state", query.events),
        ):
            if values:
                must.append((tantivy.Occur.Must, self._any_term(field_name, [v.lower() for v in values])))
        if query.item_ids:
            must.append((tantivy.Occur.Must, self._any_term("item_id", list(query.item_ids))))
        if query.authors:
            alternatives = [self._words("author", self._analyzers["words"].analyze(a)) for a in query.authors]
            must.append((tantivy.Occur.Must, _any([q for q in alternatives if q is not None])))
        if query.since or query.until:
            must.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        self._schema,
                        "created_at",
                        tantivy.FieldType.Date,
                        index_date(local_day_start(max(query.since, _FIRST_DAY))) if query.since else None,
                        index_date(local_day_end(min(query.until, _LAST_DAY))) if query.until else None,
                        include_upper=not query.until,
                    ),
                )
            )
        if not must:
            return tantivy.Query.all_query()
        return tantivy.Query.boolean_query(must)

    def _text_query(self, clauses: Sequence[Clause], *, compounds: bool) -> tantivy.Query | None:
        parts: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for clause in clauses:
            # A negated word leaves out its compounds too: "-hus" also drops "badhuset".
            sub = self._clause(clause, compounds=compounds or clause.negated)
            if sub is not None:
                parts.append((tantivy.Occur.MustNot if clause.negated else tantivy.Occur.Must, sub))
        if not parts:
            return None
        if all(occur == tantivy.Occur.MustNot for occur, _ in parts):
            parts.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(parts)

    def _clause(self, clause: Clause, *, compounds: bool) -> tantivy.Query | None:
        written = self._analyzers["words"].analyze(clause.text)
        if not written:
            return None
        if clause.kind == "prefix":
            if len(written) == 1:
                # Words are letters and digits only (the tokenizer split on everything else).
                return _any(
                    [
                        tantivy.Query.regex_query(self._schema, name, f"{written[0]}.*")
                        for name in ("text", "extra")
                    ]
                )
            return _any(
                [
                    tantivy.Query.phrase_prefix_query(
                        self._schema, name, list[str | tuple[int, str]](written)
                    )
                    for name in ("text", "extra")
                ]
            )
        if clause.kind == "phrase" or len(written) > 1:  # "hur-länge" is a phrase as well
            return _any([q for name in ("text", "extra") if (q := self._words(name, written)) is not None])
        forms = list(SWEDISH.forms(written[0]))
        options = [tantivy.Query.term_set_query(self._schema, "forms", forms)]
        if compounds:
            options.append(tantivy.Query.term_set_query(self._schema, "parts", forms))
        return _any(options)

    def _words(self, field_name: str, words: Sequence[str]) -> tantivy.Query | None:
        if not words:
            return None
        if len(words) == 1:
            return tantivy.Query.term_query(self._schema, field_name, words[0])
        return tantivy.Query.phrase_query(self._schema, field_name, list(words))

    def _any_term(self, field_name: str, values: Sequence[str]) -> tantivy.Query:
        return _any([tantivy.Query.term_query(self._schema, field_name, v) for v in values])


def _any(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _matcher(clauses: Sequence[Clause]) -> Callable[[str], bool]:
    """Whether a word (lower case) is one the clauses match, to highlight it."""
    exact: set[str] = set()
    prefixes: list[str] = []
    forms: set[str] = set()
    for clause in clauses:
        written = [w for _, _, w in words(clause.text)]
        if clause.kind == "prefix" and written:
            exact.update(written[:-1])
            prefixes.append(written[-1])
        elif clause.kind == "phrase" or len(written) > 1:
            exact.update(written)
        elif written:
            forms.update(SWEDISH.forms(written[0]))

    known: dict[str, bool] = {}

    def matches(word: str) -> bool:
        found = known.get(word)
        if found is None:
            found = known[word] = word_matches(word)
        return found

    def word_matches(word: str) -> bool:
        if word in exact or any(word.startswith(p) for p in prefixes):
            return True
        if not forms:
            return False
        if forms.intersection(SWEDISH.forms(word)):
            return True
        return any(forms.intersection(SWEDISH.forms(part)) for part in SWEDISH.parts(word))

    return matches
