"""Tests of archive_lib.text.html_to_text on the HTML Mastodon puts in a status's ``content``.

Covers paragraphs and line breaks, the invisible/ellipsis spans Mastodon splits links into (they
must join back into the whole URL), entity decoding, text that merely looks like markup, Unicode
left exactly as it came (å ä ö, emoji, no-break spaces), and empty input.
"""

from __future__ import annotations

import pytest

from archive_lib.text import html_to_text
from tests.fakes.mastodon_html import shortened_link, text_to_html

GUARDIAN = (
    "https://www.theguardian.com/money/2019/dec/07/"
    "i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
)


def test_paragraphs_become_blank_line_separated_and_br_a_line_break() -> None:
    html = (
        "<p>Badhuset öppnar igen på måndag!</p>"
        "<p>Öppettider:<br />måndag–fredag 6–21<br>lördag 8–16</p>"
        "<p>Välkomna!</p>"
    )
    assert html_to_text(html) == (
        "Badhuset öppnar igen på måndag!\n\nÖppettider:\nmåndag–fredag 6–21\nlördag 8–16\n\nVälkomna!"
    )


def test_html_whitespace_collapses_but_empty_paragraphs_vanish() -> None:
    html = "<p>  Kultur-  och\n fritidsnämnden\tinformerar </p>\n<p></p><p>Slut</p>"
    assert html_to_text(html) == "Kultur- och fritidsnämnden informerar\n\nSlut"


def test_a_shortened_link_is_joined_back_into_the_whole_url() -> None:
    html = f"<p>Läs mer: {shortened_link(GUARDIAN)} och {shortened_link('http://shork.xyz')}.</p>"
    assert '<span class="invisible">' in html and '<span class="ellipsis">' in html
    assert html_to_text(html) == f"Läs mer: {GUARDIAN} och http://shork.xyz."


def test_hashtags_and_mentions_keep_their_sign() -> None:
    html = (
        '<p>Tack <span class="h-card" translate="no"><a href="https://social.example/@anna" '
        'class="u-url mention">@<span>anna</span></a></span> för bilden! '
        '<a href="https://social.example/tags/Kristianstad" class="mention hashtag" rel="tag">'
        "#<span>Kristianstad</span></a></p>"
    )
    assert html_to_text(html) == "Tack @anna för bilden! #Kristianstad"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Fika &amp; fotboll</p>", "Fika & fotboll"),
        ("<p>1 &lt; 2 &gt; 0</p>", "1 < 2 > 0"),
        ("<p>&quot;Vattenriket&quot; &#39;23</p>", '"Vattenriket" \'23'),
        ("<p>&#x2764;&#65039; &copy; &hellip;</p>", "\u2764\ufe0f © …"),
        ("<p>&amp;lt;p&amp;gt; is escaped twice</p>", "&lt;p&gt; is escaped twice"),
    ],
)
def test_entities_are_decoded_once(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_escaped_markup_in_a_post_stays_text() -> None:
    written = 'Skriv <b>"fet"</b> så här & inte <script>alert(1)</script>'
    html = text_to_html(written, base_url="https://social.example")
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert html_to_text(html) == written


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Jag <3 Kristianstad</p>", "Jag <3 Kristianstad"),
        ("<p>5 < 6 och 7 > 3</p>", "5 < 6 och 7 > 3"),
        ("<p>AT&T & Co</p>", "AT&T & Co"),
    ],
)
def test_bare_characters_that_look_like_markup_are_kept(html: str, text: str) -> None:
    assert html_to_text(html) == text


def test_unicode_is_left_exactly_as_it_came() -> None:
    nbsp, zwj_family, decomposed_a = "\u00a0", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "a\u030a"
    html = f"<p>Åhus{nbsp}&nbsp;Äspet Öja 😀 {zwj_family} {decomposed_a}</p>"
    text = html_to_text(html)
    assert text == f"Åhus{nbsp}{nbsp}Äspet Öja 😀 {zwj_family} {decomposed_a}"
    assert "å" not in text, "a combining ring must not be normalised into å"


@pytest.mark.parametrize("html", [None, "", "<p></p>", "<p> </p><br>"])
def test_nothing_gives_the_empty_string(html: str | None) -> None:
    assert html_to_text(html) == ""


def test_preformatted_text_keeps_its_leading_spaces() -> None:
    assert html_to_text("<pre>  a\n   b</pre>") == "  a\n   b"
