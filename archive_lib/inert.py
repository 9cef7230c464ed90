"""Inert output: text from outside the archive, written so that nothing downstream acts on it.

The archive holds what anyone on the internet wrote: comments, display names, handles, ids,
platform error messages. Whatever reads the archive's output (a spreadsheet, a terminal, an
unzip tool, a browser laying out a line) must see such text as text. Every writer goes through
one of these rules; none invents its own.

* **Spreadsheets** (:func:`csv_cell`, :class:`CsvWriter`). A cell that starts with ``=``,
  ``+``, ``-``, ``@``, TAB or CR is a formula to Excel and LibreOffice (OWASP, "CSV
  Injection"); such a cell gets a leading ``'``, which makes it text. So does a cell that
  already starts with ``'``, which makes the rule exact to undo: drop the first character of
  every cell that starts with ``'`` and the archived text is back. Every cell is also quoted:
  a Swedish Excel splits unquoted cells at ``;``, which would start a new cell, and a new
  formula, in the middle of a comment.
* **Terminals** (:func:`terminal_text`). C0 and C1 control characters and DEL (ESC starts
  sequences that move the cursor, erase lines or retitle the window; CR rewrites a line; BEL
  rings), the Unicode line and paragraph separators, the bidirectional controls (an RTL
  override reverses the rest of the line) and lone surrogates (which no terminal encoding can
  write) are shown as escapes (:data:`CONTROLS`): ``\\n``,
  ``\\r``, ``\\t``, ``\\x1b``, ``\\u202e``. Everything else, å ä ö and emoji included, is
  kept. The form is for reading; the exact text is in the JSON output.
* **JSON on a terminal** (:func:`json_text`): JSON already escapes C0 controls; C1 controls,
  DEL, bidi controls and lone surrogates are escaped as ``\\uXXXX`` too, which leaves the
  value the same to any JSON reader.
* **File names** (:func:`safe_name`): names made from ids (a Bluesky id is an
  ``at://did:plc:…/…`` URI; any id may hold ``../``) use only ``A-Z a-z 0-9 _ -``, never a
  dot, are at most :data:`NAME_MAX` characters, and end in a digest of the ids, so two
  different ids never share a name and the same ids always get the same one.
* **HTML lines** (:func:`isolate`): a name or id inside a line of HTML is escaped and put in
  ``<bdi>``, so right-to-left text or a bidi override in it cannot reorder the rest of the
  line (the line's own words, the ``[deleted]`` marker, the dates).
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import re
from collections.abc import Iterable
from typing import Any, TextIO

#: First characters that make a spreadsheet cell a formula (OWASP's list).
FORMULA_STARTS = frozenset("=+-@\t\r")
#: Bidirectional formatting characters: ALM, LRM, RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: The longest name :func:`safe_name` gives.
NAME_MAX = 120
#: Hex digits of the SHA-256 of the ids that end every safe name.
DIGEST_CHARS = 12

_PREFIXED = FORMULA_STARTS | {"'"}
_BIDI = "".join(sorted(BIDI_CONTROLS))
#: Characters no line of output may carry raw: the C0 controls (line breaks and tabs included),
#: DEL, the C1 controls, the Unicode line and paragraph separators, the bidirectional controls
#: (which reorder what a reader sees without changing the bytes) and lone surrogates.
CONTROLS = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f\u2028\u2029{_BIDI}\ud800-\udfff]")  # json.dumps escapes C0
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def csv_cell(text: str) -> str:
    """``text`` as a spreadsheet cell that is never a formula: prefixed with ``'`` when it
    starts with a character of :data:`FORMULA_STARTS` or with ``'``, otherwise unchanged."""
    return "'" + text if text[:1] in _PREFIXED else text


class CsvWriter:
    """A CSV writer for rows that hold text from outside: every cell quoted, every text cell
    through :func:`csv_cell`; ``None`` is an empty cell, numbers are written as numbers."""

    def __init__(self, stream: TextIO, *, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(stream, quoting=csv.QUOTE_ALL, lineterminator=lineterminator)

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow(["" if c is None else csv_cell(c) if isinstance(c, str) else c for c in cells])


def terminal_text(value: object, *, keep: str = "") -> str:
    """``str(value)`` with every control, bidi control and lone surrogate shown as an escape
    (see the module docstring); characters in ``keep`` (e.g. ``"\\n"`` for a multi-line
    document) stay as they are."""
    return CONTROLS.sub(lambda m: m[0] if m[0] in keep else _escape(m[0]), str(value))


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def json_text(value: Any, *, indent: int | None = 2) -> str:
    """``value`` as JSON that is safe to print: the same value to any JSON reader, with no
    control, bidi control or lone surrogate left raw. Unknown types are written as ``str``."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, default=str)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def safe_name(*ids: str) -> str:
    """A file name for the thing these ids name: the ids' letters, digits, ``_`` and ``-``
    (each id's other characters become ``-``; ids joined by ``_``), cut to fit
    :data:`NAME_MAX`, then ``-`` and a digest of the ids. Deterministic; never contains a
    ``/``, a ``.``, a control character or a space; never starts with ``-``."""
    digest = _digest(ids)
    readable = "_".join(_NAME_UNSAFE.sub("-", part).strip("-") for part in ids)
    readable = readable[: NAME_MAX - DIGEST_CHARS - 1].strip("-_")
    return f"{readable}-{digest}" if readable else digest


def _digest(ids: tuple[str, ...]) -> str:
    # JSON keeps the boundaries between ids (("a_b", "c") and ("a", "b_c") differ) and writes
    # lone surrogates as escapes, so every tuple of strings has one unambiguous encoding.
    encoded = json.dumps(list(ids)).encode("ascii")
    return hashlib.sha256(encoded).hexdigest()[:DIGEST_CHARS]


def isolate(value: object) -> str:
    """``str(value)`` escaped for HTML and isolated in ``<bdi>``: markup for inside a line."""
    return f"<bdi>{html.escape(str(value), quote=True)}</bdi>"
