"""Descriptive metadata of a SIP: the account, the board, the period and the retention class.

Written as ``metadata/descriptive/description.xml`` in the archive's own small vocabulary
(namespace :data:`NAMESPACE`, schema ``schemas/social-records-description.xsd`` in the
package), all taken from the inventory and the nights delivered.

Items under secrecy marking (*sekretessmarkering*, :mod:`archive_lib.metadata.markings`) are
flagged here, one ``secrecyMarked`` element per item id.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable

from archive_lib.metadata.markings import active_markings
from archive_lib.models import Account, Inventory
from archive_lib.storage.base import ObjectStore

NAMESPACE = "urn:social-records-archive:description:1"
SCHEMA_FILE = "social-records-description.xsd"
_E = f"{{{NAMESPACE}}}"


def marked_items(store: ObjectStore, account_id: str, item_ids: Collection[str]) -> frozenset[str]:
    """The ids among ``item_ids`` of ``account_id`` under an active secrecy marking."""
    wanted = set(item_ids)
    return frozenset(
        item for (account, item) in active_markings(store) if account == account_id and item in wanted
    )


def description_xml(
    inventory: Inventory,
    account: Account,
    since: dt.date,
    until: dt.date,
    *,
    nights: Iterable[dt.date],
    counts: dict[str, int],
    marked: Collection[str],
) -> bytes:
    """The descriptive metadata document of one account's SIP."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{_E}description")
    _text(root, "organisation", inventory.organisation)
    _text(root, "board", account.board)
    acc = ET.SubElement(root, f"{_E}account", {"id": account.id, "platform": account.platform})
    _text(acc, "handle", account.handle)
    if account.api_base:
        _text(acc, "apiBase", account.api_base)
    if account.responsible:
        _text(acc, "responsible", account.responsible)
    if account.substitute:
        _text(acc, "substitute", account.substitute)
    if account.active_from:
        _text(acc, "activeFrom", account.active_from.isoformat())
    if account.active_to:
        _text(acc, "activeTo", account.active_to.isoformat())
    period = ET.SubElement(root, f"{_E}period")
    _text(period, "since", since.isoformat())
    _text(period, "until", until.isoformat())
    for night in nights:
        _text(period, "night", night.isoformat())
    retention = account.retention
    ret = ET.SubElement(
        root, f"{_E}retentionClass", {"name": retention.name, "permanent": _bool(retention.permanent)}
    )
    if retention.keep_years is not None:
        _text(ret, "keepYears", str(retention.keep_years))
    if retention.decision:
        _text(ret, "decision", retention.decision)
    content = ET.SubElement(root, f"{_E}content")
    for name, value in counts.items():
        ET.SubElement(content, f"{_E}count", {"of": name}).text = str(value)
    secrecy = ET.SubElement(root, f"{_E}secrecy", {"marked": str(len(marked))})
    for item_id in sorted(marked):
        ET.SubElement(secrecy, f"{_E}secrecyMarked", {"itemId": item_id})
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _text(parent: ET.Element, name: str, value: str) -> None:
    ET.SubElement(parent, f"{_E}{name}").text = value


def _bool(value: bool) -> str:
    return "true" if value else "false"
