"""Disposal intents and protocols (*gallringsprotokoll*), and what they say has left the store.

Layout, both kept permanently (class ``disposal-protocol``)::

    disposals/{YYYY}/{MM}/{DD}/{protocol_id}.intent.json   stored before anything is deleted
    disposals/{YYYY}/{MM}/{DD}/{protocol_id}.json          stored once the deletes are done

The intent lists every object the disposal will delete (key, size, SHA-256, class, retain-until,
run) and, per items part, the items whose versions it holds (as digests of their ids, never the
ids or texts themselves). The protocol is the intent completed: when, by whom, the objects
disposed of and those the store refused, and the item counts per account and period. An intent
without its protocol is a disposal cut short; the next disposal completes it first.

Every reader that must not show a disposed record asks :class:`DisposalState` (``show``, the
audit); the search index forgets disposed items because their parts are gone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from archive_lib.errors import ObjectNotFoundError, StoreError
from archive_lib.evidence.signing import Signer, put_signed
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import DISPOSALS, MAX_INTENT, ObjectStore

PROTOCOL_VERSION = 1
#: Intents and protocols are kept permanently: they document what the authority disposed of.
PROTOCOL_RETENTION = ObjectRetention("disposal-protocol", None)
_PROTOCOL = re.compile(rf"^{DISPOSALS}/\d{{4}}/\d{{2}}/\d{{2}}/(?P<id>[a-z0-9-]+)\.json$")
_INTENT = re.compile(rf"^{DISPOSALS}/\d{{4}}/\d{{2}}/\d{{2}}/(?P<id>[a-z0-9-]+)\.intent\.json$")


def new_protocol_id(now: dt.datetime) -> str:
    """A new disposal's id: ``gallring-YYYYMMDDtHHMMSSz-`` and eight hex digits."""
    return f"gallring-{now.astimezone(dt.UTC):%Y%m%dt%H%M%Sz}-{secrets.token_hex(4)}"


def protocol_key(made_at: dt.datetime, protocol_id: str) -> str:
    """Where the protocol of ``protocol_id`` lives, under the (UTC) day the disposal began."""
    return f"{DISPOSALS}/{made_at.astimezone(dt.UTC):%Y/%m/%d}/{protocol_id}.json"


def intent_key_of(key: str) -> str:
    """The intent's key beside the protocol at ``key``."""
    return key[: -len(".json")] + ".intent.json"


def protocol_key_of(intent_key: str) -> str:
    """The protocol's key beside the intent at ``intent_key``."""
    return intent_key[: -len(".intent.json")] + ".json"


def is_disposal_key(key: str) -> bool:
    """Whether ``key`` is a disposal intent or protocol."""
    return bool(_PROTOCOL.match(key) or _INTENT.match(key))


def item_digest(item_id: str) -> str:
    """The digest a protocol keeps of a disposed item's id (the id itself is not kept)."""
    return hashlib.sha256(item_id.encode()).hexdigest()[:32]


def write_document(
    store: ObjectStore, key: str, document: Mapping[str, Any], signer: Signer | None = None
) -> None:
    """Store an intent or a protocol once, signed (and timestamped) by ``signer`` when there is one
    (:func:`archive_lib.evidence.signing.put_signed`); unsigned, a repeat of the same bytes is harmless."""
    if signer is not None:
        put_signed(
            store, key, document, retention=PROTOCOL_RETENTION, tags={"kind": "disposal"}, signer=signer
        )
        return
    data = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode() + b"\n"
    store.put(key, data, retention=PROTOCOL_RETENTION, tags={"kind": "disposal"})


def read_document(store: ObjectStore, key: str) -> dict[str, Any]:
    """An intent or a protocol; StoreError when it is not a JSON object."""
    with store.open(key) as handle:
        data = handle.read(MAX_INTENT + 1)
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise StoreError(f"{key}: not a disposal document ({exc})") from exc
    if not isinstance(document, dict) or not isinstance(document.get("objects"), list):
        raise StoreError(f"{key}: not a disposal document (no list of objects)")
    return document


def disposal_keys(store: ObjectStore) -> tuple[list[str], list[str]]:
    """The keys of every protocol and of every intent in the store."""
    protocols, intents = [], []
    for key in store.list(f"{DISPOSALS}/"):
        if _PROTOCOL.match(key):
            protocols.append(key)
        elif _INTENT.match(key):
            intents.append(key)
    return protocols, intents


def pending_intents(store: ObjectStore) -> list[str]:
    """The intents whose protocol was never written: disposals cut short, oldest first."""
    protocols, intents = disposal_keys(store)
    done = set(protocols)
    return [key for key in intents if protocol_key_of(key) not in done]


@dataclass(frozen=True)
class Disposed:
    """Why something is gone: the decision, and the protocol (or, while cut short, the intent)."""

    decision: str
    document_key: str
    complete: bool

    def describe(self) -> str:
        how = "" if self.complete else " (the disposal was cut short; the next one completes it)"
        return f"disposed of by decision {self.decision}, protocol {self.document_key}{how}"


@dataclass
class DisposalState:
    """Everything the store's disposal documents say is gone."""

    objects: dict[str, Disposed] = field(default_factory=dict)  # key -> why
    items: dict[tuple[str, str], Disposed] = field(default_factory=dict)  # (account, digest) -> why
    protocols: list[dict[str, Any]] = field(default_factory=list)  # a summary of each
    pending: list[str] = field(default_factory=list)  # intents without their protocol
    unreadable: dict[str, str] = field(default_factory=dict)  # key -> why

    def item(self, item_id: str, account_id: str | None = None) -> list[tuple[str, Disposed]]:
        """The accounts (with why) whose item ``item_id`` was disposed of."""
        digest = item_digest(item_id)
        return [
            (account, why)
            for (account, d), why in self.items.items()
            if d == digest and (account_id is None or account == account_id)
        ]


def disposal_state(store: ObjectStore) -> DisposalState:
    """Read every disposal document of the store (protocols, and intents never completed)."""
    state = DisposalState()
    protocols, intents = disposal_keys(store)
    done = set(protocols)
    for key in [*protocols, *(k for k in intents if protocol_key_of(k) not in done)]:
        complete = key in done
        try:
            document = read_document(store, key)
        except (StoreError, ObjectNotFoundError) as exc:
            state.unreadable[key] = str(exc)
            continue
        decision = str((document.get("decision") or {}).get("id") or "")
        why = Disposed(decision, key, complete)
        _record(state, document, why)
        if complete:
            state.protocols.append(summary(key, document))
        else:
            state.pending.append(key)
    return state


def _record(state: DisposalState, document: Mapping[str, Any], why: Disposed) -> None:
    for obj in document["objects"]:
        state.objects[str(obj["key"])] = why
        for digest in obj.get("item_digests") or ():
            state.items[(str(obj.get("account_id")), str(digest))] = why
    for account, digests in (document.get("item_digests") or {}).items():
        for digest in digests:
            state.items[(str(account), str(digest))] = why


def summary(key: str, document: Mapping[str, Any]) -> dict[str, Any]:
    """A protocol in a few fields, for the audit and listings."""
    return {
        "protocol_key": key,
        "decision": (document.get("decision") or {}).get("id"),
        "run_by": document.get("run_by"),
        "started_at": document.get("started_at"),
        "completed_at": document.get("completed_at"),
        "objects": len(document["objects"]),
        "bytes": sum(int(o.get("size") or 0) for o in document["objects"]),
        "items": document.get("items"),
        "refused": len(document.get("refused") or ()),
    }


def item_counts(objects: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Items and versions per account and period (the month of the night captured), and the
    item digests per account, of the items parts among ``objects``."""
    items: dict[tuple[str, str], set[str]] = {}
    versions: dict[tuple[str, str], int] = {}
    digests: dict[str, set[str]] = {}
    for obj in objects:
        if obj.get("kind") != "items":
            continue
        account, period = str(obj.get("account_id")), str(obj.get("night", ""))[:7]
        items.setdefault((account, period), set()).update(obj.get("item_digests") or ())
        versions[(account, period)] = versions.get((account, period), 0) + int(obj.get("versions") or 0)
        digests.setdefault(account, set()).update(obj.get("item_digests") or ())
    counts = [
        {
            "account_id": account,
            "period": period,
            "items": len(found),
            "versions": versions[(account, period)],
        }
        for (account, period), found in sorted(items.items())
    ]
    return counts, {account: sorted(found) for account, found in sorted(digests.items())}
