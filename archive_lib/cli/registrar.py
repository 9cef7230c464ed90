"""``archivectl search``, ``show``, ``export`` and ``reindex``: the registrars' commands.

Every command refreshes the search index of the store first (see
:mod:`archive_lib.search.index`), so nobody has to build or update it by hand. ``search``,
``show`` and ``export`` are recorded in the access log (:mod:`archive_lib.metadata.access`),
written when ``archivectl`` exits. Archived text
is printed inert (:mod:`archive_lib.inert`): tables through the terminal rule, CSV through the
spreadsheet rule, JSON with every control escaped.
"""

from __future__ import annotations

import argparse
import pathlib
import shlex
import sys
from typing import TYPE_CHECKING, Any

from archive_lib.cli.args import add_verbosity, date_arg
from archive_lib.errors import ConfigError
from archive_lib.inert import CsvWriter, json_text, terminal_text
from archive_lib.metadata.schema import POINTER_COLUMNS
from archive_lib.settings import ENVIRONMENT, LANGUAGE, STORE

if TYPE_CHECKING:  # the engines load only when a registrar's command runs (capture starts faster)
    from archive_lib.registry.thread import Thread
    from archive_lib.search import SearchIndex, SearchQuery

ENV_INDEX_DIR = "ARCHIVE_INDEX_DIR"  # archive_lib.search.index.ENV_INDEX_DIR

SEARCH_COLUMNS = (
    "item_id",
    "item_type",
    "platform",
    "account_id",
    "board",
    "author_name",
    "author_handle",
    "text",
    "created_at",
    "url",
    "event",
    "secrecy",
    "post_id",
    "parent_id",
    "version",
    "versions",
    "nights",
    "snippet",
    *POINTER_COLUMNS,
    "observed_at",
    "run_id",
    "source_url",
    "items_part",
)


def register(sub: Any) -> None:
    """Add the registrars' commands to ``archivectl``'s subparsers."""
    search = sub.add_parser("search", help="find posts and comments (Swedish full text and filters)")
    _store_options(search)
    _query_options(search)
    search.add_argument("--format", choices=("table", "json", "csv"), default="table")
    search.add_argument("--purpose", help="why you search (recorded in the access log)")
    search.set_defaults(run=run_search)

    show = sub.add_parser("show", help="a post or comment with its whole thread and every version")
    _store_options(show)
    show.add_argument("item_id", metavar="ITEM_ID")
    show.add_argument("--account", help="the account, when several captured the same item")
    show.add_argument("--as-of", type=date_arg, metavar="YYYY-MM-DD", help="the thread as it was on this day")
    show.add_argument("--format", choices=("table", "json"), default="table")
    show.add_argument("--purpose", help="why you look (recorded in the access log)")
    show.set_defaults(run=run_show)

    export = sub.add_parser("export", help="a release package (zip) of matching items, logged in the archive")
    _store_options(export)
    _query_options(export)
    export.add_argument(
        "--item",
        dest="items",
        action="extend",
        nargs="+",
        default=[],
        metavar="ID",
        help="export these items (instead of a query)",
    )
    export.add_argument("--purpose", required=True, help="why the records are handed out")
    export.add_argument("--reference", required=True, help="the request's reference (diarienummer)")
    export.add_argument("--out", required=True, type=pathlib.Path, metavar="FILE.zip")
    export.add_argument("--by", default=None, help="who makes the export (default: the login name)")
    export.add_argument(
        "--language",
        choices=("sv", "en"),
        help="language of the HTML and PDF renditions (default: $ARCHIVE_LANGUAGE, else sv)",
    )
    export.add_argument("--format", choices=("table", "json"), default="table")
    export.add_argument(
        "--unmasked",
        action="store_true",
        help="release items under secrecy as they are (internal use only; needs --reason, logged)",
    )
    export.add_argument("--reason", help="why the export is unmasked")
    export.set_defaults(run=run_export)

    reindex = sub.add_parser("reindex", help="rebuild the search index of a store from scratch")
    _store_options(reindex)
    reindex.set_defaults(run=run_reindex)


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", default=ENVIRONMENT.get(STORE), help="store URL (default: $ARCHIVE_STORE)")
    parser.add_argument(
        "--index",
        default=None,
        metavar="DIR",
        help=f"folder for search indexes (default: ${ENV_INDEX_DIR}, else"
        " ~/.cache/social-records-archive/search)",
    )
    add_verbosity(parser)


def _query_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query",
        nargs="?",
        default="",
        metavar="QUERY",
        help='words (inflections found), "a phrase", prefix*, -excluded',
    )
    for flag, help_text in (
        ("--account", "account id from the inventory"),
        ("--board", "board (nämnd), e.g. Kommunstyrelsen"),
        ("--platform", "platform, e.g. mastodon"),
        ("--author", "author's name or handle"),
        ("--type", "post or comment"),
        ("--event", "latest known state: new, edited, hidden or deleted"),
        ("--item-id", "the platform's item id"),
    ):
        parser.add_argument(flag, action="append", default=[], help=help_text + " (repeatable: any of them)")
    parser.add_argument(
        "--since", type=date_arg, metavar="YYYY-MM-DD", help="created on or after this day (Stockholm)"
    )
    parser.add_argument(
        "--until", type=date_arg, metavar="YYYY-MM-DD", help="created on or before this day (Stockholm)"
    )
    parser.add_argument(
        "--limit", type=int, default=50, help="at most this many items, newest first (default 50)"
    )


def _query(args: argparse.Namespace) -> SearchQuery:
    from archive_lib.search import SearchQuery

    return SearchQuery(
        text=args.query,
        accounts=tuple(args.account),
        boards=tuple(args.board),
        platforms=tuple(args.platform),
        authors=tuple(args.author),
        item_types=tuple(args.type),
        events=tuple(args.event),
        item_ids=tuple(args.item_id),
        since=args.since,
        until=args.until,
        limit=args.limit,
    )


def _index(args: argparse.Namespace) -> SearchIndex:
    from archive_lib.search import SearchIndex
    from archive_lib.storage import open_store

    if not args.store:
        raise ConfigError("no store: give --store or set ARCHIVE_STORE")
    index = SearchIndex(open_store(args.store), args.index)
    index.refresh()
    return index


def run_search(args: argparse.Namespace) -> int:
    from archive_lib.metadata.access import os_user, record_access
    from archive_lib.metadata.markings import active_markings, secrecy_of
    from archive_lib.registry.render import stamp

    query = _query(args)  # a bad query is refused before the store is opened
    index = _index(args)
    results = index.search(query)
    markings = active_markings(index.store)
    for hit in results.hits:
        hit["secrecy"] = secrecy_of(markings, hit["account_id"], hit["item_id"])
    record_access(
        index.store,
        "search",
        os_user(),
        items=[h["item_id"] for h in results.hits],
        query=query.describe(),
        purpose=args.purpose,
    )
    if results.suggestions and args.format != "table":
        # Standard output stays the results alone (an empty list or table); the nearest words go beside it.
        print(json_text({"suggestions": results.suggestions}, indent=None), file=sys.stderr)
    if args.format == "json":
        print(json_text([{k: h[k] for k in SEARCH_COLUMNS} for h in results.hits]))
    elif args.format == "csv":
        writer = CsvWriter(sys.stdout, lineterminator="\n")
        writer.writerow(SEARCH_COLUMNS)
        for hit in results.hits:
            writer.writerow([";".join(hit[c]) if c == "nights" else hit[c] for c in SEARCH_COLUMNS])
    else:
        print(f"{results.total} items match; newest {len(results.hits)} shown")
        if results.suggestions:
            _say(f"did you mean {' or '.join(results.suggestions)}? (the search above is unchanged)")
        for hit in results.hits:
            marker = "" if hit["event"] == "new" else f" [{hit['event'].upper()}]"
            if hit["secrecy"]:
                marker += f" [SECRECY: {hit['secrecy']}]"
            _say(
                f"{stamp(hit['created_at'])}  {hit['item_type']:<7} {hit['item_id']}  {hit['account_id']} "
                f"({hit['board']})  {hit['author_name']}{marker}"
            )
            _say(f"    {hit['snippet']}")
            # Quoted for the shell: the id is the platform's, and registrars paste this line.
            _say(f"    thread: archivectl show {shlex.quote(hit['item_id'])}  ·  {hit['url'] or ''}")
            _say(f"    captured {stamp(hit['observed_at'])} in {hit['warc_key']} {hit['warc_record_id']}")
    return 0


def _say(line: str) -> None:
    """Print one line of a table holding archived text: it stays one line, and inert."""
    print(terminal_text(line))


def run_show(args: argparse.Namespace) -> int:
    from archive_lib.metadata.access import os_user, record_access
    from archive_lib.registry.thread import load_thread

    index = _index(args)
    thread = load_thread(index.store, index, args.item_id, as_of=args.as_of, account_id=args.account)
    record_access(
        index.store,
        "show",
        os_user(),
        items=[args.item_id],
        query={"account": thread.account_id, "as_of": thread.as_of.isoformat() if thread.as_of else None},
        purpose=args.purpose,
    )
    if args.format == "json":
        print(json_text(thread.as_dict()))
        return 0
    print_thread(thread)
    return 0


def print_thread(thread: Thread) -> None:
    from archive_lib.registry.render import stamp
    from archive_lib.search.items import FILES_ARCHIVED

    when = f"as it was on {thread.as_of}" if thread.as_of else "every version captured"
    _say(f"Thread {thread.post_id} · {thread.platform} · {thread.account_id} ({thread.board}) · {when}")
    if thread.root is None:
        print("  (the post that starts this thread is not in the archive)")
    for depth, item in thread.items():
        pad = "  " * (depth + 1)
        c = item.current
        marker = "" if item.state == "new" else f" [{item.state.upper()}]"
        if item.secrecy:
            marker += f" [SECRECY: {item.secrecy}]"
        focus = "▶ " if item.item_id == thread.focus else ""
        _say(
            f"{pad}{focus}{c['item_type']} {item.item_id} · {c['author_name']}"
            f" · created {stamp(c['created_at'])}{marker}"
        )
        print(f"{pad}  nights seen: {', '.join(item.nights)}")
        for note in (item.moderation or {}).get("notes", ()):
            _say(
                f"{pad}  moderation: {note['action']} by {note['by']}, {stamp(note['at'])},"
                f" ground {note['ground']}"
            )
        if item.moderation and not item.moderation["noted"]:
            print(f"{pad}  {item.moderation['captured']} with no moderation note")
        for v in item.versions:
            made = stamp(v.get("edited_at") or (v["created_at"] if v["event"] == "new" else None)) or "-"
            if v["event"] == FILES_ARCHIVED:  # the version before it again, with its files
                made = "-"
            _say(
                f"{pad}  v{v['version']} {v['event']:<8} made {made:<16} captured {stamp(v['observed_at'])}"
                f" (night {v['run_date']}): {v['text']}"
            )


def run_export(args: argparse.Namespace) -> int:
    from archive_lib.evidence.config import signer_from_settings
    from archive_lib.language import from_setting
    from archive_lib.metadata.access import os_user, record_access
    from archive_lib.registry.export import ExportRequest, make_export

    words = from_setting(args.language or ENVIRONMENT.get(LANGUAGE))  # a bad setting is refused first
    has_query = bool(
        args.query
        or args.account
        or args.board
        or args.platform
        or args.author
        or args.type
        or args.event
        or args.item_id
        or args.since
        or args.until
    )
    if args.reason and not args.unmasked:
        raise ConfigError("--reason goes with --unmasked")
    if args.unmasked and not (args.reason or "").strip():
        raise ConfigError("--unmasked needs --reason: why items under secrecy go out as they are")
    request = ExportRequest(
        purpose=args.purpose,
        reference=args.reference,
        made_by=args.by or os_user(),
        query=_query(args) if has_query or not args.items else None,
        item_ids=tuple(args.items),
        unmasked=args.reason if args.unmasked else None,
    )
    index = _index(args)
    result = make_export(
        index.store, index, request, args.out, signer=signer_from_settings(ENVIRONMENT), words=words
    )
    purpose = args.purpose if not args.unmasked else f"{args.purpose}; unmasked: {args.reason}"
    record_access(
        index.store,
        "export",
        os_user(),
        items=result.item_ids,
        query=request.query.describe() if request.query else None,
        purpose=purpose,
    )
    if args.format == "json":
        print(json_text(result.__dict__))
        return 0
    _say(
        f"{result.path}: {result.items} items ({result.rows} versions) in {result.threads} threads, "
        f"{result.records} WARC records"
    )
    if result.matched_total > result.items:
        print(
            f"note: {result.matched_total} items matched;"
            f" only the newest {result.items} (--limit) were exported"
        )
    for masked in result.masked:
        _say(f"masked {masked['item_id']} ({masked['account_id']}): secrecy under {masked['ground']}")
    if args.unmasked:
        print("note: items under secrecy are NOT masked (internal use); logged with the reason")
    print(f"sha256 {result.sha256}")
    print(f"logged in the archive as {result.log_key}")
    return 0


def run_reindex(args: argparse.Namespace) -> int:
    from archive_lib.search import SearchIndex
    from archive_lib.storage import open_store

    if not args.store:
        raise ConfigError("no store: give --store or set ARCHIVE_STORE")
    index = SearchIndex(open_store(args.store), args.index)
    report = index.rebuild()
    print(
        f"{index.path}: {report.items_written} items from {report.parts_total} items parts"
        f" in {report.seconds:.1f} s"
    )
    return 0
