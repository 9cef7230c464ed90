"""Reminders and alerts, end to end: comments posted on the fake platform, captured by a real
night, reminded of by mail to a mail server on loopback, recorded in the store."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import subprocess
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from archive_lib.audit.mail import SmtpMailer, SmtpSettings
from archive_lib.audit.reminders import HOT_PASS_FAILING, _run_alerts, remind
from archive_lib.clock import stockholm_date
from archive_lib.errors import ConfigError
from archive_lib.metadata import events
from archive_lib.storage import FileStore
from tests.audit_world import AuditWorld
from tests.conftest import REPO
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.smtp import SmtpServer
from tests.helpers import PROCESS_TIMEOUT, archivectl

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PEOPLE = {
    "responsible_email": "anna.andersson@kristianstad.se",
    "substitute_email": "bo.berg@kristianstad.se",
}


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM).astimezone(dt.UTC)


@pytest.fixture
def friday(tmp_path: pathlib.Path) -> Iterator[tuple[AuditWorld, str]]:
    """A citizen's question on Friday 8 May 2026 at 15:00, captured that evening, not answered."""
    with FakeMastodon(now=at(2026, 5, 8, 18)) as fake:
        world = AuditWorld(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()))
        world.accounts = [{"id": "ks-mastodon", "handle": "kristianstad", **PEOPLE}]
        post = fake.post(world.town, fake.html("Parkeringen vid Stora torg stänger."), at=at(2026, 5, 7, 9))
        asked = fake.post(
            world.anna, fake.html("När öppnar den igen?"), in_reply_to=post["id"], at=at(2026, 5, 8, 15)
        )
        assert world.capture(dt.date(2026, 5, 8), "ks-mastodon").status == "ok"
        yield world, str(asked["id"])


def _mailer(server: SmtpServer) -> SmtpMailer:
    return SmtpMailer(
        SmtpSettings.from_environment("smtp_default", {"AIRFLOW_CONN_SMTP_DEFAULT": server.connection_uri()})
    )


def test_a_friday_question_is_reminded_of_on_monday_not_on_saturday_to_both_people(
    friday: tuple[AuditWorld, str], smtp_server: SmtpServer
) -> None:
    world, asked = friday
    inventory = world.inventory()
    with _mailer(smtp_server) as mailer:

        def run(moment: dt.datetime) -> list[dict[str, Any]]:
            result = remind(world.store, inventory, mailer, moment, web_url="https://airflow.kommun.se")
            assert result.ok and not result.without_address
            return result.sent

        # Friday 15:00-24:00 is 9 weekday hours; the weekend adds none.
        assert run(at(2026, 5, 9, 12)) == []
        assert run(at(2026, 5, 10, 23, 59)) == []
        assert run(at(2026, 5, 11, 6, 59)) == []
        # Monday 07:00: 16 weekday hours.
        [first] = run(at(2026, 5, 11, 7, 0))
        assert first["item_id"] == asked and first["level"] == 16
        assert run(at(2026, 5, 11, 8, 0)) == []  # sent once
        # Monday 15:00: 24 weekday hours, the second reminder.
        [second] = run(at(2026, 5, 11, 15, 0))
        assert second["level"] == 24
        assert run(at(2026, 5, 12, 9, 0)) == []

    messages = smtp_server.mailbox.wait_for(2)
    assert len(messages) == 2
    (one, to_one), (two, _) = messages
    assert sorted(to_one) == sorted(PEOPLE.values())
    assert one["To"] == "anna.andersson@kristianstad.se, bo.berg@kristianstad.se"
    assert one["From"] == "arkiv@kristianstad.se"
    assert "16 arbetstimmar" in one["Subject"] and "24 arbetstimmar" in two["Subject"]
    body = one.get_content()
    assert f"https://airflow.kommun.se/registry/thread?item={asked}&account=ks-mastodon" in body
    assert "När öppnar den igen?" in body and "2026-05-08 kl. 15.00" in body

    # The store records what was sent, to whom, so that the audit can show staff were warned.
    recorded = [e for e in events.read(world.store, "reminders") if e.action == "answer"]
    assert [(e.data["level"], e.data["status"]) for e in recorded] == [(16, "sent"), (24, "sent")]
    assert recorded[0].data["recipients"] == list(PEOPLE.values())
    assert recorded[0].data["message_id"] == one["Message-ID"]
    report = world.audit(dt.date(2026, 5, 8), dt.date(2026, 5, 8))
    assert [r["level"] for r in report.response_items["ks-mastodon"][asked]["reminders"]] == [16, 24]


def test_an_answered_comment_gets_no_reminder(tmp_path: pathlib.Path, smtp_server: SmtpServer) -> None:
    with FakeMastodon(now=at(2026, 5, 12, 18)) as fake:
        world = AuditWorld(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()))
        world.accounts = [{"id": "ks-mastodon", "handle": "kristianstad", **PEOPLE}]
        post = fake.post(world.town, fake.html("Ny cykelbana."), at=at(2026, 5, 7, 9))
        asked = fake.post(world.anna, fake.html("Var?"), in_reply_to=post["id"], at=at(2026, 5, 11, 9))
        fake.post(world.town, fake.html("Längs ån."), in_reply_to=asked["id"], at=at(2026, 5, 12, 10))
        assert world.capture(dt.date(2026, 5, 12), "ks-mastodon").status == "ok"
        with _mailer(smtp_server) as mailer:
            result = remind(world.store, world.inventory(), mailer, at(2026, 5, 13, 12))
        assert result.sent == [] and result.failed == []
        assert list(world.store.list("events/reminders/")) == []


def test_a_mail_server_that_refuses_is_tried_again_by_the_next_run(
    friday: tuple[AuditWorld, str], smtp_server: SmtpServer
) -> None:
    world, asked = friday
    smtp_server.mailbox.refuse = True
    with _mailer(smtp_server) as mailer:
        refused = remind(world.store, world.inventory(), mailer, at(2026, 5, 11, 7, 30))
    assert not refused.ok and [f["item_id"] for f in refused.failed] == [asked]
    assert "451" in refused.failed[0]["error"]
    smtp_server.mailbox.refuse = False
    with _mailer(smtp_server) as mailer:
        again = remind(world.store, world.inventory(), mailer, at(2026, 5, 11, 8, 30))
    assert again.ok and [s["item_id"] for s in again.sent] == [asked]
    statuses = [e.data["status"] for e in events.read(world.store, "reminders")]
    assert statuses == ["failed", "sent"]


def test_an_account_without_addresses_is_recorded_once_and_mails_nobody(
    friday: tuple[AuditWorld, str], smtp_server: SmtpServer
) -> None:
    world, asked = friday
    world.accounts = [{"id": "ks-mastodon", "handle": "kristianstad"}]
    with _mailer(smtp_server) as mailer:
        first = remind(world.store, world.inventory(), mailer, at(2026, 5, 11, 8))
        second = remind(world.store, world.inventory(), mailer, at(2026, 5, 11, 9))
    assert [w["item_id"] for w in first.without_address] == [asked]
    assert second.without_address == [] and second.sent == []
    assert smtp_server.mailbox.messages == []


def test_what_a_commenter_wrote_cannot_add_headers_or_controls_to_the_mail(
    tmp_path: pathlib.Path, smtp_server: SmtpServer
) -> None:
    with FakeMastodon(now=at(2026, 5, 12, 18)) as fake:
        world = AuditWorld(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()))
        world.accounts = [{"id": "ks-mastodon", "handle": "kristianstad", **PEOPLE}]
        post = fake.post(world.town, fake.html("Ny cykelbana."), at=at(2026, 5, 7, 9))
        fake.post(
            world.anna,
            "<p>Fråga\r\nBcc: evil@example.com\x1b[2J\u202eslut</p>",
            in_reply_to=post["id"],
            at=at(2026, 5, 11, 9),
        )
        assert world.capture(dt.date(2026, 5, 12), "ks-mastodon").status == "ok"
        with _mailer(smtp_server) as mailer:
            result = remind(world.store, world.inventory(), mailer, at(2026, 5, 12, 12))
    assert len(result.sent) == 1
    [(message, recipients)] = smtp_server.mailbox.wait_for(1)
    assert "evil@example.com" not in recipients and message["Bcc"] is None
    body = message.get_content()
    assert "\x1b" not in body and "\u202e" not in body and "\\x1b[2J" in body


def _run(kind: str, status: str, started: dt.datetime, **extra: Any) -> dict[str, Any]:
    return {
        "account_id": "ks-mastodon",
        "run_id": f"ks-mastodon_{started:%Y%m%dT%H%M%S}Z_abcd",
        "kind": kind,
        "status": status,
        "started_at": started,
        "finished_at": started + dt.timedelta(minutes=1),
        "run_date": stockholm_date(started),
        "error": None if status == "ok" else "HTTP 503 från plattformen",
        "credential_expires_at": extra.get("expires"),
    }


def test_alerts_for_a_failed_night_an_expiring_token_and_a_hot_pass_failing_for_two_hours(
    friday: tuple[AuditWorld, str],
) -> None:
    world, _ = friday
    account = world.inventory().account("ks-mastodon")
    now = at(2026, 5, 11, 12)
    rows = [
        _run("nightly", "failed", at(2026, 5, 10, 1, 30)),
        _run("nightly", "failed", at(2026, 5, 10, 2, 30)),
        _run("nightly", "ok", at(2026, 5, 11, 1, 30), expires=now + dt.timedelta(days=10)),
        _run("recent", "ok", at(2026, 5, 11, 9, 0)),
        _run("recent", "failed", at(2026, 5, 11, 9, 15)),
        _run("recent", "skipped", at(2026, 5, 11, 10, 0)),
        _run("recent", "failed", at(2026, 5, 11, 11, 45)),
    ]
    notices = {n.kind: n for n in _run_alerts(account, rows, now, ("drift@kristianstad.se",))}
    assert set(notices) == {"failed_night", "token_expiry", "hot_pass"}
    assert notices["failed_night"].key == "failed_night:ks-mastodon:2026-05-10"
    assert notices["failed_night"].recipients == (*PEOPLE.values(), "drift@kristianstad.se")
    assert "2026-05-21" in notices["token_expiry"].subject
    assert notices["hot_pass"].details["failures"] == 2

    # Not yet two hours of failures, a token with a month left, a night retried with success.
    calm = [
        _run("nightly", "failed", at(2026, 5, 11, 1, 30)),
        _run("nightly", "ok", at(2026, 5, 11, 2, 30), expires=now + dt.timedelta(days=30)),
        _run("recent", "failed", now - HOT_PASS_FAILING + dt.timedelta(minutes=1)),
    ]
    assert _run_alerts(account, calm, now, ()) == []


def test_archivectl_remind_mails_what_is_due_once(tmp_path: pathlib.Path, smtp_server: SmtpServer) -> None:
    now = dt.datetime.now(dt.UTC)
    with FakeMastodon(now=now) as fake:
        world = AuditWorld(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()))
        world.accounts = [{"id": "ks-mastodon", "handle": "kristianstad", **PEOPLE}]
        post = fake.post(world.town, fake.html("Snöröjningen börjar."), at=now - dt.timedelta(days=6))
        fake.post(
            world.anna, fake.html("När kommer plogen?"), in_reply_to=post["id"], at=now - dt.timedelta(days=5)
        )
        assert world.capture(now.date(), "ks-mastodon").status == "ok"
        world.inventory()
        command = archivectl(
            "remind", "--store", world.store.url, "--inventory", str(tmp_path / "inventory.yaml")
        )
        env = {"AIRFLOW_CONN_SMTP_DEFAULT": smtp_server.connection_uri(), "PATH": "/usr/bin:/bin"}
        dry = subprocess.run(
            [*command, "--dry-run"],
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            cwd=REPO,
            env=env,
        )
        assert dry.returncode == 0, dry.stderr
        assert [s["level"] for s in json.loads(dry.stdout)["sent"]] == [24]
        assert smtp_server.mailbox.messages == []
        for expected in (1, 0):
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=PROCESS_TIMEOUT, cwd=REPO, env=env
            )
            assert done.returncode == 0, done.stderr
            assert len(json.loads(done.stdout)["sent"]) == expected
        assert len(smtp_server.mailbox.wait_for(1)) == 1

        # Without an SMTP connection the command says what to set, and exits 2.
        missing = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            cwd=REPO,
            env={"PATH": "/usr/bin:/bin"},
        )
        assert missing.returncode == 2 and "AIRFLOW_CONN_SMTP_DEFAULT" in missing.stderr


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("smtp://mail.kommun.se:465", "from_email"),
        ("smtp://:465?from_email=a%40b.se", "no host"),
        ("smtp://mail.kommun.se:465?from_email=a%40b.se&disable_ssl=kanske", "disable_ssl"),
        ("smtp://mail.kommun.se:465?from_email=a%40b.se&timeout=-1", "timeout"),
        ("smtp://mail.kommun.se:465?from_email=a%40b.se%0D%0ABcc%3A+x%40y.se", "from_email"),
    ],
)
def test_a_broken_smtp_connection_is_named(uri: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SmtpSettings.from_environment("smtp_default", {"AIRFLOW_CONN_SMTP_DEFAULT": uri})


def test_the_password_never_shows_in_the_settings() -> None:
    settings = SmtpSettings.from_environment(
        "smtp_default",
        {"AIRFLOW_CONN_SMTP_DEFAULT": "smtp://arkiv:hemligt%21@mail.kommun.se?from_email=a%40b.se"},
    )
    assert settings.password == "hemligt!" and settings.port == 465 and settings.ssl
    assert "hemligt" not in repr(settings)


@pytest.fixture(scope="module")
def airflow_db() -> None:
    from airflow.utils import db

    db.resetdb()


def test_the_hourly_dag_mails_through_its_airflow_connection_and_names_a_failed_night(
    airflow_db: None, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, smtp_server: SmtpServer
) -> None:
    from airflow.dag_processing.dagbag import DagBag

    now = dt.datetime.now(dt.UTC)
    with FakeMastodon(now=now) as fake:
        world = AuditWorld(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()))
        fake.add_account("ung", "Ung i Kristianstad")
        world.accounts = [
            {"id": "ks-mastodon", "handle": "kristianstad", **PEOPLE},
            {"id": "ung-mastodon", "handle": "ung", "token_env": "UNG_TOKEN_NOT_SET", **PEOPLE},
        ]
        post = fake.post(world.town, fake.html("Snöröjningen börjar."), at=now - dt.timedelta(days=6))
        fake.post(
            world.anna, fake.html("När kommer plogen?"), in_reply_to=post["id"], at=now - dt.timedelta(days=5)
        )
        night = stockholm_date(now)
        assert world.capture(night, "ks-mastodon").status == "ok"
        assert world.capture(night, "ung-mastodon").status != "ok"
        world.inventory()

    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    dag = bag.get_dag("answer_reminders")
    assert dag is not None and dag.catchup is False
    assert dag.timetable.expression == "5 * * * *" and str(dag.timetable.timezone) == "Europe/Stockholm"
    monkeypatch.setenv("ARCHIVE_INVENTORY", str(tmp_path / "inventory.yaml"))
    monkeypatch.setenv("ARCHIVE_STORE", world.store.url)
    monkeypatch.setenv("ARCHIVE_ALERT_EMAIL", "drift@kristianstad.se")
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp_server.connection_uri())
    run = dag.test(logical_date=now)
    assert run.state == "success"  # type: ignore[attr-defined]
    messages = smtp_server.mailbox.wait_for(2)
    by_subject = {m["Subject"]: rcpt for m, rcpt in messages}
    assert len(by_subject) == 2
    [failed] = [s for s in by_subject if "misslyckades" in s]
    assert "ung-mastodon" in failed and "drift@kristianstad.se" in by_subject[failed]
    actors = {e.actor for e in events.read(world.store, "reminders")}
    assert actors == {"airflow"}
