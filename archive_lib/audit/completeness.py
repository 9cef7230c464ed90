"""Completeness: was every inventoried account captured, night after night?

For each account of the inventory and each audited night on which it was active:

* ``ok``: a run of that night succeeded and wrote its manifest;
* ``failed``: runs were made but none succeeded (the reason is the last attempt's error), or
  the successful run never wrote its manifest;
* ``missing``: no run at all;
* ``disposed``: its runs were disposed of by a decision (*gallring*): gone lawfully, not a gap.

Nights before an account's first run in the store are not counted for it: the first night
captures the account's whole history, so they are not gaps. An account active in the inventory
that the store has never captured is a problem of its own (and all its nights are missing).

Also found here: accounts the store holds that the inventory does not list, accounts without a
responsible person or substitute, runs that stored objects but no manifest, the platform's own
comment counts against the comments the archive holds, and tokens that failed night after
night.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from archive_lib.audit.holdings import Holdings
from archive_lib.audit.report import Period, Problem
from archive_lib.clock import run_id_account, stockholm_date
from archive_lib.language import N_
from archive_lib.models import Account, Inventory

CREDENTIAL_FAILURES = frozenset({"expired", "refused", "missing"})
EXPIRY_WARNING = dt.timedelta(days=14)

# What each platform's own comment count includes that its API never returns. A difference
# between the count and the comments captured is explained by these; see README "Audit".
BLIND_SPOTS: dict[str, str] = {
    "mastodon": "Mastodon's replies_count counts only direct replies the instance knows; replies "
    "from other servers that it never fetched and followers-only replies are not shown",
    "facebook": "Facebook's comment count includes comments the Graph API withholds (privacy "
    "filtering, comments removed by the Page or by Facebook), and objects with tens of thousands "
    "of comments may not page to the end",
    "instagram": "Instagram's comments_count includes comments by users the account restricted "
    "(not returned until approved) and comments on age-gated posts, which the API does not return",
    "youtube": "YouTube's commentCount includes comments held for review or as likely spam, which "
    "only the channel owner's OAuth token sees, and comments of users banned from the channel",
    "bluesky": "Bluesky's replyCount includes replies of taken-down, suspended or deactivated "
    "accounts and of accounts that block the viewer, replies hidden by a threadgate and posts "
    "under labels the AppView withholds",
}


HELD_MORE = (
    "the archive keeps comments the platform no longer counts (deleted or hidden after they were "
    "captured; the archive never drops a version)"
)


@dataclass
class Completeness:
    nights: dict[str, dict[str, str]] = field(default_factory=dict)
    night_details: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    comment_counts: list[dict[str, Any]] = field(default_factory=list)
    credentials: dict[str, dict[str, Any]] = field(default_factory=dict)


def check_completeness(
    inventory: Inventory,
    holdings: Holdings,
    period: Period,
    items: Mapping[str, list[dict[str, Any]]],
) -> Completeness:
    """Nights, problems, comment counts and credential history for ``period``.

    ``items`` holds each account's item version rows (for the comment counts).
    """
    out = Completeness()
    by_night: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
    for run_id, night in holdings.run_nights.items():
        if _kind(run_id, holdings) != "nightly":
            continue  # hot passes and pushes add versions between nights; the night is the nightly's
        by_night[(run_id_account(run_id), night)].append(run_id)
    captured = holdings.accounts_in_store()
    for account in inventory.accounts:
        _people(account, out)
        active = [n for n in period.nights() if account.is_active(n)]
        if not active:
            continue
        first = holdings.first_night(account.id)
        if account.id not in captured:
            out.problems.append(
                Problem.said(
                    "account_never_captured",
                    N_(
                        "%(account)s (%(board)s) is active in the inventory but the store holds no run "
                        "of it; responsible: %(responsible)s"
                    )
                    if account.responsible
                    else N_(
                        "%(account)s (%(board)s) is active in the inventory but the store holds no run "
                        "of it; no responsible person is named"
                    ),
                    {"account": account.id, "board": account.board, "responsible": account.responsible},
                    account_id=account.id,
                )
            )
        counted = [n for n in active if (first is None or n >= first) and n <= stockholm_date(period.as_of)]
        _nights(account, counted, by_night, holdings, out, captured=account.id in captured)
        rows = _rows_of(account.id, holdings, period)
        _credentials(account, rows, period, out)
        _comment_counts(account, rows, items.get(account.id, []), out)
    known = {a.id for a in inventory.accounts}
    for account_id in sorted(captured - known):
        out.problems.append(
            Problem.said(
                "account_not_in_inventory",
                N_("the store holds runs of %(account)s, which the inventory does not list"),
                {"account": account_id},
                account_id=account_id,
            )
        )
    _runs_without_manifest(holdings, out)
    return out


def _nights(
    account: Account,
    nights: list[dt.date],
    by_night: Mapping[tuple[str, dt.date], list[str]],
    holdings: Holdings,
    out: Completeness,
    *,
    captured: bool,
) -> None:
    """The status of each counted night of ``account``, and a problem for each failed or missing one.

    Counted are the nights it was active, from the archive's first capture of it (before that
    there is no gap) until today (later nights have not come yet).
    """
    statuses: dict[str, str] = {}
    details: dict[str, dict[str, Any]] = {}
    for night in nights:
        runs = sorted(by_night.get((account.id, night), []))
        status, detail = _night_status(runs, holdings)
        statuses[night.isoformat()] = status
        details[night.isoformat()] = {"status": status, "run_ids": runs, "detail": detail}
        if status == "failed":
            out.problems.append(Problem("night_failed", detail, account_id=account.id, run_date=night))
        elif status == "missing" and captured:
            out.problems.append(
                Problem.said(
                    "night_missing",
                    N_("no run of %(account)s for the night of %(night)s"),
                    {"account": account.id, "night": night},
                    account_id=account.id,
                    run_date=night,
                )
            )
    out.nights[account.id] = statuses
    out.night_details[account.id] = details


def _kind(run_id: str, holdings: Holdings) -> str:
    """What a run was, as its runs row or manifest says (``nightly`` for those older than kinds)."""
    for record in (holdings.runs_rows.get(run_id), holdings.manifests.get(run_id)):
        if record is not None and record.get("kind"):
            return str(record["kind"])
    return "nightly"


def _people(account: Account, out: Completeness) -> None:
    if not account.responsible:
        out.problems.append(
            Problem.said(
                "account_without_responsible",
                N_("%(account)s (%(board)s) names no responsible person (inventory line %(line)s)"),
                {"account": account.id, "board": account.board, "line": account.line},
                account_id=account.id,
            )
        )
    if not account.substitute:
        out.problems.append(
            Problem.said(
                "account_without_substitute",
                N_("%(account)s (%(board)s) names no substitute (inventory line %(line)s)"),
                {"account": account.id, "board": account.board, "line": account.line},
                account_id=account.id,
            )
        )


def _night_status(runs: list[str], holdings: Holdings) -> tuple[str, str]:
    if not runs:
        return "missing", "no run"
    if all(run_id in holdings.disposed_runs for run_id in runs):
        return "disposed", holdings.disposed_runs[runs[-1]].describe()
    for run_id in runs:
        row = holdings.runs_rows.get(run_id)
        manifest = holdings.manifests.get(run_id)
        if row is not None and row.get("status") == "ok" and manifest and manifest.get("status") == "ok":
            return "ok", f"captured by {run_id}"
    attempts = [(holdings.runs_rows[r].get("started_at"), r) for r in runs if r in holdings.runs_rows]
    if attempts:
        last = max(attempts, key=lambda a: (a[0] is not None, a[0] or dt.datetime.min, a[1]))[1]
        row = holdings.runs_rows[last]
        manifest = holdings.manifests.get(last)
        if row.get("status") == "ok" and manifest is None:
            return "failed", f"run {last} captured the night but wrote no manifest (incomplete)"
        if row.get("status") == "ok" and manifest is not None:
            return "failed", (
                f"run {last} captured the night but was interrupted before its manifest; "
                f"completed by {manifest.get('completed_by') or 'a later run'}"
            )
        return "failed", f"run {last}: {row.get('error') or 'failed without a reason'}"
    return "failed", f"run {runs[-1]} stored objects but no runs row or manifest (interrupted)"


def _rows_of(account_id: str, holdings: Holdings, period: Period) -> list[dict[str, Any]]:
    rows = [
        row
        for run_id, row in holdings.runs_rows.items()
        if run_id_account(run_id) == account_id
        and period.since <= holdings.run_nights[run_id] <= period.until
    ]
    return sorted(rows, key=lambda r: (r["run_date"], r.get("started_at") or dt.datetime.min, r["run_id"]))


def _credentials(account: Account, rows: list[dict[str, Any]], period: Period, out: Completeness) -> None:
    last_of_night: dict[dt.date, dict[str, Any]] = {}
    for row in rows:
        last_of_night[row["run_date"]] = row  # sorted: the last attempt of each night wins
    if not last_of_night:
        return
    ordered = [last_of_night[n] for n in sorted(last_of_night)]
    longest = streak = 0
    for row in ordered:
        streak = streak + 1 if row.get("credential_status") in CREDENTIAL_FAILURES else 0
        longest = max(longest, streak)
    latest = ordered[-1]
    expires = latest.get("credential_expires_at")
    out.credentials[account.id] = {
        "latest_status": latest.get("credential_status"),
        "latest_night": latest["run_date"].isoformat(),
        "failures_in_a_row": streak,
        "longest_failure_streak": longest,
        "expires_at": expires.astimezone(dt.UTC).isoformat() if expires else None,
    }
    if streak:
        since = ordered[-streak]["run_date"]
        out.problems.append(
            Problem.said(
                "credential_failures",
                N_(
                    "the token of %(account)s failed %(nights)s night(s) in a row since %(since)s "
                    "(%(status)s); tell %(responsible)s and %(substitute)s"
                )
                if account.responsible and account.substitute
                else N_(
                    "the token of %(account)s failed %(nights)s night(s) in a row since %(since)s "
                    "(%(status)s); the inventory names no responsible person or no substitute to tell"
                ),
                {
                    "account": account.id,
                    "nights": streak,
                    "since": since,
                    "status": latest.get("credential_status"),
                    "responsible": account.responsible,
                    "substitute": account.substitute,
                },
                account_id=account.id,
                run_date=latest["run_date"],
            )
        )
    elif expires is not None and expires - period.as_of < EXPIRY_WARNING:
        out.problems.append(
            Problem.said(
                "credential_expiring",
                N_("the token of %(account)s expires %(expires)s UTC"),
                {"account": account.id, "expires": f"{expires:%Y-%m-%d %H:%M}"},
                account_id=account.id,
            )
        )


def _comment_counts(
    account: Account, rows: list[dict[str, Any]], items: Iterable[dict[str, Any]], out: Completeness
) -> None:
    reported = [
        (row, thread)
        for row in rows
        if row.get("status") == "ok"
        for thread in row.get("threads") or []
        if thread.get("reported_comments") is not None
    ]
    if not reported:
        return
    by_post: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        if item.get("item_type") == "comment":
            by_post[str(item["post_id"])].append(item)
    for row, thread in reported:
        post_id = str(thread["post_id"])
        held = _comments_held(by_post.get(post_id, []), row["finished_at"])
        difference = int(thread["reported_comments"]) - held
        if difference == 0:
            continue
        warnings = [w for w in row.get("warnings") or [] if post_id in w]
        explanation = BLIND_SPOTS.get(account.platform) if difference > 0 else HELD_MORE
        entry = {
            "account_id": account.id,
            "run_date": row["run_date"].isoformat(),
            "post_id": post_id,
            "reported": int(thread["reported_comments"]),
            "captured": held,
            "difference": difference,
            "explanation": "; ".join([*warnings, *([explanation] if explanation else [])]) or None,
        }
        out.comment_counts.append(entry)
        if difference > 0 and not entry["explanation"]:
            out.problems.append(
                Problem.said(
                    "comment_count_gap",
                    N_(
                        "thread %(thread)s: the platform counts %(reported)s comments, the archive holds "
                        "%(held)s, and no known limit of the API explains the difference"
                    ),
                    {"thread": post_id, "reported": entry["reported"], "held": held},
                    account_id=account.id,
                    run_date=row["run_date"],
                )
            )


def _comments_held(versions: list[dict[str, Any]], moment: dt.datetime) -> int:
    """Comments of a thread the archive held, not deleted, at ``moment``."""
    latest: dict[str, dict[str, Any]] = {}
    for version in versions:
        seen = version.get("observed_at")
        if seen is not None and seen > moment:
            continue
        current = latest.get(version["item_id"])
        if current is None or version["version"] > current["version"]:
            latest[version["item_id"]] = version
    return sum(1 for v in latest.values() if v.get("event") != "deleted")


def _runs_without_manifest(holdings: Holdings, out: Completeness) -> None:
    for run_id, keys in sorted(holdings.run_keys.items()):
        if run_id in holdings.manifest_keys:
            continue
        out.problems.append(
            Problem.said(
                "run_without_manifest",
                N_(
                    "run %(run)s stored %(objects)s object(s) but no manifest; the next run of the "
                    "account completes it (an interrupted night)"
                ),
                {"run": run_id, "objects": len(keys)},
                account_id=run_id_account(run_id),
                run_date=holdings.run_nights.get(run_id),
                key=sorted(keys)[0],
            )
        )
