"""Run manifests: the last object a run writes, listing every object it wrote.

A run without a manifest is known to be incomplete (the process died mid-night); the next run
of the account writes the missing manifest (status ``interrupted``) so every stored object is
accounted for by exactly one manifest. Manifests carry each object's size and SHA-256, the
basis of the archivist's fixity checks.

A manifest is signed (and timestamped) through :func:`archive_lib.evidence.put_signed` when the
night has a signer: it then also says which key signed it (``signing_key_id``) and when
(``signed_at``), and its signature covers every object it lists.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from archive_lib import PRODUCT, __version__, layout
from archive_lib.errors import ObjectExistsError
from archive_lib.evidence.signing import Signer, put_signed
from archive_lib.models import Account, RunCounts
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore, StoredObject

MANIFEST_VERSION = 1


def kind_of(key: str) -> str:
    """The ``kind`` tag of an object from its key."""
    if key.startswith(f"{layout.WARC}/"):
        return "warc"
    if key.startswith(f"{layout.ITEMS}/"):
        return "items"
    if key.startswith(f"{layout.RUNS}/"):
        return "runs"
    if key.startswith(f"{layout.MANIFESTS}/"):
        return "manifest"
    if key.startswith(f"{layout.LEASES}/"):
        return "lease"
    if key.startswith(f"{layout.PUSH_DELIVERIES}/"):
        return "delivery"
    return "other"


def object_tags(account: Account, kind: str) -> dict[str, str]:
    """The tags every stored object of ``account`` carries (the store adds ``retention-class``)."""
    return {"account": account.id, "platform": account.platform, "kind": kind}


def build_manifest(
    *,
    run_id: str,
    account: Account,
    run_date: dt.date,
    status: str,
    error: str | None,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    counts: RunCounts,
    http_requests: int,
    objects: Iterable[StoredObject],
    retention: ObjectRetention,
    completed_by: str | None = None,
    warnings: Iterable[str] = (),
    kind: str = "nightly",
) -> dict[str, Any]:
    return {
        "manifest_version": MANIFEST_VERSION,
        "run_id": run_id,
        "account_id": account.id,
        "platform": account.platform,
        "board": account.board,
        "run_date": run_date.isoformat(),
        "kind": kind,
        "status": status,
        "error": error,
        "warnings": list(warnings),
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "software": f"{PRODUCT}/{__version__}",
        "retention_class": retention.retention_class,
        "retain_until": retention.retain_until.isoformat() if retention.retain_until else None,
        "counts": asdict(counts),
        "http_requests": http_requests,
        "completed_by": completed_by,
        "objects": [
            {"key": o.key, "kind": kind_of(o.key), "size": o.size, "sha256": o.sha256}
            for o in sorted(objects, key=lambda o: o.key)
        ],
    }


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode() + b"\n"


def write_manifest(
    store: ObjectStore,
    manifest: Mapping[str, Any],
    account: Account,
    retention: ObjectRetention,
    signer: Signer | None = None,
) -> StoredObject | None:
    """Store ``manifest``, signed by ``signer`` when given; ``None`` if another process already wrote it."""
    key = layout.manifest_key(dt.date.fromisoformat(manifest["run_date"]), manifest["run_id"])
    tags = object_tags(account, "manifest")
    if signer is None:
        return put_once(store, key, manifest_bytes(manifest), retention=retention, tags=tags)
    try:
        return put_signed(store, key, manifest, retention=retention, tags=tags, signer=signer)
    except ObjectExistsError:
        return None


def read_manifest(store: ObjectStore, key: str) -> dict[str, Any]:
    with store.open(key) as handle:
        data: dict[str, Any] = json.loads(handle.read())
    return data


def manifests_of(store: ObjectStore, account_id: str, run_date: dt.date) -> list[dict[str, Any]]:
    """The manifests of ``account_id``'s runs for the night of ``run_date``."""
    prefix = f"{layout.manifest_prefix(run_date)}{account_id}_"
    return [read_manifest(store, key) for key in store.list(prefix) if key.endswith(".json")]


def completed_run(store: ObjectStore, account_id: str, run_date: dt.date) -> dict[str, Any] | None:
    """The manifest of a successful nightly run of this account and night, if there is one (hot
    passes between nights do not count: the night's completeness pass is still to run)."""
    for manifest in manifests_of(store, account_id, run_date):
        if manifest.get("status") == "ok" and (manifest.get("kind") or "nightly") == "nightly":
            return manifest
    return None


def put_once(
    store: ObjectStore, key: str, data: bytes, *, retention: ObjectRetention, tags: Mapping[str, str]
) -> StoredObject | None:
    """Put ``data`` unless another process already wrote this key; ``None`` in that case."""
    try:
        return store.put(key, data, retention=retention, tags=tags)
    except ObjectExistsError:
        return None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
