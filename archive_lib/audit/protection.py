"""Does a stored object still carry the protection the archive gave it?

The store says how it protects its objects (:class:`~archive_lib.storage.base.ProtectedStore`):

* Object Lock (S3): Object Lock mode ``COMPLIANCE``, the retain-until date of its class (for a
  permanent class the legal hold), read with ``HeadObject``; the tags, read with
  ``GetObjectTagging``.
* Read-only files (the file store): the file is read-only, and its sidecar agrees with the
  manifest (SHA-256, class, retain-until, tags).

Every object's tags must be the ones the archive wrote, in any store, including one that does
not say how it protects its objects.
"""

from __future__ import annotations

import datetime as dt

from archive_lib.audit.catalogue import Expected
from archive_lib.clock import run_started
from archive_lib.storage.base import MIN_LOCK, ObjectStore, ProtectedStore, Protection, StoredObject

Finding = tuple[str, str]  # (problem kind, detail)


def protection_findings(store: ObjectStore, exp: Expected, stored: StoredObject) -> list[Finding]:
    """What is wrong with the protection of one object (nothing: an empty list)."""
    found: list[Finding] = []
    protection = store.protection if isinstance(store, ProtectedStore) else None
    if protection is Protection.OBJECT_LOCK:
        _object_lock(exp, stored, found)
    elif protection is Protection.READ_ONLY_FILES:
        _read_only_file(exp, stored, found)
    for name, value in exp.tags.items():
        if value and stored.tags.get(name) != value:
            found.append(
                ("tags_mismatch", f"tag {name} is {stored.tags.get(name)!r}, the archive wrote {value!r}")
            )
            break
    return found


def _read_only_file(exp: Expected, stored: StoredObject, found: list[Finding]) -> None:
    if stored.lock_mode != "read-only":
        found.append(("object_writable", "the file has write permission (it must be 0444)"))
    if stored.retention is None:
        found.append(("sidecar_mismatch", "the file has no sidecar (retention and tags unknown)"))
        return
    if exp.sha256 and stored.sha256 != exp.sha256:
        found.append(
            ("sidecar_mismatch", f"the sidecar says SHA-256 {stored.sha256}, the manifest {exp.sha256}")
        )
    _retention(exp, stored.retention.retention_class, stored.retention.retain_until, found)


def _object_lock(exp: Expected, stored: StoredObject, found: list[Finding]) -> None:
    if stored.lock_mode is None:
        found.append(("object_not_locked", "the object has no Object Lock (no retention at all)"))
        return
    if stored.lock_mode != "COMPLIANCE":
        found.append(("lock_mode_mismatch", f"Object Lock mode is {stored.lock_mode}, not COMPLIANCE"))
    if exp.retention_class is None:
        return
    until = None
    if exp.retain_until is None:
        if not stored.legal_hold:
            found.append(("legal_hold_missing", f"class {exp.retention_class} is permanent"))
    elif stored.locked_until is not None:
        until = stored.locked_until.date()
        if _locked_late(exp, until):
            until = exp.retain_until
    retention_class = stored.retention.retention_class if stored.retention else None
    _retention(exp, retention_class, until, found)


def _locked_late(exp: Expected, until: dt.date) -> bool:
    """Whether ``until`` is the day's lock the store gives an object whose retention had already
    ended when its run wrote it (a late capture of an old night; see ``MIN_LOCK``)."""
    started = run_started(exp.unit)
    if started is None or exp.retain_until is None:
        return False
    first = (started + MIN_LOCK).date()
    return exp.retain_until < first <= until <= first + dt.timedelta(days=1)


def _retention(
    exp: Expected, retention_class: str | None, until: dt.date | None, found: list[Finding]
) -> None:
    if exp.retention_class is None:
        return
    if retention_class != exp.retention_class or until != exp.retain_until:
        found.append(
            (
                "retention_mismatch",
                f"the store holds class {retention_class!r} until {until or 'permanent'}, the archive "
                f"wrote {exp.retention_class!r} until {exp.retain_until or 'permanent'}",
            )
        )
