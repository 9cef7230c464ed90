"""Sample content for the fake Mastodon server.

:func:`populate_demo` builds a realistic six weeks of Kristianstads kommun on one instance: the
municipality's main account and the libraries' account, citizens (some on other servers),
questions answered quickly, late or never, a long snow-clearing thread that the anonymous
60-descendant limit cuts short, edits, a deletion, images, a content warning, a poll, a
followers-only reply, hostile markup that must arrive escaped, and a boost. It returns the ids
by role, so tests can assert on exactly what they expect.

:func:`populate_bulk` makes large, plain accounts for benchmarks (thousands of posts).

All times are relative to the fake clock's *now* (set it first for deterministic content) and
are chosen in Swedish local time (Europe/Stockholm).
"""


from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_html import text_to_html
from tests.fakes.mastodon_png import make_png
from tests.fakes.mastodon_render import preview_card

STOCKHOLM = ZoneInfo("Europe/Stockholm")
KOMMUN = "kristianstad"
BIBLIOTEK = "kristianstadbibliotek"

_CITIZENS: tuple[tuple[str, str, str | None, str], ...] = (
    ("annalind", "Anna Lindqvist", None, "Tvåbarnsmamma på Söder. Simmar, läser, cyklar."),
    ("mats_ohlsson", "Mats Ohlsson", None, "Pensionär i Åhus. Skriver om trafik och skattepengar."),
    ("sarabjork", "Sara Björk 🚲", None, "Cykelpendlar Vilan–centrum året runt."),
    ("ahmed_k", "Ahmed Karimi", None, "Utvecklare. Testar allt två gånger."),
    ("elsa_p", "Elsa Persson", None, "Undersköterska, Gamlegården."),
    ("johan", "Johan Nilsson", "other.example", "Fotograf från Tollarp."),
    ("lena_g", "Lena Gustafsson", "other.example", "Lärare i svenska som andraspråk."),
    ("nils_faglar", "Nils – fåglar i Skåne", "sverige.other.example", "Skådar i Vattenriket."),
)
_STREETS = (
    "Östra Boulevarden",
    "Västra Storgatan",
    "Härlövsvägen",
    "Allégatan",
    "Tivoligatan",
    "Kanalgatan",
    "Lasarettsboulevarden",
    "Blekingevägen",
    "Hammarvägen",
    "Fältvägen",
    "Snapphanevägen",
    "Ängsvägen",
)
_AREAS = (
    "Vilan",
    "Gamlegården",
    "Näsby",
    "Söder",
    "Hammar",
    "Österäng",
    "Charlottesund",
    "Åhus",
    "Tollarp",
    "Degeberga",
    "Fjälkinge",
    "Önnestad",
)


class _Builder:
    """Posts and replies at times relative to now, remembering when each status was made."""

    def __init__(self, fake: FakeMastodon) -> None:
        self.fake = fake
        self.now = fake.clock.now()
        self.times: dict[str, dt.datetime] = {}
        self.authors: dict[str, str] = {}
        self.comments: list[str] = []

    def day(self, days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        """``days_ago`` days before today, at a Stockholm wall-clock time, as UTC."""
        local_today = self.now.astimezone(STOCKHOLM).date()
        day = local_today - dt.timedelta(days=days_ago)
        return dt.datetime.combine(day, dt.time(hour, minute), STOCKHOLM).astimezone(dt.UTC)

    def _clamp(self, moment: dt.datetime) -> dt.datetime:
        return min(moment, self.now - dt.timedelta(minutes=1))

    def post(self, author: str, text: str, when: dt.datetime, **options: Any) -> str:
        """A top-level status."""
        status = self.fake.post(author, self.fake.html(text), at=self._clamp(when), **options)
        self.times[status["id"]] = self._clamp(when)
        self.authors[status["id"]] = author
        return str(status["id"])

    def reply(self, author: str, text: str, to: str, after: dt.timedelta, **options: Any) -> str:
        """A reply ``after`` the parent, starting with ``@parent`` as the web UI writes it."""
        parent_author = self.authors[to]
        if parent_author != author:
            text = f"@{parent_author} {text}"
        when = self._clamp(self.times[to] + after)
        if when <= self.times[to]:
            raise ValueError("sample reply would not come after its parent")
        status = self.fake.post(author, self.fake.html(text), in_reply_to=to, at=when, **options)
        status_id = str(status["id"])
        self.times[status_id] = when
        self.authors[status_id] = author
        self.comments.append(status_id)
        return status_id


def _minutes(value: float) -> dt.timedelta:
    return dt.timedelta(minutes=value)


def _hours(value: float) -> dt.timedelta:
    return dt.timedelta(hours=value)


def _accounts(fake: FakeMastodon, now: dt.datetime) -> dict[str, str]:
    ids = {}
    kommun = fake.add_account(
        KOMMUN,
        "Kristianstads kommun",
        note=(
            "Officiellt konto för Kristianstads kommun. Vi svarar på frågor vardagar 8–16. "
            "Kontot förvaltas av kommunledningskontoret på uppdrag av Kommunstyrelsen."
        ),
        fields=(
            ("Webbplats", "https://www.kristianstad.se"),
            ("Ansvarig nämnd", "Kommunstyrelsen"),
            ("Kontaktcenter", "044-135 000"),
        ),
        created_at=now - dt.timedelta(days=1200),
        followers_count=4213,
        following_count=87,
    )
    bibliotek = fake.add_account(
        BIBLIOTEK,
        "Biblioteken i Kristianstad",
        note=(
            "Stadsbiblioteket och kommunens tolv närbibliotek. Boktips, evenemang och "
            "öppettider. Ansvarig nämnd: Kultur- och fritidsnämnden."
        ),
        fields=(
            ("Webbplats", "https://bibliotek.kristianstad.se"),
            ("Ansvarig nämnd", "Kultur- och fritidsnämnden"),
        ),
        created_at=now - dt.timedelta(days=900),
        followers_count=1876,
        following_count=240,
    )
    ids[KOMMUN], ids[BIBLIOTEK] = kommun["id"], bibliotek["id"]
    for index, (username, name, domain, note) in enumerate(_CITIZENS):
        account = fake.add_account(
            username,
            name,
            domain=domain,
            note=note,
            created_at=now - dt.timedelta(days=400 + 37 * index),
            followers_count=12 + 17 * index,
            following_count=40 + 9 * index,
        )
        ids[account["acct"]] = account["id"]
    return ids


def _acct(username: str) -> str:
    for name, _display, domain, _note in _CITIZENS:
        if name == username:
            return f"{name}@{domain}" if domain else name
    return username


def _snow_thread(b: _Builder, post: str) -> int:
    """The long snow-clearing thread: 72 comments up to four levels deep."""
    rng = random.Random(20260204)
    citizens = [_acct(name) for name, *_ in _CITIZENS]
    complaints = (
        "Ingen plog har synts till på {street} än. Bussen kommer inte fram.",
        "{street} är en enda isbana. Någon kommer att bryta benet.",
        "Varför plogas cykelbanan på {street} men inte trottoaren?",
        "Plogbilen la en vall precis framför vår infart på {street} 😤",
        "Det är inte sandat vid busshållplatsen på {street}. Äldre kommer inte till bussen.",
        "Hur länge ska vi vänta i {area}? Inget har hänt sedan i går kväll.",
        "Skolvägen längs {street} är inte röjd. Barnen går i vägbanan!",
        "Fortfarande snövallar vid övergångsstället på {street}. Omöjligt med barnvagn.",
    )
    thanks = (
        "Stort tack till plogförarna som jobbat hela natten! 🙏",
        "{street} var perfekt röjd redan kl 6. Bra jobbat!",
        "Tack för snabb insats i {area} ❄️",
        "Imponerad, cykelbanan till jobbet var sandad och klar. Tack!",
    )
    questions = (
        "Vem ansvarar för trottoaren utanför ett hyreshus på {street}, kommunen eller hyresvärden?",
        "Får man skotta ut snön från uppfarten på gatan?",
        "Finns det en karta över vilka gator som är röjda?",
        "Var kan man hämta sand gratis i {area}?",
    )
    answers = (
        "Tack för att du hör av dig! Vi skickar en bil till {street} under förmiddagen.",
        "Fastighetsägaren ansvarar för trottoaren utanför sin fastighet. Kommunen röjer gator "
        "samt gång- och cykelvägar.",
        "Nej, snön från tomten ska stanna på den egna tomten, inte på gatan 🙂",
        "Sand finns gratis vid återvinningscentralerna och i sandlådor vid flera hållplatser.",
        "Vi har ingen karta i realtid, men prioriteringsordningen finns på "
        "https://www.kristianstad.se/snorojning",
        "Vi beklagar! Vi har skickat vidare till entreprenören som ansvarar för {area}.",
    )
    follow_ups = (
        "Håller med, samma sak på {street}.",
        "Nu har plogen varit här, tack!",
        "Fortfarande inte sandat kl 9.",
        "Tack för svaret!",
        "Men vem kontrollerar att hyresvärden gör det?",
    )
    count = 0
    offset = 10.0
    for index in range(40):
        author = citizens[index % len(citizens)]
        kind = index % 5
        street, area = rng.choice(_STREETS), rng.choice(_AREAS)
        pool = complaints if kind in (0, 1, 3) else thanks if kind == 2 else questions
        text = rng.choice(pool).format(street=street, area=area)
        offset += rng.uniform(4, 14)
        comment = b.reply(author, text, post, _minutes(offset))
        count += 1
        if index % 9 == 4:
            b.reply(author, "Och nu har det börjat snöa igen… 🙄", comment, _minutes(3))
            count += 1
        if index % 2 == 0 and index < 36:
            answer_text = rng.choice(answers).format(street=street, area=area)
            answer = b.reply(KOMMUN, answer_text, comment, _minutes(rng.uniform(20, 180)))
            count += 1
            if index % 4 == 0 and index < 34:
                other = citizens[(index + 3) % len(citizens)]
                follow = rng.choice(follow_ups).format(street=rng.choice(_STREETS))
                follow_up = b.reply(other, follow, answer, _minutes(rng.uniform(5, 60)))
                count += 1
                if index % 12 == 0:
                    b.reply(
                        KOMMUN,
                        "Vi följer upp det i dag. Tack för tålamodet!",
                        follow_up,
                        _minutes(45),
                    )
                    count += 1
    return count


def populate_demo(fake: FakeMastodon) -> dict[str, Any]:
    """Fill ``fake`` with about six weeks of Kristianstads kommun; return ids by role.

    The returned dict has ``accounts`` (acct → id), ``posts`` (acct → top-level status ids,
    oldest first), ``comments`` (every reply id), ``roles`` (named ids: ``badhuset_question``,
    ``late_answer``, ``unanswered_question``, ``big_thread`` …) and ``counts``.
    """
    b = _Builder(fake)
    accounts = _accounts(fake, b.now)
    roles: dict[str, str] = {}
    posts: dict[str, list[str]] = {KOMMUN: [], BIBLIOTEK: []}

    def kommun(text: str, when: dt.datetime, **options: Any) -> str:
        status_id = b.post(KOMMUN, text, when, **options)
        posts[KOMMUN].append(status_id)
        return status_id

    def bibliotek(text: str, when: dt.datetime, **options: Any) -> str:
        status_id = b.post(BIBLIOTEK, text, when, **options)
        posts[BIBLIOTEK].append(status_id)
        return status_id

    # --- Kristianstads kommun ---------------------------------------------------------
    bad = kommun(
        "Badhuset stänger för renovering av bassängerna från måndag. Under tiden är du "
        "välkommen till simhallen i Åhus, som har utökade öppettider.\n\n"
        "Mer information: https://www.kristianstad.se/sv/uppleva-och-gora/bad-och-simhallar/ "
        "#Kristianstad #badhuset",
        b.day(41, 9, 12),
        card=preview_card(
            "https://www.kristianstad.se/sv/uppleva-och-gora/bad-och-simhallar/",
            "Bad och simhallar - Kristianstads kommun",
            "Öppettider, priser och information om kommunens bad och simhallar.",
            provider_name="Kristianstads kommun",
        ),
    )
    question = b.reply(
        "annalind", "När öppnar badhuset igen? Barnen har simskola på onsdagar.", bad, _minutes(47)
    )
    roles["badhuset_question"] = question
    answer = b.reply(
        KOMMUN,
        "Hej Anna! Planen är att vi öppnar måndag den 23 mars kl 06.30. "
        "Simskolan flyttar till Åhus under tiden, besked kommer via SMS. 🏊",
        question,
        _hours(2.5),
    )
    roles["badhuset_answer"] = answer
    follow = b.reply("annalind", "Tack! Gäller det även bastun?", answer, _minutes(20))
    roles["depth4_answer"] = b.reply(KOMMUN, "Ja, bastun öppnar samma dag.", follow, _minutes(55))
    complaint = b.reply(
        "mats_ohlsson",
        "Tredje renoveringen på fem år. Vad kostar det här "
        "skattebetalarna? Någon borde granska upphandlingen.",
        bad,
        _hours(3),
    )
    roles["late_answer"] = b.reply(
        KOMMUN,
        "Hej Mats! Renoveringen kostar 14,2 miljoner kronor och beslutades av "
        "kultur- och fritidsnämnden i oktober. Protokollet finns på kristianstad.se.",
        complaint,
        dt.timedelta(days=5, hours=2),
    )
    b.reply("elsa_p", "Tack för att ni informerar i god tid ❤️", bad, _hours(5))

    snow = kommun(
        "Snöröjningen är igång sedan kl 04 ❄️ Vi prioriterar gång- och cykelvägar, "
        "busshållplatser och huvudgator. Bor du på en villagata kan det dröja till i "
        "eftermiddag.\nTack för ditt tålamod! #snöröjning #Kristianstad",
        b.day(38, 5, 3),
    )
    roles["big_thread"] = snow
    big_thread_size = _snow_thread(b, snow)

    road = kommun(
        "Från måndag gräver vi på Västra Storgatan mellan Stora torg och Nya Boulevarden för "
        "nya vatten- och avloppsledningar. 🚧 Räkna med omledning för stadsbuss 1 och 3 i "
        "ungefär tre veckor. #vägarbete",
        b.day(35, 10, 30),
    )
    parking = b.reply(
        "johan@other.example",
        "Går det att parkera på Västra Storgatan under arbetet?",
        road,
        _minutes(35),
    )
    b.reply(
        KOMMUN,
        "Nej, parkeringen stängs av. Närmaste alternativ är P-huset Kvarteret Tanne.",
        parking,
        _hours(1.2),
    )
    roles["unanswered_question"] = b.reply(
        "sarabjork",
        "Kommer cykelbanan längs Västra Storgatan att vara öppen under arbetet? "
        "Det är min enda väg till jobbet.",
        road,
        _hours(2),
    )
    b.reply("mats_ohlsson", "Varför alltid mitt i rusningen? Gräv på natten!", road, _hours(4))

    val = kommun(
        "Vill du jobba som röstmottagare i valet? Vi söker 400 röstmottagare i hela kommunen. "
        "Ersättningen är 2 500 kr för valdagen. Ansök senast 31 mars: "
        "https://www.kristianstad.se/val #val2026",
        b.day(30, 8, 45),
    )
    val_q = b.reply(
        "lena_g@other.example",
        "Behöver man ha gjort det förut? Jag är lärare och har aldrig varit röstmottagare.",
        val,
        _hours(1),
    )
    b.reply(
        KOMMUN,
        "Nej, ingen erfarenhet krävs! Alla får en utbildning på ca tre timmar innan valet.",
        val_q,
        _hours(3),
    )

    water_media = [
        (
            "vattenrike-hammarsjon.png",
            make_png(640, 427, (74, 122, 168), (196, 216, 232)),
            "image/png",
            "Översvämmade strandängar vid Hammarsjön i morgonljus.",
        ),
        (
            "vattenrike-spangen.png",
            make_png(480, 640, (88, 138, 82), (160, 190, 150)),
            "image/png",
            "Gångspången vid naturum Vattenriket med högt vatten på båda sidor.",
        ),
    ]
    water = kommun(
        "Vårflod i Kristianstads vattenrike! 🌊 Helge å stiger och Hammarsjön svämmar över "
        "strandängarna. Perfekt tid för ett besök på naturum. #vattenrike #HelgeÅ",
        b.day(27, 11, 20),
        media=water_media,
    )
    roles["media_post"] = water
    b.reply(
        "nils_faglar@sverige.other.example",
        "Såg de första tranorna vid Pulken i morse! 🐦",
        water,
        _minutes(50),
    )
    walkway = b.reply("annalind", "Är spången på Linnérundan öppen nu?", water, _hours(2))
    b.reply(
        KOMMUN,
        "Delar av spången står under vatten. Följ skyltningen på plats.",
        walkway,
        _hours(20),
    )
    fake.favourite(water, 57)

    kf = kommun(
        "Kommunfullmäktige sammanträder tisdag den 17 mars kl 18.00 i rådhuset. Du kan följa "
        "mötet direkt via webb-tv. Föredragningslistan: https://www.kristianstad.se/kf "
        "#kommunfullmäktige",
        b.day(24, 13, 5),
    )
    fake.edit(
        kf,
        fake.html(
            "Kommunfullmäktige sammanträder tisdag den 17 mars kl 18.30 i rådhuset (OBS! ny tid). "
            "Du kan följa mötet direkt via webb-tv. Föredragningslistan: "
            "https://www.kristianstad.se/kf #kommunfullmäktige"
        ),
        at=b.times[kf] + _hours(2),
    )
    roles["edited_post"] = kf
    kf_q = b.reply("elsa_p", "Kommer skolnedläggningarna upp på mötet?", kf, _hours(3))
    b.reply(
        KOMMUN,
        "Ärendet om skolstrukturen finns som punkt 14 på föredragningslistan.",
        kf_q,
        _hours(18),
    )

    flood = kommun(
        "Vattennivån i Helge å är fortsatt hög. Gå inte ut på isen och håll barn borta från "
        "strandkanten. Sandsäckar finns att hämta vid Tekniska förvaltningen, "
        "Östra Boulevarden 62.",
        b.day(20, 7, 40),
        spoiler_text="Översvämningsrisk – information till boende nära Helge å",
    )
    roles["cw_post"] = flood
    b.reply("johan@other.example", "Hur länge finns sandsäckarna kvar?", flood, _hours(1))

    summer = kommun(
        "Sommarlovet närmar sig! ☀️ Anmälan till lovaktiviteterna öppnar 1 juni: fotbollsskola, "
        "kollo, simskola och mycket mer. Alla aktiviteter är gratis för dig mellan 6 och 15 år. "
        "#sommarlov",
        b.day(15, 10, 0),
    )
    summer_q = b.reply(
        "lena_g@other.example",
        "Finns det aktiviteter anpassade för barn med funktionsnedsättning?",
        summer,
        _hours(2),
    )
    b.reply(
        KOMMUN,
        "Ja! Flera aktiviteter har anpassade grupper. Kontakta fritidsgården "
        "Kulturkvarteret så hjälper de dig med anmälan.",
        summer_q,
        dt.timedelta(days=3, hours=1),
    )
    b.reply("ahmed_k", "Toppen, förra året var fotbollsskolan full på en timme.", summer, _hours(5))

    budget = kommun(
        "Kommunfullmäktige har antagit budgeten för 2027 🧵 1/2\n"
        "Största satsningarna: skolan (+48 mnkr) och äldreomsorgen (+35 mnkr).",
        b.day(12, 9, 0),
    )
    roles["self_reply"] = b.reply(
        KOMMUN,
        "2/2 Skattesatsen är oförändrad, 21,24 kronor per hundralapp. Hela budgeten: "
        "https://www.kristianstad.se/budget",
        budget,
        _minutes(2),
    )

    waste = kommun(
        "Från vecka 20 ändras tömningsdagen för hushållsavfall i Åhus, Yngsjö och Täppet. "
        "Du får ett brev med din nya tömningsdag. #återvinning",
        b.day(9, 8, 15),
    )
    roles["script_comment"] = b.reply(
        "ahmed_k",
        "<script>alert(1)</script> Testar bara om ni tvättar indata 😅 "
        "Gäller det även kärl & säckar för villor?",
        waste,
        _minutes(30),
    )
    angry = b.reply(
        "elsa_p",
        "Ni är ju helt värdelösa!!! Ingen har hämtat våra sopor på tre veckor!!!",
        waste,
        _hours(1),
    )
    roles["orphaned_reply"] = b.reply(
        KOMMUN,
        "Hej Elsa, vi beklagar! Skicka gärna din adress i ett meddelande så kollar vi med "
        "renhållningen.",
        angry,
        _hours(2),
    )
    fake.delete(angry)
    roles["deleted_comment"] = angry
    roles["private_reply"] = b.reply(
        "mats_ohlsson",
        "Skriver här istället för öppet: min granne eldar sopor på tomten varje helg. "
        "Vem ska jag kontakta?",
        waste,
        _hours(3),
        visibility="private",
    )

    b.reply(
        "sarabjork",
        "Trafiksignalerna vid Härlövsängaleden står på gult blink igen.",
        kommun(
            "Trafiksignalerna i korsningen Härlövsängaleden/Blekingevägen byts ut under "
            "veckan. Kör försiktigt! 🚦",
            b.day(5, 14, 10),
        ),
        _hours(20),
    )

    poll = kommun(
        "Påminnelse: medborgardialog om nya Tivoliparken på torsdag kl 17 på Kristianstads "
        "teater. Välkommen! 🌳 Vad vill du helst se i parken?",
        b.day(1, 10, 0),
        poll_options=["Lekplats", "Utegym", "Scen för evenemang", "Mer grönska"],
    )
    roles["poll_post"] = poll

    # --- Biblioteken i Kristianstad -------------------------------------------------
    easter = bibliotek(
        "Påskens öppettider på Stadsbiblioteket 🐣\nSkärtorsdag 10–16\nLångfredag–annandag påsk "
        "stängt\nMeröppet som vanligt 06–22 med lånekort och PIN-kod. #bibliotek",
        b.day(40, 12, 0),
    )
    easter_q = b.reply("annalind", "Har Åhus bibliotek samma tider?", easter, _hours(1.5))
    b.reply(
        BIBLIOTEK,
        "Åhus bibliotek har stängt hela påskhelgen, men meröppet fungerar.",
        easter_q,
        _hours(2),
    )
    bibliotek(
        "Läsutmaningen Sommarboken startar snart! Läs fem böcker i sommar och få en bok "
        "att behålla. För dig i årskurs 1–6. #sommarboken #läsning",
        b.day(36, 9, 30),
    )
    author = bibliotek(
        "Välkommen på författarsamtal med Maja Ek om hennes nya roman "
        "”Tranornas år” – onsdag 19.00 på Stadsbiblioteket. Fri entré.",
        b.day(33, 15, 0),
    )
    b.reply("lena_g@other.example", "Spelas samtalet in?", author, _hours(4))
    cafe = bibliotek(
        "Språkcafé varje tisdag 15–17 på Stadsbiblioteket. Öva svenska i lugn "
        "och ro med våra volontärer. Ingen anmälan behövs! ☕",
        b.day(29, 10, 10),
    )
    english = b.reply(
        "johan@other.example",
        "Is it free? My neighbour just moved here from Kyiv and wants to practise.",
        cafe,
        _hours(2),
        language="en",
    )
    roles["english_comment"] = english
    b.reply(
        BIBLIOTEK,
        "Yes, it is free and open to everyone. Welcome! 😊",
        english,
        _hours(1),
        language="en",
    )
    edited = b.reply("annalind", "Är det öppet även under sportlovet", cafe, _hours(5))
    fake.edit(
        edited,
        fake.html(
            f"@{BIBLIOTEK} Är det öppet även under sportlovet? Och finns det något för barn?"
        ),
        at=b.times[edited] + _minutes(4),
    )
    roles["edited_comment"] = edited
    bibliotek(
        "Nya öppettider från 1 april: Stadsbiblioteket öppnar kl 10 på lördagar, en timme "
        "tidigare än i dag. 📚",
        b.day(25, 8, 50),
    )
    bibliotek(
        "Sommarlovsbingo, pyssel och teater för barn – hela programmet för sommarlovet "
        "finns nu på https://bibliotek.kristianstad.se/sommarlov #sommarlov",
        b.day(21, 9, 45),
    )
    open_lib = bibliotek(
        "Nu har Tollarps bibliotek meröppet! Med lånekort och PIN-kod kan du gå in "
        "06–22 alla dagar.",
        b.day(18, 8, 0),
    )
    b.reply("johan@other.example", "Äntligen! Tack 🙌", open_lib, _hours(3))
    bibliotek(
        "Veckans #boktips: ”Vattenriket” av Per Sandberg – en lågmäld roman om en "
        "familj vid Helge å. Finns att låna på alla våra bibliotek. #läsning",
        b.day(14, 11, 0),
    )
    bibliotek(
        "Behöver du hjälp med BankID, 1177 eller Mina sidor? Digitalhjälpen finns på "
        "Stadsbiblioteket varje onsdag 13–16.",
        b.day(11, 10, 0),
    )
    closed = bibliotek(
        "Stadsbiblioteket är tyvärr stängt i dag på grund av en vattenläcka. "
        "Lämna gärna tillbaka böcker i återlämningsautomaten vid entrén.",
        b.day(7, 8, 5),
    )
    b.reply("elsa_p", "Hoppas ingen bok blev blöt 😬", closed, _hours(1))
    bibliotek("Bokrea! Gallrade böcker för 5 kr styck i foajén hela veckan.", b.day(4, 9, 0))
    story = bibliotek(
        "Sagostund på naturum Vattenriket på lördag kl 11 – vi läser sagor om "
        "fåglar och vatten för barn 3–6 år. 🦢 #vattenrike",
        b.day(2, 9, 30),
    )
    boost = fake.reblog(KOMMUN, story, at=b.day(2, 13, 0))
    roles["boost"] = str(boost["id"])
    roles["boosted_post"] = story

    return {
        "now": b.now,
        "accounts": accounts,
        "posts": posts,
        "comments": list(b.comments),
        "roles": roles,
        "counts": {"big_thread_descendants": big_thread_size},
    }


def populate_bulk(
    fake: FakeMastodon,
    username: str,
    posts: int,
    comments_per_post: int,
    *,
    display_name: str | None = None,
    commenters: int = 25,
    spacing: dt.timedelta = dt.timedelta(hours=2),
    nested_every: int = 3,
) -> dict[str, Any]:
    """A big account for benchmarks: ``posts`` posts with ``comments_per_post`` comments each.

    Posts are ``spacing`` apart and end an hour before now; every ``nested_every``-th comment
    answers the comment before it (depth 2), the rest answer the post. Commenters are local
    accounts ``invanare001`` … created on demand. Returns ``account_id``, ``post_ids`` (oldest
    first), ``comment_ids`` and ``commenter_ids``.
    """
    now = fake.clock.now()
    try:
        account_id = fake.account_json(username)["id"]
    except LookupError:
        account_id = fake.add_account(username, display_name or username.capitalize())["id"]
    commenter_ids = []
    for number in range(1, commenters + 1):
        name = f"invanare{number:03d}"
        try:
            commenter_ids.append(fake.account_json(name)["id"])
        except LookupError:
            commenter_ids.append(fake.add_account(name, f"Invånare {number}")["id"])
    topics = (
        "badhuset",
        "snöröjningen",
        "vägarbetena",
        "biblioteket",
        "återvinningen",
        "skolan",
        "parkerna",
        "kollektivtrafiken",
    )
    base = fake.base_url
    first = now - dt.timedelta(hours=1) - spacing * posts
    post_ids: list[str] = []
    comment_ids: list[str] = []
    for number in range(posts):
        topic = topics[number % len(topics)]
        when = first + spacing * (number + 1)
        html = text_to_html(
            f"Inlägg {number + 1}: nyheter från kommunen om {topic}. Läs mer på "
            f"https://www.kristianstad.se/{topic} #Kristianstad",
            base_url=base,
        )
        post_id = str(fake.post(account_id, html, at=when)["id"])
        post_ids.append(post_id)
        previous = post_id
        for index in range(comments_per_post):
            parent = (
                previous if nested_every and index % nested_every == nested_every - 1 else post_id
            )
            commenter = commenter_ids[(number + index) % len(commenter_ids)]
            text = f"<p>Kommentar {index + 1} om {topic}: håller med, men vad kostar det?</p>"
            reply = fake.post(
                commenter,
                text,
                in_reply_to=parent,
                at=when + dt.timedelta(seconds=30 * (index + 1)),
            )
            previous = str(reply["id"])
            comment_ids.append(previous)
    return {
        "account_id": account_id,
        "post_ids": post_ids,
        "comment_ids": comment_ids,
        "commenter_ids": commenter_ids,
    }
