"""A registrar's query (:class:`~archive_lib.search.query.SearchQuery`) as a Tantivy query.

Words and phrases go through the same Swedish analyzer as the indexed text (so ``badhus``
meets ``badhuset``) and are looked up in the text and in the extras (content warnings, poll
options, image descriptions); prefixes match unstemmed words; filters are exact terms on
lower-cased fields, and dates a range on ``created_at`` (Stockholm days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import tantivy

from archive_lib.clock import local_day_end, local_day_start
from archive_lib.search.documents import FIRST_DATE, LAST_DATE, index_date
from archive_lib.search.query import Clause, SearchQuery

# Days a date filter can name within what the index holds (see documents.index_date).
_FIRST_DAY = FIRST_DATE.date() + dt.timedelta(days=1)
_LAST_DAY = LAST_DATE.date() - dt.timedelta(days=1)


class QueryBuilder:
    """Builds queries for one index schema and its analyzers."""

    def __init__(self, schema: tantivy.Schema, analyzers: dict[str, tantivy.TextAnalyzer]) -> None:
        self._schema = schema
        self._analyzers = analyzers

    def build(self, query: SearchQuery) -> tuple[tantivy.Query, tantivy.Query | None]:
        """The whole query, and its free-text part alone (for snippets; ``None`` without text)."""
        text_query = self._text_query(query.clauses)
        return self._query(query, text_query), text_query

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

    def _text_query(self, clauses: Sequence[Clause]) -> tantivy.Query | None:
        parts: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for clause in clauses:
            sub = self._clause(clause)
            if sub is not None:
                parts.append((tantivy.Occur.MustNot if clause.negated else tantivy.Occur.Must, sub))
        if not parts:
            return None
        if all(occur == tantivy.Occur.MustNot for occur, _ in parts):
            parts.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(parts)

    def _clause(self, clause: Clause) -> tantivy.Query | None:
        if clause.kind == "prefix":
            words = self._analyzers["words"].analyze(clause.text)
            if not words:
                return None
            if len(words) == 1:
                # Words are letters and digits only (the tokenizer split on everything else).
                return tantivy.Query.regex_query(self._schema, "text_words", f"{words[0]}.*")
            return tantivy.Query.phrase_prefix_query(
                self._schema, "text_words", list[str | tuple[int, str]](words)
            )
        stems = self._analyzers["sv"].analyze(clause.text)
        options = [self._words(name, stems) for name in ("text", "extra")]
        present = [q for q in options if q is not None]
        return _any(present) if present else None

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
