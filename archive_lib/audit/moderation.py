"""The monthly moderation summary: the comments the capture saw hidden or deleted, joined to the
moderation notes on them (:mod:`archive_lib.metadata.moderation`).

Per account and month (Stockholm) of the audited period: how many comments went hidden or
deleted (by the night that first saw it), how many of those a note explains, and the notes
recorded (``restored`` included). Every hidden or deleted comment without a note is flagged,
listed with its night. A flag is reported, not counted as an archive problem: a commenter may
delete a comment themselves, which no one needs to note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from archive_lib.audit.html_parts import MAX_ROWS, esc, head
from archive_lib.audit.report import Period
from archive_lib.clock import stockholm_date
from archive_lib.language import N_, Language
from archive_lib.metadata.moderation import ModerationNote, captured_action


def moderation_summary(
    items: Mapping[str, Sequence[Mapping[str, Any]]],
    notes: Mapping[tuple[str, str], Sequence[ModerationNote]],
    period: Period,
) -> dict[str, Any]:
    """The summary of ``items`` (each account's version rows) and ``notes`` over ``period``."""
    months: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"hidden": 0, "deleted": 0, "noted": 0, "unnoted": 0, "notes": 0, "restored": 0}
    )
    unnoted: list[dict[str, Any]] = []
    for account_id, rows in sorted(items.items()):
        versions: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
        for row in rows:
            if row.get("item_type") == "comment":
                versions[str(row["item_id"])].append(row)
        for item_id, item_versions in sorted(versions.items()):
            seen = captured_action(item_versions)
            if seen is None:
                continue
            went = _first_seen(item_versions, seen)
            day = stockholm_date(went["observed_at"])
            if not period.since <= day <= period.until:
                continue
            counts = months[(account_id, f"{day:%Y-%m}")]
            counts[seen] += 1
            if any(n.action == seen for n in notes.get((account_id, item_id), ())):
                counts["noted"] += 1
            else:
                counts["unnoted"] += 1
                unnoted.append(
                    {"account_id": account_id, "item_id": item_id, "captured": seen, "night": day.isoformat()}
                )
    for (account_id, _), item_notes in sorted(notes.items()):
        for note in item_notes:
            day = stockholm_date(note.moderated_at)
            if period.since <= day <= period.until:
                counts = months[(account_id, f"{day:%Y-%m}")]
                counts["notes"] += 1
                counts["restored"] += note.action == "restored"
    return {
        "months": [
            {"account_id": account_id, "month": month, **counts}
            for (account_id, month), counts in sorted(months.items())
        ],
        "unnoted": unnoted,
    }


def _first_seen(versions: Sequence[Mapping[str, Any]], seen: str) -> Mapping[str, Any]:
    """The first version showing the comment ``seen`` (deleted or hidden)."""
    ordered = sorted(versions, key=lambda v: int(v["version"]))
    for version in ordered:
        if (seen == "deleted" and version.get("event") == "deleted") or (
            seen == "hidden" and (version.get("hidden") is True or version.get("event") == "hidden")
        ):
            return version
    return ordered[-1]


def moderation_html(summary: Mapping[str, Any], t: Language) -> str:
    """The summary as a section of the HTML report, in ``t``'s language."""
    rows = "".join(
        f"<tr><td>{esc(m['account_id'])}</td><td>{esc(m['month'])}</td><td class='num'>{m['hidden']}</td>"
        f"<td class='num'>{m['deleted']}</td><td class='num'>{m['noted']}</td>"
        f"<td class='num'>{m['unnoted']}</td><td class='num'>{m['notes']}</td></tr>"
        for m in summary.get("months", ())
    )
    flagged = "".join(
        f"<tr><td>{esc(u['account_id'])}</td><td>{esc(u['item_id'])}</td><td>{esc(u['captured'])}</td>"
        f"<td>{esc(u['night'])}</td></tr>"
        for u in summary.get("unnoted", ())[:MAX_ROWS]
    )
    lead = t.html(
        "Comments seen hidden or deleted per account and month, joined to the moderation notes "
        "(archivectl moderation note). Flagged: hidden or deleted without a note."
    )
    out = [f"<section><h2>{t.html('Moderation')}</h2>", f'<p class="lead">{lead}</p>']
    if rows:
        numeric = (N_("hidden"), N_("deleted"), N_("with a note"), N_("without"), N_("notes"))
        out.append(
            "<table>" + head(t, N_("account"), N_("month"), *numeric, numeric=numeric) + f"{rows}</table>"
        )
    if flagged:
        title = t.html("Without a moderation note (%(num)s)", num=len(summary["unnoted"]))
        out.append(
            f"<h3>{title}</h3><table>"
            + head(t, N_("account"), N_("comment"), N_("seen"), N_("night"))
            + f"{flagged}</table>"
        )
    out.append("</section>")
    return "".join(out)
