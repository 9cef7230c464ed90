"""Disposal by decision (*gallring*): the only code path in the product that deletes stored objects.

``dispose(store, inventory, decision)`` disposes of exactly the objects that meet every rule:

1. their run's retention class names the decision (``decision`` in the inventory) and has
   ``keep_years`` (a permanent class is never disposed of);
2. their retain-until date (the run's, in its manifest) has come;
3. no active legal hold covers an item they hold (:mod:`archive_lib.metadata.holds`): an items
   part holding a covered item's version, or a WARC file its rows point into, stays;
4. the store permits it: S3 Object Lock (a COMPLIANCE lock not yet expired, a legal hold) and the
   file store's retention stay authoritative. What the store refuses is reported, never bypassed.

A run's runs part and manifest go last, and only when every other object of the run went, so a
run is never left with objects no manifest accounts for.

It is crash-safe and idempotent. The intent, listing every object with its size and SHA-256, is
stored first (:mod:`archive_lib.metadata.disposals`); the deletes follow, each authorised by the
intent (:class:`~archive_lib.storage.base.DisposalWarrant`); the protocol (*gallringsprotokoll*)
is stored last, permanently. A disposal cut short leaves an intent without a protocol, and the
next disposal completes it before it plans anything new. Running a decision again disposes of
nothing more than what has come due since.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive_lib import PRODUCT, __version__, layout
from archive_lib.clock import stockholm_date
from archive_lib.errors import LifecycleRefusedError, ObjectNotFoundError, ObjectProtectedError
from archive_lib.evidence.signing import SIG, TSR, Signer
from archive_lib.metadata import disposals
from archive_lib.metadata.events import Event, append
from archive_lib.metadata.holds import ROW_COLUMNS, Hold, active_holds, holding, row_objects
from archive_lib.metadata.manifest import kind_of, read_manifest
from archive_lib.metadata.parts import read_part
from archive_lib.models import Inventory
from archive_lib.retention_classes import Decision, RetentionClass
from archive_lib.storage.base import DisposingStore, ObjectStore, read_warrant

log = logging.getLogger(__name__)

#: Called after each object disposed of, with how many went so far (a test's crash point).
AfterDelete = Callable[[int], None]
# Objects of a run in the order they go: records first, the run's own account of them last.
_ORDER = {"warc": 0, "items": 1, "other": 2, "lease": 3, "runs": 3, "manifest": 4, "evidence": 5}
# What a run keeps as long as any of its records stays (its account of itself, not records).
_BOOKKEEPING = frozenset({"lease", "runs", "manifest", "evidence"})


@dataclass
class DisposalResult:
    """What one disposal did (or, with ``dry_run``, would do)."""

    decision: str
    dry_run: bool
    objects: list[dict[str, Any]] = field(default_factory=list)  # key, size, sha256
    items: int = 0
    refused: list[dict[str, str]] = field(default_factory=list)  # key, reason
    protocol_key: str | None = None
    completed: list[str] = field(default_factory=list)  # protocols of earlier disposals completed
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The form ``archivectl dispose --format json`` prints (the README's contract)."""
        return {
            "decision": self.decision,
            "dry_run": self.dry_run,
            "objects": [{"key": o["key"], "size": o["size"], "sha256": o["sha256"]} for o in self.objects],
            "items": self.items,
            "refused": [{"key": r["key"], "reason": r["reason"]} for r in self.refused],
            "protocol_key": self.protocol_key,
        }


@dataclass
class _Plan:
    objects: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    not_due: list[dt.date] = field(default_factory=list)
    due_runs: int = 0


def dispose(
    store: ObjectStore,
    inventory: Inventory,
    decision_id: str,
    *,
    actor: str,
    dry_run: bool = False,
    now: dt.datetime | None = None,
    after_delete: AfterDelete | None = None,
    signer: Signer | None = None,
) -> DisposalResult:
    """Carry out (or with ``dry_run`` only plan) the disposal decision ``decision_id``.

    ``signer`` signs (and timestamps) the intent and the protocol, as every document the
    archive keeps as evidence (:mod:`archive_lib.evidence`); None stores them unsigned.

    Raises :class:`~archive_lib.errors.LifecycleRefusedError`, deleting nothing, when no class
    with ``keep_years`` names the decision, when the store cannot dispose of objects, or when
    nothing of the decision's classes has reached its retain-until date.
    """
    now = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    classes = _classes(inventory, decision_id)
    if not isinstance(store, DisposingStore):
        raise LifecycleRefusedError(f"the store {store.url} cannot dispose of objects: nothing disposed")
    completed: list[DisposalResult] = []
    if not dry_run:
        for intent_key in disposals.pending_intents(store):
            log.warning("completing the disposal cut short: %s", intent_key, extra={"key": intent_key})
            completed.append(
                _execute(store, intent_key, actor=actor, now=now, after_delete=after_delete, signer=signer)
            )
    plan = _plan(store, classes, now)
    result = DisposalResult(decision_id, dry_run, refused=plan.refused)
    result.completed = [c.protocol_key for c in completed if c.protocol_key]
    if dry_run or not plan.objects:
        result.objects = plan.objects
        result.items = _items(plan.objects)
        if plan.objects or plan.refused:
            return result
        same = [c for c in completed if c.decision == decision_id]
        if same:
            return same[-1]
        if plan.not_due and not plan.due_runs:
            raise LifecycleRefusedError(
                f"nothing under decision {decision_id} has reached its retain-until date (the earliest"
                f" is {min(plan.not_due)}): nothing disposed"
            )
        result.note = f"nothing left to dispose of under decision {decision_id}"
        return result
    protocol_id = disposals.new_protocol_id(now)
    protocol_key = disposals.protocol_key(now, protocol_id)
    intent_key = disposals.intent_key_of(protocol_key)
    record = _decision_record(classes, decision_id)
    intent = {
        "protocol_version": disposals.PROTOCOL_VERSION,
        "protocol_id": protocol_id,
        "protocol_key": protocol_key,
        "decision": record.to_json(),
        "classes": sorted(c.name for c in classes),
        "store": store.url,
        "software": f"{PRODUCT}/{__version__}",
        "run_by": actor,
        "started_at": _iso(now),
        "objects": plan.objects,
        "refused": plan.refused,
    }
    disposals.write_document(store, intent_key, intent, signer)  # durable before the first delete
    log.info("disposal %s: intent stored, %d objects to go", protocol_id, len(plan.objects))
    done = _execute(store, intent_key, actor=actor, now=now, after_delete=after_delete, signer=signer)
    done.completed = result.completed
    return done


def _classes(inventory: Inventory, decision_id: str) -> list[RetentionClass]:
    classes = [
        c for c in inventory.retention_classes.values() if c.decision == decision_id and not c.permanent
    ]
    if not classes:
        named = sorted(
            {c.decision for c in inventory.retention_classes.values() if c.decision and not c.permanent}
        )
        raise LifecycleRefusedError(
            f"no retention class with keep_years in {inventory.path} names the decision {decision_id!r}"
            f" (decisions named: {', '.join(named) or 'none'}): nothing disposed"
        )
    return classes


def _decision_record(classes: Sequence[RetentionClass], decision_id: str) -> Decision:
    for rule in classes:
        if rule.decision_record is not None:
            return rule.decision_record
    return Decision(decision_id)


def _plan(store: ObjectStore, classes: Sequence[RetentionClass], now: dt.datetime) -> _Plan:
    """The objects due under ``classes`` that no hold covers and the store would let go."""
    names = {c.name for c in classes}
    today = stockholm_date(now)
    holds = active_holds(store)
    plan = _Plan()
    for manifest_key in store.list(f"{layout.MANIFESTS}/"):
        if not manifest_key.endswith(".json"):
            continue
        manifest = read_manifest(store, manifest_key)
        if manifest.get("retention_class") not in names or not manifest.get("retain_until"):
            continue
        until = dt.date.fromisoformat(str(manifest["retain_until"]))
        if until > today:
            plan.not_due.append(until)
            continue
        plan.due_runs += 1
        _plan_run(store, manifest_key, manifest, holds, now, plan)
    return plan


def _plan_run(
    store: ObjectStore,
    manifest_key: str,
    manifest: Mapping[str, Any],
    holds: Sequence[Hold],
    now: dt.datetime,
    plan: _Plan,
) -> None:
    run_id = str(manifest["run_id"])
    listed = [(str(o["key"]), str(o.get("kind") or kind_of(str(o["key"])))) for o in manifest["objects"]]
    listed.append((manifest_key, "manifest"))
    # The manifest's signature and timestamp go with it (when it has them): they prove nothing
    # about bytes that are gone, and the protocol records what went.
    listed.extend((manifest_key + suffix, "evidence") for suffix in (SIG, TSR))
    listed.sort(key=lambda pair: (_ORDER.get(pair[1], 2), pair[0]))
    held, items = _held(store, [k for k, kind in listed if kind == "items"], holds)
    kept = False
    for key, kind in listed:
        if kind == "evidence" and not store.exists(key):
            continue  # an unsigned manifest has neither signature nor timestamp
        if kind in _BOOKKEEPING and kept:
            plan.refused.append({"key": key, "reason": f"kept while run {run_id} keeps objects that stay"})
            continue
        try:
            stored = store.stat(key)
        except ObjectNotFoundError:
            continue  # already gone (disposed of before; the audit says by which protocol)
        reason = _hold_reason(held.get(key, ())) or _store_reason(stored, now)
        if reason:
            plan.refused.append({"key": key, "reason": reason})
            kept = True
            continue
        digests, versions = items.get(key, (set(), 0))
        entry: dict[str, Any] = {
            "key": key,
            "size": stored.size,
            "sha256": stored.sha256,
            "kind": kind,
            "run_id": run_id,
            "account_id": manifest.get("account_id"),
            "night": manifest.get("run_date"),
            "retention_class": manifest.get("retention_class"),
            "retain_until": manifest.get("retain_until"),
        }
        if kind == "items":
            entry["item_digests"] = sorted(digests)
            entry["versions"] = versions
        plan.objects.append(entry)


def _held(
    store: ObjectStore, part_keys: Sequence[str], holds: Sequence[Hold]
) -> tuple[dict[str, list[Hold]], dict[str, tuple[set[str], int]]]:
    """Which objects the holds keep (items parts and the WARC files their rows point into), and
    the item digests and version count of each items part."""
    held: dict[str, list[Hold]] = {}
    items: dict[str, tuple[set[str], int]] = {}
    for key in part_keys:
        part = layout.parse_items_key(key)
        if part is None:
            continue
        try:
            rows = read_part(store, part, ROW_COLUMNS)
        except ObjectNotFoundError:
            continue
        items[key] = ({disposals.item_digest(str(r["item_id"])) for r in rows}, len(rows))
        for row in rows:
            covering = holding(holds, row)
            if not covering:
                continue
            for target in row_objects(key, row):
                kept = held.setdefault(target, [])
                kept.extend(h for h in covering if h not in kept)
    return held, items


def _hold_reason(holds: Sequence[Hold]) -> str | None:
    if not holds:
        return None
    named = ", ".join(f"{h.id} ({h.reference})" for h in holds)
    return f"under legal hold {named}"


def _store_reason(stored: Any, now: dt.datetime) -> str | None:
    """Why the store would refuse to let ``stored`` go, if it would (checked again when deleting)."""
    if stored.legal_hold:
        return "the store holds it under a legal hold (Object Lock)"
    if stored.locked_until is not None and stored.locked_until > now:
        return f"Object Lock {stored.lock_mode} until {stored.locked_until:%Y-%m-%d %H:%M} UTC"
    if stored.lock_mode == "read-only" and stored.retention is None:
        return "the store has no record of its retention (no sidecar)"
    return None


def _execute(
    store: ObjectStore,
    intent_key: str,
    *,
    actor: str,
    now: dt.datetime,
    after_delete: AfterDelete | None,
    signer: Signer | None = None,
) -> DisposalResult:
    """Delete what the intent lists, then store the protocol; safe to run again on the same intent."""
    assert isinstance(store, DisposingStore)
    intent = disposals.read_document(store, intent_key)
    warrant = read_warrant(store, intent_key)
    gone: list[dict[str, Any]] = []
    refused = list(intent.get("refused") or ())
    for count, obj in enumerate(intent["objects"], start=1):
        try:
            store.dispose(str(obj["key"]), warrant)
        except ObjectProtectedError as exc:
            refused.append({"key": obj["key"], "reason": str(exc)})
            continue
        gone.append(obj)
        if after_delete is not None:
            after_delete(count)
    counts, digests = disposals.item_counts(gone)
    protocol = {
        **intent,
        "intent_key": intent_key,
        "completed_at": _iso(now),
        "completed_by": actor,
        "objects": [{k: v for k, v in o.items() if k != "item_digests"} for o in gone],
        "refused": refused,
        "item_counts": counts,
        "items": sum(len(d) for d in digests.values()),
        "item_digests": digests,
    }
    key = str(intent["protocol_key"])
    _put_protocol(store, key, protocol, signer)
    append(
        store,
        [
            Event(
                stream="disposals",
                action="dispose",
                actor=actor,
                at=now,
                data={
                    "decision": intent["decision"]["id"],
                    "protocol_key": key,
                    "objects": len(gone),
                    "items": protocol["items"],
                    "refused": len(refused),
                },
            )
        ],
    )
    log.info("disposal protocol %s: %d objects disposed of, %d refused", key, len(gone), len(refused))
    return DisposalResult(
        decision=str(intent["decision"]["id"]),
        dry_run=False,
        objects=protocol["objects"],
        items=protocol["items"],
        refused=refused,
        protocol_key=key,
    )


def _put_protocol(store: ObjectStore, key: str, protocol: Mapping[str, Any], signer: Signer | None) -> None:
    """Store the completed protocol, signed: the one place a gallringsprotokoll is written."""
    disposals.write_document(store, key, protocol, signer)


def _items(objects: Sequence[Mapping[str, Any]]) -> int:
    _, digests = disposals.item_counts(objects)
    return sum(len(d) for d in digests.values())


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
