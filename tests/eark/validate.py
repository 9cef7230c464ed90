"""Validate an information package with eark-validator, offline; print the results as JSON.

Run by the tests in the separate environment ``.venv-eark`` (``make eark-venv``), which holds
eark-validator and the lxml it pins::

    .venv-eark/bin/python tests/eark/validate.py PACKAGE_FOLDER_OR_ZIP

eark-validator reads four DILCIS vocabularies over the network when it is imported. They are
answered here from the copies beside this file (``vocabularies/``, from DILCISBoard/E-ARK-CSIP),
through a urllib opener installed before the import; any other URL is refused, so nothing
leaves the machine.

Besides the validator's own results (structure, METS schema, the CSIP and SIP Schematron rules),
the package's ``METS.xml`` files (the root's and each representation's), PREMIS and descriptive
metadata are checked against the schemas the package itself carries in ``schemas/`` (lxml,
offline), as an e-archive would.
"""

from __future__ import annotations

import email.message
import io
import json
import pathlib
import sys
import urllib.error
import urllib.request
import urllib.response

HERE = pathlib.Path(__file__).resolve().parent
VOCABULARIES = {
    f"https://earkcsip.dilcis.eu/schema/{name}.xml": HERE / "vocabularies" / f"{name}.xml"
    for name in (
        "CSIPVocabularyContentCategory",
        "CSIPVocabularyContentInformationType",
        "CSIPVocabularyOAISPackageType",
        "CSIPVocabularyStatus",
    )
}


class _LocalVocabularies(urllib.request.BaseHandler):
    """Answers the DILCIS vocabulary URLs from files; refuses every other URL."""

    def _answer(self, request: urllib.request.Request) -> urllib.response.addinfourl:
        url = request.full_url
        path = VOCABULARIES.get(url)
        if path is None:
            raise urllib.error.URLError(f"offline: {url} is not one of the test's vocabularies")
        headers = email.message.Message()
        headers["Content-Type"] = "application/xml"
        return urllib.response.addinfourl(io.BytesIO(path.read_bytes()), headers, url, 200)

    def http_open(self, request: urllib.request.Request) -> urllib.response.addinfourl:
        return self._answer(request)

    def https_open(self, request: urllib.request.Request) -> urllib.response.addinfourl:
        return self._answer(request)


def _opener() -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    opener.add_handler(_LocalVocabularies())
    return opener


def _results(report: object) -> list[dict[str, str | None]]:
    out = []
    structure = getattr(report, "structure", None)
    metadata = getattr(report, "metadata", None)
    groups = [("structure", structure.messages if structure else [])]
    if metadata is not None:
        groups.append(("schema", metadata.schema_results.messages))
        groups.append(("schematron", metadata.schematron_results.messages))
    for source, messages in groups:
        for message in messages:
            out.append(
                {
                    "source": source,
                    "rule_id": message.rule_id,
                    "severity": message.severity.value,
                    "location": message.location,
                    "message": message.message,
                }
            )
    return out


def _own_schemas(root: pathlib.Path) -> list[str]:
    """Problems of the package's XML against the schemas it carries (empty when valid)."""
    from lxml import etree

    schemas = root / "schemas"
    xlink = (schemas / "xlink.xsd").as_uri()
    # One driver schema imports every namespace from the package's own files first, so the
    # import of xlink inside mets.xsd (a URL on the web) is already satisfied and never fetched.
    driver = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
      <xs:import namespace="http://www.w3.org/1999/xlink" schemaLocation="{xlink}"/>
      <xs:import namespace="http://www.loc.gov/METS/" schemaLocation="{(schemas / "mets.xsd").as_uri()}"/>
      <xs:import namespace="https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
                 schemaLocation="{(schemas / "DILCISExtensionMETS.xsd").as_uri()}"/>
      <xs:import namespace="https://DILCIS.eu/XML/METS/SIPExtensionMETS"
                 schemaLocation="{(schemas / "DILCISExtensionSIPMETS.xsd").as_uri()}"/>
      <xs:import namespace="http://www.loc.gov/premis/v3"
                 schemaLocation="{(schemas / "premis-v3-0.xsd").as_uri()}"/>
      <xs:import namespace="urn:social-records-archive:description:1"
                 schemaLocation="{(schemas / "social-records-description.xsd").as_uri()}"/>
    </xs:schema>"""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    schema = etree.XMLSchema(etree.fromstring(driver.encode(), parser))
    problems = []
    names = ["METS.xml", "metadata/preservation/premis.xml", "metadata/descriptive/description.xml"]
    for representation in sorted((root / "representations").iterdir()):
        folder = representation.relative_to(root).as_posix()
        names += [f"{folder}/METS.xml", f"{folder}/metadata/preservation/premis.xml"]
    for name in names:
        document = etree.parse(str(root / name), parser)
        if not schema.validate(document):
            problems.extend(f"{name}:{e.line}: {e.message}" for e in schema.error_log)
    return problems


def main(argv: list[str]) -> int:
    urllib.request.install_opener(_opener())
    from eark_validator import packages
    from eark_validator.specifications.specification import SpecificationVersion

    target = pathlib.Path(argv[1])
    report = packages.PackageValidator(target, SpecificationVersion.V2_1_0).validation_report
    folder = target if target.is_dir() else None
    document = {
        "structure_status": report.structure.status.value if report.structure else None,
        "results": _results(report),
        "own_schemas": _own_schemas(folder) if folder else None,
    }
    print(json.dumps(document, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
