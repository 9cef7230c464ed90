"""The record of a delivery, kept in the archive itself.

One new create-only object per SIP, ``deliveries/{YYYY}/{MM}/{DD}/{delivery_id}.json``
(:func:`archive_lib.layout.delivery_record_key`), kept permanently (class ``delivery-log``,
tag ``kind=delivery``): who made it and when, the account, the board and the period, the
submission agreement, the package's id and the SHA-256 of its ``METS.xml`` (and of its zip),
and every stored object it holds with its SHA-256.

Every record is written by :func:`_put_record`, the one place to make it a signed document
like a run's manifest.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from archive_lib.layout import delivery_record_key
from archive_lib.retention_classes import DELIVERY_LOG
from archive_lib.storage.base import ObjectStore

RECORD_VERSION = 1
KIND = "delivery"


def record_delivery(
    store: ObjectStore, made_at: dt.datetime, delivery_id: str, record: dict[str, Any]
) -> str:
    """Keep ``record`` of the delivery ``delivery_id`` in the store; its key."""
    key = delivery_record_key(made_at, delivery_id)
    data = (
        json.dumps({"record_version": RECORD_VERSION, **record}, ensure_ascii=False, indent=2) + "\n"
    ).encode()
    _put_record(store, key, data)
    return key


def _put_record(store: ObjectStore, key: str, data: bytes) -> None:
    """Write one delivery record, create-only, kept permanently."""
    store.put(key, data, retention=DELIVERY_LOG, tags={"kind": KIND})
