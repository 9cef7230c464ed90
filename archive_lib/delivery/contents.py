"""What the store holds of one account in a period of nights, as a SIP delivers it.

Every object of the account whose night (``run_date``) falls in the period: its WARC files, its
items parts, its runs rows and its run manifests, with the manifests' signatures
(``{manifest}.sig``) and RFC 3161 timestamp tokens (``{manifest}.tsr``) where the store holds
them, and the archive's public keys (``keys/{key_id}.pem``). Found by listing key names alone
(:mod:`archive_lib.layout`); the manifests say what SHA-256 each object must have.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from archive_lib import layout
from archive_lib.clock import run_id_account
from archive_lib.errors import ArchiveError, StoreError
from archive_lib.metadata.parts import account_parts
from archive_lib.metadata.parts import read_rows as read_parquet_rows
from archive_lib.models import Account
from archive_lib.storage.base import ObjectStore

KEYS = "keys"
SIGNATURE = ".sig"
TIMESTAMP = ".tsr"
#: The names the archive gives its objects: a run id, a sequence number, a suffix. Anything else
#: under an account's prefixes was not written by the archive and is refused.
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]{0,200}$")


@dataclass
class Manifest:
    """One run's manifest, with the evidence stored beside it."""

    key: str
    run_id: str
    night: dt.date
    document: dict[str, Any]
    signature: str | None = None  # the key of its .sig, if stored
    timestamp: str | None = None  # the key of its .tsr, if stored

    def expected_sha256(self) -> dict[str, str]:
        return {str(o["key"]): str(o["sha256"]) for o in self.document.get("objects") or ()}


@dataclass
class AccountContents:
    """Every object of one account and period that a SIP delivers."""

    account: Account
    since: dt.date
    until: dt.date
    warc: list[str] = field(default_factory=list)
    items: list[layout.ItemsPart] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    manifests: list[Manifest] = field(default_factory=list)
    public_keys: list[str] = field(default_factory=list)
    runs_rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.warc or self.items or self.runs or self.manifests)

    def expected_sha256(self) -> dict[str, str]:
        """Every object's SHA-256 as its run's manifest records it."""
        expected: dict[str, str] = {}
        for manifest in self.manifests:
            expected.update(manifest.expected_sha256())
        return expected

    def nights(self) -> list[dt.date]:
        found = {m.night for m in self.manifests} | {p.run_date for p in self.items}
        found |= {d for d in (_night_of_warc(k) for k in self.warc) if d is not None}
        return sorted(found)


def account_contents(store: ObjectStore, account: Account, since: dt.date, until: dt.date) -> AccountContents:
    """What the store holds of ``account`` for the nights ``since`` to ``until``."""
    contents = AccountContents(account, since, until)
    prefix = f"{layout.WARC}/{account.platform}/{account.id}/"
    for key in _listed(store, prefix, f"{prefix}{since:%Y/%m/%d}/", f"{prefix}{until:%Y/%m/%d}/"):
        if key.endswith(".warc.gz"):
            contents.warc.append(_checked(key))
    contents.items = [p for p in account_parts(store, account.id) if since <= p.run_date <= until]
    for part in contents.items:
        _checked(part.key)
    runs_start = layout.runs_prefix(since)
    for key in _listed(store, f"{layout.RUNS}/", runs_start, layout.runs_prefix(until)):
        run_id = layout.run_id_of(key)
        if run_id is not None and run_id_account(run_id) == account.id and key.endswith(".parquet"):
            contents.runs.append(_checked(key))
    contents.manifests = _manifests(store, account.id, since, until)
    contents.public_keys = [k for k in store.list(f"{KEYS}/") if k.endswith(".pem")]
    for key in contents.runs:
        try:
            contents.runs_rows.extend(read_parquet_rows(store, key))
        except (StoreError, OSError, ValueError) as exc:
            raise ArchiveError(f"{key}: the runs row cannot be read ({exc}): nothing delivered") from exc
    return contents


def _manifests(store: ObjectStore, account_id: str, since: dt.date, until: dt.date) -> list[Manifest]:
    keys = list(
        _listed(store, f"{layout.MANIFESTS}/", layout.manifest_prefix(since), layout.manifest_prefix(until))
    )
    present = set(keys)
    found: list[Manifest] = []
    for key in keys:
        run_id = layout.run_id_of(key)
        if not key.endswith(".json") or run_id is None or run_id_account(run_id) != account_id:
            continue
        try:
            with store.open(_checked(key)) as handle:
                document = json.loads(handle.read())
        except (StoreError, ValueError, UnicodeDecodeError) as exc:
            raise ArchiveError(f"{key}: the manifest cannot be read ({exc}): nothing delivered") from exc
        if not isinstance(document, dict):
            raise ArchiveError(f"{key}: not a manifest: nothing delivered")
        found.append(
            Manifest(
                key,
                run_id,
                dt.date.fromisoformat(key.split("/")[1]),
                document,
                signature=key + SIGNATURE if key + SIGNATURE in present else None,
                timestamp=key + TIMESTAMP if key + TIMESTAMP in present else None,
            )
        )
    return found


def _listed(store: ObjectStore, prefix: str, first: str, last: str) -> Iterator[str]:
    """The keys under ``prefix`` from the folder ``first`` to the folder ``last`` (both
    inclusive), in key order, without listing what lies before or after them."""
    start_after = first[:-1]  # every key of the folder ``first`` sorts after its name
    for key in store.list(prefix, start_after=start_after):
        if key > last and not key.startswith(last):
            return
        if key >= first:
            yield key


def _checked(key: str) -> str:
    """``key`` if every segment is a name the archive writes; such names are inert as file names."""
    if not all(_SAFE_NAME.match(segment) for segment in key.split("/")):
        raise ArchiveError(f"{key!r} is not a key the archive writes: nothing delivered")
    return key


def _night_of_warc(key: str) -> dt.date | None:
    parts = key.split("/")
    try:
        return dt.date(int(parts[3]), int(parts[4]), int(parts[5]))
    except (IndexError, ValueError):
        return None
