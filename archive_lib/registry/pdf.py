"""PDF renditions of threads for release packages (fpdf2: pure Python).

A PDF needs a font that holds the characters it shows. The font is a TrueType file on this
machine: ``$ARCHIVE_PDF_FONT``, else the first of :data:`FONT_CANDIDATES` present (Debian's
``fonts-dejavu-core`` or ``fonts-liberation``). Characters the font lacks (emoji, most non-Latin
scripts with Liberation) are drawn as ``□`` and counted; the HTML rendition beside the PDF
shows every character, and the page says so. Without any font no PDF is made.

The archive's own words are in the language asked for (:mod:`archive_lib.language`), dates in its
style in Stockholm time; archived text is drawn as it is.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import pathlib
from typing import Any

from fontTools.ttLib import TTFont
from fpdf import FPDF

from archive_lib.language import Language, language
from archive_lib.registry.render import label
from archive_lib.registry.thread import Thread
from archive_lib.search.items import FILES_ARCHIVED

ENV_FONT = "ARCHIVE_PDF_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
)
_MISSING = "□"
_INDENT_MM = 6.0
_MAX_DEPTH = 8


def find_font() -> pathlib.Path | None:
    """The TrueType font PDFs are drawn with, or ``None`` when this machine has none."""
    for candidate in (os.environ.get(ENV_FONT), *FONT_CANDIDATES):
        if candidate and pathlib.Path(candidate).is_file():
            return pathlib.Path(candidate)
    return None


@functools.cache
def _characters(font: pathlib.Path) -> frozenset[int]:
    with TTFont(str(font), lazy=True) as ttf:
        return frozenset(ttf.getBestCmap())


class _Writer:
    def __init__(self, font: pathlib.Path) -> None:
        self.known = _characters(font)
        self.missing = 0
        self.pdf = FPDF(format="A4")
        self.pdf.set_margins(15, 15, 15)
        self.pdf.set_auto_page_break(True, margin=15)
        self.pdf.add_font("sans", "", str(font))
        self.pdf.add_page()

    def clean(self, text: str) -> str:
        out = []
        for char in text:
            if char == "\n" or ord(char) in self.known:
                out.append(char)
            elif char.isspace():
                out.append(" ")
            else:
                self.missing += 1
                out.append(_MISSING if ord(_MISSING) in self.known else "?")
        return "".join(out)

    def line(self, text: str, *, size: float, depth: int = 0, gray: int = 0, height: float = 4.6) -> None:
        indent = min(depth, _MAX_DEPTH) * _INDENT_MM
        self.pdf.set_font("sans", size=size)
        self.pdf.set_text_color(gray)
        self.pdf.set_x(self.pdf.l_margin + indent)
        width = self.pdf.w - self.pdf.l_margin - self.pdf.r_margin - indent
        self.pdf.multi_cell(width, height, self.clean(text), new_x="LMARGIN", new_y="NEXT")


def thread_pdf(
    thread: Thread, font: pathlib.Path, *, header: str, made_at: dt.datetime, words: Language | None = None
) -> tuple[bytes, int]:
    """The thread as a PDF in ``words``' language (Swedish by default), and how many characters
    the font could not show."""
    t = words or language()
    w = _Writer(font)
    w.pdf.set_creation_date(made_at)
    w.pdf.set_lang(t.code)
    title = t.gettext("Thread %(id)s", id=thread.post_id)
    w.pdf.set_title(title)
    w.line(title, size=14, height=7)
    w.line(header, size=8, gray=90)
    if thread.as_of:
        when = t.gettext("as it was on %(day)s (Europe/Stockholm)", day=thread.as_of)
    else:
        when = t.gettext("every version captured")
    account = t.gettext("account %(account)s", account=thread.account_id)
    w.line(f"{thread.platform} · {account} · {thread.board} · {when}", size=8, gray=90)
    if thread.root is None:
        w.line(t.gettext("The post that starts this thread is not in the archive."), size=8, gray=90)
    for depth, item in thread.items():
        w.pdf.ln(2)
        c: dict[str, Any] = item.current
        mark = "> " if item.item_id == thread.focus else ""
        state = "" if item.state == "new" else f" [{label(t, item.state).upper()}]"
        handle = f" (@{c['author_handle']})" if c.get("author_handle") else ""
        created = t.gettext("created %(when)s", when=t.stamp(c["created_at"]))
        kind = label(t, c["item_type"])
        w.line(
            f"{mark}{c['author_name']}{handle} · {kind} {item.item_id} · {created}{state}",
            size=9,
            depth=depth,
            gray=40,
        )
        seen = t.gettext("nights seen: %(nights)s", nights=", ".join(item.nights))
        w.line(f"{seen} · {c.get('url') or ''}", size=7, depth=depth, gray=110)
        for v in reversed(item.versions):
            edited = ""
            if v.get("edited_at"):
                edited = " · " + t.gettext("edited %(when)s", when=t.stamp(v["edited_at"]))
            if v["event"] == FILES_ARCHIVED:
                edited = " · " + t.gettext("attachment files archived late")
            hidden = " · " + label(t, "hidden") if v.get("hidden") else ""
            version = t.gettext("version %(number)s", number=v["version"])
            captured = t.gettext(
                "captured %(when)s (night %(night)s)", when=t.stamp(v["observed_at"]), night=v["run_date"]
            )
            w.line(
                f"{version} · {label(t, v['event'])}{hidden}{edited} · {captured}",
                size=7,
                depth=depth,
                gray=110,
            )
            if v.get("content_warning"):
                w.line(
                    t.gettext("content warning: %(warning)s", warning=v["content_warning"]),
                    size=8,
                    depth=depth,
                    gray=60,
                )
            w.line(v["text"] or "", size=10, depth=depth, height=5)
            w.line(f"{v['warc_key']} · {v['warc_record_id']}", size=6, depth=depth, gray=120, height=3.4)
    if w.missing:
        w.pdf.ln(3)
        w.line(
            t.ngettext(
                "%(num)s character is not in this PDF's font and is shown as %(sign)s;"
                " the HTML rendition in the same package shows it.",
                "%(num)s characters are not in this PDF's font and are shown as %(sign)s;"
                " the HTML rendition in the same package shows them.",
                w.missing,
                sign=_MISSING,
            ),
            size=8,
            gray=60,
        )
    return bytes(w.pdf.output()), w.missing
