"""The audit report as one self-contained HTML page, for people.

Inline CSS and SVG only: no script, no font, no image, no link to anything but the archived
items' own public pages. Every string that comes from the archive or the inventory is escaped;
platform-supplied ids and text are also isolated in ``<bdi>`` (:func:`archive_lib.inert.isolate`)
so right-to-left text cannot reorder the report around them; links are only made from
``http``/``https`` addresses.

The report's own words are in the language asked for (Swedish by default, see
:mod:`archive_lib.language`), dates and numbers in its style, times in Stockholm time. What the
archive holds and what the checks found (problem details, platform messages) are quoted as they
are, as in the JSON form.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from archive_lib.audit.html_answers import responses
from archive_lib.audit.html_parts import DASH, MAX_ROWS, esc, head, size
from archive_lib.audit.moderation import moderation_html
from archive_lib.audit.report import KINDS, AuditReport
from archive_lib.audit.workdays import holiday_name
from archive_lib.inert import isolate
from archive_lib.language import N_, Language, language

STATUS_COLOURS = {
    "ok": "#2f9e5b",
    "failed": "#d2423b",
    "missing": "#f0a52b",
    "disposed": "#7a8594",  # disposed of by decision (gallring): gone lawfully, not a gap
    "none": "#e6e8eb",
}

CSS = """
:root{--ink:#1d2733;--muted:#5d6b7a;--line:#e3e7ec;--bg:#f5f7f9;--card:#fff;--ok:#2f9e5b;
--bad:#d2423b;--warn:#f0a52b}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--ink);background:var(--bg)}
header{background:#17324d;color:#fff;padding:28px 40px 24px}
header h1{margin:0 0 4px;font-size:26px;font-weight:650;letter-spacing:.2px}
header .sub{color:#c4d3e2;font-size:14px}
.badge{display:inline-block;padding:3px 10px;border-radius:999px;font-size:13px;font-weight:600;
vertical-align:middle}
.badge.ok{background:#d8f1e2;color:#17663a}.badge.bad{background:#fbdcda;color:#8c1f1a}
.badge.warn{background:#fdebc8;color:#7a5100}.badge.grey{background:#e6e8eb;color:#444}
main{padding:24px 40px 48px;max-width:1480px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 24px;
margin:0 0 22px}
h2{font-size:19px;margin:0 0 4px}h3{font-size:16px;margin:18px 0 8px}
p.lead{color:var(--muted);margin:0 0 14px;font-size:14px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:14px;margin:0 0 22px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 18px}
.tile .n{font-size:30px;font-weight:700;line-height:1.15}
.tile .l{color:var(--muted);font-size:13px}
.tile.bad .n{color:var(--bad)}.tile.ok .n{color:var(--ok)}.tile.warn .n{color:#b97700}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12.5px;text-transform:uppercase;letter-spacing:.3px}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.key{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12px;word-break:break-all}
.scroll{overflow-x:auto}
table.cal{width:auto;border-collapse:separate;border-spacing:2px}
table.cal td,table.cal th{border:0;padding:0}
table.cal th.acct{padding:0 12px 0 0;text-transform:none;letter-spacing:0;font-size:13px;color:var(--ink);
white-space:nowrap;text-align:right}
table.cal th.acct small{display:block;color:var(--muted);font-weight:400;font-size:11.5px}
table.cal th.day{font-size:10.5px;color:var(--muted);text-align:center;width:18px;font-weight:500;
letter-spacing:0}
table.cal th.day.we{color:#b0b8c1}table.cal th.day.hol{color:var(--bad)}
table.cal th.month{font-size:11px;text-align:left;color:var(--ink);text-transform:none;letter-spacing:0}
.cell{display:block;width:18px;height:18px;border-radius:4px}
.legend{display:flex;gap:16px;flex-wrap:wrap;font-size:13px;color:var(--muted);margin:10px 0 0}
.legend i{display:inline-block;width:12px;height:12px;border-radius:3px;margin-right:5px;vertical-align:-1px}
.boards{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px}
.board{border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.board h3{margin:0 0 2px}.board .big{font-size:28px;font-weight:700}
.stack{display:flex;height:12px;border-radius:6px;overflow:hidden;margin:8px 0 4px;background:#eef0f3}
.muted{color:var(--muted)}.small{font-size:12.5px}
a{color:#1d5fa8}
td.nw{white-space:nowrap}
.empty{color:var(--ok);font-weight:600}
footer{color:var(--muted);font-size:12.5px;padding:0 40px 40px;max-width:1480px}
"""


def render_html(report: AuditReport, words: Language | None = None) -> str:
    """The whole report as one HTML document, in ``words``' language (Swedish by default)."""
    t = words or language()
    data = report.to_json()
    title = t.html(
        "Archive audit %(since)s to %(until)s", since=report.period.since, until=report.period.until
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{t.code}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title}</title>",
        f"<style>{CSS}</style></head><body>",
        _header(report, t),
        "<main>",
        _tiles(report, data, t),
        _calendar(report, t),
        _problems(report, t),
        responses(report, t),
        _fixity(data["fixity"], t),
        _retention(data["retention"], t),
        _counts_and_credentials(report, t),
        moderation_html(data["moderation"], t),
        "</main>",
        _footer(report, t),
        "</body></html>",
    ]
    return "\n".join(parts)


# -- pieces --------------------------------------------------------------------------------

#: A token's status as the runs table records it (README, "runs"), for people.
CREDENTIAL_LABELS = {
    "ok": N_("works"),
    "expired": N_("expired"),
    "refused": N_("refused"),
    "missing": N_("missing"),
    "none": N_("none configured"),
    "unchecked": N_("not checked"),
}
STATUS_LABELS = {
    "ok": N_("captured"),
    "failed": N_("failed"),
    "missing": N_("no run"),
    "disposed": N_("disposed of by decision"),
    "none": N_("not counted (inactive, or before the first capture)"),
}


def _header(report: AuditReport, t: Language) -> str:
    if report.clean:
        badge = '<span class="badge ok">' + t.html("no problems found") + "</span>"
    else:
        found = t.ngettext("%(num)s problem found", "%(num)s problems found", len(report.problems))
        badge = f'<span class="badge bad">{esc(found)}</span>'
    title = t.html("Archive audit · %(organisation)s", organisation=report.organisation)
    sub = t.html(
        "Nights %(since)s to %(until)s · generated %(when)s (Stockholm) · store %(store)s · "
        "inventory %(inventory)s",
        since=report.period.since,
        until=report.period.until,
        when=t.stamp(report.generated_at),
        store=report.store_url,
        inventory=report.inventory_path,
    )
    return f'<header><h1>{title} {badge}</h1><div class="sub">{sub}</div></header>'


def _tiles(report: AuditReport, data: dict[str, Any], t: Language) -> str:
    statuses = Counter(s for nights in report.nights.values() for s in nights.values())
    fixity = data["fixity"]
    within, decided, medians = 0, 0, []
    for figures in report.response_times.values():
        counts = figures["counts"]
        within += counts["within_24h"]
        decided += counts["within_24h"] + counts["late"] + counts["unanswered"]
        medians.extend(figures["answered_weekday_hours"])
    share = t.percent(within / decided) if decided else DASH
    tiles = [
        ("ok", statuses["ok"], t.gettext("nights captured")),
        ("bad" if statuses["failed"] else "ok", statuses["failed"], t.gettext("nights failed")),
        ("bad" if statuses["missing"] else "ok", statuses["missing"], t.gettext("nights missing")),
        ("bad" if report.problems else "ok", len(report.problems), t.gettext("problems")),
        (
            "ok",
            t.number(fixity["objects_verified"]),
            t.gettext(
                "of %(total)s objects verified (%(mode)s)",
                total=t.number(fixity["objects_total"]),
                mode=t.gettext("full") if fixity["mode"] == "full" else t.gettext("sample"),
            ),
        ),
        (
            "warn" if decided and within / decided < 0.9 else "ok",
            share,
            t.gettext("comments answered within 24 h"),
        ),
    ]
    cells = "".join(
        f'<div class="tile {cls}"><div class="n">{esc(n)}</div><div class="l">{esc(label)}</div></div>'
        for cls, n, label in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _calendar(report: AuditReport, t: Language) -> str:
    nights, hidden = _calendar_nights(report)
    legend = "".join(
        f'<span><i style="background:{STATUS_COLOURS[s]}"></i>{t.html(label)}</span>'
        for s, label in STATUS_LABELS.items()
    )
    rows = "".join(_account_row(report, account, nights, t) for account in report.accounts)
    lead = t.html(
        "Every inventoried account, every night of the period. Hover a square for the run and the reason."
    )
    if hidden:
        lead += " " + esc(
            t.ngettext(
                "The %(num)s night before, when no account had been captured yet, is not shown.",
                "The %(num)s nights before, when no account had been captured yet, are not shown.",
                hidden,
            )
        )
    heading = t.html("Nights")
    return (
        f"<section><h2>{heading}</h2>"
        f'<p class="lead">{lead}</p>'
        f'<div class="scroll"><table class="cal">{_month_row(nights, t)}{_day_row(nights, t)}{rows}'
        f'</table></div><div class="legend">{legend}</div></section>'
    )


def _calendar_nights(report: AuditReport) -> tuple[list[dt.date], int]:
    """The nights the calendar shows, and how many of the period's first nights it leaves out."""
    nights = report.period.nights()
    counted = [dt.date.fromisoformat(n) for statuses in report.nights.values() for n in statuses]
    if not counted:
        return nights, 0
    # Nights before any account was first captured say nothing: the calendar starts at the
    # first counted night, and shows at least the period's last week.
    start = max(nights[0], min(min(counted), nights[-1] - dt.timedelta(days=6)))
    return [n for n in nights if n >= start], (start - nights[0]).days


def _month_row(nights: list[dt.date], t: Language) -> str:
    cells = ['<tr><th class="acct"></th>']
    span, current = 0, None
    for night in [*nights, None]:
        label = t.month(night) if night else None
        if label != current and current is not None:
            cells.append(f'<th class="month" colspan="{span}">{esc(current if span > 3 else "")}</th>')
            span = 0
        current = label
        span += 1
    cells.append("</tr>")
    return "".join(cells)


def _day_row(nights: list[dt.date], t: Language) -> str:
    cells = ['<tr><th class="acct"></th>']
    for night in nights:
        hol = holiday_name(night)
        cls = "hol" if hol else "we" if night.weekday() >= 5 else ""
        title = f"{t.weekday(night)} {night.isoformat()}" + (f", {hol}" if hol else "")
        cells.append(f'<th class="day {cls}" title="{esc(title)}">{night.day}</th>')
    cells.append("</tr>")
    return "".join(cells)


def _account_row(report: AuditReport, account: dict[str, Any], nights: list[dt.date], t: Language) -> str:
    statuses = report.nights.get(account["id"], {})
    details = report.night_details.get(account["id"], {})
    cells = []
    for night in nights:
        status = statuses.get(night.isoformat())
        detail = details.get(night.isoformat(), {}).get("detail") or _no_status(account, night, t)
        colour = STATUS_COLOURS[status or "none"]
        shown = (
            t.gettext(STATUS_LABELS[status])
            if status in STATUS_LABELS
            else status or t.gettext("not counted")
        )
        title = f"{account['id']} {night}: {shown} \u2013 {detail}"
        cells.append(f'<td><span class="cell" style="background:{colour}" title="{esc(title)}"></span></td>')
    return (
        f'<tr><th class="acct">{esc(account["id"])}<small>{esc(account["board"])}</small></th>'
        + "".join(cells)
        + "</tr>"
    )


def _no_status(account: dict[str, Any], night: dt.date, t: Language) -> str:
    if account.get("active_from") and night.isoformat() < account["active_from"]:
        return t.gettext("before active_from")
    if account.get("active_to") and night.isoformat() > account["active_to"]:
        return t.gettext("after active_to")
    if account.get("first_night") and night.isoformat() < account["first_night"]:
        return t.gettext("before the archive's first capture (which took the whole history)")
    return ""


def _problems(report: AuditReport, t: Language) -> str:
    heading = "<section><h2>" + t.html("Problems") + "</h2>"
    if report.clean:
        return (
            f'{heading}<p class="empty">✓ '
            + t.html(
                "No problems found: every night captured, every verified byte unchanged, "
                "every object protected."
            )
            + "</p></section>"
        )
    lead = t.ngettext(
        "%(num)s finding that needs someone to act. The JSON form lists the same.",
        "%(num)s findings that need someone to act. The JSON form lists the same.",
        len(report.problems),
    )
    out = [f'{heading}<p class="lead">{esc(lead)}</p>']
    headings = {
        "completeness": N_("Completeness"),
        "fixity": N_("Fixity and protection"),
        "lifecycle": N_("Disposals and holds"),
    }
    for section, name in headings.items():
        problems = [p for p in report.problems if KINDS.get(p.kind, ("fixity", ""))[0] == section]
        if not problems:
            continue
        out.append(f"<h3>{t.html(name)}</h3>")
        out.append("<table>" + head(t, N_("what"), N_("account"), N_("night"), N_("object"), N_("detail")))
        for p in problems[:MAX_ROWS]:
            meaning = KINDS.get(p.kind, ("", p.kind))[1]
            out.append(
                f'<tr><td><span class="badge bad">{esc(p.kind)}</span><div class="small muted">'
                f"{t.html(meaning) if meaning else ''}</div>"
                f"</td><td>{esc(p.account_id or '')}</td><td class='nw'>{esc(p.run_date or '')}</td>"
                f'<td class="key">{esc(p.key or "")}</td><td>{isolate(p.detail_in(t))}</td></tr>'
            )
        out.append("</table>")
        out.append(_more(len(problems), t))
    out.append("</section>")
    return "".join(out)


def _more(rows: int, t: Language) -> str:
    """The line saying how many rows a table left out, if any."""
    if rows <= MAX_ROWS:
        return ""
    more = t.gettext("… and %(more)s more in the JSON report.", more=t.number(rows - MAX_ROWS))
    return f'<p class="muted">{esc(more)}</p>'


def _fixity(fixity: dict[str, Any], t: Language) -> str:
    if fixity["mode"] == "full":
        mode = t.gettext("every object (full)")
    else:
        mode = t.gettext(
            "tonight's slice of a %(days)s-day rotation (slice %(slice)s), the period's last night "
            "and every object no manifest accounts for",
            days=fixity["period_days"],
            slice=fixity["slice"],
        )
    share = t.percent(fixity["share_verified"], decimals=1)
    rows = [
        (N_("objects in the store"), t.number(fixity["objects_total"])),
        (N_("objects verified by this audit"), f"{t.number(fixity['objects_verified'])} ({share})"),
        (N_("bytes read and re-hashed"), size(fixity["bytes_read"], t)),
        (N_("bytes listed in manifests"), size(fixity["bytes_in_manifests"], t)),
        (N_("WARC records with digests checked"), t.number(fixity["warc_records_checked"])),
        (N_("Parquet WARC pointers resolved"), t.number(fixity["pointers_checked"])),
        (N_("objects whose lock, retention and tags were checked"), t.number(fixity["protection_checked"])),
    ]
    body = "".join(f"<tr><td>{t.html(a)}</td><td class='num'>{esc(b)}</td></tr>" for a, b in rows)
    lead = t.html("SHA-256 recomputed and compared with the manifests; verified: %(mode)s.", mode=mode)
    heading = t.html("Fixity")
    return (
        f"<section><h2>{heading}</h2>"
        f'<p class="lead">{lead}</p>'
        f'<table style="max-width:640px">{body}</table></section>'
    )


def _retention(retention: dict[str, Any], t: Language) -> str:
    rows = []
    for name, c in retention["classes"].items():
        if c["permanent"]:
            rule = t.gettext("permanent (bevaras)")
        elif c["keep_years"]:
            rule = t.ngettext("%(num)s year", "%(num)s years", c["keep_years"])
        else:
            rule = t.gettext("unknown")
        rows.append(
            f"<tr><td>{esc(name)}</td><td>{esc(rule)}</td><td>{esc(c['decision'] or '')}</td>"
            f"<td class='num'>{esc(t.number(c['objects']))}</td>"
            f"<td class='num'>{esc(size(c['bytes'], t))}</td>"
            f"<td class='num'>{esc(t.number(c['expired']))}</td></tr>"
        )
    numeric = (N_("objects"), N_("size"), N_("may be culled"))
    table = (
        "<table>"
        + head(t, N_("class"), N_("keep"), N_("decision"), *numeric, numeric=numeric)
        + "".join(rows)
        + "</table>"
    )
    candidates = retention["candidates"]
    listed = ""
    if candidates:
        items = "".join(
            f"<tr><td class='key'>{esc(c['key'])}</td><td>{esc(c['retention_class'])}</td>"
            f"<td>{esc(c['retain_until'])}</td><td>{esc(c['decision'] or '')}</td></tr>"
            for c in candidates[:MAX_ROWS]
        )
        count = t.html("Candidates for gallring (%(count)s)", count=t.number(retention["candidates_total"]))
        listed = (
            f"<h3>{count}</h3><table>"
            + head(t, N_("object"), N_("class"), N_("retain until"), N_("decision"))
            + f"{items}</table>"
        )
    lead = t.html(
        "Objects per retention class. Objects whose retention has run out are listed as candidates "
        "for gallring; the audit never deletes anything."
    )
    heading = t.html("Retention")
    return f'<section><h2>{heading}</h2><p class="lead">{lead}</p>{table}{listed}</section>'


def _counts_and_credentials(report: AuditReport, t: Language) -> str:
    out = ["<section><h2>" + t.html("Platform counts and tokens") + "</h2>"]
    if report.comment_counts:
        numeric = (N_("platform"), N_("archived"))
        heads = head(
            t, N_("account"), N_("night"), N_("thread"), *numeric, N_("explanation"), numeric=numeric
        )
        out.append(
            "<h3>" + t.html("Comments the platform counts vs. comments archived") + f"</h3><table>{heads}"
        )
        unexplained = t.gettext("not explained by a known API limit")
        for c in report.comment_counts[:MAX_ROWS]:
            out.append(
                f"<tr><td>{esc(c['account_id'])}</td><td class='nw'>{esc(c['run_date'])}</td>"
                f"<td class='key' style='max-width:260px'>{isolate(c['post_id'])}</td>"
                f"<td class='num'>{c['reported']}</td><td class='num'>{c['captured']}</td>"
                f"<td class='small'>{esc(c['explanation'] or unexplained)}</td></tr>"
            )
        out.append("</table>")
    else:
        lead = t.html(
            "No differences between the comment counts platforms report and the comments archived, "
            "where a platform reports a count per thread (Mastodon does not)."
        )
        out.append(f'<p class="lead">{lead}</p>')
    if report.credentials:
        failures = N_("failures in a row")
        heads = head(
            t, N_("account"), N_("last night"), N_("status"), failures, N_("expires"), numeric=(failures,)
        )
        out.append("<h3>" + t.html("Tokens") + f"</h3><table>{heads}")
        for account_id, c in report.credentials.items():
            bad = c["failures_in_a_row"] > 0
            expires = t.stamp(c["expires_at"]) if c["expires_at"] else DASH
            out.append(
                f"<tr><td>{esc(account_id)}</td><td>{esc(c['latest_night'])}</td>"
                f'<td><span class="badge {"bad" if bad else "grey"}">'
                f"{esc(_credential(c['latest_status'], t))}</span></td>"
                f"<td class='num'>{c['failures_in_a_row']}</td><td>{esc(expires)}</td></tr>"
            )
        out.append("</table>")
    out.append("</section>")
    return "".join(out)


def _credential(status: str | None, t: Language) -> str:
    if status in CREDENTIAL_LABELS:
        return t.gettext(CREDENTIAL_LABELS[status])
    return status or t.gettext("unknown")


def _footer(report: AuditReport, t: Language) -> str:
    notes = "".join(f"<div>{esc(n)}</div>" for n in report.notes)
    data = report.to_json()
    version = t.html("report version %(version)s", version=data["report_version"])
    return f"<footer>{notes}<div>{esc(data['software'])} · {version}</div></footer>"
