"""Sample content for the fake YouTube: six weeks of Kristianstads kommun's channel.

:func:`populate_demo` fills a :class:`~tests.fakes.youtube.FakeYouTube` with the municipality's
channel (``@kristianstadskommun``): a council meeting broadcast, how-to films, a memorial film
with comments disabled, citizens' questions answered by the municipality, a thread with more
replies than YouTube shows inline, an edited comment, a comment held for review (counted but not
readable with an API key), and hostile markup that is just text. It registers
:data:`DEMO_KEY` as a valid API key. Times are relative to the fake clock's *now*.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.fakes.youtube import FakeYouTube

DEMO_KEY = "AIzaSyDemo-kristianstad-0000000000000000"
HANDLE = "@kristianstadskommun"

_CITIZENS = (
    "Anna Lindqvist",
    "Mats Ohlsson",
    "Sara Björk",
    "Ahmed Karimi",
    "Elsa Persson",
    "Johan Nilsson",
    "Lena Gustafsson",
)


def populate_demo(fake: FakeYouTube) -> dict[str, Any]:
    """Fill ``fake``; return ``channel`` (id), ``videos`` (ids, oldest first), ``comments`` (ids),
    ``roles`` (named ids) and ``key`` (the API key to put in the demo's environment)."""
    fake.add_key(DEMO_KEY)
    now = fake.clock.now()
    channel = fake.add_channel(
        HANDLE,
        "Kristianstads kommun",
        "Kristianstads kommuns officiella kanal: kommunfullmäktige, nyheter och guider.",
    )
    own = "UC" + channel.id[2:]

    def at(days_ago: float, hour: int = 10) -> dt.datetime:
        day = (now - dt.timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)
        return min(day, now - dt.timedelta(minutes=5))

    roles: dict[str, str] = {}
    comments: list[str] = []

    def comment(video: Any, author: str, text: str, when: dt.datetime, reply_to: Any = None) -> Any:
        made = fake.comment(video, author, text, reply_to=reply_to, at=when)
        if author == "Kristianstads kommun":
            made.author_channel = own
        comments.append(made.id)
        return made

    videos = []
    council = fake.upload(
        channel,
        "Kommunfullmäktige 10 oktober – hela sändningen",
        "Sammanträde i rådhuset Kristianstad. Ärendelista och protokoll: "
        "https://www.kristianstad.se/kommunfullmaktige\n\n"
        "00:00 Upprop\n12:40 Budget 2027\n1:48:10 Frågestund",
        at=at(41, 18),
        tags=["kommunfullmäktige", "Kristianstad", "budget"],
        views=812,
    )
    videos.append(council)
    question = comment(
        council, "Mats Ohlsson", "Varför höjs VA-taxan igen? Det är tredje året i rad.", at(40, 9)
    )
    roles["council_question"] = question.id
    answer = comment(
        council,
        "Kristianstads kommun",
        "Hej Mats! Höjningen finansierar det nya reningsverket i Centrala Kristianstad. "
        "Läs mer på kristianstad.se/va-taxa",
        at(40, 14),
        reply_to=question,
    )
    roles["council_answer"] = answer.id
    for n, name in enumerate(_CITIZENS[1:]):
        comment(council, name, f"Håller med Mats. ({n + 1})", at(39 - n * 0.2, 11), reply_to=question)
    roles["long_thread"] = question.id  # more replies than the five shown inline

    sorting = fake.upload(
        channel,
        "Så sorterar du matavfall i den bruna påsen",
        "En kort guide från Renhållningen. Fler tips: https://www.kristianstad.se/avfall",
        at=at(33),
        tags=["avfall", "sortering"],
        views=2431,
    )
    videos.append(sorting)
    edited = comment(sorting, "Anna Lindqvist", "Får man lägga kaffefilter i den bruna påsen?", at(32, 8))
    fake.edit_comment(edited, "Får man lägga kaffefilter och tepåsar i den bruna påsen?", at=at(32, 9))
    roles["edited_comment"] = edited.id
    comment(sorting, "Kristianstads kommun", "Ja, båda går bra! 👍", at(32, 13), reply_to=edited)
    hostile = comment(
        sorting, "Ahmed Karimi", "<script>alert('hej')</script> test av era filter <3", at(30, 22)
    )
    roles["hostile_markup"] = hostile.id
    held = fake.comment(sorting, "Okänd", "Köp billiga solglasögon här!!!", at=at(29, 3), held=True)
    roles["held_for_review"] = held.id  # counted in commentCount, invisible to an API key

    nature = fake.upload(
        channel,
        "Vattenriket i vårljus",
        "Följ med till Hammarsjön när tranorna kommer tillbaka. Film: Johan Nilsson.",
        at=at(21),
        tags=["Vattenriket", "natur", "Hammarsjön"],
        views=5120,
    )
    videos.append(nature)
    comment(nature, "Lena Gustafsson", "Så vackert! Visar den här för mina elever.", at(20, 16))
    comment(nature, "Johan Nilsson", "Tack för att ni visade filmen!", at(20, 18))

    memorial = fake.upload(
        channel,
        "Minnesstund på Stora torg",
        "Kommunen bjöd in till en stund av stillhet på Stora torg.",
        at=at(14),
        comments_disabled=True,
        views=640,
    )
    videos.append(memorial)
    roles["comments_disabled"] = memorial.id

    school = fake.upload(
        channel,
        "Nya Näsby skola – nu börjar bygget",
        "Byggstart för den nya F–6-skolan på Näsby. Klar till höstterminen 2028.",
        at=at(6),
        tags=["skola", "Näsby"],
        views=1290,
    )
    videos.append(school)
    parent = comment(school, "Elsa Persson", "Blir det en ny idrottshall också?", at(5, 19))
    comment(
        school,
        "Kristianstads kommun",
        "Ja, en fullstor idrottshall byggs i etapp två.",
        at(5, 21),
        reply_to=parent,
    )
    comment(school, "Elsa Persson", "Toppen, tack för svaret!", at(5, 22), reply_to=parent)

    summer = fake.upload(
        channel,
        "Sommarjobb 2026 – sök senast 31 mars",
        "Är du 16–19 år och skriven i Kristianstads kommun? Sök sommarjobb: https://www.kristianstad.se/sommarjobb",
        at=at(1, 8),
        tags=["sommarjobb", "ungdom"],
        views=377,
    )
    videos.append(summer)
    comment(summer, "Sara Björk", "Gäller det även om man fyller 16 i juni?", at(0.5, 9))
    return {
        "channel": channel.id,
        "handle": HANDLE,
        "videos": [v.id for v in videos],
        "comments": comments,
        "roles": roles,
        "key": DEMO_KEY,
    }
