"""Reminders and alerts: the people named in the inventory hear about a comment while there is
still time to answer it, and the operators hear about captures that went wrong.

What is sent, each at most once (the ``reminders`` event stream in the store says what was sent):

* **An unanswered comment** (the 24-hour rule of :mod:`archive_lib.audit.response_times`, in
  weekday hours in Stockholm, Swedish holidays off): to the account's responsible person and
  substitute (``responsible_email``, ``substitute_email`` in the inventory) when the comment
  has waited 16 weekday hours, and again at 24, with a link to the thread in the web view.
  Only comments younger than :data:`WATCH_DAYS` days are watched, so that turning reminders on
  does not mail about last year's comments. A comment the audit leaves out (deleted by its
  author without an answer, or in someone else's thread) gets no reminder.
* **A failed night**: an account whose nightly runs of a night all failed.
* **A token that expires** within :data:`TOKEN_WARNING` (as the platform reported it on the
  account's latest run).
* **A hot pass that has failed** for :data:`HOT_PASS_FAILING`: the account's runs of kind
  ``recent`` have failed without a success for that long.

The alerts go to the account's two people and to the operators (``ARCHIVE_ALERT_EMAIL``, one or
more addresses separated by spaces or commas).

A message that could not be sent is recorded as failed and sent by the next run; every message
sent is recorded with its recipients and Message-ID, so that the audit can show that staff
were warned.
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from urllib.parse import quote

from archive_lib import PRODUCT
from archive_lib.audit.holdings import ITEM_COLUMNS
from archive_lib.audit.mail import Mailer, MailError
from archive_lib.audit.response_times import account_response_times
from archive_lib.clock import in_stockholm, stockholm_date
from archive_lib.errors import ArchiveError, ConfigError
from archive_lib.inert import terminal_text
from archive_lib.inventory import EMAIL
from archive_lib.metadata import events
from archive_lib.metadata.events import Event
from archive_lib.metadata.parts import account_parts, read_rows
from archive_lib.metadata.runs import runs_of_night
from archive_lib.models import Account, Inventory
from archive_lib.settings import Setting
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)

WEB_URL = Setting("ARCHIVE_WEB_URL", "archive_web_url")
ALERT_EMAIL = Setting("ARCHIVE_ALERT_EMAIL", "archive_alert_email")
DEFAULT_WEB_URL = "http://localhost:8080"
#: Weekday hours after which an unanswered comment is reminded of, in order.
LEVELS = (16, 24)
WATCH_DAYS = 7
TOKEN_WARNING = dt.timedelta(days=14)
HOT_PASS_FAILING = dt.timedelta(hours=2)
#: How far back the ``reminders`` stream is read to know what was already sent.
MEMORY = dt.timedelta(days=WATCH_DAYS + TOKEN_WARNING.days + 7)
#: Nights of runs read for failed nights, token dates and hot passes.
RUN_NIGHTS = 3
_SNIPPET = 300


@dataclass(frozen=True)
class Notice:
    """One message due: what it is about (``key`` identifies it for 'at most once'), to whom, and
    its text."""

    kind: str  # answer | failed_night | token_expiry | hot_pass
    key: str
    account_id: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ReminderRun:
    """What one run of the reminders did."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    without_address: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "sent": self.sent,
            "failed": self.failed,
            "without_address": self.without_address,
        }


def operator_addresses(value: str | None) -> tuple[str, ...]:
    """The addresses of ``ARCHIVE_ALERT_EMAIL``; ConfigError naming one that is not an address."""
    addresses = tuple(a for a in re.split(r"[\s,;]+", value or "") if a)
    for address in addresses:
        if not EMAIL.match(address):
            raise ConfigError(f"ARCHIVE_ALERT_EMAIL: {terminal_text(address)!r} is not an e-mail address")
    return addresses


def due_notices(
    store: ObjectStore,
    inventory: Inventory,
    now: dt.datetime,
    *,
    web_url: str = DEFAULT_WEB_URL,
    operators: Sequence[str] = (),
) -> list[Notice]:
    """Every notice due at ``now``, sent or not (see :func:`remind` for 'at most once')."""
    today = stockholm_date(now)
    accounts = [a for a in inventory.accounts if a.is_active(today)]
    runs = _recent_runs(store, today)
    notices: list[Notice] = []
    for account in accounts:
        notices.extend(answer_notices(store, account, now, web_url=web_url))
        rows = [r for r in runs if r.get("account_id") == account.id]
        notices.extend(_run_alerts(account, rows, now, tuple(operators)))
    return notices


def answer_notices(
    store: ObjectStore, account: Account, now: dt.datetime, *, web_url: str = DEFAULT_WEB_URL
) -> list[Notice]:
    """The reminders due for ``account``'s unanswered comments at ``now``."""
    start = now - dt.timedelta(days=WATCH_DAYS)
    rows = _account_rows(store, account.id, start)
    if not rows:
        return []
    _, details = account_response_times(rows, start=start, end=now, as_of=now)
    notices = []
    for item_id, detail in sorted(details.items()):
        if detail["outcome"] not in ("pending", "unanswered"):
            continue
        hours = float(detail["weekday_hours"])
        reached = [level for level in LEVELS if hours >= level]
        if not reached:
            continue
        level = reached[-1]
        link = thread_link(web_url, account.id, item_id)
        created = dt.datetime.fromisoformat(str(detail["created_at"]).replace("Z", "+00:00"))
        subject = (
            f"Obesvarad kommentar på {account.id} ({account.board}): {level} arbetstimmar"
            if level < LEVELS[-1]
            else f"Kommentar på {account.id} ({account.board}) har väntat över {level} arbetstimmar"
        )
        body = "\n".join(
            [
                f"En kommentar på {account.platform}-kontot {account.handle} ({account.board}) är obesvarad.",
                "",
                f"Skriven: {_swedish_time(created)}",
                f"Väntat: {hours:.1f} arbetstimmar (vardagar, Stockholm). Riktlinjen: svar inom 24 timmar.",
                f"Text: {_snippet(detail.get('text'))}",
                "",
                f"Tråden i arkivet: {link}",
                f"På plattformen: {terminal_text(detail.get('url') or '-')}",
                "",
                f"Påminnelsen går till ansvarig och ersättare för kontot enligt förteckningen. /{PRODUCT}",
            ]
        )
        notices.append(
            Notice(
                kind="answer",
                key=f"answer:{account.id}:{item_id}:{level}",
                account_id=account.id,
                recipients=_people(account),
                subject=subject,
                body=body,
                details={"item_id": item_id, "level": level, "weekday_hours": round(hours, 2), "link": link},
            )
        )
    return notices


def thread_link(web_url: str, account_id: str, item_id: str) -> str:
    """The thread of ``item_id`` in the registrars' web view (the Airflow plugin at ``/registry``)."""
    query = f"item={quote(item_id, safe='')}&account={quote(account_id, safe='')}"
    return f"{web_url.rstrip('/')}/registry/thread?{query}"


def remind(
    store: ObjectStore,
    inventory: Inventory,
    mailer: Mailer | None,
    now: dt.datetime,
    *,
    web_url: str = DEFAULT_WEB_URL,
    operators: Sequence[str] = (),
    actor: str | None = None,
    dry_run: bool = False,
) -> ReminderRun:
    """Send every notice due at ``now`` that was not sent before, and record what happened.

    ``mailer`` may be ``None`` only for a dry run, which sends and records nothing.
    """
    if mailer is None and not dry_run:
        raise ConfigError("no mailer: reminders need an SMTP connection (or --dry-run)")
    done = handled_keys(store, now)
    due = [
        n
        for n in due_notices(store, inventory, now, web_url=web_url, operators=operators)
        if n.key not in done
    ]
    due = _latest_level_only(due)
    run = ReminderRun(dry_run=dry_run)
    recorded: list[Event] = []
    who = actor or _os_user()
    for notice in due:
        entry = {"key": notice.key, "kind": notice.kind, "account": notice.account_id, **notice.details}
        if not notice.recipients:
            entry["status"] = "no_address"
            run.without_address.append(entry)
        elif dry_run or mailer is None:
            entry.update(status="due", recipients=list(notice.recipients), subject=notice.subject)
            run.sent.append(entry)
            continue
        else:
            message = _message(notice, mailer, now)
            entry.update(recipients=list(notice.recipients), subject=notice.subject)
            try:
                mailer.send(message)
            except MailError as exc:
                entry.update(status="failed", error=str(exc))
                run.failed.append(entry)
                log.warning("reminder %s not sent: %s", notice.key, exc)
            else:
                entry.update(status="sent", message_id=str(message["Message-ID"]))
                run.sent.append(entry)
        recorded.append(Event("reminders", notice.kind, who, now, entry))
    if recorded and not dry_run:
        events.append(store, recorded)
    return run


def handled_keys(store: ObjectStore, now: dt.datetime) -> set[str]:
    """The keys of notices already sent, or recorded as having nobody to go to."""
    return {
        str(e.data.get("key"))
        for e in events.read(store, "reminders", since=now - MEMORY)
        if e.data.get("status") in ("sent", "no_address")
    }


def reminders_sent(
    store: ObjectStore, since: dt.datetime, until: dt.datetime
) -> dict[str, list[dict[str, Any]]]:
    """The answer reminders sent in ``since``..``until``, by item id (for the audit)."""
    sent: dict[str, list[dict[str, Any]]] = {}
    for event in events.read(store, "reminders", since=since, until=until):
        data = event.data
        if event.action == "answer" and data.get("status") == "sent" and data.get("item_id"):
            sent.setdefault(f"{data.get('account')}\x00{data['item_id']}", []).append(
                {"at": _iso(event.at), "level": data.get("level"), "to": data.get("recipients", [])}
            )
    return sent


# -- alerts about runs ------------------------------------------------------------------------


def _run_alerts(
    account: Account, rows: list[dict[str, Any]], now: dt.datetime, operators: tuple[str, ...]
) -> list[Notice]:
    to = _unique(_people(account) + operators)
    notices = []
    nightly = [r for r in rows if (r.get("kind") or "nightly") == "nightly"]
    by_night: dict[dt.date, list[dict[str, Any]]] = {}
    for row in nightly:
        by_night.setdefault(row["run_date"], []).append(row)
    for night, night_rows in sorted(by_night.items()):
        if any(r.get("status") == "ok" for r in night_rows):
            continue
        last = max(night_rows, key=lambda r: r["started_at"])
        notices.append(
            Notice(
                kind="failed_night",
                key=f"failed_night:{account.id}:{night.isoformat()}",
                account_id=account.id,
                recipients=to,
                subject=f"Arkiveringen av {account.id} misslyckades natten {night.isoformat()}",
                body=_alert_body(
                    account,
                    f"Nattens arkivering av kontot misslyckades ({_snippet(last.get('status'))}).",
                    f"Fel: {_snippet(last.get('error'))}",
                ),
                details={"night": night.isoformat(), "run_id": last.get("run_id")},
            )
        )
    expiring = [r for r in rows if r.get("credential_expires_at") is not None]
    if expiring:
        latest = max(expiring, key=lambda r: r["started_at"])
        expires: dt.datetime = latest["credential_expires_at"]
        if expires - now <= TOKEN_WARNING:
            notices.append(
                Notice(
                    kind="token_expiry",
                    key=f"token_expiry:{account.id}:{expires.date().isoformat()}",
                    account_id=account.id,
                    recipients=to,
                    subject=f"Token för {account.id} går ut {_swedish_time(expires)}",
                    body=_alert_body(
                        account,
                        f"Kontots token går ut {_swedish_time(expires)}. Förnya den innan dess, annars "
                        "stannar arkiveringen av kontot.",
                    ),
                    details={"expires_at": _iso(expires)},
                )
            )
    # A pass skipped for its platform's budget neither failed nor succeeded.
    hot = sorted(
        (r for r in rows if r.get("kind") == "recent" and r.get("status") != "skipped"),
        key=lambda r: r["started_at"],
    )
    failing: list[dict[str, Any]] = []
    for row in hot:
        failing = [] if row.get("status") == "ok" else [*failing, row]
    if failing and now - failing[0]["started_at"] >= HOT_PASS_FAILING:
        first = failing[0]
        notices.append(
            Notice(
                kind="hot_pass",
                key=f"hot_pass:{account.id}:{first.get('run_id')}",
                account_id=account.id,
                recipients=to,
                subject=f"Bevakningen av {account.id} misslyckas sedan {_swedish_time(first['started_at'])}",
                body=_alert_body(
                    account,
                    f"De täta genomgångarna av kontot har misslyckats {len(failing)} gånger i rad sedan "
                    f"{_swedish_time(first['started_at'])}. Kommentarer som tas bort kan gå förlorade.",
                    f"Senaste fel: {_snippet(failing[-1].get('error'))}",
                ),
                details={"since": _iso(first["started_at"]), "failures": len(failing)},
            )
        )
    return notices


def _recent_runs(store: ObjectStore, today: dt.date) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for back in range(RUN_NIGHTS):
        night = today - dt.timedelta(days=back)
        try:
            for row in runs_of_night(store, night):
                rows.append({**row, "run_date": night})
        except (ArchiveError, OSError, ValueError) as exc:
            log.warning("runs of %s not readable: %s", night, exc)
    return rows


def _account_rows(store: ObjectStore, account_id: str, start: dt.datetime) -> list[dict[str, Any]]:
    """The account's comments and answers created since ``start``, and all its posts (the posts
    tell which threads are the account's own). Parts are chosen by the times in their names."""
    rows: list[dict[str, Any]] = []
    for part in account_parts(store, account_id):
        try:
            if part.last_created >= start.replace(microsecond=0):
                rows.extend(read_rows(store, part.key, ITEM_COLUMNS))
            else:
                rows.extend(read_rows(store, part.key, ITEM_COLUMNS, where=("item_type", ("post",))))
        except (ArchiveError, OSError, ValueError) as exc:
            log.warning("cannot read %s: %s", part.key, exc, extra={"key": part.key})
    return rows


def _latest_level_only(notices: list[Notice]) -> list[Notice]:
    """Of two answer reminders due for one comment at once, only the later level is sent."""
    top: dict[tuple[str, str], int] = {}
    for n in notices:
        if n.kind == "answer":
            ident = (n.account_id, str(n.details["item_id"]))
            top[ident] = max(top.get(ident, 0), int(n.details["level"]))
    return [
        n
        for n in notices
        if n.kind != "answer" or int(n.details["level"]) == top[(n.account_id, str(n.details["item_id"]))]
    ]


def _message(notice: Notice, mailer: Mailer, now: dt.datetime) -> EmailMessage:
    sender = getattr(getattr(mailer, "settings", None), "sender", None) or f"{PRODUCT}@localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(notice.recipients)
    message["Subject"] = terminal_text(notice.subject)
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notice.body)
    return message


def _alert_body(account: Account, *lines: str) -> str:
    return "\n".join(
        [
            f"Konto: {account.id} ({account.platform}, {account.handle}), {account.board}",
            "",
            *lines,
            "",
            f"Meddelandet går till ansvarig, ersättare och driften. /{PRODUCT}",
        ]
    )


def _people(account: Account) -> tuple[str, ...]:
    return _unique(tuple(a for a in (account.responsible_email, account.substitute_email) if a))


def _unique(addresses: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for address in addresses:
        seen.setdefault(address.lower(), address)
    return tuple(seen.values())


def _snippet(text: object) -> str:
    flat = " ".join(str(text or "-").split())
    flat = terminal_text(flat)
    return flat if len(flat) <= _SNIPPET else flat[: _SNIPPET - 1] + "…"


def _swedish_time(moment: dt.datetime) -> str:
    local = in_stockholm(moment)
    return f"{local:%Y-%m-%d} kl. {local:%H.%M}"


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
