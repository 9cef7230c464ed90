"""Checking a signed document offline: its signature, its key, its timestamp.

One function, :func:`check_document`, used by ``archivectl verify`` and by the audit. It needs
nothing but the store (the public keys are under ``keys/``) and, for the timestamps' chains, the
TSA's CA bundle. What it finds is a list of :class:`Finding`; the kinds are in :data:`KINDS`.

The time rule: a document's ``signed_at`` is the signer's claim, the timestamp's ``genTime`` an
independent one. A ``genTime`` earlier than ``signed_at`` by more than the tolerance cannot be
(the document would have been timestamped before it was signed): a problem. A ``genTime`` later
than ``signed_at`` by more than the tolerance is a timestamp that was retried on a later run (the
TSA was down): the document is proven to exist from ``genTime`` on; it is listed as a note.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from archive_lib.errors import ObjectNotFoundError
from archive_lib.evidence.keys import KEYS, key_id_of, key_pem_key, load_public_key, signature_holds
from archive_lib.evidence.signing import KEY_ID_FIELD, SIG, SIGNED_AT_FIELD, TSR
from archive_lib.evidence.timestamps import TimestampRefused, TrustAnchors, check_token, decode, gen_time
from archive_lib.language import N_
from archive_lib.storage.base import ObjectStore

#: The default tolerance between ``signed_at`` and the timestamp's ``genTime``.
TOLERANCE = dt.timedelta(minutes=10)
_MAX_KEY_PEM = 64 * 1024
_MAX_TSR = 1024 * 1024

KINDS: dict[str, str] = {
    "unsigned": N_("a document the archive signs has no .sig"),
    "signature_malformed": N_("the .sig is not 64 bytes"),
    "signature_unknown_key": N_("the document names no key, or a key that is not under keys/"),
    "signature_invalid": N_("the signature does not hold for the document's bytes (changed bytes?)"),
    "key_invalid": N_("a file under keys/ is not the Ed25519 public key its name says"),
    "untimestamped": N_("a signature without its RFC 3161 timestamp (.tsr)"),
    "timestamp_invalid": N_("the .tsr is not a granted timestamp of this signature, or does not verify"),
    "timestamp_before_signing": N_("the timestamp's time is before the document says it was signed"),
}


@dataclass(frozen=True)
class Finding:
    kind: str
    key: str
    detail: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "key": self.key, "detail": self.detail}


@dataclass
class KeyRing:
    """The public keys under ``keys/`` of one store, read when first asked for."""

    store: ObjectStore
    _keys: dict[str, Ed25519PublicKey | None] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    _strays: set[str] = field(default_factory=set)

    def get(self, key_id: str) -> Ed25519PublicKey | None:
        if key_id not in self._keys:
            self._keys[key_id] = self._load(key_id)
        return self._keys[key_id]

    def all(self) -> list[Ed25519PublicKey]:
        """Every usable key under ``keys/``; a file there that is no key's is a finding."""
        for key in self.store.list(f"{KEYS}/"):
            name = key[len(KEYS) + 1 :]
            key_id, _, extension = name.partition(".")
            if not (_safe_id(key_id) and extension in ("pem", "json")):
                if key not in self._strays:
                    self._strays.add(key)
                    self.findings.append(Finding("key_invalid", key, "not a key id's .pem or .json"))
            elif extension == "pem":
                self.get(key_id)
        return [k for k in self._keys.values() if k is not None]

    def _load(self, key_id: str) -> Ed25519PublicKey | None:
        name = key_pem_key(key_id) if _safe_id(key_id) else None
        if name is None:
            return None
        try:
            with self.store.open(name) as handle:
                pem = handle.read(_MAX_KEY_PEM)
        except (ObjectNotFoundError, ValueError):
            return None
        public = load_public_key(pem)
        if public is None or key_id_of(public) != key_id:
            self.findings.append(
                Finding("key_invalid", name, "not an Ed25519 public key whose key id is its name")
            )
            return None
        return public


def _safe_id(key_id: str) -> bool:
    return 0 < len(key_id) <= 64 and all(c in "0123456789abcdef" for c in key_id)


@dataclass
class DocumentCheck:
    """What :func:`check_document` found: problems, notes, and the document if it is JSON."""

    problems: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)
    document: dict[str, Any] | None = None
    signed: bool = False  # the signature holds

    @property
    def timestamped(self) -> bool:
        return not any(p.kind in ("untimestamped", "timestamp_invalid") for p in self.problems)


def json_object(data: bytes) -> dict[str, Any] | None:
    """``data`` as a JSON object, None when it is not one."""
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def check_document(
    store: ObjectStore,
    key: str,
    data: bytes,
    keys: KeyRing,
    *,
    anchors: TrustAnchors | None,
    want_timestamp: bool,
    tolerance: dt.timedelta = TOLERANCE,
) -> DocumentCheck:
    """Check the signature and timestamp of the document ``key`` whose bytes are ``data``.

    ``want_timestamp``: a missing ``.tsr`` is a problem. Without ``anchors`` a timestamp is checked
    for its status, imprint and time, not for its chain (a note says so).
    """
    result = DocumentCheck(document=json_object(data))
    signature = _read(store, key + SIG, 65)
    if signature is None:
        result.problems.append(Finding("unsigned", key, f"no {key}{SIG}"))
        return result
    if len(signature) != 64:
        result.problems.append(Finding("signature_malformed", key, f"{len(signature)} bytes, not 64"))
        return result
    claimed = result.document.get(KEY_ID_FIELD) if result.document else None
    if isinstance(claimed, str):
        public = keys.get(claimed)
        if public is None:
            result.problems.append(
                Finding("signature_unknown_key", key, f"signed by key {claimed[:64]!r}, not under {KEYS}/")
            )
            return result
        candidates = [public]
    else:
        candidates = keys.all()
    if not any(signature_holds(k, signature, data) for k in candidates):
        result.problems.append(
            Finding("signature_invalid", key, "the signature does not hold for the stored bytes")
        )
        return result
    result.signed = True
    _check_timestamp(store, key, signature, result, anchors, want_timestamp, tolerance)
    return result


def _check_timestamp(
    store: ObjectStore,
    key: str,
    signature: bytes,
    result: DocumentCheck,
    anchors: TrustAnchors | None,
    want_timestamp: bool,
    tolerance: dt.timedelta,
) -> None:
    token = _read(store, key + TSR, _MAX_TSR)
    if token is None:
        if want_timestamp:
            result.problems.append(Finding("untimestamped", key, f"no {key}{TSR}"))
        return
    try:
        response = decode(token)
        check_token(response, signature, anchors)
    except TimestampRefused as exc:
        result.problems.append(Finding("timestamp_invalid", key, str(exc)))
        return
    if anchors is None:
        result.notes.append(Finding("timestamp_chain_unchecked", key, "no TSA CA bundle given"))
    signed_at = _signed_at(result.document)
    if signed_at is None:
        return
    stamped = gen_time(response)
    if stamped < signed_at - tolerance:
        result.problems.append(
            Finding(
                "timestamp_before_signing",
                key,
                f"timestamped {_iso(stamped)}, but the document says it was signed {_iso(signed_at)}",
            )
        )
    elif stamped > signed_at + tolerance:
        result.notes.append(
            Finding(
                "timestamp_late",
                key,
                f"signed {_iso(signed_at)}, timestamped {_iso(stamped)} (a later run's retry): "
                "proven to exist from the timestamp on",
            )
        )


def _signed_at(document: dict[str, Any] | None) -> dt.datetime | None:
    value = document.get(SIGNED_AT_FIELD) if document else None
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _read(store: ObjectStore, key: str, limit: int) -> bytes | None:
    try:
        with store.open(key) as handle:
            return handle.read(limit)
    except ObjectNotFoundError:
        return None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
