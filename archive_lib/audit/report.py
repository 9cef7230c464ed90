"""The audit report as data: problems, the period, and the JSON form machines read.

Every finding that needs someone to act is a :class:`Problem` with a ``kind`` from
:data:`KINDS`; the report is clean when there are none. Informational sections (retention,
comment counts, response times) are reported but are not problems by themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from archive_lib import PRODUCT, __version__
from archive_lib.evidence.check import KINDS as EVIDENCE_KINDS
from archive_lib.language import N_, Language

REPORT_VERSION = 1

# kind -> (section, what it means). The section groups the HTML tables; the meaning is shown in
# the HTML report's language (N_ marks it for the catalogues), the kind itself stays as it is.
KINDS: dict[str, tuple[str, str]] = {
    "night_failed": ("completeness", N_("the account's run for the night failed")),
    "night_missing": ("completeness", N_("no run of the account for the night")),
    "account_never_captured": ("completeness", N_("active in the inventory, never captured")),
    "account_not_in_inventory": ("completeness", N_("captured, but not in the inventory")),
    "account_without_responsible": ("completeness", N_("no responsible person in the inventory")),
    "account_without_substitute": ("completeness", N_("no substitute in the inventory")),
    "run_without_manifest": ("completeness", N_("a run stored objects but no manifest (incomplete)")),
    "comment_count_gap": ("completeness", N_("the platform counts comments the archive does not hold")),
    "credential_failures": ("completeness", N_("the token failed night after night")),
    "credential_expiring": ("completeness", N_("the token expires soon")),
    "manifest_unreadable": ("fixity", N_("a manifest cannot be read")),
    "runs_unreadable": ("fixity", N_("a runs row cannot be read")),
    "object_missing": ("fixity", N_("a manifest lists an object the store does not hold")),
    "object_not_in_manifest": ("fixity", N_("an object no manifest accounts for")),
    "object_overwritten": ("fixity", N_("an S3 key holds more than one version (bytes put over it)")),
    "size_mismatch": ("fixity", N_("the object's size differs from its manifest")),
    "checksum_mismatch": ("fixity", N_("the object's SHA-256 differs from its manifest")),
    "warc_digest_mismatch": ("fixity", N_("a WARC record's digest does not match its content")),
    "warc_unreadable": ("fixity", N_("a WARC file cannot be read to its end")),
    "parquet_unreadable": ("fixity", N_("a Parquet object cannot be read")),
    "pointer_unresolved": ("fixity", N_("a Parquet row's WARC pointer does not land on its record")),
    "object_writable": ("fixity", N_("a file of the file store is writable")),
    "sidecar_mismatch": ("fixity", N_("the file store's sidecar disagrees with the manifest")),
    "object_not_locked": ("fixity", N_("an S3 object without Object Lock")),
    "lock_mode_mismatch": ("fixity", N_("an S3 object locked in another mode than COMPLIANCE")),
    "legal_hold_missing": ("fixity", N_("a permanent record without its legal hold")),
    "retention_mismatch": ("fixity", N_("retention class or date differ from the manifest")),
    "tags_mismatch": ("fixity", N_("the object's tags differ from what the archive wrote")),
    # Signed, timestamped evidence (archive_lib/evidence/check.py says what each means).
    **{kind: ("fixity", meaning) for kind, meaning in EVIDENCE_KINDS.items()},
    "disposal_incomplete": ("lifecycle", N_("a disposal was cut short: its intent has no protocol")),
    "disposal_unreadable": ("lifecycle", N_("a disposal intent or protocol cannot be read")),
    "held_object_missing": ("lifecycle", N_("an object under an active legal hold is not in the store")),
    "hold_not_applied": ("lifecycle", N_("an object under an active legal hold has no legal hold in S3")),
}


@dataclass(frozen=True)
class Problem:
    """One finding that needs someone to act on it.

    ``detail`` is in English, as the JSON report and the logs have it. A problem made with
    :meth:`said` also keeps the words of its detail (``template``, marked for the catalogues) and
    the values put in them, so the HTML report can say it in its own language (:meth:`detail_in`);
    a detail that quotes what the store or a platform said is kept as it is."""

    kind: str
    detail: str
    account_id: str | None = None
    run_date: dt.date | None = None
    key: str | None = None
    template: str | None = field(default=None, compare=False)
    values: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @classmethod
    def said(
        cls,
        kind: str,
        template: str,
        values: dict[str, object],
        *,
        account_id: str | None = None,
        run_date: dt.date | None = None,
        key: str | None = None,
    ) -> Problem:
        """A problem whose detail is ``template`` (English, ``%(name)s`` placeholders, marked with
        ``N_``) filled with ``values``."""
        shown = tuple((name, str(value)) for name, value in values.items())
        return cls(kind, template % dict(shown), account_id, run_date, key, template, shown)

    def detail_in(self, words: Language) -> str:
        """The detail in ``words``' language (the English detail when it has no template)."""
        if self.template is None:
            return self.detail
        return words.gettext(self.template, **dict(self.values))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.account_id is not None:
            data["account_id"] = self.account_id
        if self.run_date is not None:
            data["run_date"] = self.run_date.isoformat()
        if self.key is not None:
            data["key"] = self.key
        data["detail"] = self.detail
        return data


@dataclass(frozen=True)
class Period:
    """The audited nights ``since``..``until`` (inclusive) and the moment results are judged at."""

    since: dt.date
    until: dt.date
    start: dt.datetime  # local midnight starting ``since``, UTC
    end: dt.datetime  # local midnight after ``until``, UTC
    as_of: dt.datetime  # the earlier of ``end`` and the time of the audit

    def nights(self) -> list[dt.date]:
        return [self.since + dt.timedelta(days=n) for n in range((self.until - self.since).days + 1)]


@dataclass
class AuditReport:
    """Everything the audit found; :meth:`to_json` is the machine-readable form."""

    period: Period
    generated_at: dt.datetime
    store_url: str
    inventory_path: str
    organisation: str
    accounts: list[dict[str, Any]]
    nights: dict[str, dict[str, str]]
    night_details: dict[str, dict[str, dict[str, Any]]]
    problems: list[Problem]
    fixity: dict[str, Any]
    retention: dict[str, Any]
    comment_counts: list[dict[str, Any]]
    credentials: dict[str, dict[str, Any]]
    response_times: dict[str, dict[str, Any]]
    response_boards: dict[str, dict[str, Any]]
    response_items: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    #: The monthly moderation summary (:mod:`archive_lib.audit.moderation`).
    moderation: dict[str, Any] = field(default_factory=dict)
    lifecycle: dict[str, Any] = field(default_factory=dict)  # disposals and legal holds

    @property
    def clean(self) -> bool:
        return not self.problems

    def problem_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for problem in self.problems:
            counts[problem.kind] = counts.get(problem.kind, 0) + 1
        return counts

    def summary(self) -> str:
        """One line for logs and alerts."""
        if self.clean:
            return f"audit of {self.period.since}..{self.period.until}: no problems"
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.problem_counts().items()))
        return f"audit of {self.period.since}..{self.period.until}: {len(self.problems)} problems ({kinds})"

    def to_json(self) -> dict[str, Any]:
        return {
            "report_version": REPORT_VERSION,
            "software": f"{PRODUCT}/{__version__}",
            "generated_at": _iso(self.generated_at),
            "store": self.store_url,
            "inventory": self.inventory_path,
            "organisation": self.organisation,
            "period": {
                "since": self.period.since.isoformat(),
                "until": self.period.until.isoformat(),
                "as_of": _iso(self.period.as_of),
            },
            "clean": self.clean,
            "problem_counts": self.problem_counts(),
            "accounts": self.accounts,
            "nights": self.nights,
            "night_details": self.night_details,
            "problems": [p.to_json() for p in self.problems],
            "fixity": self.fixity,
            "retention": self.retention,
            "comment_counts": self.comment_counts,
            "credentials": self.credentials,
            "response_times": self.response_times,
            "response_times_by_board": self.response_boards,
            "response_items": self.response_items,
            "notes": self.notes,
            "moderation": self.moderation,
            "lifecycle": self.lifecycle,
        }


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
