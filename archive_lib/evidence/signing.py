"""Writing a signed document: the one door every signed object of the archive goes through.

:func:`put_signed` stores a document and its evidence beside it, in this order:

1. ``keys/{key_id}.pem`` and ``keys/{key_id}.json``, when the key is new to the store (so a
   signature is never stored before the key that checks it);
2. ``{document}``, the exact bytes that are signed. A JSON document (a mapping) gets two fields
   first: ``signing_key_id`` (which key under ``keys/`` checks it) and ``signed_at`` (the
   signer's clock, UTC), which the timestamp is compared with;
3. ``{document}.sig``: the raw 64-byte Ed25519 signature over exactly those bytes;
4. ``{document}.tsr``: when TSAs are configured, the DER ``TimeStampResp`` whose message imprint
   is the SHA-256 of the ``.sig`` file. A TSA that is down leaves the document signed but not
   timestamped; :func:`timestamp_missing` (run by the next night) adds it.

Every piece is create-only, with the document's retention and tags. Without a signing key the
document is stored unsigned (and the audit reports it).

Usage (a disposal protocol, a delivery record, any new kind of signed record)::

    signer = signer_from_settings(settings)          # archive_lib.evidence.config; None: unsigned
    put_signed(store, "disposals/2026/12/03/x.json", {"what": ...},
               retention=EXPORT_LOG, tags={"kind": "disposal"}, signer=signer)

A document that lists other objects covers them when it has a top-level ``"objects"`` list of
``{"key", "size", "sha256"}`` entries, as run manifests do (see :mod:`archive_lib.evidence.check`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from archive_lib.errors import ObjectExistsError, ObjectNotFoundError
from archive_lib.evidence.keys import SigningKey, publish_key
from archive_lib.evidence.timestamps import TsaClient
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore, StoredObject

log = logging.getLogger(__name__)

SIG = ".sig"
TSR = ".tsr"
#: The fields :func:`put_signed` adds to a JSON document.
KEY_ID_FIELD = "signing_key_id"
SIGNED_AT_FIELD = "signed_at"
#: How many signatures :func:`timestamp_missing` asks a TSA for in one call at most.
MAX_RETRIES_PER_CALL = 1000


def document_of(key: str) -> str | None:
    """The document a ``.sig`` or ``.tsr`` key belongs to; None for any other key."""
    for suffix in (SIG, TSR):
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Signer:
    """What signs: the key, the TSAs (optional) and the clock of ``signed_at``."""

    key: SigningKey
    tsa: TsaClient | None = None
    now: Callable[[], dt.datetime] = _utc_now

    @property
    def key_id(self) -> str:
        return self.key.key_id


def json_document(document: Mapping[str, Any]) -> bytes:
    """The archive's JSON form of a document (UTF-8, indented, one final newline)."""
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode() + b"\n"


def put_signed(
    store: ObjectStore,
    key: str,
    data: Mapping[str, Any] | bytes,
    *,
    retention: ObjectRetention,
    tags: Mapping[str, str],
    signer: Signer | None,
) -> StoredObject:
    """Store ``data`` under ``key``, signed (and timestamped) by ``signer``; see the module docstring.

    ``data`` is a mapping (stored as JSON, with ``signing_key_id`` and ``signed_at`` added when
    signed) or bytes (stored as given; the caller writes the key id into them if it wants it
    there). ``signer`` None stores the document unsigned. Raises what ``store.put`` raises, such as
    :class:`~archive_lib.errors.ObjectExistsError` when the key holds other bytes; a TSA that fails
    never raises.
    """
    if signer is not None:
        publish_key(store, signer.key, signer.now())
    if isinstance(data, bytes):
        body = data
    else:
        document = dict(data)
        if signer is not None:
            document[KEY_ID_FIELD] = signer.key_id
            document[SIGNED_AT_FIELD] = signer.now().astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        body = json_document(document)
    stored = store.put(key, body, retention=retention, tags=tags)
    if signer is None:
        return stored
    signature = signer.key.sign(body)
    store.put(key + SIG, signature, retention=retention, tags=tags)
    if signer.tsa is not None:
        _put_timestamp(store, key, signature, signer.tsa, retention, tags)
    return stored


def _put_timestamp(
    store: ObjectStore,
    key: str,
    signature: bytes,
    tsa: TsaClient,
    retention: ObjectRetention,
    tags: Mapping[str, str],
) -> bool:
    token = tsa.timestamp(signature)
    if token is None:
        log.warning("%s is signed but not timestamped; the next run asks again", key, extra={"key": key})
        return False
    try:
        store.put(key + TSR, token, retention=retention, tags=tags)
    except ObjectExistsError:
        return True  # another process timestamped it first: one timestamp is enough
    return True


def timestamp_missing(store: ObjectStore, prefixes: Iterable[str], tsa: TsaClient) -> list[str]:
    """Timestamp every signed document under ``prefixes`` that has no ``.tsr`` yet; the keys done.

    A ``.tsr`` is written only where none exists (the store is write-once), with the document's
    own retention and tags. Stops asking after the first refusal (the TSAs are down), and after
    :data:`MAX_RETRIES_PER_CALL` documents.
    """
    done: list[str] = []
    for doc in _untimestamped(store, prefixes):
        if len(done) >= MAX_RETRIES_PER_CALL:
            break
        try:
            with store.open(doc + SIG) as handle:
                signature = handle.read(65)
            stat = store.stat(doc)
        except ObjectNotFoundError:
            continue
        retention = stat.retention or ObjectRetention("unknown", None)
        if not _put_timestamp(store, doc, signature, tsa, retention, dict(stat.tags)):
            break
        done.append(doc)
        log.info("timestamped %s late (its first try failed)", doc, extra={"key": doc})
    return done


def _untimestamped(store: ObjectStore, prefixes: Iterable[str]) -> list[str]:
    found: list[str] = []
    for prefix in prefixes:
        keys = set(store.list(prefix))
        found.extend(
            k.removesuffix(SIG)
            for k in sorted(keys)
            if k.endswith(SIG) and k.removesuffix(SIG) + TSR not in keys and k.removesuffix(SIG) in keys
        )
    return found
