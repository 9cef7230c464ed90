"""The record of a delivery, kept in the archive itself.

One new create-only object per SIP, ``deliveries/{YYYY}/{MM}/{DD}/{delivery_id}.json``
(:func:`archive_lib.layout.delivery_record_key`), kept permanently (class ``delivery-log``,
tag ``kind=delivery``): who made it and when, the account, the board and the period, the
submission agreement, the package's id and the SHA-256 of its ``METS.xml`` (and of its zip),
and every stored object it holds with its SHA-256.

Every record is written by :func:`_put_record`, signed (and timestamped) like a run's manifest
when the archive has a signing key (:mod:`archive_lib.evidence`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from archive_lib.evidence.signing import Signer, put_signed
from archive_lib.layout import delivery_record_key
from archive_lib.retention_classes import DELIVERY_LOG
from archive_lib.storage.base import ObjectStore

RECORD_VERSION = 1
KIND = "delivery"


def record_delivery(
    store: ObjectStore,
    made_at: dt.datetime,
    delivery_id: str,
    record: dict[str, Any],
    signer: Signer | None = None,
) -> str:
    """Keep ``record`` of the delivery ``delivery_id`` in the store, signed (and timestamped) by
    ``signer`` like a run's manifest when there is one; its key."""
    key = delivery_record_key(made_at, delivery_id)
    _put_record(store, key, {"record_version": RECORD_VERSION, **record}, signer)
    return key


def _put_record(store: ObjectStore, key: str, document: dict[str, Any], signer: Signer | None) -> None:
    """Write one delivery record, create-only, kept permanently."""
    put_signed(store, key, document, retention=DELIVERY_LOG, tags={"kind": KIND}, signer=signer)
