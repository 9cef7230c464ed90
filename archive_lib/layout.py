"""Where every object lives in the store. The layout is part of the product (see README.md).

::

    warc/{platform}/{account_id}/{YYYY}/{MM}/{DD}/{run_id}-{n}.warc.gz
    metadata/items/account_id={account_id}/run_date={YYYY-MM-DD}/{run_id}-{n}.c{FIRST}-{LAST}.parquet
    metadata/runs/run_date={YYYY-MM-DD}/{run_id}.parquet
    manifests/{YYYY-MM-DD}/{run_id}.json
    exports/{YYYY}/{MM}/{DD}/{export_id}.json                     the log of release packages
    audit/{YYYY-MM-DD}/audit_{YYYYMMDDTHHMMSSZ}_{4 hex}.json      the audit's reports (.html beside)
    leases/{account_id}/{YYYY-MM-DD}/{slot}.json                  an account's write lease, by time slot
    push/deliveries/{account_id}/{YYYY-MM-DD}/{source}-{key}.json  a pushed delivery stored once
    push/cursors/jetstream/{time_us, 20 digits}.json              where Jetstream resumes
    deliveries/{YYYY}/{MM}/{DD}/{delivery_id}.json                 the record of each E-ARK SIP delivered

``n`` numbers a run's WARC files and items parts, each from 1, in five digits and more past
99,999: a run stores an items part at every checkpoint, so its parts roll as they fill, as its
WARC files do. ``FIRST``/``LAST`` in an items part's name are the earliest and latest ``created_at`` of the
items in it (UTC, ``YYYYMMDDTHHMMSS``, the year always four digits: platforms send years from 1
to 9999). They let a night find the parts that can hold a given item by listing names, without
opening every part the archive has ever written. An item whose creation time could not be read
counts with the time it was observed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

ITEMS = "metadata/items"
RUNS = "metadata/runs"
MANIFESTS = "manifests"
WARC = "warc"
EXPORTS = "exports"
AUDIT = "audit"
LEASES = "leases"  # leases/{account_id}/{YYYY-MM-DD}/{slot}.json: an account's write lease
PUSH_DELIVERIES = "push/deliveries"
JETSTREAM_CURSORS = "push/cursors/jetstream/"
DELIVERIES = "deliveries"
_STAMP = "%Y%m%dT%H%M%S"
_LATEST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
_SECOND = dt.timedelta(seconds=1)
_PART = re.compile(
    r"^metadata/items/account_id=(?P<account>[^/]+)/run_date=(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<run_id>[^/]+)-(?P<seq>\d{5,})\.c(?P<first>\d{8}T\d{6})-(?P<last>\d{8}T\d{6})\.parquet$"
)


def warc_key(platform: str, account_id: str, run_date: dt.date, run_id: str, seq: int) -> str:
    return f"{warc_prefix(platform, account_id, run_date)}{run_id}-{seq:05d}.warc.gz"


def warc_prefix(platform: str, account_id: str, run_date: dt.date) -> str:
    return f"{WARC}/{platform}/{account_id}/{run_date:%Y/%m/%d}/"


def items_prefix(account_id: str) -> str:
    return f"{ITEMS}/account_id={account_id}/"


def items_key(
    account_id: str, run_date: dt.date, run_id: str, seq: int, first: dt.datetime, last: dt.datetime
) -> str:
    first_s = _stamp(first)
    # Round the upper bound up so the range in the name always contains the true value.
    last_s = _stamp(min(last.astimezone(dt.UTC), _LATEST - _SECOND) + _SECOND)
    name = f"{run_id}-{seq:05d}.c{first_s}-{last_s}.parquet"
    return f"{items_prefix(account_id)}run_date={run_date.isoformat()}/{name}"


def _stamp(moment: dt.datetime) -> str:
    """``YYYYMMDDTHHMMSS`` in UTC with a four-digit year (``strftime("%Y")`` gives ``99``)."""
    m = moment.astimezone(dt.UTC)
    return f"{m.year:04d}{m.month:02d}{m.day:02d}T{m.hour:02d}{m.minute:02d}{m.second:02d}"


def runs_key(run_date: dt.date, run_id: str) -> str:
    return f"{RUNS}/run_date={run_date:%Y-%m-%d}/{run_id}.parquet"


def runs_prefix(run_date: dt.date) -> str:
    return f"{RUNS}/run_date={run_date:%Y-%m-%d}/"


def manifest_key(run_date: dt.date, run_id: str) -> str:
    return f"{MANIFESTS}/{run_date:%Y-%m-%d}/{run_id}.json"


def manifest_prefix(run_date: dt.date) -> str:
    return f"{MANIFESTS}/{run_date:%Y-%m-%d}/"


def export_log_key(made_at: dt.datetime, export_id: str) -> str:
    """The export log entry of ``export_id``, filed under the (UTC) day it was made."""
    return f"{EXPORTS}/{made_at.astimezone(dt.UTC):%Y/%m/%d}/{export_id}.json"


def audit_report_key(night: dt.date, generated_at: dt.datetime, suffix: str, extension: str) -> str:
    """An audit report of the nights up to ``night``; ``suffix`` is 4 hex digits, as in run ids."""
    stamp = generated_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{AUDIT}/{night:%Y-%m-%d}/audit_{stamp}_{suffix}.{extension}"


def push_delivery_prefix(account_id: str, day: dt.date) -> str:
    return f"{PUSH_DELIVERIES}/{account_id}/{day:%Y-%m-%d}/"


def push_delivery_key(account_id: str, day: dt.date, key: str) -> str:
    """The marker of a deduplicated delivery (``key``: ``{source}-{digest}``) stored on ``day``."""
    return f"{push_delivery_prefix(account_id, day)}{key}.json"


def push_delivery_of(key: str) -> str | None:
    """The deduplication key a delivery marker's key names, else ``None``."""
    if not key.startswith(f"{PUSH_DELIVERIES}/") or not key.endswith(".json"):
        return None
    return key.rsplit("/", 1)[-1][: -len(".json")]


def jetstream_cursor_key(time_us: int) -> str:
    """A Jetstream cursor checkpoint: keys sort by cursor, so the newest is the last listed."""
    return f"{JETSTREAM_CURSORS}{time_us:020d}.json"


def jetstream_cursor_of(key: str) -> int | None:
    match = re.match(rf"^{re.escape(JETSTREAM_CURSORS)}(\d{{20}})\.json$", key)
    return int(match.group(1)) if match else None


def delivery_record_key(made_at: dt.datetime, delivery_id: str) -> str:
    """The record of the delivery ``delivery_id`` (one SIP), filed under the (UTC) day it was made."""
    return f"{DELIVERIES}/{made_at.astimezone(dt.UTC):%Y/%m/%d}/{delivery_id}.json"


_DELIVERY_RECORD = re.compile(
    rf"^{DELIVERIES}/(?P<y>\d{{4}})/(?P<m>\d{{2}})/(?P<d>\d{{2}})/\d{{8}}T\d{{6}}Z_[0-9a-f]{{8}}\.json$"
)
_EXPORT_LOG = re.compile(
    rf"^{EXPORTS}/(?P<y>\d{{4}})/(?P<m>\d{{2}})/(?P<d>\d{{2}})/\d{{8}}T\d{{6}}Z_[0-9a-f]{{8}}\.json$"
)
_AUDIT_REPORT = re.compile(
    rf"^{AUDIT}/(?P<night>\d{{4}}-\d{{2}}-\d{{2}})/audit_\d{{8}}T\d{{6}}Z_[0-9a-f]{{4}}\.(?:json|html)$"
)


_LEASE = re.compile(rf"^{LEASES}/(?P<account>[a-z0-9-]+)/(?P<day>\d{{4}}-\d{{2}}-\d{{2}})/\d{{12,}}\.json$")


def lease_slot(key: str) -> tuple[str, dt.date] | None:
    """The account and day of a write-lease slot's key (see archive_lib/capture/lease.py), else ``None``."""
    match = _LEASE.match(key)
    if not match:
        return None
    try:
        return match["account"], dt.date.fromisoformat(match["day"])
    except ValueError:
        return None


def export_log_day(key: str) -> dt.date | None:
    """The day of an export log entry's key (as :func:`export_log_key` names it), else ``None``."""
    match = _EXPORT_LOG.match(key)
    if not match:
        return None
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def delivery_record_day(key: str) -> dt.date | None:
    """The day of a delivery record's key (as :func:`delivery_record_key` names it), else ``None``."""
    match = _DELIVERY_RECORD.match(key)
    if not match:
        return None
    try:
        return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def audit_report_night(key: str) -> dt.date | None:
    """The last audited night of an audit report's key (see :func:`audit_report_key`), else ``None``."""
    match = _AUDIT_REPORT.match(key)
    if not match:
        return None
    try:
        return dt.date.fromisoformat(match["night"])
    except ValueError:
        return None


@dataclass(frozen=True)
class ItemsPart:
    """An items part as described by its key alone."""

    key: str
    account_id: str
    run_date: dt.date
    run_id: str
    seq: int
    first_created: dt.datetime
    last_created: dt.datetime

    def may_hold(self, created_at: dt.datetime) -> bool:
        # Whole seconds: the name cannot round the last second of the year 9999 up.
        return self.first_created <= created_at and created_at.replace(microsecond=0) <= self.last_created


def parse_items_key(key: str) -> ItemsPart | None:
    """The description of an items part from its key, or ``None`` for any other key."""
    match = _PART.match(key)
    if not match:
        return None
    return ItemsPart(
        key=key,
        account_id=match["account"],
        run_date=dt.date.fromisoformat(match["date"]),
        run_id=match["run_id"],
        seq=int(match["seq"]),
        first_created=dt.datetime.strptime(match["first"], _STAMP).replace(tzinfo=dt.UTC),
        last_created=dt.datetime.strptime(match["last"], _STAMP).replace(tzinfo=dt.UTC),
    )


def run_id_of(key: str) -> str | None:
    """The run id a WARC, items, runs or manifest key belongs to."""
    name = key.rsplit("/", 1)[-1]
    match = re.match(r"^([a-z0-9-]+_\d{8}T\d{6}Z_[0-9a-f]+)", name)
    return match.group(1) if match else None
