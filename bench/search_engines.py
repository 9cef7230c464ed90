"""How the search engine was chosen: Tantivy, SQLite FTS5 and DuckDB FTS on the same documents.

Indexes N synthetic Swedish items (the generator of ``search_bench.py``: text, board, creation
time) in each engine available, then measures the build, adding one night (10,000 items), and
the latency of free-text and combined queries (newest 20), and checks what each engine finds
for ``badhus`` (should be ``badhuset``, ``badhusets``, ``badhusen`` too) and ``åhus`` vs
``ahus``.

    .venv/bin/python bench/search_engines.py --docs 200000

DuckDB's FTS extension is not a project dependency; to include it, run this script in a
Python that has ``duckdb==1.4.4`` and ``duckdb-ext-fts==1.4.4.20260205`` (only that pair works
offline), e.g. a scratch venv with the project's lock file plus those two.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pathlib
import random
import sqlite3
import statistics
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from typing import Any

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import tantivy  # noqa: E402

from bench.search_bench import BOARDS, DAYS, NOUNS, START, sentence, text  # noqa: E402

Doc = tuple[int, str, int, str]  # id, board, created (epoch seconds), text
CHECKS = {"badhus": ("badhuset", "badhusets", "badhusen"), "åhus": ("Åhus",), "ahus": ()}


def docs(rng: random.Random, pool: list[str], start: int, count: int) -> list[Doc]:
    out = []
    for n in range(count):
        created = int((START + dt.timedelta(seconds=rng.randint(0, DAYS * 86400))).timestamp())
        out.append((start + n, rng.choice(BOARDS), created, text(rng, pool, rng.random() < 0.1)))
    return out


class Tantivy:
    name = "tantivy 0.27 (Swedish stemmer)"

    def __init__(self, folder: pathlib.Path) -> None:
        sb = tantivy.SchemaBuilder()
        sb.add_integer_field("id", stored=True, indexed=True)
        sb.add_text_field("board", tokenizer_name="raw")
        sb.add_date_field("created", indexed=True, fast=True)
        sb.add_text_field("text", tokenizer_name="sv")
        self.schema = sb.build()
        self.index = tantivy.Index(self.schema, path=str(folder))
        self.sv = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("swedish"))
            .build()
        )
        self.index.register_tokenizer("sv", self.sv)

    def add(self, batch: list[Doc]) -> None:
        writer = self.index.writer(256 * 1024 * 1024)
        for i, board, created, body in batch:
            writer.add_document(
                tantivy.Document(
                    id=i, board=board, created=dt.datetime.fromtimestamp(created, dt.UTC), text=body
                )
            )
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()

    def search(self, word: str, board: str | None = None, since: int | None = None) -> list[int]:
        stems = self.sv.analyze(word)
        parts = [(tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "text", stems[0]))]
        if board:
            parts.append((tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "board", board)))
        if since is not None:
            low = dt.datetime.fromtimestamp(since, dt.UTC)
            query = tantivy.Query.range_query(
                self.schema, "created", tantivy.FieldType.Date, low, low + dt.timedelta(days=180)
            )
            parts.append((tantivy.Occur.Must, query))
        searcher = self.index.searcher()
        found = searcher.search(tantivy.Query.boolean_query(parts), 20, order_by_field="created")
        return [searcher.doc(a)["id"][0] for _, a in found.hits]


class Fts5:
    name = "SQLite FTS5 (no Swedish stemmer)"

    def __init__(self, folder: pathlib.Path) -> None:
        self.db = sqlite3.connect(folder / "fts.db")
        self.db.execute("create table docs(id integer primary key, board text, created integer)")
        self.db.execute("create index docs_board_created on docs(board, created)")
        self.db.execute("create virtual table fts using fts5(text, tokenize='unicode61 remove_diacritics 0')")

    def add(self, batch: list[Doc]) -> None:
        with self.db:
            self.db.executemany("insert into docs values (?, ?, ?)", [(i, b, c) for i, b, c, _ in batch])
            self.db.executemany(
                "insert into fts(rowid, text) values (?, ?)", [(i, t) for i, _, _, t in batch]
            )

    def search(self, word: str, board: str | None = None, since: int | None = None) -> list[int]:
        sql = "select docs.id from fts join docs on docs.id = fts.rowid where fts match ?"
        args: list[Any] = [f'"{word}"']
        if board:
            sql += " and docs.board = ?"
            args.append(board)
        if since is not None:
            sql += " and docs.created between ? and ?"
            args += [since, since + 180 * 86400]
        return [r[0] for r in self.db.execute(sql + " order by docs.created desc limit 20", args)]


class DuckFts:
    name = "DuckDB 1.4.4 FTS (Swedish stemmer)"

    def __init__(self, folder: pathlib.Path) -> None:
        import duckdb

        self.db = duckdb.connect(str(folder / "duck.db"))
        extensions = pathlib.Path(sysconfig.get_paths()["purelib"]) / "duckdb_ext" / "extensions"
        self.db.execute("SET extension_directory = ?", [str(extensions)])
        self.db.execute("SET autoinstall_known_extensions = false")
        self.db.execute("LOAD fts")
        self.db.execute("create table docs(id bigint, board varchar, created bigint, text varchar)")

    def add(self, batch: list[Doc]) -> None:
        self.db.executemany("insert into docs values (?, ?, ?, ?)", batch) if len(batch) < 1000 else None
        if len(batch) >= 1000:
            import pyarrow as pa

            table = pa.table(
                {k: [d[n] for d in batch] for n, k in enumerate(("id", "board", "created", "text"))}
            )
            self.db.register("batch", table)
            self.db.execute("insert into docs select * from batch")
            self.db.unregister("batch")
        # The FTS index cannot be updated: it is built again over the whole table.
        self.db.execute(
            "PRAGMA create_fts_index('docs', 'id', 'text', stemmer='swedish', stopwords='none', "
            "ignore='(\\.|[^a-zåäö0-9])+', strip_accents=0, lower=1, overwrite=1)"
        )

    def search(self, word: str, board: str | None = None, since: int | None = None) -> list[int]:
        sql = "select id from (select *, fts_main_docs.match_bm25(id, ?) s from docs) where s is not null"
        args: list[Any] = [word]
        if board:
            sql += " and board = ?"
            args.append(board)
        if since is not None:
            sql += " and created between ? and ?"
            args += [since, since + 180 * 86400]
        return [r[0] for r in self.db.execute(sql + " order by created desc limit 20", args).fetchall()]


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(7)
    pool = [sentence(rng) for _ in range(20_000)]
    corpus = docs(rng, pool, 0, args.docs)
    forms = [w for ws in CHECKS.values() for w in ws]
    # Dated after the corpus, so that they come first among the newest 20 when found.
    checks = [(10**9 + n, BOARDS[0], 1_900_000_000, f"Nu om {w}.") for n, w in enumerate(forms)]
    night = docs(rng, pool, 2 * 10**9, 10_000)
    words = [rng.choice(NOUNS)[0] for _ in range(args.queries)]
    since = [int((START + dt.timedelta(days=rng.randint(0, DAYS - 180))).timestamp()) for _ in words]
    engines: list[type] = [Tantivy, Fts5]
    try:
        import duckdb  # noqa: F401

        engines.append(DuckFts)
    except ImportError:
        print("duckdb not installed here: DuckDB FTS left out (see the docstring)")
    print(f"{args.docs:,} documents, {args.queries} queries of each kind\n")
    print(
        f"{'engine':<36} {'build s':>8} {'+night s':>9} {'text med ms':>12} {'text p95':>9}"
        f" {'comb med ms':>12} {'comb p95':>9}  finds for badhus / åhus / ahus"
    )
    for engine in engines:
        with tempfile.TemporaryDirectory() as folder:
            e = engine(pathlib.Path(folder))
            build, _ = timed(lambda e=e: e.add(corpus + checks))
            add_night, _ = timed(lambda e=e: e.add(night))
            plain = [timed(lambda w=w, e=e: e.search(w))[0] * 1000 for w in words]
            both = [
                timed(lambda w=w, s=s, e=e: e.search(w, BOARDS[1], s))[0] * 1000
                for w, s in zip(words, since, strict=True)
            ]
            found = [len([i for i in e.search(w) if 10**9 <= i < 2 * 10**9]) for w in CHECKS]
            p95 = lambda v: sorted(v)[int(0.95 * (len(v) - 1))]  # noqa: E731
            print(
                f"{e.name:<36} {build:>8.1f} {add_night:>9.2f} {statistics.median(plain):>12.1f}"
                f" {p95(plain):>9.1f} {statistics.median(both):>12.1f} {p95(both):>9.1f}"
                f"  {found[0]} of 3 / {found[1]} of 1 / {found[2]} of 0"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
