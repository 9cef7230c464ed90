"""PREMIS 3.0 preservation metadata of a SIP (``metadata/preservation/premis.xml``).

* **Objects**: every file of the package (but ``METS.xml`` and this document) with its SHA-256
  (``fixity``), size and format; a file copied from the store names its key (``originalName``).
* **Events**:
  - one ``capture`` per run of the account in the period: when it ran, its outcome (``ok``,
    ``failed``, ``interrupted``) with the error and the warnings, its agents (the software, the
    organisation, the board) and the files it wrote, from its runs row or its manifest;
  - one ``message digest calculation`` per run manifest (it records every object's SHA-256);
  - one ``digital signature generation`` per manifest signature (``{manifest}.sig``) and one
    ``timestamping`` per RFC 3161 token (``{manifest}.tsr``), with the signing key's id and the
    time the token states;
  - the ``packing`` of this package.
* **Agents**: the organisation, the board (the archival creator) and the software.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from archive_lib import PRODUCT, __version__, layout
from archive_lib.delivery.contents import AccountContents, Manifest
from archive_lib.delivery.files import PackageFile
from archive_lib.delivery.xmltext import xml_text
from archive_lib.models import Inventory

NAMESPACE = "http://www.loc.gov/premis/v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_FILE = "premis-v3-0.xsd"
_P = f"{{{NAMESPACE}}}"
_LOCAL = "local"
#: A GeneralizedTime in DER: the first one in a TimeStampResp is the token's genTime (TSTInfo
#: precedes the certificates and the signed attributes).
_GENERALIZED_TIME = re.compile(rb"\x18([\x0f-\x17])(\d{14}(?:\.\d{1,6})?Z)")


@dataclass(frozen=True)
class Agents:
    """The identifiers of the package's agents."""

    organisation: str
    board: str
    software: str


@dataclass
class _Event:
    identifier: str
    kind: str
    when: str
    detail: str | None = None
    outcome: str | None = None
    outcome_notes: list[str] = field(default_factory=list)
    agents: list[tuple[str, str]] = field(default_factory=list)  # (agent id, role)
    objects: list[tuple[str, str]] = field(default_factory=list)  # (package path, role)


def premis_xml(
    inventory: Inventory,
    contents: AccountContents,
    files: Iterable[PackageFile],
    *,
    package_id: str,
    made_at: dt.datetime,
    timestamps: Mapping[str, bytes],
) -> bytes:
    """The PREMIS document of one package. ``timestamps`` holds each stored ``.tsr``'s bytes
    by its store key (for the time it states)."""
    files = list(files)
    by_source = {f.source_key: f.path for f in files if f.source_key}
    agents = Agents(
        organisation=f"organisation:{inventory.organisation}",
        board=f"board:{contents.account.board}",
        software=f"software:{PRODUCT}/{__version__}",
    )
    events = [
        *_capture_events(contents, by_source, agents),
        *_evidence_events(contents, by_source, agents, timestamps),
        _Event(
            f"packing:{package_id}",
            "packing",
            _iso(made_at),
            detail=f"SIP {package_id} made for the e-archive",
            outcome="success",
            agents=[(agents.software, "executing program"), (agents.organisation, "submitter")],
            objects=[(f.path, "outcome") for f in files],
        ),
    ]
    ET.register_namespace("premis", NAMESPACE)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(
        f"{_P}premis",
        {"version": "3.0", f"{{{XSI}}}schemaLocation": f"{NAMESPACE} ../../schemas/{SCHEMA_FILE}"},
    )
    for entry in files:
        _object(root, entry)
    for event in events:
        _event(root, event)
    _agent(
        root, agents.organisation, inventory.organisation, "organization", note="the submitting organisation"
    )
    _agent(
        root,
        agents.board,
        contents.account.board,
        "organization",
        note="the board (nämnd) running the account: the archival creator (arkivbildare)",
    )
    _agent(root, agents.software, PRODUCT, "software", version=__version__)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def representation_premis_xml(files: Iterable[PackageFile]) -> bytes:
    """The PREMIS document of one representation: its files with their fixity."""
    ET.register_namespace("premis", NAMESPACE)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(
        f"{_P}premis",
        {"version": "3.0", f"{{{XSI}}}schemaLocation": f"{NAMESPACE} ../../../../schemas/{SCHEMA_FILE}"},
    )
    for entry in files:
        _object(root, entry)
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _capture_events(contents: AccountContents, by_source: Mapping[str, str], agents: Agents) -> list[_Event]:
    rows = {str(r["run_id"]): r for r in contents.runs_rows}
    manifests = {m.run_id: m for m in contents.manifests}
    events: list[_Event] = []
    for run_id in sorted(set(rows) | set(manifests)):
        row: Mapping[str, Any] = rows.get(run_id) or manifests[run_id].document
        status = str(manifests[run_id].document.get("status") if run_id in manifests else row.get("status"))
        notes = [f"error: {row['error']}"] if row.get("error") else []
        notes += [f"warning: {w}" for w in row.get("warnings") or ()]
        written = sorted(path for key, path in by_source.items() if layout.run_id_of(key) == run_id)
        events.append(
            _Event(
                f"capture:{run_id}",
                "capture",
                _iso(row.get("finished_at") or row.get("started_at")),
                detail=(
                    f"run {run_id}, night {row.get('run_date')}, started {_iso(row.get('started_at'))}, "
                    f"finished {_iso(row.get('finished_at'))}; counts {_counts(row.get('counts'))}; "
                    f"software {row.get('software')}"
                ),
                outcome=status,
                outcome_notes=notes,
                agents=[
                    (agents.software, "executing program"),
                    (agents.organisation, "implementer"),
                    (agents.board, "authorizer"),
                ],
                objects=[(path, "outcome") for path in written],
            )
        )
    return events


def _evidence_events(
    contents: AccountContents,
    by_source: Mapping[str, str],
    agents: Agents,
    timestamps: Mapping[str, bytes],
) -> list[_Event]:
    events: list[_Event] = []
    for manifest in contents.manifests:
        when = _iso(manifest.document.get("finished_at") or manifest.document.get("started_at"))
        listed = manifest.expected_sha256()
        path = by_source[manifest.key]
        events.append(
            _Event(
                f"digests:{manifest.run_id}",
                "message digest calculation",
                when,
                detail=f"the manifest of run {manifest.run_id} records the SHA-256 of {len(listed)} objects",
                outcome="success",
                agents=[(agents.software, "executing program")],
                objects=[(path, "outcome")]
                + [(by_source[key], "source") for key in sorted(listed) if key in by_source],
            )
        )
        if manifest.signature:
            key_id = _key_id(manifest.document)
            events.append(
                _Event(
                    f"signature:{manifest.run_id}",
                    "digital signature generation",
                    when,
                    detail=_signature_detail(key_id, by_source),
                    outcome="success",
                    agents=[(agents.software, "executing program"), (agents.organisation, "signer")],
                    objects=[(path, "source"), (by_source[manifest.signature], "outcome")],
                )
            )
        if manifest.timestamp:
            stated = _gen_time(timestamps.get(manifest.timestamp, b""))
            events.append(
                _Event(
                    f"timestamp:{manifest.run_id}",
                    "timestamping",
                    stated or when,
                    detail=(
                        "RFC 3161 time-stamp token over the SHA-256 of the signature, from a time-stamping "
                        "authority" + ("" if stated else " (its time is in the token)")
                    ),
                    outcome="success",
                    agents=[(agents.software, "executing program")],
                    objects=[
                        (by_source[manifest.signature], "source") if manifest.signature else (path, "source"),
                        (by_source[manifest.timestamp], "outcome"),
                    ],
                )
            )
    return events


def _object(root: ET.Element, entry: PackageFile) -> None:
    obj = ET.SubElement(root, f"{_P}object", {f"{{{XSI}}}type": "premis:file"})
    _identifier(obj, "objectIdentifier", _LOCAL, entry.path)
    chars = ET.SubElement(obj, f"{_P}objectCharacteristics")
    _sub(chars, "compositionLevel", "0")
    fixity = ET.SubElement(chars, f"{_P}fixity")
    _sub(fixity, "messageDigestAlgorithm", "SHA-256")
    _sub(fixity, "messageDigest", entry.sha256)
    _sub(fixity, "messageDigestOriginator", PRODUCT)
    _sub(chars, "size", str(entry.size))
    fmt = ET.SubElement(chars, f"{_P}format")
    designation = ET.SubElement(fmt, f"{_P}formatDesignation")
    _sub(designation, "formatName", entry.format_name or entry.mimetype)
    if entry.format_version:
        _sub(designation, "formatVersion", entry.format_version)
    if entry.source_key:
        _sub(obj, "originalName", entry.source_key)


def _event(root: ET.Element, event: _Event) -> None:
    element = ET.SubElement(root, f"{_P}event")
    _identifier(element, "eventIdentifier", _LOCAL, event.identifier)
    _sub(element, "eventType", event.kind)
    _sub(element, "eventDateTime", event.when)
    if event.detail:
        _sub(ET.SubElement(element, f"{_P}eventDetailInformation"), "eventDetail", event.detail)
    if event.outcome:
        info = ET.SubElement(element, f"{_P}eventOutcomeInformation")
        _sub(info, "eventOutcome", event.outcome)
        for note in event.outcome_notes:
            _sub(ET.SubElement(info, f"{_P}eventOutcomeDetail"), "eventOutcomeDetailNote", note)
    for agent_id, role in event.agents:
        link = _identifier(element, "linkingAgentIdentifier", _LOCAL, agent_id)
        _sub(link, "linkingAgentRole", role)
    for path, role in event.objects:
        link = _identifier(element, "linkingObjectIdentifier", _LOCAL, path)
        _sub(link, "linkingObjectRole", role)


def _agent(
    root: ET.Element,
    agent_id: str,
    name: str,
    kind: str,
    *,
    version: str | None = None,
    note: str | None = None,
) -> None:
    agent = ET.SubElement(root, f"{_P}agent")
    _identifier(agent, "agentIdentifier", _LOCAL, agent_id)
    _sub(agent, "agentName", name)
    _sub(agent, "agentType", kind)
    if version:
        _sub(agent, "agentVersion", version)
    if note:
        _sub(agent, "agentNote", note)


def _identifier(parent: ET.Element, name: str, kind: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, f"{_P}{name}")
    _sub(element, f"{name}Type", kind)
    _sub(element, f"{name}Value", value)
    return element


def _sub(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{_P}{name}")
    element.text = xml_text(text)
    return element


def _signature_detail(key_id: str | None, by_source: Mapping[str, str]) -> str:
    detail = f"Ed25519 signature over the exact bytes of the manifest, key {key_id or 'not named'}"
    public_key = by_source.get(f"keys/{key_id}.pem")
    return f"{detail} (public key: {public_key})" if public_key else detail


def _key_id(document: Mapping[str, Any]) -> str | None:
    """The id of the key a signed document names, wherever the signer wrote it."""
    for name in ("key_id", "signing_key_id", "signature_key_id"):
        if document.get(name):
            return str(document[name])
    signature = document.get("signature") or document.get("signing")
    if isinstance(signature, Mapping) and signature.get("key_id"):
        return str(signature["key_id"])
    return None


def _gen_time(token: bytes) -> str | None:
    """The time an RFC 3161 TimeStampResp states (TSTInfo's genTime), as ISO 8601; ``None``
    when it cannot be found."""
    match = _GENERALIZED_TIME.search(token)
    if match is None or match[1][0] != len(match[2]):
        return None
    text = match[2].decode("ascii")
    try:
        moment = dt.datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    fraction = text[14:-1]
    return moment.isoformat().replace("+00:00", f"{fraction}Z")


def _iso(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, str) and value:
        try:
            return _iso(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return "unknown"


def _counts(value: Any) -> str:
    if not isinstance(value, Mapping):
        return "none"
    return ", ".join(f"{k} {v}" for k, v in value.items() if v)


def manifest_files(manifest: Manifest) -> list[str]:
    """The store keys of a manifest and the evidence beside it."""
    return [k for k in (manifest.key, manifest.signature, manifest.timestamp) if k]
