"""The object store: one interface, no delete outside disposal.

Everything the archive keeps (WARC files, Parquet metadata, manifests) is written through an
:class:`ObjectStore`. Objects are written once and never replaced; the interface has no delete
or overwrite operation on purpose. The one way an object ever leaves the store is a disposal by
decision (*gallring*, :mod:`archive_lib.lifecycle.dispose`), through the optional
:class:`DisposingStore` capability below, which only acts with a :class:`DisposalWarrant` read
from a disposal intent already stored, and which every store lets its own protection overrule.

To add a store, implement the protocol below in a module of its own and register its URL scheme
in :func:`archive_lib.storage.open_store`. The contract every implementation keeps:

* ``put`` is create-only and atomic: readers see the whole object or nothing. When the key is
  already taken by an object with the same SHA-256 the call succeeds and returns that object's
  description (so a retried write is harmless); when it is taken by different bytes it raises
  :class:`~archive_lib.errors.ObjectExistsError` and changes nothing.
* ``put`` stores the object's retention (retention class and retain-until date, or permanent)
  and its tags with it, and verifies the SHA-256 of what was stored.
* Keys are relative to the store URL, use ``/`` as separator, and never start with ``/``.
* ``list`` yields keys in lexicographic (byte) order, so ``start_after`` can skip old partitions
  without reading them.
* Keys and tags follow :func:`check_key` and :func:`check_tags`, the same rules in every store,
  so that objects can move between stores.

Beyond the protocol, a store may have optional capabilities, each a small protocol of its own
that callers discover with ``isinstance`` on the protocol, never on a store's class:

* :class:`ProtectedStore`: it says how it protects its objects (:class:`Protection`), so that
  the audit knows what :meth:`ObjectStore.stat` must report for an object still protected;
* :class:`VersionedStore`: it keeps every version written under a key, so that the audit can
  find bytes put over an archived object;
* :class:`DisposingStore`: it can dispose of an object for good, the only delete in the product,
  guarded as described there;
* :class:`LegalHoldStore`: it can set and lift a legal hold on an object (S3 Object Lock).

A store without a capability is still audited, for what every store reports (size, SHA-256,
tags); to add one, give the store the protocol's member.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol, runtime_checkable

from archive_lib.errors import ObjectProtectedError, StoreError
from archive_lib.retention_classes import ObjectRetention


@dataclass(frozen=True)
class StoredObject:
    """What the store holds under one key."""

    key: str
    size: int
    sha256: str  # lowercase hex
    retention: ObjectRetention | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    locked_until: dt.datetime | None = None  # S3: the Object Lock retain-until date actually set
    lock_mode: str | None = None  # S3: COMPLIANCE / GOVERNANCE; file store: "read-only"
    legal_hold: bool = False


@runtime_checkable
class ObjectStore(Protocol):
    """Create-only object storage. See the module docstring for the contract."""

    url: str

    def put(
        self,
        key: str,
        data: bytes | BinaryIO,
        *,
        retention: ObjectRetention,
        tags: Mapping[str, str],
    ) -> StoredObject:
        """Store ``data`` (bytes or a seekable binary file positioned at 0) under ``key`` once."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable binary stream of the whole object; the caller closes it."""
        ...

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the object starting at ``offset``."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str = "", start_after: str | None = None) -> Iterator[str]:
        """Keys under ``prefix`` in byte order, strictly after ``start_after`` when given."""
        ...

    def stat(self, key: str) -> StoredObject:
        """Size, SHA-256, retention, lock and tags of one object."""
        ...


# -- optional capabilities ----------------------------------------------------------------------


class Protection(enum.Enum):
    """How a store keeps its objects from being changed, and so what :meth:`ObjectStore.stat`
    reports for an object that is still protected."""

    OBJECT_LOCK = "object-lock"
    """S3 Object Lock: ``lock_mode`` COMPLIANCE until ``locked_until`` (the retain-until date of
    the retention class; :data:`MIN_LOCK` past the write when that date had already passed), a
    ``legal_hold`` for a permanent class, and the retention class from the object's tag."""

    READ_ONLY_FILES = "read-only-files"
    """Files without write permission (``lock_mode`` "read-only") beside a sidecar that holds
    their SHA-256, retention and tags (``retention`` is None when the sidecar is missing)."""


#: The shortest Object Lock an object is written with: an object whose retain-until date has
#: passed when it is written (a late capture of an old night) is locked this long instead.
MIN_LOCK = dt.timedelta(days=1)


@runtime_checkable
class ProtectedStore(Protocol):
    """Optional capability: the store protects every object it holds in one known way."""

    @property
    def protection(self) -> Protection:
        """How this store protects its objects."""
        ...


@runtime_checkable
class VersionedStore(Protocol):
    """Optional capability: the store keeps every version written under a key."""

    def version_counts(self, prefix: str = "") -> dict[str, int]:
        """How many versions each key under ``prefix`` has (delete markers not counted).

        The archive writes every key once, so a key with more than one version had bytes put
        over it from outside the archive.
        """
        ...


#: Where disposal intents and protocols live (see :mod:`archive_lib.metadata.disposals`).
DISPOSALS = "disposals"
#: Objects no disposal may ever touch: the protocols themselves and the event log.
NEVER_DISPOSED = (f"{DISPOSALS}/", "events/")
_INTENT = re.compile(rf"^{DISPOSALS}/\d{{4}}/\d{{2}}/\d{{2}}/[a-z0-9-]+\.intent\.json$")
#: The largest disposal intent read (about a million objects with their hashes).
MAX_INTENT = 512 * 1024 * 1024


@dataclass(frozen=True)
class DisposalWarrant:
    """The authority to dispose of the objects one stored disposal intent lists.

    Made only by :func:`read_warrant` from an intent already in the store, so a delete can only
    follow a durably stated intent: what was meant to go is on record before anything goes.
    """

    intent_key: str
    intent_sha256: str
    decision: str
    keys: frozenset[str]


def read_warrant(store: ObjectStore, intent_key: str) -> DisposalWarrant:
    """The warrant of the disposal intent stored at ``intent_key``.

    StoreError when the key is not an intent's, or the intent names no decision or no objects.
    """
    if not _INTENT.match(intent_key):
        raise StoreError(f"{intent_key!r} is not a disposal intent's key")
    with store.open(intent_key) as handle:
        data = handle.read(MAX_INTENT + 1)
    if len(data) > MAX_INTENT:
        raise StoreError(f"{intent_key}: a disposal intent larger than {MAX_INTENT} bytes")
    try:
        intent = json.loads(data)
        decision = intent["decision"]["id"]
        keys = frozenset(str(o["key"]) for o in intent["objects"])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"{intent_key}: not a disposal intent ({exc})") from exc
    if not isinstance(decision, str) or not decision:
        raise StoreError(f"{intent_key}: a disposal intent must name its decision")
    return DisposalWarrant(intent_key, hashlib.sha256(data).hexdigest(), decision, keys)


def check_warrant(store: ObjectStore, key: str, warrant: DisposalWarrant) -> None:
    """Refuse (ObjectProtectedError) to dispose of ``key`` unless ``warrant`` covers it.

    Every :class:`DisposingStore` calls this before it deletes anything: the key must be listed
    by the intent, the intent must still be in this store with the bytes the warrant was read
    from, and the key must not be a protocol or an event.
    """
    check_key(key)
    if key.startswith(NEVER_DISPOSED):
        raise ObjectProtectedError(f"{key}: disposal protocols and events are kept permanently")
    if key not in warrant.keys:
        raise ObjectProtectedError(f"{key}: not listed by the disposal intent {warrant.intent_key}")
    try:
        stored = store.stat(warrant.intent_key).sha256
    except StoreError as exc:
        raise ObjectProtectedError(f"{key}: the disposal intent cannot be read back: {exc}") from exc
    if stored != warrant.intent_sha256:
        raise ObjectProtectedError(f"{key}: the disposal intent {warrant.intent_key} is not the one read")


@runtime_checkable
class DisposingStore(Protocol):
    """Optional capability: the store can dispose of an object for good (*gallring*).

    This is the only delete in the product, and it is guarded three times: the caller must hold a
    :class:`DisposalWarrant` (an intent stored first, listing the key, see :func:`check_warrant`);
    the lifecycle plans only objects whose class names the decision, whose retain-until date has
    passed and that no legal hold covers; and the store's own protection stays authoritative (an
    S3 Object Lock or legal hold refuses, the file store refuses a permanent object or one whose
    retain-until date has not come). A refusal raises :class:`~archive_lib.errors.ObjectProtectedError`
    and deletes nothing.
    """

    def dispose(self, key: str, warrant: DisposalWarrant) -> bool:
        """Remove ``key`` (every version of it) for good; False when it was already gone."""
        ...


@runtime_checkable
class LegalHoldStore(Protocol):
    """Optional capability: the store can put a legal hold on an object and lift it again."""

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Turn the legal hold of ``key`` on or off (every version the archive wrote)."""
        ...


# -- rules every store applies ---------------------------------------------------------------

CHUNK_SIZE = 1024 * 1024
_TAG_PUNCTUATION = frozenset(" +-=._:/@")
_MAX_TAG_KEY = 128
_MAX_TAG_VALUE = 256
MAX_TAGS = 10
RETENTION_TAG = "retention-class"


def check_key(key: str) -> str:
    """Return ``key`` if it is a valid object key, else raise ValueError.

    A key is relative, ``/``-separated, without empty, ``.`` or ``..`` segments, backslashes or
    control characters. Segments may not start with ``.``: the file store keeps its temporary
    files under such names.
    """
    if not isinstance(key, str) or not key:
        raise ValueError(f"object key must be a non-empty string, got {key!r}")
    if key.startswith("/"):
        raise ValueError(f"object key must be relative, got {key!r}")
    if "\\" in key or any(ord(c) < 0x20 or c == "\x7f" for c in key):
        raise ValueError(f"object key contains a backslash or control character: {key!r}")
    for segment in key.split("/"):
        if segment in ("", ".", ".."):
            raise ValueError(f"object key has an empty, '.' or '..' segment: {key!r}")
        if segment.startswith("."):
            raise ValueError(f"object key segment starts with '.': {key!r}")
    return key


def check_tags(tags: Mapping[str, str], retention_class: str) -> dict[str, str]:
    """Return the caller's ``tags`` as a dict if they are valid S3 tags, else raise ValueError.

    S3 allows letters, digits, spaces and ``+ - = . _ : / @``; names up to 128 characters,
    values up to 256, ten tags per object, one of which the store fills with the retention class
    (:data:`RETENTION_TAG`, so callers may not set it). The file store applies the same rule so
    that objects can move to S3 with their tags.
    """
    if RETENTION_TAG in tags:
        raise ValueError(f"tag {RETENTION_TAG!r} is set by the store from the retention")
    if len(tags) >= MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS - 1} tags besides {RETENTION_TAG!r}, got {len(tags)}")
    checked: dict[str, str] = {}
    for name, value in {**tags, RETENTION_TAG: retention_class}.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError(f"tag names and values must be strings: {name!r}={value!r}")
        if not name or len(name) > _MAX_TAG_KEY or name.lower().startswith("aws:"):
            raise ValueError(f"invalid tag name {name!r}")
        if len(value) > _MAX_TAG_VALUE:
            raise ValueError(f"tag {name!r}: value longer than {_MAX_TAG_VALUE} characters")
        for text in (name, value):
            bad = [c for c in text if not (c.isalnum() or c in _TAG_PUNCTUATION)]
            if bad:
                raise ValueError(f"tag {name!r}: character {bad[0]!r} is not allowed in S3 tags")
        checked[name] = value
    del checked[RETENTION_TAG]
    return checked


def iter_chunks(data: bytes | BinaryIO) -> Iterator[bytes]:
    """The bytes of ``data`` in chunks of at most :data:`CHUNK_SIZE`."""
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for start in range(0, len(view), CHUNK_SIZE):
            yield bytes(view[start : start + CHUNK_SIZE])
        return
    while chunk := data.read(CHUNK_SIZE):
        yield chunk


def check_range(offset: int, length: int) -> None:
    """Raise ValueError unless ``offset`` and ``length`` of a :meth:`ObjectStore.read_range` are >= 0."""
    if offset < 0 or length < 0:
        raise ValueError(f"offset and length must be >= 0, got {offset}, {length}")
