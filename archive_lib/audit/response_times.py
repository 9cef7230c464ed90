"""The 24-hour rule: how fast did each account answer the comments on its own posts?

The exact reading (also in the README, section "Audit"):

* **Which comments.** Every comment written by someone other than the account, in the
  account's own threads (below a post of the account, at any depth), created inside the
  audited period (``since`` 00:00 to the end of ``until``, Stockholm time). A comment the
  platform has since confirmed deleted, and that got no answer, is left out (its author
  withdrew it). Comments in other people's threads are not counted.
* **The answer.** The account's first item below the comment: a direct reply, or a reply deeper
  in the same sub-thread (the account may answer a follow-up instead of the first comment).
  Thread structure and the account's replies are taken from the captured data.
* **The clock.** Weekday hours in Europe/Stockholm (:mod:`archive_lib.audit.workdays`):
  Saturdays, Sundays and Swedish public holidays do not count.
* **Judged as of** the end of the period, or the account's last successful capture in the
  period if that is earlier (the archive knows no answer it has not captured yet), or the time
  of the audit if that is earlier still. An answer published later is not counted.
* **Outcome.** ``within_24h``: answered after at most 24 weekday hours; ``late``: answered
  after more; ``unanswered``: no answer and more than 24 weekday hours have passed;
  ``pending``: no answer yet, but still inside its 24 weekday hours.
* **Questions** are reported separately as well: a comment is a question when its text holds a
  question mark outside links. Swedish questions almost always end with one; the heuristic
  misses questions written without it and counts rhetorical ones.

Per account and per board: the lists of item ids, their counts, the share answered within 24
weekday hours (of the comments answered or overdue; pending ones are not yet decided) and the
median weekday hours to an answer.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from archive_lib.audit.workdays import weekday_hours
from archive_lib.metadata.schema import item_time

LIMIT_HOURS = 24.0
OUTCOMES = ("within_24h", "late", "unanswered", "pending")
BUCKETS: tuple[tuple[str, float], ...] = (
    ("< 2 h", 2),
    ("2-4 h", 4),
    ("4-8 h", 8),
    ("8-16 h", 16),
    ("16-24 h", 24),
    ("1-2 d", 48),
    ("2-5 d", 120),
    ("> 5 d", float("inf")),
)
_LINK = re.compile(r"https?://\S+")


def is_question(text: str | None) -> bool:
    """The documented heuristic: a question mark outside links."""
    return "?" in _LINK.sub("", text or "")


def account_response_times(
    items: Iterable[dict[str, Any]], *, start: dt.datetime, end: dt.datetime, as_of: dt.datetime
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The account's figures and the details of every comment not answered in time.

    ``items`` are the account's item version rows; ``start``..``end`` selects comments by
    creation time; ``as_of`` is the moment they are judged at.
    """
    latest: dict[str, dict[str, Any]] = {}
    for row in items:
        current = latest.get(row["item_id"])
        if current is None or row["version"] > current["version"]:
            latest[row["item_id"]] = row
    own_posts = {i for i, r in latest.items() if r["item_type"] == "post" and r["author_is_account"]}
    first_answer = _first_answers(latest, as_of)
    lists: dict[str, list[str]] = {o: [] for o in OUTCOMES}
    questions: dict[str, list[str]] = {o: [] for o in OUTCOMES}
    hours: list[float] = []
    question_hours: list[float] = []
    details: dict[str, dict[str, Any]] = {}
    for item_id, row in sorted(latest.items(), key=lambda kv: item_time(kv[1])):
        created = row["created_at"]
        if row["item_type"] != "comment" or row["author_is_account"] or row["post_id"] not in own_posts:
            continue
        if created is None or not start <= created < end:
            continue  # a comment the platform did not date cannot be timed
        answer = first_answer.get(item_id)
        if answer is None and row.get("event") == "deleted":
            continue
        question = is_question(row.get("text"))
        if answer is not None:
            elapsed = weekday_hours(created, answer["created_at"])
            outcome = "within_24h" if elapsed <= LIMIT_HOURS else "late"
            hours.append(elapsed)
            if question:
                question_hours.append(elapsed)
        else:
            elapsed = weekday_hours(created, as_of)
            outcome = "unanswered" if elapsed > LIMIT_HOURS else "pending"
        lists[outcome].append(item_id)
        if question:
            questions[outcome].append(item_id)
        if outcome != "within_24h":
            details[item_id] = {
                "outcome": outcome,
                "question": question,
                "created_at": _iso(created),
                "url": row.get("url"),
                "text": _snippet(row.get("text")),
                "weekday_hours": round(elapsed, 2),
                "answered_at": _iso(answer["created_at"]) if answer else None,
                "answer_id": answer["item_id"] if answer else None,
                "answer_url": answer.get("url") if answer else None,
            }
    figures = summarise(lists, hours)
    figures["questions"] = summarise(questions, question_hours)
    figures["as_of"] = _iso(as_of)
    return figures, details


def _first_answers(latest: dict[str, dict[str, Any]], as_of: dt.datetime) -> dict[str, dict[str, Any]]:
    """For every item, the account's earliest item anywhere below it (published by ``as_of``)."""
    first: dict[str, dict[str, Any]] = {}
    for row in latest.values():
        if not row["author_is_account"] or row["item_type"] != "comment":
            continue
        if row["created_at"] is None or row["created_at"] > as_of:
            continue
        parent = row.get("parent_id")
        seen: set[str] = set()
        while parent is not None and parent not in seen:
            seen.add(parent)
            best = first.get(parent)
            if best is None or row["created_at"] < best["created_at"]:
                first[parent] = row
            above = latest.get(parent)
            parent = above.get("parent_id") if above is not None else None
    return first


def summarise(lists: dict[str, list[str]], hours: list[float]) -> dict[str, Any]:
    """Lists, counts, share within 24 weekday hours, median and distribution."""
    counts = {o: len(lists[o]) for o in OUTCOMES}
    decided = counts["within_24h"] + counts["late"] + counts["unanswered"]
    distribution = {label: 0 for label, _ in BUCKETS}
    for value in hours:
        for label, upper in BUCKETS:
            if value <= upper:
                distribution[label] += 1
                break
    return {
        **{o: list(lists[o]) for o in OUTCOMES},
        "counts": {**counts, "total": sum(counts.values())},
        "share_within_24h": round(counts["within_24h"] / decided, 4) if decided else None,
        "median_weekday_hours": round(statistics.median(hours), 2) if hours else None,
        "distribution": distribution,
        "answered_weekday_hours": sorted(round(h, 2) for h in hours),
    }


def board_response_times(accounts: dict[str, dict[str, Any]], boards: dict[str, str]) -> dict[str, Any]:
    """The accounts' figures merged per board (``boards``: account id → board)."""
    merged: dict[str, dict[str, Any]] = {}
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for account_id, figures in accounts.items():
        grouped[boards[account_id]].append(figures)
    for board, members in sorted(grouped.items()):
        entry = _merge(members)
        entry["questions"] = _merge([m["questions"] for m in members])
        entry["accounts"] = sorted(a for a, b in boards.items() if b == board and a in accounts)
        merged[board] = entry
    return merged


def _merge(members: list[dict[str, Any]]) -> dict[str, Any]:
    lists = {o: [i for m in members for i in m[o]] for o in OUTCOMES}
    hours = [h for m in members for h in m["answered_weekday_hours"]]
    return summarise(lists, hours)


def _snippet(text: str | None, size: int = 160) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
