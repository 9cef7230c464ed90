"""The merge rule: versions of one item from runs that captured it at the same time.

A nightly pass, hot passes and targeted captures may walk the same account at once. Each decides
its versions against the state it read; at each commit (under the account's write lease,
:mod:`archive_lib.capture.lease`) it first reads the items parts other runs stored since
(:meth:`~archive_lib.metadata.state.KnownState.refresh`) and rebases its pending versions onto
them, item by item, in the order it observed them:

* a pending version is the same version as the item's latest stored one, and is dropped, when it
  records the same state: the same content digest and visibility (``new``, ``edited``,
  ``restored``, ``hidden``, ``unhidden``), gone again (``deleted``), or files the stored version
  already has (``media``);
* a pending version of an *older* state than the stored latest one is dropped too: written
  before it (its edit or creation time, as an edit history shows it), or observed before it
  (the other run saw a later state first). Its response stays in the WARC file;
* every other pending version is kept, numbered after the stored latest one, with its event
  named against it (``edited``, ``restored``, ``hidden``/``unhidden``).

So no two rows of an item record the same version, and version numbers stay 1, 2, 3 ... per item.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass
class Rebased:
    """The pending rows to write, and what changed (for the run's counts and state)."""

    kept: list[Row] = field(default_factory=list)
    dropped: list[tuple[Row, str]] = field(default_factory=list)  # (row, its event before)
    renamed: list[tuple[Row, str]] = field(default_factory=list)  # (row, its event before)
    # item id -> (its latest row, the part holding it or None when it is one of ``kept``)
    latest: dict[str, tuple[Mapping[str, Any], str | None]] = field(default_factory=dict)


def rebase(pending: Iterable[Row], stored: Iterable[tuple[Mapping[str, Any], str]]) -> Rebased:
    """Rebase ``pending`` (this run's rows, in order) onto ``stored`` (rows other runs stored
    since this run last looked, with their part keys). Rows are changed in place."""
    base: dict[str, tuple[Mapping[str, Any], str]] = {}
    for row, key in stored:
        current = base.get(row["item_id"])
        if current is None or int(row["version"]) > int(current[0]["version"]):
            base[row["item_id"]] = (row, key)
    out = Rebased()
    for row in pending:
        item_id = row["item_id"]
        if item_id not in base:
            out.kept.append(row)
            continue
        latest = out.latest.get(item_id)
        cur = latest[0] if latest is not None else base[item_id][0]
        before = row["event"]
        if not adds_to(cur, row):
            out.dropped.append((row, before))
            out.latest.setdefault(item_id, base[item_id])
            continue
        row["version"] = int(cur["version"]) + 1
        row["event"] = event_after(cur, row)
        if row["event"] != before:
            out.renamed.append((row, before))
        out.kept.append(row)
        out.latest[item_id] = (row, None)
    return out


def adds_to(latest: Mapping[str, Any], row: Mapping[str, Any]) -> bool:
    """Whether ``row`` records something ``latest`` (the item's stored latest version) does not."""
    if row["event"] == "deleted":
        return bool(latest["event"] != "deleted")
    mine, theirs = _version_time(row), _version_time(latest)
    if row["observed_at"] < latest["observed_at"] or (mine and theirs and mine < theirs):
        return False
    if row["event"] == "media":
        return (
            latest["event"] != "deleted"
            and latest["content_sha256"] == row["content_sha256"]
            and _failed(latest) > _failed(row)
        )
    return (
        latest["event"] == "deleted"
        or latest["content_sha256"] != row["content_sha256"]
        or bool(latest.get("hidden")) != bool(row.get("hidden"))
    )


def event_after(latest: Mapping[str, Any], row: Mapping[str, Any]) -> str:
    """The event ``row`` records after ``latest``."""
    if row["event"] in ("deleted", "media"):
        return str(row["event"])
    if latest["event"] == "deleted":
        return "restored"
    if latest["content_sha256"] != row["content_sha256"]:
        return "edited"
    return "hidden" if row.get("hidden") else "unhidden"


def _version_time(row: Mapping[str, Any]) -> Any:
    """When the author made the state a row records: its edit, else its creation."""
    return row.get("edited_at") or row.get("created_at")


def _failed(row: Mapping[str, Any]) -> int:
    return sum(1 for m in row.get("media") or () if m.get("error"))
