"""Sample content for the fake Bluesky AppView: Kristianstads kommun on Bluesky.

:func:`populate_demo` fills a :class:`~tests.fakes.bluesky.FakeBluesky` with the municipality's
account (``kristianstad.se``, a domain handle) and citizens: posts with images and links, a
thread eight replies deep, an answer of the municipality in a citizen's own thread, a repost of a
citizen (not the municipality's content), a post with an embed type this archive does not know,
a client clock without a time zone, and a reply from an account that is later taken down (the
AppView shows it as ``blockedPost``). Times are relative to the fake clock's *now*.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.fakes.bluesky import FakeBluesky, Post, sample_image

HANDLE = "kristianstad.se"


GALLERY_ALTS = (
    "Bandet spelar",
    "Kommunalrådet klipper bandet",
    "Barn på den nya lekplatsen",
    "Fontänen i kvällsljus",
    "Publiken vid scenen",
    "Parkens nya entré",
)


def populate_demo(fake: FakeBluesky) -> dict[str, Any]:
    """Fill ``fake``; return ``did``, ``handle``, ``posts`` (URIs, oldest first), ``comments``
    (URIs of every reply) and ``roles`` (named URIs)."""
    now = fake.clock.now()
    town = fake.add_actor(HANDLE, "Kristianstads kommun", "Officiellt konto för Kristianstads kommun.")
    anna = fake.add_actor("annalind.bsky.social", "Anna Lindqvist")
    mats = fake.add_actor("matsohlsson.bsky.social", "Mats Ohlsson")
    sara = fake.add_actor("sarabjork.bsky.social", "Sara Björk 🚲")
    nils = fake.add_actor("nilsfaglar.bsky.social", "Nils – fåglar i Skåne")
    spam = fake.add_actor("gratis-iphone.bsky.social", "Vinn en iPhone")

    def at(days_ago: float, hour: int = 10, minute: int = 0) -> dt.datetime:
        moment = (now - dt.timedelta(days=days_ago)).replace(
            hour=hour, minute=minute, second=0, microsecond=0
        )
        return min(moment, now - dt.timedelta(minutes=5))

    posts: list[str] = []
    comments: list[str] = []
    roles: dict[str, str] = {}

    def post(text: str, when: dt.datetime, **kw: Any) -> Post:
        made = fake.post(town, text, at=when, **kw)
        posts.append(made.uri)
        return made

    def reply(author: Any, text: str, to: Post, when: dt.datetime, **kw: Any) -> Post:
        made = fake.post(author, text, reply_to=to, at=when, **kw)
        comments.append(made.uri)
        return made

    link = "https://www.kristianstad.se/vattenriket"
    floods = post(
        f"Vårfloden är här! Naturum Vattenriket har extra öppet i helgen. {link}",
        at(38, 9),
        images=[(sample_image(1), "Översvämmade strandängar vid Hammarsjön i morgonljus")],
        facets=[
            {
                "index": {"byteStart": 67, "byteEnd": 67 + len(link)},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}],
            }
        ],
    )
    roles["images_and_link"] = floods.uri
    parent = floods
    for n, (author, text) in enumerate(
        [
            (nils, "Tranorna har landat vid Pulken, minst 200 st i morse!"),
            (town, "Vad roligt Nils! Har du någon bild du vill dela?"),
            (nils, "Ja, ska lägga upp i kväll."),
            (anna, "Går det att ta barnvagn ut på spångerna nu?"),
            (town, "Hej Anna! Spången vid Naturum är öppen, men Lillöspången står under vatten."),
            (anna, "Tack! Då tar vi den vid Naturum."),
            (sara, "Finns det cykelparkering vid Naturum?"),
            (town, "Ja, vid huvudentrén finns 40 platser."),
        ]
    ):
        parent = reply(author, text, parent, at(37.5 - n * 0.05, 12))
    roles["deep_reply"] = parent.uri

    snow = post("Snöröjningen har börjat i hela kommunen. Gång- och cykelvägar prioriteras.", at(24, 6, 30))
    question = reply(mats, "Varför plogas inte Snapphanevägen? Vi har väntat sedan i går.", snow, at(24, 8))
    reply(town, "Hej Mats, vi har skickat en bil dit nu.", question, at(24, 9, 15))
    troll = reply(spam, "Vinn en iPhone!!! Klicka här", snow, at(24, 10))
    roles["taken_down_reply"] = troll.uri

    citizen = fake.post(
        anna, "Någon som vet när återvinningscentralen på Härlöv öppnar efter helgen?", at=at(12, 17)
    )
    answer = reply(town, "Hej Anna! Härlöv öppnar kl 07 på tisdag.", citizen, at(12, 18))
    reply(anna, "Perfekt, tack!", answer, at(12, 18, 30))
    roles["answer_in_citizen_thread"] = answer.uri
    fake.repost(
        town, fake.post(sara, "Cykelbanan på Östra Boulevarden är äntligen klar!", at=at(8, 7)), at=at(8, 9)
    )

    gallery = post(
        "Bilder från invigningen av nya Tivoliparken.",
        at(5, 14),
        gallery=[(sample_image(10 + n), alt) for n, alt in enumerate(GALLERY_ALTS)],
    )
    roles["gallery"] = gallery.uri
    unknown = post(
        "Rösta på namnet till nya parken!",
        at(5, 15),
        embed=(
            {"$type": "app.bsky.embed.notYetKnown", "choices": ["Tivoli", "Solparken"]},
            {"$type": "app.bsky.embed.notYetKnown#view", "choices": ["Tivoli", "Solparken"]},
        ),
    )
    roles["unknown_embed"] = unknown.uri
    naive = post(
        "Kommunfullmäktige sammanträder i kväll kl 18.00. Sänds live på kristianstad.se.",
        at(2, 12),
        created_at=(now - dt.timedelta(days=2)).replace(hour=12, tzinfo=None).isoformat(),
    )
    roles["naive_created_at"] = naive.uri
    reply(sara, "Kommer det finnas teckentolkning?", naive, at(2, 13))
    spam.taken_down = True
    return {"did": town.did, "handle": HANDLE, "posts": posts, "comments": comments, "roles": roles}
