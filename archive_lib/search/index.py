"""The search index: derived from the store's items Parquet, kept in a local cache folder.

One document per item (not per version): every distinct text the item ever had is indexed, so
a word removed by a later edit still finds the item; the stored payload is the item's newest
version with its provenance and a summary of every version. The index is never needed to
prove anything and can be deleted at any time: :meth:`SearchIndex.refresh` rebuilds it from
the store, and after a night indexes only the items parts it has not seen (parts are
immutable and carry their night and run in their names).

Engine: Tantivy (tantivy-py), chosen by measurement (see docs/search.md): Swedish Snowball
stemming, BM25, phrase and prefix queries, snippets, fast-field sorting and range filters,
and documents can be replaced one by one (an item's new version updates its document).

Where it lives: ``{root}/{sha256(store URL)[:16]}/`` where ``root`` is ``--index DIR``, else
``$ARCHIVE_INDEX_DIR``, else ``$XDG_CACHE_HOME/social-records-archive/search`` (default
``~/.cache/social-records-archive/search``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import pathlib
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import tantivy

from archive_lib import layout
from archive_lib.errors import ConfigError
from archive_lib.search.items import day_end, day_start, item_state, list_parts, part_order, read_part
from archive_lib.search.query import Clause, SearchQuery
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
ENV_INDEX_DIR = "ARCHIVE_INDEX_DIR"
_STATE = "state.json"
_WRITER_HEAP = 256 * 1024 * 1024
_BATCH_ITEMS = 50_000
_SNIPPET_CHARS = 240

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
    "warc_key",
    "warc_offset",
    "warc_length",
    "warc_record_id",
    "source_url",
    "retention_class",
)


def index_root(root: str | os.PathLike[str] | None = None) -> pathlib.Path:
    """The folder holding the indexes of every store this user searches."""
    if root:
        return pathlib.Path(root).expanduser()
    if os.environ.get(ENV_INDEX_DIR):
        return pathlib.Path(os.environ[ENV_INDEX_DIR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(cache) / "social-records-archive" / "search"


def index_path(store_url: str, root: str | os.PathLike[str] | None = None) -> pathlib.Path:
    """The index folder of the store at ``store_url``."""
    return index_root(root) / hashlib.sha256(store_url.encode()).hexdigest()[:16]


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    words = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).filter(tantivy.Filter.remove_long(80))
    return {
        # Stemming before any folding: the Swedish Snowball rules need å, ä and ö.
        "sv": words.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.stemmer("swedish")).build(),
        "words": tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(80))
        .filter(tantivy.Filter.lowercase())
        .build(),
        "lower": tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
        .filter(tantivy.Filter.lowercase())
        .build(),
    }


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=True, tokenizer_name="raw")
    sb.add_text_field("item_id", tokenizer_name="raw")
    sb.add_text_field("post_id", tokenizer_name="raw")
    for name in ("account_id", "board", "platform", "item_type", "state"):
        sb.add_text_field(name, tokenizer_name="lower")
    sb.add_text_field("author", tokenizer_name="words")
    sb.add_text_field("text", stored=True, tokenizer_name="sv")
    sb.add_text_field("text_words", tokenizer_name="words")
    sb.add_text_field("extra", tokenizer_name="sv")
    sb.add_date_field("created_at", indexed=True, fast=True)
    sb.add_bytes_field("payload", stored=True, indexed=False)
    return sb.build()


@dataclass
class RefreshReport:
    """What one refresh did."""

    parts_new: int = 0
    parts_total: int = 0
    rows: int = 0
    items_written: int = 0
    rebuilt: bool = False
    seconds: float = 0.0


@dataclass
class SearchResults:
    """The newest ``limit`` hits and how many items matched in all."""

    total: int
    hits: list[dict[str, Any]] = field(default_factory=list)


class _Item:
    """Everything the index keeps about one item while versions of it are being added."""

    def __init__(self, payload: dict[str, Any] | None = None, texts: Sequence[str] = ()) -> None:
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
            doc.add_text("text_words", text)
        for extra in self.extra:
            doc.add_text("extra", extra)
        doc.add_date("created_at", dt.datetime.fromisoformat(p["created_at"]))
        doc.add_bytes("payload", json.dumps(p, ensure_ascii=False).encode())
        return doc


def item_key(row: Mapping[str, Any]) -> str:
    return f"{row['account_id']}/{row['item_id']}"


class SearchIndex:
    """The search index of one store; see the module docstring."""

    def __init__(self, store: ObjectStore, root: str | os.PathLike[str] | None = None) -> None:
        self.store = store
        self.path = index_path(store.url, root)
        self._schema = _schema()
        self._analyzers = _analyzers()
        self._index: tantivy.Index | None = None

    # -- keeping it up to date ---------------------------------------------------------------

    def refresh(self) -> RefreshReport:
        """Index every items part not indexed yet (building the index first if it is missing)."""
        started = time.monotonic()
        with self._locked():
            report = RefreshReport()
            state = self._read_state()
            if state is None:
                self._wipe()
                state = {"schema": SCHEMA_VERSION, "store_url": self.store.url, "parts": []}
                report.rebuilt = True
            try:
                index = self._open()
            except ValueError as e:  # a damaged or foreign folder: it is only a cache
                log.warning("search index at %s unusable (%s): building it again", self.path, e)
                self._wipe()
                state = {"schema": SCHEMA_VERSION, "store_url": self.store.url, "parts": []}
                report.rebuilt = True
                index = self._open()
            done = set(state["parts"])
            parts = list_parts(self.store)
            report.parts_total = len(parts)
            new = [p for p in parts if p.key not in done]
            report.parts_new = len(new)
            if new:
                self._add_parts(index, new, state, report, fresh=not done)
            index.reload()
        report.seconds = time.monotonic() - started
        if new:
            log.info(
                "search index: %d new items parts, %d rows, %d items written in %.1f s",
                report.parts_new,
                report.rows,
                report.items_written,
                report.seconds,
            )
        return report

    def rebuild(self) -> RefreshReport:
        """Throw the index away and build it again from the store."""
        with self._locked():
            self._wipe()
        return self.refresh()

    def _add_parts(
        self,
        index: tantivy.Index,
        parts: list[layout.ItemsPart],
        state: dict[str, Any],
        report: RefreshReport,
        *,
        fresh: bool,
    ) -> None:
        written: set[str] = set()  # keys already in the index, when it started empty
        batch: dict[str, _Item] = {}
        batch_parts: list[str] = []
        for part in sorted(parts, key=part_order):
            for row in read_part(self.store, part):
                report.rows += 1
                key = item_key(row)
                item = batch.get(key)
                if item is None:
                    item = batch[key] = self._load(index, key) if not fresh or key in written else _Item()
                item.add(row)
            batch_parts.append(part.key)
            if len(batch) >= _BATCH_ITEMS:
                self._write(index, batch, report)
                written.update(batch)
                state["parts"].extend(batch_parts)
                self._write_state(state)
                batch, batch_parts = {}, []
        self._write(index, batch, report)
        state["parts"].extend(batch_parts)
        self._write_state(state)

    def _load(self, index: tantivy.Index, key: str) -> _Item:
        searcher = index.searcher()
        found = searcher.search(tantivy.Query.term_query(self._schema, "key", key), 1, count=False)
        if not found.hits:
            return _Item()
        doc = searcher.doc(found.hits[0][1])
        return _Item(json.loads(doc["payload"][0]), doc["text"])

    def _write(self, index: tantivy.Index, batch: Mapping[str, _Item], report: RefreshReport) -> None:
        if not batch:
            return
        writer = index.writer(_WRITER_HEAP)
        for key, item in batch.items():
            writer.delete_documents_by_term("key", key)
            writer.add_document(item.document(key))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        report.items_written += len(batch)

    # -- searching ---------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        """The newest ``query.limit`` items matching ``query`` (call :meth:`refresh` first)."""
        index = self._open()
        searcher = index.searcher()
        text_query = self._text_query(query.clauses)
        result = searcher.search(
            self._query(query, text_query), query.limit, count=True, order_by_field="created_at"
        )
        snippets = None
        if text_query is not None and any(not c.negated for c in query.clauses):
            snippets = tantivy.SnippetGenerator.create(searcher, text_query, self._schema, "text")
            snippets.set_max_num_chars(_SNIPPET_CHARS)
        hits = []
        for _, address in result.hits:
            doc = searcher.doc(address)
            hits.append(_hit(json.loads(doc["payload"][0]), doc["text"], snippets, doc))
        return SearchResults(
            total=int(getattr(result, "count", 0) or 0), hits=hits
        )  # count: not in the stubs

    def locate(self, item_id: str, account_id: str | None = None) -> list[dict[str, Any]]:
        """The payloads of items with this id (one per account that captured it)."""
        query = SearchQuery(item_ids=(item_id,), accounts=(account_id,) if account_id else (), limit=100)
        return self.search(query).hits

    def thread_items(self, account_id: str, post_id: str) -> list[dict[str, Any]]:
        """The indexed items of one thread (to know which items parts can hold it)."""
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, tantivy.Query.term_query(self._schema, "post_id", post_id)),
                (
                    tantivy.Occur.Must,
                    tantivy.Query.term_query(self._schema, "account_id", account_id.lower()),
                ),
            ]
        )
        searcher = self._open().searcher()
        found = searcher.search(query, 100_000, count=False)
        return [json.loads(searcher.doc(address)["payload"][0]) for _, address in found.hits]

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
                        day_start(query.since) if query.since else None,
                        day_end(query.until) if query.until else None,
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

    # -- the folder --------------------------------------------------------------------------

    def _open(self) -> tantivy.Index:
        if self._index is None:
            self.path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
            for name, analyzer in self._analyzers.items():
                index.register_tokenizer(name, analyzer)  # not saved in the index: every open
            self._index = index
        return self._index

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state: dict[str, Any] = json.loads((self.path / _STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if state.get("schema") != SCHEMA_VERSION or state.get("store_url") != self.store.url:
            return None
        return state

    def _write_state(self, state: Mapping[str, Any]) -> None:
        tmp = self.path / f".{_STATE}.tmp"
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self.path / _STATE)

    def _wipe(self) -> None:
        self._index = None
        if self.path.exists():
            for child in self.path.iterdir():
                if child.name == ".lock":
                    continue
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time across processes (the web view and archivectl may share it)."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            handle = open(self.path / ".lock", "a+b")  # noqa: SIM115 -- closed below
        except OSError as e:
            raise ConfigError(f"cannot use the search index folder {self.path}: {e}") from e
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            handle.close()


def _any(queries: Sequence[tantivy.Query]) -> tantivy.Query:
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])


def _hit(
    payload: dict[str, Any], texts: Sequence[str], snippets: tantivy.SnippetGenerator | None, doc: Any
) -> dict[str, Any]:
    snippet, marks = (texts[0] if texts else "")[:_SNIPPET_CHARS], []
    if snippets is not None:
        found = snippets.snippet_from_doc(doc)
        if found.fragment():
            raw = found.fragment().encode()
            snippet = found.fragment()
            # Tantivy reports byte offsets; the web view needs character offsets.
            marks = [(len(raw[: h.start].decode()), len(raw[: h.end].decode())) for h in found.highlighted()]
            latest = texts[0] if texts else ""
            at = latest.find(snippet)
            if at >= 0 and len(latest) <= _SNIPPET_CHARS:  # short: the whole text, not a fragment of it
                snippet, marks = latest, [(start + at, end + at) for start, end in marks]
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
        "versions": len(p["versions"]),
        "nights": sorted({v["night"] for v in p["versions"]}),
        "snippet": snippet,
        "highlights": marks,
        "warc_key": p["warc_key"],
        "warc_offset": p["warc_offset"],
        "warc_length": p["warc_length"],
        "warc_record_id": p["warc_record_id"],
        "observed_at": p["observed_at"],
        "run_id": p["run_id"],
        "source_url": p["source_url"],
        "items_part": p["items_part"],
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
