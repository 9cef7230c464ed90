"""Benchmark: search over a synthetic archive of 1,000,000 items against a brute-force scan.

Writes a synthetic file store in the archive's layout (items parts only: ten accounts on six
boards, three years of posts and comments with Swedish text of realistic lengths, about 5 %
edited and 2 % deleted), then measures:

* building the search index from scratch (``archivectl reindex`` as its own process: wall
  time and peak memory), its size on disk, and a refresh after one more night (10,000 new
  items and 500 new versions of old ones) and a refresh with nothing new;
* query latency (median and p95) of free text, filter-only and combined queries, each with
  the newest 20 items, through the index;
* the same queries answered by a brute-force scan of the same Parquet (pyarrow dataset with
  the filters pushed down, a regular expression on the lower-cased text, newest 20): the
  baseline. Reported as ratios measured in this one run.

With ``--access-log``, a section of its own: the same queries as ``archivectl search`` runs
them (the search, then the secrecy markings joined to the hits), without and with the access
log, alternating query by query so that both see the same machine. "With" records each search
in an :class:`~archive_lib.metadata.access.AccessLog`, written to the store in batches of 500;
apart, the time to write one batch of one event (what ``archivectl`` does once as it exits,
after printing its results).

    .venv/bin/python bench/search_bench.py                 # 1,000,000 items
    .venv/bin/python bench/search_bench.py --items 100000  # a quick look
    .venv/bin/python bench/search_bench.py --access-log    # and search with the access log
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pathlib
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from typing import Any

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from archive_lib import layout  # noqa: E402
from archive_lib.clock import local_day_end, local_day_start  # noqa: E402
from archive_lib.metadata.schema import ITEMS_SCHEMA  # noqa: E402
from archive_lib.search import SearchIndex, SearchQuery  # noqa: E402

BOARDS = (
    "Kommunstyrelsen",
    "Kultur- och fritidsnämnden",
    "Tekniska nämnden",
    "Barn- och utbildningsnämnden",
    "Vård- och omsorgsnämnden",
    "Miljö- och hälsoskyddsnämnden",
)
# Nouns with their inflected forms, so stemming has work to do; plus everyday words.
NOUNS = [
    ("badhus", "badhuset", "badhusets", "badhusen"),
    ("simhall", "simhallen", "simhallens", "simhallar"),
    ("cykelväg", "cykelvägen", "cykelvägar", "cykelvägarna"),
    ("skola", "skolan", "skolans", "skolor"),
    ("förskola", "förskolan", "förskolor", "förskolorna"),
    ("bibliotek", "biblioteket", "bibliotekets"),
    ("snöröjning", "snöröjningen", "snöröjningens"),
    ("buss", "bussen", "bussar", "bussarna"),
    ("park", "parken", "parker", "parkerna"),
    ("gata", "gatan", "gator", "gatorna"),
    ("lekplats", "lekplatsen", "lekplatser"),
    ("äldreboende", "äldreboendet", "äldreboenden"),
    ("renovering", "renoveringen", "renoveringar"),
    ("avgift", "avgiften", "avgifter", "avgifterna"),
    ("parkering", "parkeringen", "parkeringar"),
    ("återvinning", "återvinningen", "återvinningscentralen"),
    ("vatten", "vattnet", "vattnets"),
    ("belysning", "belysningen"),
    ("trafik", "trafiken", "trafikens"),
    ("kommun", "kommunen", "kommunens", "kommuner"),
    ("nämnd", "nämnden", "nämndens", "nämnder"),
    ("beslut", "beslutet", "besluten"),
    ("bygglov", "bygglovet", "bygglovs"),
    ("sophämtning", "sophämtningen"),
    ("midsommar", "midsommarfirandet"),
    ("julmarknad", "julmarknaden"),
    ("fotboll", "fotbollsplanen"),
    ("ishall", "ishallen"),
    ("konstgräs", "konstgräsplanen"),
    ("öppettid", "öppettider", "öppettiderna"),
]
_FILLER_LINES = (
    "och att det är som för på med till inte om har de ett men så vi kan nu när från ska även efter "
    "många hur varför igen tack hej snälla bra dåligt äntligen fortfarande aldrig alltid idag imorgon "
    "vecka månad år stänger öppnar byggs planeras diskuteras beslutas kostar väntar frågar svarar "
    "undrar tycker hoppas behöver vill borde måste Åhus Tollarp Degeberga Fjälkinge Vilan Söder Näsby",
)
FILLER = [word for line in _FILLER_LINES for word in line.split()]
WORDS = [w for forms in NOUNS for w in forms] + FILLER * 3
START = dt.datetime(2023, 11, 1, tzinfo=dt.UTC)
DAYS = 3 * 365
ACCOUNTS = [(f"konto-{i:02d}", BOARDS[i % len(BOARDS)]) for i in range(10)]
ROWS_PER_PART = 10_000


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(4, 16))
    return words[0].capitalize() + " " + " ".join(words[1:]) + rng.choice(".!?.")


def text(rng: random.Random, pool: list[str], post: bool) -> str:
    # Posts: about 80-600 characters; comments: 15-250 (the body of real municipal accounts).
    count = rng.randint(2, 6) if post else max(1, int(rng.expovariate(0.9)) + 1)
    return " ".join(rng.choice(pool) for _ in range(min(count, 6)))


def make_rows(
    rng: random.Random,
    pool: list[str],
    first_id: int,
    count: int,
    account: str,
    board: str,
    night: dt.date,
    run_id: str,
    old: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    post_id = None
    for n in range(count):
        item_id = str(first_id + n)
        is_post = post_id is None or rng.random() < 0.1
        created = (
            START + dt.timedelta(seconds=rng.randint(0, DAYS * 86400))
            if old is None
            else (
                dt.datetime.combine(night, dt.time(), tzinfo=dt.UTC)
                - dt.timedelta(seconds=rng.randint(0, 86400))
            )
        )
        if is_post:
            post_id = item_id
        rows.append(
            _row(
                account,
                board,
                item_id,
                "post" if is_post else "comment",
                None if is_post else post_id,
                post_id or item_id,
                text(rng, pool, is_post),
                created,
                1,
                "new",
                run_id,
                night,
                n,
            )
        )
        roll = rng.random()
        if roll < 0.05:
            rows.append(
                {
                    **rows[-1],
                    "version": 2,
                    "event": "edited",
                    "text": text(rng, pool, is_post),
                    "edited_at": created + dt.timedelta(hours=2),
                }
            )
        elif roll < 0.07:
            rows.append({**rows[-1], "version": 2, "event": "deleted"})
    for previous in old or ():
        rows.append(
            {
                **previous,
                "version": previous["version"] + 1,
                "event": "edited",
                "run_id": run_id,
                "text": text(rng, pool, False),
                "edited_at": dt.datetime.combine(night, dt.time(), tzinfo=dt.UTC),
            }
        )
    return rows


def _row(
    account: str,
    board: str,
    item_id: str,
    item_type: str,
    parent: str | None,
    post_id: str,
    body: str,
    created: dt.datetime,
    version: int,
    event: str,
    run_id: str,
    night: dt.date,
    n: int,
) -> dict[str, Any]:
    return {
        "platform": "mastodon",
        "account_id": account,
        "board": board,
        "item_id": item_id,
        "item_type": item_type,
        "parent_id": parent,
        "post_id": post_id,
        "author_id": str(n % 5000),
        "author_name": f"Person {n % 5000}",
        "author_handle": f"person{n % 5000}",
        "author_is_account": item_type == "post",
        "text": body,
        "content_warning": None,
        "sensitive": False,
        "language": "sv",
        "visibility": "public",
        "url": f"https://social.example/@x/{item_id}",
        "created_at": created,
        "edited_at": None,
        "observed_at": dt.datetime.combine(night, dt.time(3), tzinfo=dt.UTC),
        "event": event,
        "hidden": None,
        "version": version,
        "content_sha256": "0" * 64,
        "media": None,
        "poll_options": None,
        "run_id": run_id,
        "warc_key": f"warc/mastodon/{account}/{night:%Y/%m/%d}/{run_id}-00001.warc.gz",
        "warc_offset": n * 4000,
        "warc_length": 4000,
        "warc_record_id": f"<urn:uuid:{int(item_id):032x}>",
        "source_url": f"https://social.example/api/v1/statuses/{item_id}",
        "retention_class": "bevaras",
        "retain_until": None,
    }


def write_part(
    root: pathlib.Path, account: str, night: dt.date, run_id: str, seq: int, rows: list[dict[str, Any]]
) -> None:
    created = [r["created_at"] for r in rows]
    key = layout.items_key(account, night, run_id, seq, min(created), max(created))
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=ITEMS_SCHEMA), path, compression="zstd")


def build_store(root: pathlib.Path, items: int, rng: random.Random, pool: list[str]) -> dict[str, Any]:
    """``items`` items of history, written as each account's first night (parts of 10,000 rows)."""
    night = dt.date(2026, 11, 1)
    per_account = items // len(ACCOUNTS)
    rows_total = 0
    sample: list[dict[str, Any]] = []
    for a, (account, board) in enumerate(ACCOUNTS):
        run_id = f"{account}_20261101T013000Z_{a:04x}"
        made = 0
        seq = 0
        while made < per_account:
            count = min(ROWS_PER_PART, per_account - made)
            seq += 1
            rows = make_rows(rng, pool, 10**12 * (a + 1) + made, count, account, board, night, run_id)
            write_part(root, account, night, run_id, seq, rows)
            sample.extend(rng.sample(rows, 50))
            made += count
            rows_total += len(rows)
    return {"rows": rows_total, "items": per_account * len(ACCOUNTS), "sample": sample}


def add_night(root: pathlib.Path, rng: random.Random, pool: list[str], sample: list[dict[str, Any]]) -> int:
    """One more night: 10,000 new items and 500 new versions of old ones, on the first account."""
    account, board = ACCOUNTS[0]
    night = dt.date(2026, 11, 2)
    run_id = f"{account}_20261102T013000Z_beef"
    old = [r for r in sample if r["account_id"] == account and r["version"] == 1][:500]
    rows = make_rows(rng, pool, 9 * 10**14, 10_000, account, board, night, run_id, old=old)
    write_part(root, account, night, run_id, 1, rows)
    return len(rows)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def queries(rng: random.Random, count: int) -> dict[str, list[SearchQuery]]:
    def window() -> tuple[dt.date, dt.date]:
        since = (START + dt.timedelta(days=rng.randint(0, DAYS - 31))).date()
        return since, since + dt.timedelta(days=30)

    def word() -> str:
        return rng.choice(NOUNS)[0]

    out: dict[str, list[SearchQuery]] = {"free text": [], "filter only": [], "combined": []}
    for _ in range(count):
        out["free text"].append(SearchQuery(word(), limit=20))
        since, until = window()
        out["filter only"].append(
            SearchQuery(boards=(rng.choice(BOARDS),), since=since, until=until, limit=20)
        )
        since = window()[0]
        until = since + dt.timedelta(days=rng.choice((30, 180)))
        out["combined"].append(
            SearchQuery(
                word(),
                boards=(rng.choice(BOARDS),),
                item_types=("comment",),
                since=since,
                until=until,
                limit=20,
            )
        )
    return out


def brute_force(dataset: ds.Dataset, query: SearchQuery) -> list[str]:
    """The newest 20 items matching ``query`` by scanning the Parquet (the baseline)."""
    expr = None
    if query.boards:
        expr = pc.field("board") == query.boards[0]
    if query.item_types:
        e = pc.field("item_type") == query.item_types[0]
        expr = e if expr is None else expr & e
    if query.since:
        e = (pc.field("created_at") >= local_day_start(query.since)) & (
            pc.field("created_at") < local_day_end(query.until)
        )
        expr = e if expr is None else expr & e
    table = dataset.to_table(columns=["account_id", "item_id", "text", "created_at"], filter=expr)
    if query.text:
        # A word and its inflections: the word at the start of a word (what stemming gives here).
        table = table.filter(
            pc.match_substring_regex(pc.utf8_lower(table["text"]), rf"\b{re.escape(query.text)}")
        )
    table = table.sort_by([("created_at", "descending")])
    seen: list[str] = []
    for key in table.slice(0, 200)["item_id"].to_pylist():
        if key not in seen:
            seen.append(key)
        if len(seen) == 20:
            break
    return seen


def access_log_section(index: SearchIndex, asked: dict[str, list[SearchQuery]]) -> dict[str, Any]:
    """Search p95 without and with the access log, alternating query by query (see the docstring)."""
    from archive_lib.metadata.access import AccessLog
    from archive_lib.metadata.markings import active_markings, secrecy_of

    store = index.store
    log = AccessLog(store, max_events=500, max_age=3600)

    def search(query: SearchQuery) -> list[dict[str, Any]]:
        hits = index.search(query).hits
        markings = active_markings(store)
        for hit in hits:
            hit["secrecy"] = secrecy_of(markings, hit["account_id"], hit["item_id"])
        return hits

    def logged(query: SearchQuery) -> None:
        hits = search(query)
        log.record("search", "bench", items=[h["item_id"] for h in hits], query=query.describe())

    def one_batch(query: SearchQuery) -> None:
        once = AccessLog(store)
        once.record("search", "bench", items=["1"] * 20, query=query.describe())
        once.flush()

    print("\nsearch without and with the access log (alternating) ...", flush=True)
    out: dict[str, Any] = {}
    for kind, batch in asked.items():
        times: dict[str, list[float]] = {"without": [], "with": []}
        for n, query in enumerate(batch * 2):
            first, second = (search, logged) if n % 2 == 0 else (logged, search)  # each first in turn
            for run in (first, second):
                times["without" if run is search else "with"].append(timed(partial(run, query))[0])
        times["exit"] = [timed(partial(one_batch, query))[0] for query in batch[:20]]
        log.flush()
        out[kind] = {
            "without_p95_ms": percentile(times["without"], 0.95),
            "with_p95_ms": percentile(times["with"], 0.95),
            "without_median_ms": statistics.median(times["without"]),
            "with_median_ms": statistics.median(times["with"]),
            "exit_write_p95_ms": percentile(times["exit"], 0.95),
            "exit_write_median_ms": statistics.median(times["exit"]),
            "searches": len(times["with"]),
        }
    print(
        f"{'query':<12} {'p95 without':>12} {'p95 with':>9} {'ratio':>6} {'median without':>15}"
        f" {'median with':>12} {'one batch written':>18}"
    )
    for kind, r in out.items():
        print(
            f"{kind:<12} {r['without_p95_ms']:>9.1f} ms {r['with_p95_ms']:>6.1f} ms"
            f" {r['with_p95_ms'] / r['without_p95_ms']:>6.2f} {r['without_median_ms']:>12.1f} ms"
            f" {r['with_median_ms']:>9.1f} ms {r['exit_write_median_ms']:>10.1f} ms median"
        )
    return out


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return (time.perf_counter() - started) * 1000, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200, help="index queries per kind")
    parser.add_argument("--baseline-queries", type=int, default=10, help="brute-force queries per kind")
    parser.add_argument("--keep", type=pathlib.Path, help="build the store here and keep it")
    parser.add_argument(
        "--access-log", action="store_true", help="also: search p95 without and with the access log"
    )
    args = parser.parse_args()
    rng = random.Random(20261125)
    pool = [sentence(rng) for _ in range(20_000)]
    work = args.keep or pathlib.Path(tempfile.mkdtemp(prefix="search-bench-"))
    store_root, index_root = work / "archive", work / "index"
    for folder in (store_root, index_root):
        shutil.rmtree(folder, ignore_errors=True)
    store_url = store_root.as_uri()
    try:
        print(f"writing {args.items:,} items into {store_root} ...", flush=True)
        seconds, built = timed(lambda: build_store(store_root, args.items, rng, pool))
        parquet_bytes = sum(p.stat().st_size for p in store_root.rglob("*.parquet"))
        print(
            f"  {built['rows']:,} version rows, {parquet_bytes / 2**20:.0f} MiB of Parquet,"
            f" {seconds / 1000:.0f} s"
        )

        print("building the index (archivectl reindex) ...", flush=True)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                str(REPO / "bench" / "_peak.py"),
                "reindex",
                "--store",
                store_url,
                "--index",
                str(index_root),
                "-q",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        build_s = time.perf_counter() - started
        peak_mib = int(re.search(r"PEAK_RSS_KIB (\d+)", done.stderr).group(1)) / 1024  # type: ignore[union-attr]
        index = SearchIndex(
            __import__("archive_lib.storage", fromlist=["FileStore"]).FileStore(store_url), index_root
        )
        index_bytes = sum(p.stat().st_size for p in index.path.rglob("*") if p.is_file())
        noop_ms, _ = timed(index.refresh)
        new_rows = add_night(store_root, rng, pool, built["sample"])
        night_ms, night = timed(index.refresh)
        print(
            f"  build {build_s:.1f} s, peak {peak_mib:.0f} MiB, index {index_bytes / 2**20:.0f} MiB; "
            f"refresh with nothing new {noop_ms:.1f} ms;"
            f" one more night ({new_rows:,} rows) {night_ms / 1000:.2f} s"
        )

        dataset = ds.dataset(store_root / layout.ITEMS, format="parquet", partitioning="hive")
        asked = queries(rng, args.queries)
        results: dict[str, dict[str, float]] = {}
        for kind, batch in asked.items():
            index.search(batch[0])  # warm
            index_ms = [timed(lambda q=q: index.search(q))[0] for q in batch]
            base_ms = [timed(lambda q=q: brute_force(dataset, q))[0] for q in batch[: args.baseline_queries]]
            results[kind] = {
                "index_median_ms": statistics.median(index_ms),
                "index_p95_ms": percentile(index_ms, 0.95),
                "scan_median_ms": statistics.median(base_ms),
                "scan_p95_ms": percentile(base_ms, 0.95),
            }
        print()
        print(
            f"{'query':<12} {'index median':>13} {'index p95':>10} {'scan median':>12} {'scan p95':>10} "
            f"{'median x':>9} {'p95 x':>7}"
        )
        for kind, r in results.items():
            print(
                f"{kind:<12} {r['index_median_ms']:>10.1f} ms {r['index_p95_ms']:>7.1f} ms "
                f"{r['scan_median_ms']:>9.0f} ms {r['scan_p95_ms']:>7.0f} ms "
                f"{r['scan_median_ms'] / r['index_median_ms']:>9.0f}"
                f" {r['scan_p95_ms'] / r['index_p95_ms']:>7.0f}"
            )
        if args.access_log:
            results_log = access_log_section(index, asked)
        summary = {
            "access_log": results_log if args.access_log else None,
            "items": built["items"],
            "rows": built["rows"],
            "parquet_mib": parquet_bytes / 2**20,
            "build_s": build_s,
            "build_peak_mib": peak_mib,
            "index_mib": index_bytes / 2**20,
            "refresh_noop_ms": noop_ms,
            "refresh_night_s": night_ms / 1000,
            "night_rows": new_rows,
            "night_items_written": night.items_written,
            "queries": results,
            "index_queries": args.queries,
            "scan_queries": args.baseline_queries,
        }
        out = REPO / "bench" / "results"
        out.mkdir(exist_ok=True)
        (out / "search_bench.json").write_text(json.dumps(summary, indent=2))
        print(f"\nwritten to {out / 'search_bench.json'}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
