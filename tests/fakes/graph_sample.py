"""Sample content for the fake Graph API: Kristianstads kommun on Facebook and Instagram.

:func:`populate_demo` builds about five weeks of the municipality's Facebook Page and its
Instagram business account: notices with photos and an album, a link to the council's
agenda, a visitor's question on the Page, threads of questions and answers several levels
deep, a comment the Page hid, a commenter who does not share their profile with the Page,
literal ``<3`` and markup typed by citizens, Instagram posts (image, carousel, reel) with
comments and replies, and a comment from a restricted user that the API withholds.

All times are relative to the fake clock's *now*. It returns the Page, the Instagram account,
the token and the ids by role.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.fakes.graph_server import FakeGraph
from tests.fakes.mastodon_png import make_png

DEMO_TOKEN = "EAAGm0PX4ZCpsBADemoPageToken" + "x7Q2" * 20  # a fake's token, valid only on the fake


def populate_demo(fake: FakeGraph) -> dict[str, Any]:
    """Fill ``fake`` with Kristianstads kommun's Page and Instagram account; return ids by role."""
    w = fake.world
    now = fake.clock.now()

    def ago(days: float, hour: int = 9, minute: int = 0) -> dt.datetime:
        day = now - dt.timedelta(days=days)
        return day.replace(hour=hour, minute=minute, second=0, microsecond=0)

    page = w.add_page("Kristianstads kommun", "kristianstadskommun")
    ig = w.add_ig_user("kristianstadskommun", "Kristianstads kommun", page)
    w.add_token(DEMO_TOKEN, page)
    people = {
        name: w.add_person(name)
        for name in (
            "Anna Lindqvist",
            "Mats Ohlsson",
            "Sara Björk",
            "Elsa Persson",
            "Ahmed Karimi",
            "Lena Gustafsson",
        )
    }
    hidden_profile = w.add_person("Facebook-användare", shares_profile=False)
    png = {
        "badhuset": w.add_file(
            "badhuset.png", make_png(48, 32, (40, 110, 170), (220, 230, 240)), "image/png"
        ),
        "torg1": w.add_file("stora_torg_1.png", make_png(48, 32, (180, 160, 120)), "image/png"),
        "torg2": w.add_file("stora_torg_2.png", make_png(48, 32, (150, 140, 110), (90, 90, 90)), "image/png"),
        "snö": w.add_file("snorojning.png", make_png(40, 40, (235, 240, 245), (200, 205, 210)), "image/png"),
        "vattenriket": w.add_file(
            "vattenriket.png", make_png(64, 40, (60, 120, 80), (140, 180, 210)), "image/png"
        ),
        "lucia": w.add_file("lucia.png", make_png(40, 40, (250, 240, 200)), "image/png"),
        "reel": w.add_file(
            "julmarknad.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4"
        ),
    }
    roles: dict[str, str] = {}

    bad = w.post(
        page,
        "Badhuset stänger för renovering av bassängerna från måndag 2 december. Under tiden har simhallen "
        "i Åhus utökade öppettider. Mer information på kristianstad.se/bad",
        at=ago(34, 9, 12),
        attachments=[w.photo(png["badhuset"], "Badhuset sett från Västra Storgatan")],
    )
    roles["badhuset_post"] = bad.id
    q = w.comment(
        bad, people["Anna Lindqvist"], "När öppnar det igen? Barnen saknar plaskdammen <3", at=ago(34, 10, 3)
    )
    a = w.comment(
        q,
        page,
        "Hej Anna! Enligt tidsplanen öppnar vi igen den 1 mars. /Kommunikationsavdelningen",
        at=ago(34, 11),
    )
    deeper = w.comment(a, people["Mats Ohlsson"], "Gäller det även bastun?", at=ago(33, 8, 40))
    w.comment(deeper, page, "Ja, bastun stänger också under renoveringen.", at=ago(33, 9, 15))
    roles["badhuset_question"] = q.id
    roles["deep_answer"] = deeper.id
    hidden = w.comment(
        bad, people["Ahmed Karimi"], "Typiskt kommunen, slöseri med skattepengar!!!", at=ago(33, 21)
    )
    w.hide(hidden)
    roles["hidden_comment"] = hidden.id
    anonymous = w.comment(bad, hidden_profile, "Äntligen renoveras det!", at=ago(32, 7, 55))
    roles["anonymous_comment"] = anonymous.id

    torg = w.post(
        page,
        "Nu är Stora torg klart! Tack för ert tålamod under ombyggnaden. "
        "Här är några bilder från invigningen.",
        at=ago(27, 14),
        attachments=[
            w.album([w.photo(png["torg1"], "Invigningen"), w.photo(png["torg2"], "Fontänen")], "Stora torg")
        ],
    )
    w.comment(torg, people["Sara Björk"], "Så fint det blev! Men var ska cyklarna stå?", at=ago(27, 15, 20))
    script = w.comment(
        torg, people["Lena Gustafsson"], "<script>alert('hej')</script> testar bara :)", at=ago(27, 16)
    )
    roles["markup_comment"] = script.id

    kf = w.post(
        page,
        "Kommunfullmäktige sammanträder tisdag kl 18.00 i rådhuset. Mötet sänds direkt på webben.",
        at=ago(20, 8, 30),
        attachments=[
            w.share(
                "https://www.kristianstad.se/sv/kommun-och-politik/moten-och-protokoll/",
                "Möten och protokoll",
                "Kallelser, handlingar och protokoll från kommunfullmäktige.",
            )
        ],
    )
    w.comment(kf, people["Elsa Persson"], "Kommer äldreomsorgen upp på dagordningen?", at=ago(20, 12))
    roles["council_post"] = kf.id

    visitor = w.post(
        page,
        "Hej! Gatlyktorna på Härlövsvägen har varit släckta i en vecka. Vem ska man kontakta?",
        author=people["Mats Ohlsson"],
        at=ago(12, 19, 5),
    )
    w.comment(
        visitor,
        page,
        "Hej Mats! Tack för att du hör av dig. Vi har skickat en felanmälan till Tekniska förvaltningen.",
        at=ago(11, 8, 30),
    )
    roles["visitor_post"] = visitor.id

    snow = w.post(
        page,
        "Snöröjningen är i full gång. Huvudvägar och cykelvägar prioriteras först, sedan bostadsgator.",
        at=ago(5, 6, 45),
        attachments=[w.photo(png["snö"], "Plogbil på Östra Boulevarden")],
    )
    s1 = w.comment(snow, people["Sara Björk"], "Cykelbanan vid Vilan är inte plogad än.", at=ago(5, 8))
    s2 = w.comment(s1, page, "Tack Sara, vi skickar dit en traktor.", at=ago(5, 8, 30))
    w.comment(s2, people["Sara Björk"], "Nu är det plogat, tack! <3", at=ago(5, 11))
    w.comment(
        snow, people["Anna Lindqvist"], "Vår gata på Näsby har inte plogats på två dagar.", at=ago(4, 18)
    )
    roles["snow_post"] = snow.id

    w.post(
        page,
        "Lucia i Stora kyrkan den 13 december kl 18. Fri entré, välkomna!",
        at=ago(1, 10),
        attachments=[w.photo(png["lucia"], "Luciatåg 2025")],
    )

    # --- Instagram ---------------------------------------------------------------------
    vr = w.ig_media(
        ig,
        "Höstkväll i Vattenriket 🍂 #kristianstad #vattenriket",
        files=[png["vattenriket"]],
        at=ago(30, 17),
    )
    c1 = w.ig_comment(vr, "17841400000000101", "annalind", "Så vackert! <3", at=ago(30, 18))
    w.ig_comment(c1, ig.id, ig.username, "@annalind Tack! Fotot är taget vid Naturum.", at=ago(30, 19))
    w.ig_comment(vr, "17841400000000102", "nils_faglar", "Såg ni havsörnen i går?", at=ago(29, 7))
    w.ig_comment(
        vr, "17841400000000103", "anonymt_troll", "dolt av begränsningen", at=ago(29, 23), restricted=True
    )
    roles["ig_vattenriket"] = vr.id
    carousel = w.ig_media(
        ig, "Nya Stora torg, före och efter 📸", files=[png["torg1"], png["torg2"]], at=ago(26, 12)
    )
    hide = w.ig_comment(
        carousel, "17841400000000104", "mats_ohlsson", "Slöseri med skattepengar.", at=ago(26, 13)
    )
    w.hide(hide)
    roles["ig_hidden_comment"] = hide.id
    reel = w.ig_media(
        ig,
        "Julmarknaden öppnar på lördag 🎄",
        files=[png["reel"]],
        media_type="VIDEO",
        at=ago(2, 15),
        product_type="REELS",
    )
    w.ig_comment(reel, "17841400000000105", "sarabjork", "Vi kommer!", at=ago(2, 16))
    roles["ig_reel"] = reel.id

    fb_posts = [p.id for p in w.posts.values() if p.page_id == page.id]
    return {
        "page": page,
        "instagram": ig,
        "token": DEMO_TOKEN,
        "facebook_posts": fb_posts,
        "facebook_comments": [c.id for c in w.comments.values()],
        "instagram_posts": [m.id for m in (vr, carousel, reel)],
        "instagram_comments": [c.id for c in w.ig_comments.values()],
        "roles": roles,
    }
