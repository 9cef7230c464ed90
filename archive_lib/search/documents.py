"""The search index's documents: one per item, built from its version rows.

Every distinct text the item ever had is indexed (a word removed by a later edit still finds
it), with its content warning, poll options and image descriptions; the stored payload is the
item's newest version with its provenance and a summary of every version.

Fields of the text: ``text`` and ``extra`` hold the words as written, lower-cased, with their
positions (phrases, prefixes, snippets); ``forms`` holds every word's base forms and ``parts``
the parts of its compounds, as :mod:`archive_lib.search.swedish` finds them (a word query).
Analyzers: ``words`` (lower case, no stemming: å, ä and ö stay letters of their own),
``terms`` (the forms this module computed, as they are), ``lower`` (whole value, lower case:
exact filters).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tantivy

from archive_lib.metadata.schema import POINTER_COLUMNS, pointer_columns, pointer_of
from archive_lib.search.items import content_versions, item_state
from archive_lib.search.swedish import SWEDISH, WORD, distinct_words

SNIPPET_CHARS = 240

#: Columns of the newest version kept in the payload (the rest of the row is in the Parquet).
_PAYLOAD_COLUMNS = (
    "platform",
    "account_id",
    "board",
    "item_id",
    "item_type",
    "parent_id",
    "post_id",
    "author_id",
    "author_name",
    "author_handle",
    "author_is_account",
    "content_warning",
    "sensitive",
    "language",
    "visibility",
    "url",
    "created_at",
    "edited_at",
    "observed_at",
    "event",
    "hidden",
    "version",
    "run_id",
    *POINTER_COLUMNS,
    "source_url",
    "retention_class",
)

#: The columns of an items row that make its document.
ROW_COLUMNS = tuple(
    dict.fromkeys(
        (*_PAYLOAD_COLUMNS, "text", "content_warning", "poll_options", "media", "observed_at", "edited_at")
    )
)


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    return {
        "terms": tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build(),
        "words": tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(80))
        .filter(tantivy.Filter.lowercase())
        .build(),
        "lower": tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
        .filter(tantivy.Filter.lowercase())
        .build(),
    }


def schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=True, tokenizer_name="raw")
    sb.add_text_field("item_id", tokenizer_name="raw")
    sb.add_text_field("post_id", tokenizer_name="raw")
    for name in ("account_id", "board", "platform", "item_type", "state"):
        sb.add_text_field(name, tokenizer_name="lower")
    sb.add_text_field("author", tokenizer_name="words")
    sb.add_text_field("text", stored=True, tokenizer_name="words")
    sb.add_text_field("extra", tokenizer_name="words")
    # Only which items hold a form: results are ordered by date, not scored.
    sb.add_text_field("forms", tokenizer_name="terms", index_option="basic")
    sb.add_text_field("parts", tokenizer_name="terms", index_option="basic")
    sb.add_date_field("created_at", indexed=True, fast=True)
    sb.add_bytes_field("payload", stored=True, indexed=False)
    return sb.build()


class ItemDocument:
    """Everything the index keeps about one item while versions of it are being added."""

    def __init__(
        self, payload: dict[str, Any] | None = None, texts: Sequence[str] = (), *, stored: bool = False
    ) -> None:
        #: Whether the index holds a document of this item (read back from it).
        self.stored = stored
        self.payload = payload or {}
        self.versions: dict[int, dict[str, Any]] = {
            int(v["version"]): v for v in self.payload.get("versions", [])
        }
        self.texts: dict[int, str] = {}
        self.extra: set[str] = set(self.payload.get("extra", []))
        self.old_texts = list(texts)

    def add(self, row: Mapping[str, Any]) -> None:
        version = int(row["version"])
        self.versions[version] = {
            "version": version,
            "event": row["event"],
            "hidden": row.get("hidden"),
            "observed_at": _iso(row["observed_at"]),
            "edited_at": _iso(row.get("edited_at")),
            "night": row["run_date"].isoformat(),
        }
        self.texts[version] = row["text"] or ""
        for extra in (row.get("content_warning"), *(row.get("poll_options") or ())):
            if extra:
                self.extra.add(extra)
        for media in row.get("media") or ():
            if media.get("description"):
                self.extra.add(media["description"])
        if version >= int(self.payload.get("version", 0)):
            self.payload.update({c: _plain(row.get(c)) for c in _PAYLOAD_COLUMNS})
            self.payload["items_part"] = row["part_key"]
            self.payload["night"] = row["run_date"].isoformat()

    def document(self, key: str) -> tantivy.Document:
        versions = [self.versions[v] for v in sorted(self.versions)]
        self.payload["versions"] = versions
        self.payload["extra"] = sorted(self.extra)
        self.payload["state"] = item_state(versions)
        p = self.payload
        texts = []  # distinct texts, newest first
        for text in [self.texts[v] for v in sorted(self.texts, reverse=True)] + self.old_texts:
            if text not in texts:
                texts.append(text)
        doc = tantivy.Document()
        doc.add_text("key", key)
        doc.add_text("item_id", p["item_id"])
        doc.add_text("post_id", p["post_id"])
        for name in ("account_id", "board", "platform", "item_type", "state"):
            doc.add_text(name, p[name] or "")
        doc.add_text("author", f"{p['author_name'] or ''} {p['author_handle'] or ''}")
        for text in texts:
            doc.add_text("text", text)
        for extra in self.extra:
            doc.add_text("extra", extra)
        forms, parts = word_forms([*texts, *self.extra])
        doc.add_text("forms", " ".join(forms))
        doc.add_text("parts", " ".join(parts))
        if p["created_at"]:  # an item the platform did not date has no date to filter on
            doc.add_date("created_at", index_date(dt.datetime.fromisoformat(p["created_at"])))
        doc.add_bytes("payload", json.dumps(p, ensure_ascii=False).encode())
        return doc


def word_forms(texts: Sequence[str]) -> tuple[list[str], list[str]]:
    """The base forms of every word of ``texts``, and the parts of their compounds (each once)."""
    forms: dict[str, None] = {}
    parts: dict[str, None] = {}
    for word in {w for text in texts for w in distinct_words(text)}:
        word_forms_of, part_forms = SWEDISH.terms(word)
        forms.update(dict.fromkeys(word_forms_of))
        parts.update(dict.fromkeys(part_forms))
    return list(forms), [p for p in parts if p not in forms]


#: The dates Tantivy can hold (nanoseconds in 64 bits); platforms send any year from 1 to 9999.
FIRST_DATE = dt.datetime(1678, 1, 1, tzinfo=dt.UTC)
LAST_DATE = dt.datetime(2262, 1, 1, tzinfo=dt.UTC)


def index_date(moment: dt.datetime) -> dt.datetime:
    """``moment`` as the index can hold it: an earlier or later one at the end of the range, where
    it still sorts first or last and still falls outside any real date filter. The payload keeps
    the true time."""
    return min(max(moment, FIRST_DATE), LAST_DATE)


def item_key(row: Mapping[str, Any]) -> str:
    """The key of an item's document: an item id is unique within the account that captured it."""
    return f"{row['account_id']}/{row['item_id']}"


def hit_dict(
    payload: dict[str, Any], texts: Sequence[str], matches: Callable[[str], bool] | None
) -> dict[str, Any]:
    """A search result: the item's latest version, its state, a snippet (with the character
    ranges of the matching words in ``highlights``; ``matches`` tells a matching word, lower
    case) and its provenance."""
    snippet, marks = snippet_of(texts, matches)
    p = payload
    return {
        "item_id": p["item_id"],
        "item_type": p["item_type"],
        "platform": p["platform"],
        "account_id": p["account_id"],
        "board": p["board"],
        "author_name": p["author_name"],
        "author_handle": p["author_handle"],
        "text": texts[0] if texts else "",
        "created_at": p["created_at"],
        "url": p["url"],
        "event": p["state"],
        "post_id": p["post_id"],
        "parent_id": p["parent_id"],
        "version": p["version"],
        "versions": content_versions(p["versions"]),
        "nights": sorted({v["night"] for v in p["versions"]}),
        "snippet": snippet,
        "highlights": marks,
        **pointer_columns(pointer_of(p)),
        "observed_at": p["observed_at"],
        "run_id": p["run_id"],
        "source_url": p["source_url"],
        "items_part": p["items_part"],
    }


def snippet_of(
    texts: Sequence[str], matches: Callable[[str], bool] | None
) -> tuple[str, list[tuple[int, int]]]:
    """At most :data:`SNIPPET_CHARS` of the newest text holding a matching word (the whole text
    if it is short enough), and the character ranges of the matching words in it."""
    latest = texts[0] if texts else ""
    for text in texts if matches is not None else ():
        lowered = text.lower()
        if len(lowered) == len(text):  # the same places (a few letters grow when lower-cased)
            found = [(m.start(), m.end()) for m in WORD.finditer(lowered) if matches(m.group())]  # type: ignore[misc]
        else:
            found = [(m.start(), m.end()) for m in WORD.finditer(text) if matches(m.group().lower())]  # type: ignore[misc]
        if not found:
            continue
        if len(text) <= SNIPPET_CHARS:
            return text, found
        start = max(0, found[0][0] - SNIPPET_CHARS // 6)
        if start:  # begin at a word
            space = text.find(" ", start, found[0][0])
            start = space + 1 if space >= 0 else found[0][0]
        end = start + SNIPPET_CHARS
        return text[start:end], [(a - start, min(b, end) - start) for a, b in found if a < end]
    return latest[:SNIPPET_CHARS], []


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
