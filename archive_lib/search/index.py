"""The search index: derived from the store's items Parquet, kept in a local cache folder.

One document per item (not per version): every distinct text the item ever had is indexed, so
a word removed by a later edit still finds the item; the stored payload is the item's newest
version with its provenance and a summary of every version. The index is never needed to
prove anything and can be deleted at any time: :meth:`SearchIndex.refresh` rebuilds it from
the store, and after a night indexes only the items parts it has not seen (parts are
immutable and carry their night and run in their names). When parts it indexed have left the
store (disposed of by decision), it is built again, so a disposed item is never found again.

Engine: Tantivy (tantivy-py), chosen by measurement (see docs/search.md): phrase and prefix
queries, term sets, fast-field sorting and range filters, and documents can be replaced one by
one (an item's new version updates its document). The Swedish forms of every word (base forms,
compound parts) are computed by :mod:`archive_lib.search.swedish` and indexed as terms; an
index made with other forms (another ``SCHEMA_VERSION`` or other word data) is rebuilt.

Where it lives: ``{root}/{sha256(store URL)[:16]}/`` where ``root`` is ``--index DIR``, else
``$ARCHIVE_INDEX_DIR``, else ``$XDG_CACHE_HOME/social-records-archive/search`` (default
``~/.cache/social-records-archive/search``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import hashlib
import json
import logging
import os
import pathlib
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import tantivy

from archive_lib import layout
from archive_lib.errors import ConfigError
from archive_lib.metadata.keyparts import KeySet
from archive_lib.metadata.parts import part_order, store_parts, stream_part
from archive_lib.search.documents import ROW_COLUMNS, ItemDocument, analyzers, hit_dict, item_key, schema
from archive_lib.search.query import SearchQuery
from archive_lib.search.swedish import data_versions, words
from archive_lib.search.translate import QueryBuilder
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)

#: 3: Swedish base forms and compound parts (``forms``, ``parts``), phrases exact.
SCHEMA_VERSION = 3
ENV_INDEX_DIR = "ARCHIVE_INDEX_DIR"
_STATE = "state.json"
#: The Tantivy writer's memory, shared by its threads: past it, the writer flushes a segment.
_WRITER_HEAP = 16 * 1024 * 1024
#: One indexing thread: computing the Swedish forms in Python is the slower half, and each
#: thread of the writer holds its own heap and its own allocator arena.
_WRITER_THREADS = 1
#: Items whose versions are gathered in memory before they go to the index in one commit (a
#: large part is committed in several; it counts as indexed once all of it is).
_BATCH_ITEMS = 2_000
#: Items whose words are looked at for suggestions.
_SUGGEST_ITEMS = 50


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
    #: When nothing matched: the archive's words nearest to the query's words, as written
    #: ("did you mean Hässleholmsvägen?"). The search itself is never changed.
    suggestions: list[str] = field(default_factory=list)


class SearchIndex:
    """The search index of one store; see the module docstring."""

    def __init__(self, store: ObjectStore, root: str | os.PathLike[str] | None = None) -> None:
        self.store = store
        self.path = index_path(store.url, root)
        self._schema = schema()
        self._analyzers = analyzers()
        self._builder = QueryBuilder(self._schema, self._analyzers)
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
                state = self._new_state()
                report.rebuilt = True
            try:
                index = self._open()
            except ValueError as e:  # a damaged or foreign folder: it is only a cache
                log.warning("search index at %s unusable (%s): building it again", self.path, e)
                self._wipe()
                state = self._new_state()
                report.rebuilt = True
                index = self._open()
            done = set(state["parts"])
            parts = store_parts(self.store)
            if done - {p.key for p in parts}:
                # Parts left the store (a disposal by decision): their items must never be found
                # again, and an item's document mixes every version, so the index starts over.
                log.info("search index: items parts were disposed of; building it again")
                self._wipe()
                state = {"schema": SCHEMA_VERSION, "store_url": self.store.url, "parts": []}
                report.rebuilt = True
                index = self._open()
                done = set()
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
        # Memory stays flat in the archive's size: one part's rows (made into Python objects a
        # thousand at a time) and one batch of documents at a time, a one-thread writer of
        # bounded heap, and, of the items already written when the index started empty, only
        # 32-bit hashes (one that matches is looked up in the index itself). A commit after each batch,
        # so that a later version of an item is merged with its document read back; a part left
        # half-indexed by a crash is indexed again (adding a version twice changes nothing).
        written = KeySet()
        batch: dict[str, ItemDocument] = {}
        batch_parts: list[str] = []
        writer = index.writer(_WRITER_HEAP, _WRITER_THREADS)
        for part in sorted(parts, key=part_order):
            for row in stream_part(self.store, part, ROW_COLUMNS):
                report.rows += 1
                key = item_key(row)
                item = batch.get(key)
                if item is None:
                    item = batch[key] = (
                        self._load(index, key) if not fresh or key in written else ItemDocument()
                    )
                item.add(row)
                if len(batch) >= _BATCH_ITEMS:  # parts read whole before this one are now done
                    self._write(index, writer, batch, report)
                    for key in batch:
                        written.add(key)
                    state["parts"].extend(batch_parts)
                    self._write_state(state)
                    batch, batch_parts = {}, []
            batch_parts.append(part.key)
        self._write(index, writer, batch, report)
        writer.wait_merging_threads()
        state["parts"].extend(batch_parts)
        self._write_state(state)

    def _load(self, index: tantivy.Index, key: str) -> ItemDocument:
        searcher = index.searcher()
        found = searcher.search(tantivy.Query.term_query(self._schema, "key", key), 1, count=False)
        if not found.hits:
            return ItemDocument()
        doc = searcher.doc(found.hits[0][1])
        return ItemDocument(json.loads(doc["payload"][0]), doc["text"], stored=True)

    def _write(
        self,
        index: tantivy.Index,
        writer: tantivy.IndexWriter,
        batch: Mapping[str, ItemDocument],
        report: RefreshReport,
    ) -> None:
        """Replace the documents of ``batch`` and commit, so the next batch can read them back."""
        if not batch:
            return
        for key, item in batch.items():
            if item.stored:  # a new item has no document to replace
                writer.delete_documents_by_term("key", key)
            writer.add_document(item.document(key))
        writer.commit()
        index.reload()
        report.items_written += len(batch)
        _trim_heap()

    # -- searching ---------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        """The newest ``query.limit`` items matching ``query`` (call :meth:`refresh` first):
        those matching every word as a whole word first, newest first, then those matching a
        word only as a part of a compound, newest first."""
        index = self._open()
        searcher = index.searcher()
        built = self._builder.build(query)
        if built.whole is None or not any(searcher.doc_freq("parts", t) for t in built.part_terms):
            result = searcher.search(built.full, query.limit, count=True, order_by_field="created_at")
            total = int(getattr(result, "count", 0) or 0)  # not in tantivy's type stubs
            addresses = [address for _, address in result.hits]
        else:
            counted = searcher.search(built.full, 1, count=True)
            total = int(getattr(counted, "count", 0) or 0)
            first = searcher.search(built.whole, query.limit, count=False, order_by_field="created_at")
            addresses = [address for _, address in first.hits]
            if len(addresses) < min(query.limit, total):  # then those matching by compound parts
                rest = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Must, built.full), (tantivy.Occur.MustNot, built.whole)]
                )
                more = searcher.search(
                    rest, query.limit - len(addresses), count=False, order_by_field="created_at"
                )
                addresses += [address for _, address in more.hits]
        hits = []
        for address in addresses:
            doc = searcher.doc(address)
            hits.append(hit_dict(json.loads(doc["payload"][0]), doc["text"], built.matches))
        suggestions = self.suggest(query) if not total else []
        return SearchResults(total=total, hits=hits, suggestions=suggestions)

    def suggest(self, query: SearchQuery, most: int = 3) -> list[str]:
        """For each word of ``query`` that no item holds in any form: the archive's words
        nearest to it (at most two letters added, removed, changed or swapped; one for words of
        up to four letters), as written in the newest item holding them, most common first."""
        searcher = self._open().searcher()
        found: list[str] = []
        for clause in query.clauses:
            written = [w for _, _, w in words(clause.text)]
            if clause.negated or clause.kind != "word" or len(written) != 1:
                continue
            word = written[0]
            if searcher.search(self._builder.any_word(word), 1, count=False).hits:
                continue
            distance = 1 if len(word) <= 4 else 2
            fuzzy = tantivy.Query.fuzzy_term_query(self._schema, "text", word, distance=distance)
            near: dict[str, tuple[int, int, str]] = {}  # lower case -> (distance, -count, as written)
            for _, address in searcher.search(fuzzy, _SUGGEST_ITEMS, count=False).hits:
                for text in searcher.doc(address)["text"]:
                    for start, end, other in words(text):
                        apart = edit_distance(word, other, distance)
                        if apart <= distance:
                            before = near.get(other, (apart, 0, text[start:end]))
                            near[other] = (apart, before[1] - 1, before[2])
            for _, _, as_written in sorted(near.values())[:most]:
                if as_written not in found:
                    found.append(as_written)
        return found

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

    # -- the folder --------------------------------------------------------------------------

    def _open(self) -> tantivy.Index:
        if self._index is None:
            self.path.mkdir(parents=True, exist_ok=True)
            index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
            for name, analyzer in self._analyzers.items():
                index.register_tokenizer(name, analyzer)  # not saved in the index: every open
            self._index = index
        return self._index

    def _new_state(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, "words": data_versions(), "store_url": self.store.url, "parts": []}

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state: dict[str, Any] = json.loads((self.path / _STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if state.get("store_url") != self.store.url:
            return None
        if state.get("schema") != SCHEMA_VERSION or state.get("words") != data_versions():
            log.warning(
                "search index at %s was made by another version (schema %s, word data %s): building it again",
                self.path,
                state.get("schema"),
                state.get("words"),
            )
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


def _trim_heap() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``; elsewhere
    nothing). A commit frees the segment Tantivy built, but glibc keeps most of it, so a long
    build would hold it all the same (measured with bench/search_bench.py)."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None


_MALLOC_TRIM = _malloc_trim()


def edit_distance(a: str, b: str, most: int) -> int:
    """Letters to add, remove, change or swap (next to each other) to turn ``a`` into ``b``;
    ``most + 1`` once it is certain to be more than ``most``."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    before: list[int] = []
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > most:
            return most + 1
        before, row = row, current
    return min(row[len(b)], most + 1)
