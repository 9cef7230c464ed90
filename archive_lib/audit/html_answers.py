"""The response-time part of the HTML report: per board a chart, per account a table, and the
comments not answered in time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from archive_lib.audit.html_parts import MAX_ROWS, esc, hours, link, share
from archive_lib.audit.report import AuditReport
from archive_lib.audit.response_times import BUCKETS
from archive_lib.clock import STOCKHOLM
from archive_lib.inert import isolate

OUTCOME_LABELS = {
    "within_24h": "within 24 h",
    "late": "late",
    "unanswered": "unanswered",
    "pending": "pending",
}
OUTCOME_COLOURS = {"within_24h": "#2f9e5b", "late": "#f0a52b", "unanswered": "#d2423b", "pending": "#9aa3ad"}


def responses(report: AuditReport) -> str:
    if not report.response_times:
        return (
            "<section><h2>Answers within 24 weekday hours</h2>"
            "<p class='lead'>No captured comments.</p></section>"
        )
    boards = []
    for board, figures in report.response_boards.items():
        boards.append(_board_card(board, figures))
    accounts = [
        "<table><tr><th>account</th><th>board</th><th class='num'>comments</th><th class='num'>"
        "within 24 h</th>"
        "<th class='num'>late</th><th class='num'>unanswered</th><th class='num'>pending</th>"
        "<th class='num'>share</th><th class='num'>median</th><th class='num'>questions: share</th></tr>"
    ]
    board_of = {a["id"]: a["board"] for a in report.accounts}
    for account_id, f in report.response_times.items():
        c, q = f["counts"], f["questions"]
        accounts.append(
            f"<tr><td>{esc(account_id)}</td><td>{esc(board_of.get(account_id, ''))}</td>"
            f"<td class='num'>{c['total']}</td><td class='num'>{c['within_24h']}</td><td class='num'>"
            f"{c['late']}</td>"
            f"<td class='num'>{c['unanswered']}</td><td class='num'>{c['pending']}</td>"
            f"<td class='num'>{share(f['share_within_24h'])}</td><td class='num'>"
            f"{hours(f['median_weekday_hours'])}</td>"
            f"<td class='num'>{share(q['share_within_24h'])} of {q['counts']['total']}</td></tr>"
        )
    accounts.append("</table>")
    return (
        "<section><h2>Answers within 24 weekday hours</h2>"
        "<p class=\"lead\">Time from a comment on the account's own post to the account's first "
        "reply below it, "
        "in weekday hours (Stockholm; weekends and public holidays do not count). Judged as of "
        f"{report.period.as_of.astimezone(STOCKHOLM):%Y-%m-%d %H:%M}; questions are comments with a "
        "question mark.</p>"
        f'<div class="boards">{"".join(boards)}</div><h3>Per account</h3>{"".join(accounts)}'
        f"{_late_items(report)}</section>"
    )


def _board_card(board: str, figures: dict[str, Any]) -> str:
    counts = figures["counts"]
    decided = counts["within_24h"] + counts["late"] + counts["unanswered"]
    stack = "".join(
        f'<div style="width:{100 * counts[o] / max(counts["total"], 1):.2f}%;'
        f'background:{OUTCOME_COLOURS[o]}" '
        f'title="{esc(OUTCOME_LABELS[o])}: {counts[o]}"></div>'
        for o in OUTCOME_LABELS
        if counts[o]
    )
    legend = " · ".join(
        f'<span style="color:{OUTCOME_COLOURS[o]}">■</span> {counts[o]} {OUTCOME_LABELS[o]}'
        for o in OUTCOME_LABELS
    )
    q = figures["questions"]
    return (
        f'<div class="board"><h3>{esc(board)}</h3><div class="small muted">'
        f"{esc(', '.join(figures['accounts']))}</div>"
        f'<div><span class="big">{share(figures["share_within_24h"])}</span> '
        f'<span class="muted">of {decided} decided comments answered within 24 weekday hours · median '
        f"{hours(figures['median_weekday_hours'])}</span></div>"
        f'<div class="stack">{stack}</div><div class="small">{legend}</div>'
        f"{_histogram(figures)}"
        f'<div class="small muted">Questions: {share(q["share_within_24h"])} within 24 h of '
        f"{q['counts']['total']}, median {hours(q['median_weekday_hours'])}</div></div>"
    )


def _histogram(figures: dict[str, Any]) -> str:
    """Answered comments by weekday hours to the answer, plus the unanswered and pending."""
    bars = [
        (label, n, "#2f9e5b" if upper <= 24 else "#f0a52b")
        for (label, upper), n in zip(BUCKETS, figures["distribution"].values(), strict=True)
    ]
    bars.append(("no answer", figures["counts"]["unanswered"], "#d2423b"))
    bars.append(("pending", figures["counts"]["pending"], "#9aa3ad"))
    width, height, top, bottom, left = 520, 170, 18, 34, 8
    slot = (width - left) / len(bars)
    peak = max([n for _, n, _ in bars] + [1])
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="distribution of '
        'answer times" '
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
    parts.append(
        f'<text x="{left}" y="{height - 4}" font-size="10" fill="#5d6b7a">weekday hours to the first '
        "answer</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _late_items(report: AuditReport) -> str:
    rows = []
    for account_id, items in report.response_items.items():
        for item_id, item in items.items():
            rows.append((item["created_at"], account_id, item_id, item))
    if not rows:
        return ""
    rows.sort(key=lambda r: (["unanswered", "late", "pending"].index(r[3]["outcome"]), r[0]))
    out = [
        "<h3>Late, unanswered and pending</h3><table><tr><th>outcome</th><th>account</th><th>written</th>"
        "<th class='num'>weekday h</th><th>comment</th><th>links</th></tr>"
    ]
    for created, account_id, item_id, item in rows[:MAX_ROWS]:
        when = dt.datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(STOCKHOLM)
        links = [link(item.get("url"), "comment")]
        if item.get("answer_url"):
            links.append(link(item["answer_url"], "answer"))
        colour = OUTCOME_COLOURS[item["outcome"]]
        q = ' <span class="badge grey">question</span>' if item["question"] else ""
        out.append(
            f'<tr><td><span class="badge" style="background:{colour};color:#fff">'
            f"{esc(OUTCOME_LABELS[item['outcome']])}"
            f"</span>{q}</td><td>{esc(account_id)}</td><td>{when:%Y-%m-%d %H:%M}</td>"
            f"<td class='num'>{item['weekday_hours']:.1f}</td><td>{isolate(item['text'])}"
            f'<div class="small muted">item {isolate(item_id)}</div></td><td>{" · ".join(links)}</td></tr>'
        )
    out.append("</table>")
    if len(rows) > MAX_ROWS:
        out.append(f'<p class="muted">… and {len(rows) - MAX_ROWS} more in the JSON report.</p>')
    return "".join(out)
