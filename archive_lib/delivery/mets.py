"""The package's ``METS.xml``, following E-ARK CSIP 2.1.0 and SIP 2.1.0 (FGS Paketstruktur 2.0).

* ``mets``: ``@OBJID`` (the package id, also the root folder's name), ``@LABEL``, ``@TYPE``
  (``Other``, ``csip:OTHERTYPE`` "Social media"), ``@csip:CONTENTINFORMATIONTYPE`` (``OTHER`` with
  ``csip:OTHERCONTENTINFORMATIONTYPE``: no content information type specification covers
  WARC and Parquet) and ``@PROFILE`` (the E-ARK SIP profile);
* ``metsHdr``: created, ``RECORDSTATUS`` NEW, ``csip:OAISPACKAGETYPE`` SIP; the agents: the
  software (CSIP: ``CREATOR``, ``OTHER``/``SOFTWARE``, its version), the organisation (SIP: the
  submitting ``CREATOR`` ``ORGANIZATION``), the board (SIP: the archival creator, ``ARCHIVIST``);
  the submission agreement at ``altRecordID[@TYPE='SUBMISSIONAGREEMENT']``;
* ``dmdSec``: the descriptive metadata; ``amdSec``: the PREMIS document and the evidence (run
  manifests, signatures, timestamp tokens, public keys), each ``digiprovMD``;
* ``fileSec``: file groups ``Documentation``, ``Schemas`` and ``Representations/{name}``, each
  file with its MIME type, size, SHA-256 and location; every group carries the content
  information type (CSIP63);
* ``structMap``: the one ``PHYSICAL`` map labelled ``CSIP``.

Each representation has a ``METS.xml`` of its own (:func:`representation_mets_xml`): its data
files and its PREMIS; the root points to it (``fileGrp`` ``Representations/{name}`` and an
``mptr`` in the structural map).
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from archive_lib import PRODUCT, __version__
from archive_lib.delivery.files import PackageFile
from archive_lib.delivery.xmltext import xml_text

METS = "http://www.loc.gov/METS/"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
PROFILE = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
CONTENT_TYPE = "Other"
OTHER_TYPE = "Social media"
CONTENT_INFORMATION_TYPE = "OTHER"
OTHER_CONTENT_INFORMATION_TYPE = f"{PRODUCT}: WARC 1.1 captures, Apache Parquet metadata, HTML renditions"
SCHEMA_LOCATIONS = (
    (METS, "schemas/mets.xsd"),
    (XLINK, "schemas/xlink.xsd"),
    (CSIP, "schemas/DILCISExtensionMETS.xsd"),
    (SIP, "schemas/DILCISExtensionSIPMETS.xsd"),
)
_M = f"{{{METS}}}"


@dataclass(frozen=True)
class Metadata:
    """A metadata file of the package with the METS type of its content."""

    file: PackageFile
    mdtype: str  # a METS MDTYPE; OTHER with ``other`` naming it
    other: str | None = None


@dataclass(frozen=True)
class PackageHeader:
    """Who made the package, for whom, under which agreement."""

    package_id: str
    label: str
    created: dt.datetime
    organisation: str
    board: str
    submission_agreement: str | None


def mets_xml(
    header: PackageHeader,
    *,
    descriptive: Sequence[Metadata],
    provenance: Sequence[Metadata],
    documentation: Sequence[PackageFile],
    schemas: Sequence[PackageFile],
    representations: Sequence[tuple[str, PackageFile]],
) -> bytes:
    """The root ``METS.xml`` of one package; ``representations`` are each representation's name
    and its own ``METS.xml``."""
    root = _root(header.package_id, header.label, "")
    _header(root, header)
    created = _iso(header.created)
    dmd_ids = []
    for n, meta in enumerate(descriptive, 1):
        dmd_id = f"dmd-{n:04d}"
        dmd_ids.append(dmd_id)
        section = ET.SubElement(root, f"{_M}dmdSec", {"ID": dmd_id, "CREATED": created, "STATUS": "CURRENT"})
        _md_ref(section, meta, f"dmd-ref-{n:04d}")
    amd = ET.SubElement(root, f"{_M}amdSec", {"ID": "amd-0001"})
    amd_ids = []
    for n, meta in enumerate(provenance, 1):
        amd_id = f"digiprov-{n:04d}"
        amd_ids.append(amd_id)
        section = ET.SubElement(amd, f"{_M}digiprovMD", {"ID": amd_id, "STATUS": "CURRENT"})
        _md_ref(section, meta, f"digiprov-ref-{n:04d}")
    file_sec = ET.SubElement(root, f"{_M}fileSec", {"ID": "files"})
    counter = iter(range(1, 1 << 30))
    documentation_group = _file_group(file_sec, "Documentation", "grp-documentation", documentation, counter)
    schemas_group = _file_group(file_sec, "Schemas", "grp-schemas", schemas, counter)
    representation_groups = [
        _file_group(file_sec, f"Representations/{name}", f"grp-rep-{name}", [mets_file], counter)
        for name, mets_file in representations
    ]
    struct = ET.SubElement(
        root, f"{_M}structMap", {"ID": "structmap-csip", "TYPE": "PHYSICAL", "LABEL": "CSIP"}
    )
    top = ET.SubElement(struct, f"{_M}div", {"ID": "div-package", "LABEL": header.package_id})
    ET.SubElement(
        top,
        f"{_M}div",
        {"ID": "div-metadata", "LABEL": "Metadata", "DMDID": " ".join(dmd_ids), "ADMID": " ".join(amd_ids)},
    )
    _fptr_div(top, "div-documentation", "Documentation", [documentation_group])
    _fptr_div(top, "div-schemas", "Schemas", [schemas_group])
    div = _fptr_div(top, "div-representations", "Representations", representation_groups)
    for (name, mets_file), group in zip(representations, representation_groups, strict=True):
        each = ET.SubElement(div, f"{_M}div", {"ID": f"div-rep-{name}", "LABEL": f"Representations/{name}"})
        ET.SubElement(
            each,
            f"{_M}mptr",
            {
                "LOCTYPE": "URL",
                f"{{{XLINK}}}type": "simple",
                f"{{{XLINK}}}href": mets_file.path,
                f"{{{XLINK}}}title": group,
            },
        )
    return _document(root)


def representation_mets_xml(
    header: PackageHeader, name: str, data: Sequence[PackageFile], preservation: PackageFile
) -> bytes:
    """The ``METS.xml`` of the representation ``name`` (its files' paths are relative to its folder)."""
    folder = f"representations/{name}/"
    obj_id = f"{header.package_id}-{name}"
    root = _root(obj_id, f"{header.label}: {name}", "../../")
    hdr = ET.SubElement(
        root,
        f"{_M}metsHdr",
        {
            "CREATEDATE": _iso(header.created),
            "LASTMODDATE": _iso(header.created),
            "RECORDSTATUS": "NEW",
            f"{{{CSIP}}}OAISPACKAGETYPE": "SIP",
        },
    )
    _software_agent(hdr)
    amd = ET.SubElement(root, f"{_M}amdSec", {"ID": "amd-0001"})
    section = ET.SubElement(amd, f"{_M}digiprovMD", {"ID": "digiprov-0001", "STATUS": "CURRENT"})
    _md_ref(section, Metadata(preservation, "PREMIS"), "digiprov-ref-0001", strip=folder)
    file_sec = ET.SubElement(root, f"{_M}fileSec", {"ID": "files"})
    group = _file_group(file_sec, "Data", "grp-data", data, iter(range(1, 1 << 30)), strip=folder)
    struct = ET.SubElement(
        root, f"{_M}structMap", {"ID": "structmap-csip", "TYPE": "PHYSICAL", "LABEL": "CSIP"}
    )
    top = ET.SubElement(struct, f"{_M}div", {"ID": "div-representation", "LABEL": obj_id})
    ET.SubElement(top, f"{_M}div", {"ID": "div-metadata", "LABEL": "Metadata", "ADMID": "digiprov-0001"})
    _fptr_div(top, "div-data", "Data", [group])
    return _document(root)


def _root(obj_id: str, label: str, to_package: str) -> ET.Element:
    for prefix, uri in (("mets", METS), ("csip", CSIP), ("sip", SIP), ("xlink", XLINK), ("xsi", XSI)):
        ET.register_namespace(prefix, uri)
    ET.register_namespace("", METS)
    return ET.Element(
        f"{_M}mets",
        {
            "OBJID": obj_id,
            "LABEL": xml_text(label),
            "TYPE": CONTENT_TYPE,
            f"{{{CSIP}}}OTHERTYPE": OTHER_TYPE,
            f"{{{CSIP}}}CONTENTINFORMATIONTYPE": CONTENT_INFORMATION_TYPE,
            f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE": OTHER_CONTENT_INFORMATION_TYPE,
            "PROFILE": PROFILE,
            f"{{{XSI}}}schemaLocation": " ".join(f"{ns} {to_package}{loc}" for ns, loc in SCHEMA_LOCATIONS),
        },
    )


def _document(root: ET.Element) -> bytes:
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def _header(root: ET.Element, header: PackageHeader) -> None:
    created = _iso(header.created)
    hdr = ET.SubElement(
        root,
        f"{_M}metsHdr",
        {
            "CREATEDATE": created,
            "LASTMODDATE": created,
            "RECORDSTATUS": "NEW",
            f"{{{CSIP}}}OAISPACKAGETYPE": "SIP",
        },
    )
    _software_agent(hdr)
    organisation = ET.SubElement(hdr, f"{_M}agent", {"ROLE": "CREATOR", "TYPE": "ORGANIZATION"})
    ET.SubElement(organisation, f"{_M}name").text = xml_text(header.organisation)
    board = ET.SubElement(hdr, f"{_M}agent", {"ROLE": "ARCHIVIST", "TYPE": "ORGANIZATION"})
    ET.SubElement(board, f"{_M}name").text = xml_text(header.board)
    if header.submission_agreement:
        ET.SubElement(hdr, f"{_M}altRecordID", {"TYPE": "SUBMISSIONAGREEMENT"}).text = xml_text(
            header.submission_agreement
        )


def _software_agent(hdr: ET.Element) -> None:
    software = ET.SubElement(hdr, f"{_M}agent", {"ROLE": "CREATOR", "TYPE": "OTHER", "OTHERTYPE": "SOFTWARE"})
    ET.SubElement(software, f"{_M}name").text = PRODUCT
    ET.SubElement(software, f"{_M}note", {f"{{{CSIP}}}NOTETYPE": "SOFTWARE VERSION"}).text = __version__


def _md_ref(section: ET.Element, meta: Metadata, ref_id: str, *, strip: str = "") -> None:
    attributes = {
        "ID": ref_id,
        "LOCTYPE": "URL",
        f"{{{XLINK}}}type": "simple",
        f"{{{XLINK}}}href": meta.file.path.removeprefix(strip),
        "MDTYPE": meta.mdtype,
    }
    if meta.other:
        attributes["OTHERMDTYPE"] = xml_text(meta.other)
    attributes.update(_measures(meta.file))
    ET.SubElement(section, f"{_M}mdRef", attributes)


def _file_group(
    parent: ET.Element,
    use: str,
    group_id: str,
    files: Iterable[PackageFile],
    counter: Iterable[int],
    *,
    strip: str = "",
) -> str:
    group = ET.SubElement(
        parent,
        f"{_M}fileGrp",
        {
            "ID": group_id,
            "USE": use,
            f"{{{CSIP}}}CONTENTINFORMATIONTYPE": CONTENT_INFORMATION_TYPE,
            f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE": OTHER_CONTENT_INFORMATION_TYPE,
        },
    )
    numbers = iter(counter)
    for entry in files:
        attributes = {"ID": f"file-{next(numbers):06d}", **_measures(entry)}
        if entry.format_name:
            attributes[f"{{{SIP}}}FILEFORMATNAME"] = entry.format_name
        if entry.format_version:
            attributes[f"{{{SIP}}}FILEFORMATVERSION"] = entry.format_version
        element = ET.SubElement(group, f"{_M}file", attributes)
        ET.SubElement(
            element,
            f"{_M}FLocat",
            {
                "LOCTYPE": "URL",
                f"{{{XLINK}}}type": "simple",
                f"{{{XLINK}}}href": entry.path.removeprefix(strip),
            },
        )
    return group_id


def _fptr_div(parent: ET.Element, div_id: str, label: str, groups: Sequence[str]) -> ET.Element:
    div = ET.SubElement(parent, f"{_M}div", {"ID": div_id, "LABEL": label})
    for group in groups:
        ET.SubElement(div, f"{_M}fptr", {"FILEID": group})
    return div


def _measures(entry: PackageFile) -> dict[str, str]:
    return {
        "MIMETYPE": entry.mimetype,
        "SIZE": str(entry.size),
        "CREATED": _iso(entry.created),
        "CHECKSUM": entry.sha256.upper(),
        "CHECKSUMTYPE": "SHA-256",
    }


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
