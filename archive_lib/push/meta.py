"""Meta webhooks: Facebook Page ``feed`` and Instagram ``comments`` deliveries.

* ``GET /webhooks/meta?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`` is Meta's
  verification request when the subscription is set up: the challenge is echoed when the token
  equals ``ARCHIVE_META_VERIFY_TOKEN`` (compared in constant time), anything else gets 403.
* ``POST /webhooks/meta`` carries ``X-Hub-Signature-256: sha256=HEX``, the HMAC-SHA256 of the
  raw body with the app secret (``ARCHIVE_META_APP_SECRET``). Only a delivery whose signature
  matches (constant-time compare) is read at all; anything else gets 403 and nothing is stored.

An accepted delivery is archived whole, as received (a WARC ``request`` record with its headers),
once for every inventoried account it names (``entry[].id``: the Page id, the Instagram user id).
Meta sends no delivery id and retries a delivery it thinks failed, so the SHA-256 of the body is
the deduplication key. Each change names a thread (``post_id``; Instagram: ``media.id``), queued
for a targeted capture; a ``feed`` change that adds a comment with its ``message``, and an
Instagram ``comments`` change with its ``text``, become item versions at once
(:mod:`archive_lib.push.items`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from archive_lib.models import Account, ItemSnapshot, RecordRef
from archive_lib.push.items import GraphReader
from archive_lib.push.received import Received
from archive_lib.values import ident

log = logging.getLogger(__name__)

PATH = "/webhooks/meta"
SIGNATURE_HEADER = "X-Hub-Signature-256"
#: The largest delivery read; Meta batches at most 1,000 changes, far below this.
MAX_BODY_BYTES = 1024 * 1024
MAX_ENTRIES = 1000
MAX_CHANGES = 1000
_CHALLENGE = re.compile(r"^[A-Za-z0-9._~-]{1,256}$")
#: Feed items whose changes touch a thread's records (reactions and likes do not).
_THREAD_ITEMS = frozenset({"comment", "post", "status", "photo", "video", "share", "album"})


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status and a short plain-text body."""

    status: int
    body: bytes


FORBIDDEN = Answer(403, b"Forbidden\n")


def verify(query: Mapping[str, Sequence[str]], verify_token: str | None) -> Answer:
    """Meta's verification request: the challenge when the token matches, else 403."""
    mode = _last(query, "hub.mode")
    token = _last(query, "hub.verify_token")
    challenge = _last(query, "hub.challenge")
    if not verify_token or token is None or mode != "subscribe":
        return FORBIDDEN
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return FORBIDDEN
    if challenge is None or not _CHALLENGE.match(challenge):
        return Answer(400, b"hub.challenge missing or not a plain token\n")
    return Answer(200, challenge.encode())


def signature_ok(body: bytes, header: str | None, app_secret: str | None) -> bool:
    """Whether ``header`` is ``sha256=`` and the HMAC-SHA256 of ``body`` with ``app_secret``."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[len("sha256=") :].strip().lower().encode(), expected.encode())


class MetaDeliveries:
    """Turns a signed delivery into what the journal archives (module docstring)."""

    def __init__(self, accounts: Sequence[Account]) -> None:
        self._pages = {a.handle: a for a in accounts if a.platform == "facebook"}
        self._instagram = {a.handle: a for a in accounts if a.platform == "instagram"}
        self._readers: dict[str, GraphReader] = {}

    @property
    def accounts(self) -> int:
        return len(self._pages) + len(self._instagram)

    def read(
        self,
        body: bytes,
        *,
        url: str,
        headers: Sequence[tuple[str, str]],
        received_at: dt.datetime,
        peer_ip: str | None,
    ) -> list[Received]:
        """One :class:`Received` per inventoried account the delivery names (none: it names none)."""
        digest = hashlib.sha256(body).hexdigest()
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            log.warning("a signed Meta delivery is not a JSON object; it names no account and is not kept")
            return []
        kind = payload.get("object")
        accounts = self._pages if kind == "page" else self._instagram if kind == "instagram" else {}
        entries = payload.get("entry")
        found: dict[str, tuple[Account, list[str], list[Any]]] = {}
        for entry in (entries if isinstance(entries, list) else [])[:MAX_ENTRIES]:
            if not isinstance(entry, dict):
                continue
            account = accounts.get(ident(entry.get("id")) or "")
            if account is None:
                log.warning(
                    "a Meta delivery names %s %s, which is not in the inventory", kind, entry.get("id")
                )
                continue
            threads, builders = found.setdefault(account.id, (account, [], []))[1:]
            changes = entry.get("changes")
            for change in (changes if isinstance(changes, list) else [])[:MAX_CHANGES]:
                if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                    continue
                thread, builder = self._change(account, change.get("field"), change["value"], entry)
                if thread:
                    threads.append(thread)
                if builder is not None:
                    builders.append(builder)
        out = []
        for account, threads, builders in found.values():
            out.append(
                Received(
                    account=account,
                    source="meta",
                    record_type="request",
                    url=url,
                    payload=body,
                    content_type="application/json",
                    received_at=received_at,
                    headers=tuple(headers),
                    method="POST",
                    peer_ip=peer_ip,
                    threads=tuple(dict.fromkeys(threads)),
                    item=Many(builders) if builders else None,
                    dedupe=digest,
                )
            )
        return out

    def _reader(self, account: Account) -> GraphReader:
        reader = self._readers.get(account.id)
        if reader is None:
            reader = self._readers[account.id] = GraphReader(account)
        return reader

    def _change(
        self, account: Account, field: object, value: dict[str, Any], entry: dict[str, Any]
    ) -> tuple[str | None, Any]:
        reader = self._reader(account)
        if account.platform == "facebook" and field == "feed":
            if value.get("item") not in _THREAD_ITEMS:
                return None, None
            post_id = ident(value.get("post_id"))
            comment_id = ident(value.get("comment_id"))
            message = value.get("message")
            if not (post_id and comment_id and value.get("item") == "comment" and value.get("verb") == "add"):
                return post_id, None
            if not isinstance(message, str):
                return post_id, None
            node: dict[str, Any] = {
                "id": comment_id,
                "message": message,
                "created_time": _graph_time(value.get("created_time")),
            }
            if isinstance(value.get("from"), dict):
                node["from"] = value["from"]
            parent = ident(value.get("parent_id"))
            if parent and parent != post_id:
                node["parent"] = {"id": parent}
            return post_id, lambda ref: reader.snapshot(node, ref, post_id)
        if account.platform == "instagram" and field == "comments":
            media = value.get("media")
            post_id = ident(media.get("id")) if isinstance(media, dict) else None
            comment_id = ident(value.get("id"))
            text = value.get("text")
            if not (post_id and comment_id and isinstance(text, str)):
                return post_id, None
            author: dict[str, Any] = value["from"] if isinstance(value.get("from"), dict) else {}
            ig_node: dict[str, Any] = {
                "id": comment_id,
                "text": text,
                "from": author,
                "username": author.get("username"),
                "timestamp": _graph_time(entry.get("time")),
            }
            if ident(value.get("parent_id")):
                ig_node["parent_id"] = ident(value.get("parent_id"))
            return post_id, lambda ref: reader.snapshot(ig_node, ref, post_id)
        return None, None


class Many:
    """The items of one delivery (Meta batches changes): each read on its own, so one change
    that cannot be read costs only its own item (its record is kept whole)."""

    def __init__(self, builders: list[Callable[[RecordRef], ItemSnapshot]]) -> None:
        self.builders = builders

    def __call__(self, ref: RecordRef) -> list[ItemSnapshot]:
        out = []
        for build in self.builders:
            try:
                out.append(build(ref))
            except Exception:
                log.exception("a comment in a Meta delivery could not be read; the delivery is kept")
        return out


def _graph_time(value: object) -> str | None:
    """A webhook's Unix time as Graph writes times (``2026-11-20T10:00:00+0000``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value if isinstance(value, str) else None
    try:
        moment = dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _last(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None
