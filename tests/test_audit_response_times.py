"""The 24-hour rule, end to end: comments and answers posted on the fake platform at chosen
Stockholm times, captured by a real night, measured by the audit."""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from archive_lib.storage import FileStore
from tests.audit_world import AuditWorld
from tests.fakes.mastodon import FakeMastodon

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NIGHT = dt.date(2026, 5, 19)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=STOCKHOLM).astimezone(dt.UTC)


@pytest.fixture
def scenario(tmp_path: pathlib.Path) -> Iterator[tuple[AuditWorld, dict[str, str]]]:
    # The night of 19 May 2026 is captured at 01:30 Stockholm time.
    with FakeMastodon(now=at(2026, 5, 19, 1, 30)) as fake:
        world = AuditWorld(fake, tmp_path, FileStore((tmp_path / "archive").as_uri()))
        bo = fake.add_account("bo", "Bo Berg")
        ids: dict[str, str] = {}

        def say(who: Any, text: str, when: dt.datetime, to: str | None = None) -> str:
            return str(fake.post(who, fake.html(text), in_reply_to=to, at=when)["id"])

        post = say(world.town, "Vägarbete på Västra Storgatan i maj.", at(2026, 4, 27, 9))
        ids["before_period"] = say(world.anna, "Hur länge håller det på?", at(2026, 4, 28, 9), post)
        say(world.town, "Tre veckor.", at(2026, 4, 28, 10), ids["before_period"])
        # Monday 09:00, answered Wednesday 10:00: 49 weekday hours, late.
        ids["late"] = say(world.mats, "Varför gräver ni mitt i rusningen?", at(2026, 5, 4, 9), post)
        say(world.town, "Det var det enda möjliga fönstret.", at(2026, 5, 6, 10), ids["late"])
        # An answer below a follow-up answers the whole sub-thread.
        ids["subthread_question"] = say(world.anna, "Är cykelbanan öppen?", at(2026, 5, 5, 9), post)
        ids["subthread_follow_up"] = say(
            bo, "Undrar samma sak.", at(2026, 5, 5, 10), ids["subthread_question"]
        )
        say(world.town, "Ja, hela tiden.", at(2026, 5, 5, 11), ids["subthread_follow_up"])
        # Friday 16:00, answered Monday 10:00: 8 + 10 = 18 weekday hours.
        ids["friday"] = say(world.anna, "Öppnar parkeringen på lördag?", at(2026, 5, 8, 16), post)
        say(world.town, "Nej, först nästa vecka.", at(2026, 5, 11, 10), ids["friday"])
        # Wednesday 15:00 before Kristi himmelsfärdsdag (Thursday), answered Friday 10:00: 9 + 10 = 19.
        ids["holiday"] = say(world.mats, "Jobbar ni på torsdag?", at(2026, 5, 13, 15), post)
        say(world.town, "Nej, det är helgdag.", at(2026, 5, 15, 10), ids["holiday"])
        # Never answered.
        ids["unanswered"] = say(bo, "Vem ersätter skadan på min bil?", at(2026, 5, 11, 9), post)
        ids["thanks"] = say(world.anna, "Tack för beskedet.", at(2026, 5, 11, 11), post)
        # Monday 20:00, not answered by 01:30: 5.5 weekday hours, pending.
        ids["pending"] = say(world.mats, "Blir det klart till midsommar?", at(2026, 5, 18, 20), post)
        # The account's own follow-up is not a comment to answer.
        say(world.town, "Uppdatering: arbetet går enligt plan.", at(2026, 5, 12, 8), post)
        yield world, ids


def test_the_24_hour_rule_in_weekday_hours(scenario: tuple[AuditWorld, dict[str, str]]) -> None:
    world, ids = scenario
    assert world.capture(NIGHT, "ks-mastodon").status == "ok"
    report = world.audit(dt.date(2026, 5, 1), NIGHT)

    figures = report.response_times["ks-mastodon"]
    assert sorted(figures["within_24h"]) == sorted(
        [ids["subthread_question"], ids["subthread_follow_up"], ids["friday"], ids["holiday"]]
    )
    assert figures["late"] == [ids["late"]]
    assert sorted(figures["unanswered"]) == sorted([ids["unanswered"], ids["thanks"]])
    assert figures["pending"] == [ids["pending"]]
    assert ids["before_period"] not in str(figures)
    assert figures["counts"] == {"within_24h": 4, "late": 1, "unanswered": 2, "pending": 1, "total": 8}
    assert figures["share_within_24h"] == round(4 / 7, 4)
    # Answered after 2, 1, 18, 19 and 49 weekday hours.
    assert figures["answered_weekday_hours"] == [1.0, 2.0, 18.0, 19.0, 49.0]
    assert figures["median_weekday_hours"] == 18.0

    questions = figures["questions"]
    assert sorted(questions["within_24h"]) == sorted(
        [ids["subthread_question"], ids["friday"], ids["holiday"]]
    )
    assert questions["unanswered"] == [ids["unanswered"]]  # "Tack för beskedet." is no question
    assert questions["pending"] == [ids["pending"]]

    details = report.response_items["ks-mastodon"]
    assert details[ids["late"]]["weekday_hours"] == 49.0
    assert details[ids["late"]]["answer_url"].startswith(world.fake.base_url)
    assert details[ids["unanswered"]]["url"].startswith(world.fake.base_url)
    assert details[ids["pending"]]["weekday_hours"] == 5.5
    board = report.response_boards["Kommunstyrelsen"]
    assert board["counts"] == figures["counts"] and board["accounts"] == ["ks-mastodon"]
    data = report.to_json()
    assert data["response_times"]["ks-mastodon"]["unanswered"] == figures["unanswered"]


def test_answers_published_after_the_period_do_not_count(scenario: tuple[AuditWorld, dict[str, str]]) -> None:
    world, ids = scenario
    world.capture(NIGHT, "ks-mastodon")
    # Judged at the end of 12 May: the Friday question was answered, the holiday one not yet asked.
    report = world.audit(dt.date(2026, 5, 1), dt.date(2026, 5, 11))
    figures = report.response_times["ks-mastodon"]
    assert ids["friday"] in figures["within_24h"]
    assert ids["holiday"] not in str(figures)
    # Asked Monday 09:00 and 11:00; at midnight 15 and 13 weekday hours have passed.
    assert sorted(figures["pending"]) == sorted([ids["unanswered"], ids["thanks"]])
