"""Small pieces the HTML report is made of: escaping, safe links, numbers for people."""

from __future__ import annotations

import html
from urllib.parse import urlsplit

MAX_ROWS = 300  # rows per table; the JSON report has them all
DASH = "\u2013"


def esc(value: object) -> str:
    """Text for HTML, quotes included: every string from the archive goes through this."""
    return html.escape(str(value), quote=True)


def link(url: str | None, label: str) -> str:
    """A link to an archived item's public page; nothing for any other kind of address."""
    if not url or urlsplit(url).scheme not in ("http", "https"):
        return ""
    return f'<a href="{esc(url)}" rel="noopener noreferrer">{esc(label)}</a>'


def share(value: float | None) -> str:
    return DASH if value is None else f"{value:.0%}"


def hours(value: float | None) -> str:
    return DASH if value is None else f"{value:.1f} h"


def size(value: int) -> str:
    """Bytes in binary units."""
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1024
    return f"{value} B"
