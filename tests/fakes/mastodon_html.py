"""Mastodon-style status HTML for the fake server.

Mastodon stores a local status as plain text and renders it with its ``TextFormatter``
(mastodon/mastodon:app/lib/text_formatter.rb): every character outside a link is HTML-escaped
with ``ERB::Util.html_escape`` (``& < > " '``), URLs become links whose text is split into an
``invisible`` prefix (``https://www.``), at most 30 visible characters (class ``ellipsis`` when the
rest is cut off, else an empty class) and an ``invisible`` remainder; ``#tag`` becomes a hashtag
link and ``@user`` a mention link when the account is known (otherwise it stays text); finally
Rails' ``simple_format`` wraps paragraphs (blank-line separated) in ``<p>`` and turns single line
breaks into ``<br />``.

:func:`text_to_html` reproduces that markup; :func:`extract_tags` and :func:`extract_mentions`
read the hashtags and mentions back out of it, the way the fake fills ``tags`` and ``mentions``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# ERB::Util.html_escape: note the numeric entity for the apostrophe.
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
_ESCAPE_RE = re.compile(r"[&<>\"']")

_URL_PREFIX_RE = re.compile(r"\A(https?://(www\.)?|xmpp:)")
_LINK_REL = "nofollow noopener"
_VISIBLE_CHARS = 30

# One alternation so that entities are found left to right without overlapping.
_ENTITY_RE = re.compile(
    r"(?P<url>https?://[^\s<>\"]+)"
    r"|(?<![=/)\w])#(?P<tag>\w*[^\W\d_]\w*)"
    r"|(?<![/\w])@(?P<user>[A-Za-z0-9_]+(?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?)"
    r"(?:@(?P<domain>[\w.-]+\w))?"
)
_TRAILING_PUNCTUATION = ".,:;!?'\""

_HASHTAG_LINK_RE = re.compile(
    r'<a href="(?P<href>[^"]*)" class="mention hashtag" rel="tag">#<span>(?P<name>[^<]*)</span></a>'
)
_MENTION_LINK_RE = re.compile(
    r'<span class="h-card" translate="no"><a href="(?P<href>[^"]*)" class="u-url mention">'
    r"@<span>(?P<name>[^<]*)</span></a></span>"
)


@dataclass(frozen=True)
class MentionTarget:
    """What a mention links to: the account's profile URL and the name shown after ``@``."""

    url: str
    display: str


MentionResolver = Callable[[str, "str | None"], "MentionTarget | None"]


def html_escape(text: str) -> str:
    """Escape like Ruby's ``ERB::Util.html_escape`` (``'`` becomes ``&#39;``)."""
    return _ESCAPE_RE.sub(lambda match: _ESCAPES[match.group(0)], text)


def unescape(text: str) -> str:
    """Undo :func:`html_escape` (only the five entities it produces)."""
    for char, entity in _ESCAPES.items():
        if char != "&":
            text = text.replace(entity, char)
    return text.replace("&amp;", "&")


def shortened_link(url: str) -> str:
    """A URL as Mastodon links it: invisible prefix, 30 visible characters, invisible rest."""
    prefix_match = _URL_PREFIX_RE.match(url)
    prefix = prefix_match.group(0) if prefix_match else ""
    rest = url[len(prefix) :]
    display, suffix = rest[:_VISIBLE_CHARS], rest[_VISIBLE_CHARS:]
    css = "ellipsis" if len(rest) > _VISIBLE_CHARS else ""
    return (
        f'<a href="{html_escape(url)}" target="_blank" rel="{_LINK_REL}" translate="no">'
        f'<span class="invisible">{html_escape(prefix)}</span>'
        f'<span class="{css}">{html_escape(display)}</span>'
        f'<span class="invisible">{html_escape(suffix)}</span></a>'
    )


def hashtag_link(name: str, base_url: str) -> str:
    """A hashtag as Mastodon links it, to ``{base_url}/tags/{name}``."""
    href = f"{base_url}/tags/{name}"
    return (
        f'<a href="{html_escape(href)}" class="mention hashtag" rel="tag">'
        f"#<span>{html_escape(name)}</span></a>"
    )


def mention_link(target: MentionTarget) -> str:
    """A mention as Mastodon links it (an ``h-card`` span around a ``u-url mention`` link)."""
    return (
        f'<span class="h-card" translate="no"><a href="{html_escape(target.url)}" '
        f'class="u-url mention">@<span>{html_escape(target.display)}</span></a></span>'
    )


def _split_trailing(url: str) -> tuple[str, str]:
    """Strip sentence punctuation and an unbalanced ``)`` from the end of a matched URL."""
    end = len(url)
    while end > 0:
        char = url[end - 1]
        if char in _TRAILING_PUNCTUATION or (
            char == ")" and url[:end].count("(") < url[:end].count(")")
        ):
            end -= 1
            continue
        break
    return url[:end], url[end:]


def _rewrite(text: str, base_url: str, resolve: MentionResolver | None) -> str:
    out: list[str] = []
    position = 0
    for match in _ENTITY_RE.finditer(text):
        out.append(html_escape(text[position : match.start()]))
        if match.group("url"):
            url, trailing = _split_trailing(match.group("url"))
            out.append(shortened_link(url) + html_escape(trailing))
        elif match.group("tag"):
            out.append(hashtag_link(match.group("tag"), base_url))
        else:
            target = resolve(match.group("user"), match.group("domain")) if resolve else None
            out.append(mention_link(target) if target else html_escape(match.group(0)))
        position = match.end()
    out.append(html_escape(text[position:]))
    return "".join(out)


def text_to_html(
    text: str, *, base_url: str = "https://mastodon.example", resolve: MentionResolver | None = None
) -> str:
    """Plain text to the HTML Mastodon would put in a local status's ``content``.

    ``base_url`` is the instance (hashtag links point to ``{base_url}/tags/...``); ``resolve`` maps
    ``(username, domain or None)`` to a :class:`MentionTarget`, or ``None`` for an unknown account
    (the mention then stays plain text, as in Mastodon). Empty text gives ``""``.
    """
    normalized = text.replace("\r\n", "\n").strip("\n")
    if not normalized.strip():
        return ""
    paragraphs = re.split(r"\n\s*\n+", normalized)
    rendered = []
    for paragraph in paragraphs:
        lines = [_rewrite(line, base_url, resolve) for line in paragraph.split("\n")]
        rendered.append("<p>" + "<br />".join(lines) + "</p>")
    return "".join(rendered)


def inline_html(text: str, *, base_url: str = "https://mastodon.example") -> str:
    """One line of text with links and hashtags but no ``<p>`` (profile field values)."""
    return _rewrite(text, base_url, None)


def extract_tags(html: str) -> list[str]:
    """Hashtag names linked in Mastodon-style HTML, in order, without duplicates (as written)."""
    seen: dict[str, str] = {}
    for match in _HASHTAG_LINK_RE.finditer(html):
        name = unescape(match.group("name"))
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def extract_mentions(html: str) -> list[str]:
    """Profile URLs of the accounts mentioned in Mastodon-style HTML, in order, deduplicated."""
    urls: list[str] = []
    for match in _MENTION_LINK_RE.finditer(html):
        url = unescape(match.group("href"))
        if url not in urls:
            urls.append(url)
    return urls
