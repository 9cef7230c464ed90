"""The response-time part of the HTML report: per board a chart, per account a table, and the
comments not answered in time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from archive_lib.audit.html_parts import MAX_ROWS, esc, head, hours, link, share
from archive_lib.audit.report import AuditReport
from archive_lib.audit.response_times import BUCKETS
from archive_lib.inert import isolate
from archive_lib.language import N_, Language

OUTCOME_LABELS = {
    "within_24h": N_("within 24 h"),
    "late": N_("late"),
    "unanswered": N_("unanswered"),
    "pending": N_("pending"),
}
OUTCOME_COLOURS = {"within_24h": "#2f9e5b", "late": "#f0a52b", "unanswered": "#d2423b", "pending": "#9aa3ad"}


def responses(report: AuditReport, t: Language) -> str:
    heading = "<section><h2>" + t.html("Answers within 24 weekday hours") + "</h2>"
    if not report.response_times:
        return heading + "<p class='lead'>" + t.html("No captured comments.") + "</p></section>"
    boards = []
    for board, figures in report.response_boards.items():
        boards.append(_board_card(board, figures, t))
    columns = (
        N_("comments"),
        N_("within 24 h"),
        N_("late"),
        N_("unanswered"),
        N_("pending"),
        N_("share"),
        N_("median"),
        N_("questions: share"),
    )
    accounts = ["<table>" + head(t, N_("account"), N_("board"), *columns, numeric=columns)]
    board_of = {a["id"]: a["board"] for a in report.accounts}
    for account_id, f in report.response_times.items():
        c, q = f["counts"], f["questions"]
        questions = t.gettext(
            "%(share)s of %(total)s", share=share(q["share_within_24h"], t), total=q["counts"]["total"]
        )
        accounts.append(
            f"<tr><td>{esc(account_id)}</td><td>{esc(board_of.get(account_id, ''))}</td>"
            f"<td class='num'>{c['total']}</td><td class='num'>{c['within_24h']}</td><td class='num'>"
            f"{c['late']}</td>"
            f"<td class='num'>{c['unanswered']}</td><td class='num'>{c['pending']}</td>"
            f"<td class='num'>{esc(share(f['share_within_24h'], t))}</td><td class='num'>"
            f"{esc(hours(f['median_weekday_hours'], t))}</td>"
            f"<td class='num'>{esc(questions)}</td></tr>"
        )
    accounts.append("</table>")
    lead = t.html(
        "Time from a comment on the account's own post to the account's first reply below it, in "
        "weekday hours (Stockholm; weekends and public holidays do not count). Judged as of %(when)s; "
        "questions are comments with a question mark.",
        when=t.stamp(report.period.as_of),
    )
    per_account = t.html("Per account")
    return (
        f'{heading}<p class="lead">{lead}</p>'
        f'<div class="boards">{"".join(boards)}</div><h3>{per_account}</h3>{"".join(accounts)}'
        f"{_late_items(report, t)}</section>"
    )


def _board_card(board: str, figures: dict[str, Any], t: Language) -> str:
    counts = figures["counts"]
    decided = counts["within_24h"] + counts["late"] + counts["unanswered"]
    labels = {o: t.gettext(label) for o, label in OUTCOME_LABELS.items()}
    stack = "".join(
        f'<div style="width:{100 * counts[o] / max(counts["total"], 1):.2f}%;'
        f'background:{OUTCOME_COLOURS[o]}" '
        f'title="{esc(labels[o])}: {counts[o]}"></div>'
        for o in OUTCOME_LABELS
        if counts[o]
    )
    legend = " · ".join(
        f'<span style="color:{OUTCOME_COLOURS[o]}">■</span> {counts[o]} {esc(labels[o])}'
        for o in OUTCOME_LABELS
    )
    q = figures["questions"]
    summary = t.html(
        "of %(decided)s decided comments answered within 24 weekday hours · median %(median)s",
        decided=decided,
        median=hours(figures["median_weekday_hours"], t),
    )
    questions = t.html(
        "Questions: %(share)s within 24 h of %(total)s, median %(median)s",
        share=share(q["share_within_24h"], t),
        total=q["counts"]["total"],
        median=hours(q["median_weekday_hours"], t),
    )
    return (
        f'<div class="board"><h3>{esc(board)}</h3><div class="small muted">'
        f"{esc(', '.join(figures['accounts']))}</div>"
        f'<div><span class="big">{esc(share(figures["share_within_24h"], t))}</span> '
        f'<span class="muted">{summary}</span></div>'
        f'<div class="stack">{stack}</div><div class="small">{legend}</div>'
        f"{_histogram(figures, t)}"
        f'<div class="small muted">{questions}</div></div>'
    )


def _histogram(figures: dict[str, Any], t: Language) -> str:
    """Answered comments by weekday hours to the answer, plus the unanswered and pending."""
    bars = [
        (label, n, "#2f9e5b" if upper <= 24 else "#f0a52b")
        for (label, upper), n in zip(BUCKETS, figures["distribution"].values(), strict=True)
    ]
    bars.append((t.gettext("no answer"), figures["counts"]["unanswered"], "#d2423b"))
    bars.append((t.gettext("pending"), figures["counts"]["pending"], "#9aa3ad"))
    width, height, top, bottom, left = 520, 170, 18, 34, 8
    slot = (width - left) / len(bars)
    peak = max([n for _, n, _ in bars] + [1])
    described = t.html("distribution of answer times")
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{described}" '
        'xmlns="http://www.w3.org/2000/svg" style="margin-top:10px">'
    ]
    base = height - bottom
    limit_x = left + slot * 5
    parts.append(
        f'<line x1="{limit_x:.1f}" y1="{top - 6}" x2="{limit_x:.1f}" y2="{base}" stroke="#17324d" '
        'stroke-dasharray="3 3" stroke-width="1"/>'
        f'<text x="{limit_x + 3:.1f}" y="{top}" font-size="10" fill="#17324d">24 h</text>'
    )
    for n, (label, count, colour) in enumerate(bars):
        x = left + n * slot + 3
        h = (base - top) * count / peak
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{slot - 6:.1f}" height="{h:.1f}" rx="2" '
            f'fill="{colour}">'
            f"<title>{esc(label)}: {count}</title></rect>"
        )
        if count:
            parts.append(
                f'<text x="{x + (slot - 6) / 2:.1f}" y="{base - h - 3:.1f}" font-size="10" '
                'text-anchor="middle" '
                f'fill="#1d2733">{count}</text>'
            )
        parts.append(
            f'<text x="{x + (slot - 6) / 2:.1f}" y="{base + 13}" font-size="9.5" text-anchor="middle" '
            f'fill="#5d6b7a">{esc(label)}</text>'
        )
    parts.append(f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#c9d0d8"/>')
    axis = t.html("weekday hours to the first answer")
    parts.append(f'<text x="{left}" y="{height - 4}" font-size="10" fill="#5d6b7a">{axis}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _late_items(report: AuditReport, t: Language) -> str:
    rows = []
    for account_id, items in report.response_items.items():
        for item_id, item in items.items():
            rows.append((item["created_at"], account_id, item_id, item))
    if not rows:
        return ""
    rows.sort(key=lambda r: (["unanswered", "late", "pending"].index(r[3]["outcome"]), r[0]))
    heads = head(
        t,
        N_("outcome"),
        N_("account"),
        N_("written"),
        N_("weekday h"),
        N_("comment"),
        N_("links"),
        numeric=(N_("weekday h"),),
    )
    out = ["<h3>" + t.html("Late, unanswered and pending") + f"</h3><table>{heads}"]
    question = ' <span class="badge grey">' + t.html("question") + "</span>"
    item_word = t.html("item")
    for created, account_id, item_id, item in rows[:MAX_ROWS]:
        when = dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
        links = [link(item.get("url"), t.gettext("comment"))]
        if item.get("answer_url"):
            links.append(link(item["answer_url"], t.gettext("answer")))
        colour = OUTCOME_COLOURS[item["outcome"]]
        q = question if item["question"] else ""
        out.append(
            f'<tr><td><span class="badge" style="background:{colour};color:#fff">'
            f"{t.html(OUTCOME_LABELS[item['outcome']])}"
            f"</span>{q}</td><td>{esc(account_id)}</td><td>{esc(t.stamp(when))}</td>"
            f"<td class='num'>{esc(t.number(item['weekday_hours'], 1))}</td><td>{isolate(item['text'])}"
            f'<div class="small muted">{item_word} {isolate(item_id)}</div></td>'
            f"<td>{' · '.join(links)}</td></tr>"
        )
    out.append("</table>")
    if len(rows) > MAX_ROWS:
        more = t.gettext("… and %(more)s more in the JSON report.", more=t.number(len(rows) - MAX_ROWS))
        out.append(f'<p class="muted">{esc(more)}</p>')
    return "".join(out)
