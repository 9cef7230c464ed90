"""Plain text from the HTML some platforms deliver (Mastodon's ``content``).

Tags are dropped and their text kept (so a link's hidden ``https://www.`` span stays part of the
URL), entities are decoded, paragraphs become blank-line separated and ``<br>`` a line break.
Unicode is left exactly as it came: no normalisation, no case folding. Platforms that deliver
plain text (Facebook, Instagram) must not pass through here: a literal ``<3`` is text there.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6"}
_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's own whitespace; NBSP and friends are content


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.pre_depth = 0

    def _end_block(self) -> None:
        text = "".join(self.current)
        if not self.pre_depth:  # preformatted text keeps its spaces
            text = "\n".join(line.strip(" ") for line in text.strip(" ").split("\n"))
        if text.strip():
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.current.append("\n")
        elif tag in _BLOCKS:
            self._end_block()
            if tag == "pre":
                self.pre_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._end_block()
            if tag == "pre" and self.pre_depth:
                self.pre_depth -= 1

    def handle_data(self, data: str) -> None:
        self.current.append(data if self.pre_depth else _SPACE.sub(" ", data))

    def text(self) -> str:
        self.close()
        self._end_block()
        return "\n\n".join(self.blocks)


def html_to_text(html: str | None) -> str:
    """The plain text a reader sees in ``html``; empty string for ``None``."""
    if not html:
        return ""
    parser = _TextExtractor()
    parser.feed(html)
    return parser.text()
