"""Retention: what each retention class holds, and what may now be culled (*gallras*).

Counted from the manifests (every object a run wrote, the manifest itself and its signature and
timestamp carry the run's class and retain-until date). An object whose retain-until date has
come is a *candidate* for gallring under its class's decision (*gallringsbeslut*): it is listed,
never deleted here. Culling is a decision of the board, carried out by ``archivectl dispose``
(:mod:`archive_lib.lifecycle.dispose`); objects already disposed of are no longer counted here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from archive_lib.audit.holdings import Holdings
from archive_lib.evidence.signing import SIG, TSR
from archive_lib.models import Inventory

MAX_LISTED = 5000  # candidates listed one by one in the report; all are counted


def retention_overview(holdings: Holdings, inventory: Inventory, today: dt.date) -> dict[str, Any]:
    """Objects and bytes per class, and the objects whose retention has run out by ``today``."""
    classes: dict[str, dict[str, Any]] = {}
    candidates: list[dict[str, Any]] = []
    count = 0
    stored = set(holdings.keys)
    for run_id, manifest in sorted(holdings.manifests.items()):
        name = str(manifest.get("retention_class") or "unknown")
        until_text = manifest.get("retain_until")
        until = dt.date.fromisoformat(until_text) if until_text else None
        entry = classes.setdefault(name, _class_entry(name, inventory))
        objects = [(o["key"], int(o.get("size") or 0)) for o in manifest["objects"]]
        manifest_key = holdings.manifest_keys[run_id]
        objects.append((manifest_key, 0))
        # Its signature and timestamp are kept, and culled, with it.
        objects.extend((e, 0) for e in (manifest_key + SIG, manifest_key + TSR) if e in stored)
        for key, size in objects:
            if key in holdings.disposed.objects:
                continue  # disposed of by decision: no longer held (the lifecycle section lists it)
            entry["objects"] += 1
            entry["bytes"] += size
            if until is not None and until <= today:
                entry["expired"] += 1
                count += 1
                if len(candidates) < MAX_LISTED:
                    candidates.append(
                        {
                            "key": key,
                            "retention_class": name,
                            "retain_until": until.isoformat(),
                            "decision": entry["decision"],
                        }
                    )
    return {
        "classes": dict(sorted(classes.items())),
        "candidates": candidates,
        "candidates_total": count,
        "as_of": today.isoformat(),
    }


def _class_entry(name: str, inventory: Inventory) -> dict[str, Any]:
    rule = inventory.retention_classes.get(name)
    return {
        "objects": 0,
        "bytes": 0,
        "expired": 0,
        "permanent": rule.permanent if rule else None,
        "keep_years": rule.keep_years if rule else None,
        "decision": rule.decision if rule else None,
        "in_inventory": rule is not None,
    }
