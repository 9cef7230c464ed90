"""The inert-output rules (archive_lib.inert), for any string at all.

The strings are drawn from every code point, surrogates included, with the characters that
matter (formula starts, controls, bidi controls, separators, dots and slashes) drawn often.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from html.parser import HTMLParser

from hypothesis import example, given
from hypothesis import strategies as st

from archive_lib.inert import (
    BIDI_CONTROLS,
    FORMULA_STARTS,
    NAME_MAX,
    CsvWriter,
    csv_cell,
    isolate,
    json_text,
    safe_name,
    terminal_text,
)

SPECIAL = sorted(FORMULA_STARTS | BIDI_CONTROLS | set("\x00\x07\x1b\x7f\x85\x9b\n\"';,./:%\\ åäö😀\ud800"))
texts = st.text(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(SPECIAL), st.sampled_from(SPECIAL)),
    max_size=40,
)


def unsafe_for_a_terminal(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs") or char in BIDI_CONTROLS


def evaluated_by_a_spreadsheet(cell: str) -> bool:
    return cell[:1] in FORMULA_STARTS


def unprefixed(cell: str) -> str:
    """What a reader gets back from a cell: the cell without its first ``'``, if any."""
    return cell[1:] if cell.startswith("'") else cell


# -- spreadsheets ------------------------------------------------------------------------------


@given(texts)
@example("'=1+1")
def test_a_csv_cell_is_never_a_formula_and_only_gains_a_prefix(text: str) -> None:
    cell = csv_cell(text)
    assert not evaluated_by_a_spreadsheet(cell)
    assert unprefixed(cell) == text
    assert cell == ("'" + text if evaluated_by_a_spreadsheet(text) or text.startswith("'") else text)


@given(st.lists(st.one_of(texts, st.none(), st.integers()), min_size=1, max_size=6))
@example(['Bra;=HYPERLINK("http://evil.example")', "rad 1\r\n@rad 2", "'=already quoted", "'"])
def test_rows_round_trip_through_csv_apart_from_the_prefix(cells: list[str | int | None]) -> None:
    out = io.StringIO()
    CsvWriter(out).writerow(cells)
    written = out.getvalue()

    [read] = list(csv.reader(io.StringIO(written, newline="")))
    assert len(read) == len(cells)
    for original, back in zip(cells, read, strict=True):
        if isinstance(original, str):
            assert not evaluated_by_a_spreadsheet(back)
            assert unprefixed(back) == original
        else:  # the archive's own numbers (a negative one is a number, not a formula)
            assert back == ("" if original is None else str(original))
    # A Swedish spreadsheet splits at ";": every cell is quoted, so no new cell starts inside one.
    for original in cells:
        if isinstance(original, str):
            alone = io.StringIO()
            CsvWriter(alone).writerow([original])
            semicolon = list(csv.reader(io.StringIO(alone.getvalue(), newline=""), delimiter=";"))
            assert semicolon == [[csv_cell(original)]]


# -- terminals ---------------------------------------------------------------------------------


@given(texts)
def test_terminal_text_holds_no_control_or_bidi_character(text: str) -> None:
    shown = terminal_text(text)
    assert not [c for c in shown if unsafe_for_a_terminal(c)]
    shown.encode("utf-8")  # every terminal encoding can write it
    # Character by character: a safe one is kept, an unsafe one becomes one visible escape.
    assert shown == "".join(terminal_text(c) for c in text)
    for char in text:
        if unsafe_for_a_terminal(char):
            assert re.fullmatch(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4}|[nrt])", terminal_text(char))
        else:
            assert terminal_text(char) == char


@given(texts)
def test_terminal_text_keeps_only_what_it_is_asked_to_keep(text: str) -> None:
    shown = terminal_text(text, keep="\n")
    assert not [c for c in shown if unsafe_for_a_terminal(c) and c != "\n"]
    assert shown.count("\n") == text.count("\n")


def test_terminal_escapes_are_readable_and_ordinary_letters_stay() -> None:
    assert terminal_text("a\x1b[2Kb\r\n\t\x07\x7f\x9b") == "a\\x1b[2Kb\\r\\n\\t\\x07\\x7f\\x9b"
    assert terminal_text("Mallory \u202enummok \u2066x\u2069") == "Mallory \\u202enummok \\u2066x\\u2069"
    assert (
        terminal_text("Åsa på Ön, Ñandú 😀 ‑ «citat» 中文 עברית")
        == "Åsa på Ön, Ñandú 😀 ‑ «citat» 中文 עברית"
    )
    assert terminal_text(None) == "None" and terminal_text(12) == "12"


@given(st.recursive(st.one_of(texts, st.integers(), st.none()), lambda inner: st.lists(inner, max_size=3)))
def test_json_text_is_the_same_value_with_nothing_raw(value: object) -> None:
    shown = json_text({"value": value})
    assert json.loads(shown) == {"value": value}
    assert not [c for c in shown if unsafe_for_a_terminal(c) and c != "\n"]
    assert "\n" not in json_text(value, indent=None)
    shown.encode("utf-8")


# -- file names --------------------------------------------------------------------------------


@given(st.lists(texts, min_size=1, max_size=3))
def test_safe_names_use_a_safe_alphabet_and_a_bounded_length(ids: list[str]) -> None:
    name = safe_name(*ids)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name), name
    assert ".." not in name and not name.startswith("-")
    assert 0 < len(name) <= NAME_MAX
    assert safe_name(*ids) == name  # deterministic


@given(st.lists(st.lists(texts, min_size=1, max_size=2).map(tuple), min_size=2, max_size=8, unique=True))
def test_distinct_ids_never_share_a_name(id_tuples: list[tuple[str, ...]]) -> None:
    names = [safe_name(*ids) for ids in id_tuples]
    assert len(set(names)) == len(names)
    # Not even on a file system that ignores case.
    assert len({n.lower() for n in names}) == len(names)


def test_safe_names_of_the_ids_that_broke_packages() -> None:
    bluesky = safe_name("ks-bluesky", "at://did:plc:abc123/app.bsky.feed.post/3kxyz")
    assert bluesky.startswith("ks-bluesky_at-did-plc-abc123-app-bsky-feed-post-3kxyz-")
    assert safe_name("ks-youtube", "../../etc/passwd").startswith("ks-youtube_etc-passwd-")
    assert re.fullmatch(r"[0-9a-f]{12}", safe_name("../.."))  # nothing readable: the digest alone
    assert safe_name("a_b", "c") != safe_name("a", "b_c") != safe_name("a", "b", "c")
    assert len(safe_name("x" * 10_000)) == NAME_MAX


# -- HTML --------------------------------------------------------------------------------------


class _Parts(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        self.tags.append("/" + tag)

    def handle_data(self, data: str) -> None:
        self.text += data


@given(texts.filter(lambda t: "\r" not in t))  # HTML parsing itself turns CR into LF
def test_isolate_gives_exactly_one_bdi_holding_the_text(text: str) -> None:
    parts = _Parts()
    parts.feed(isolate(text))
    parts.close()
    assert parts.tags == ["bdi", "/bdi"]
    assert parts.text == text
