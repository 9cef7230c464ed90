"""Small pieces the HTML report is made of: escaping, safe links, numbers for people."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

from archive_lib.language import Language

MAX_ROWS = 300  # rows per table; the JSON report has them all
DASH = "\u2013"


def esc(value: object) -> str:
    """Text for HTML, quotes included: every string from the archive goes through this."""
    return html.escape(str(value), quote=True)


def head(t: Language, *columns: str, numeric: tuple[str, ...] = ()) -> str:
    """A table's header row, each column's name (marked with ``N_``) in ``t``'s language; the
    ``numeric`` ones aligned as numbers."""
    cells = (
        f"<th class='num'>{t.html(c)}</th>" if c in numeric else f"<th>{t.html(c)}</th>" for c in columns
    )
    return f"<tr>{''.join(cells)}</tr>"


def link(url: str | None, label: str) -> str:
    """A link to an archived item's public page; nothing for any other kind of address."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return ""
    return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(label)}</a>'


def share(value: float | None, t: Language) -> str:
    return DASH if value is None else t.percent(value)


def hours(value: float | None, t: Language) -> str:
    return DASH if value is None else f"{t.number(value, 1)}\u00a0h"


def size(value: int, t: Language) -> str:
    """Bytes in binary units, written as ``t`` writes numbers."""
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{t.number(amount, 0 if unit == 'B' else 1)}\u00a0{unit}"
        amount /= 1024
    return f"{value} B"
