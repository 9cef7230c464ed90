"""Item versions from pushed payloads, read by the platform's own connector.

A pushed payload that carries the item itself becomes an item version at once, read by the
same code that reads the item from the platform's API, so its digest is the one the next
capture computes: that capture then sees the item unchanged and writes nothing, or writes an
``edited`` version when the author changed it in the meantime. The connectors are used here
only to read: the HTTP client they are given refuses every request.

What a push payload lacks is left to the next capture of the thread:

* a Mastodon mention names the status it replies to, not the thread's root: the root is taken
  from the archived parent where the archive holds it, else the parent stands in for it;
* a Jetstream create carries the author's DID but not their name or handle (the DID is shown);
* attachment files are not fetched on push: each is marked not fetched yet, and the next
  capture of the thread that sees the item fetches it (a ``media`` version, as for a file an
  earlier night could not fetch).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from archive_lib.clock import SystemClock
from archive_lib.connectors.base import MediaArchiver
from archive_lib.connectors.bluesky import BlueskyConnector
from archive_lib.connectors.facebook import FacebookConnector
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.instagram import InstagramConnector
from archive_lib.connectors.mastodon import MastodonConnector
from archive_lib.errors import ArchiveError
from archive_lib.models import Account, Exchange, ItemSnapshot, ItemType, RecordRef

#: Why a pushed item's attachment has no file yet (the next capture of its thread fetches it).
NOT_FETCHED = "not fetched on push; the next capture of the thread fetches it"


class _NoRequests(ArchiveError):
    """A reading connector tried to make a request."""


def _refuse(exchange: Exchange) -> RecordRef:
    raise _NoRequests("a connector reading a pushed payload makes no requests")


def _reader_http() -> HttpClient:
    return HttpClient(_refuse, clock=SystemClock())


def _unfetched(snapshot: ItemSnapshot) -> ItemSnapshot:
    if not snapshot.media:
        return snapshot
    media = tuple(dataclasses.replace(m, error=NOT_FETCHED) for m in snapshot.media)
    return dataclasses.replace(snapshot, media=media)


class MastodonReader:
    """Statuses pushed on an account's ``user`` stream, as the Mastodon connector reads them."""

    def __init__(self, account: Account, own_id: str) -> None:
        http = _reader_http()
        self._connector = MastodonConnector(account, http, MediaArchiver(http, {}), True)
        self._connector.me = own_id

    def snapshot(self, raw: object, record: RecordRef, post_id: str) -> ItemSnapshot | None:
        """The status ``raw`` as an item of the account's thread ``post_id``."""
        snapshot = self._connector.pushed_snapshot(raw, record, post_id)
        return _unfetched(snapshot) if snapshot is not None else None


class GraphReader:
    """Comments pushed by Meta webhooks, as the Facebook and Instagram connectors read them."""

    def __init__(self, account: Account) -> None:
        http = _reader_http()
        media = MediaArchiver(http, {})
        if account.platform == "facebook":
            facebook = FacebookConnector(account, http, media, True)
            facebook.page_id = account.handle
            self._connector: FacebookConnector | InstagramConnector = facebook
        else:
            instagram = InstagramConnector(account, http, media, True)
            instagram.user_id = account.handle
            instagram.username = ""
            self._connector = instagram

    def snapshot(self, node: dict[str, Any], record: RecordRef, post_id: str) -> ItemSnapshot:
        return _unfetched(self._connector.snapshot(node, record, "comment", post_id))


class BlueskyReader:
    """Posts pushed by Jetstream (the record itself, no AppView view), as the Bluesky connector reads them."""

    def __init__(self, account: Account, did: str) -> None:
        http = _reader_http()
        self._connector = BlueskyConnector(account, http, MediaArchiver(http, {}), False)
        self._connector.did = did

    def snapshot(
        self,
        uri: str,
        cid: str,
        record_json: dict[str, Any],
        author_did: str,
        seen_at: dt.datetime,
        ref: RecordRef,
    ) -> ItemSnapshot:
        reply = record_json.get("reply") if isinstance(record_json.get("reply"), dict) else None
        root = reply.get("root") if reply else None
        root_uri = root.get("uri") if isinstance(root, dict) else None
        item_type: ItemType = "comment" if reply else "post"
        view = {
            "uri": uri,
            "cid": cid,
            "record": record_json,
            "author": {"did": author_did, "handle": author_did},
            "indexedAt": seen_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        snap = self._connector.pushed_snapshot(
            view, ref, item_type, str(root_uri) if isinstance(root_uri, str) else uri
        )
        return _unfetched(snap)
