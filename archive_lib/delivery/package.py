"""Writing the SIPs of a delivery: one per account and period (see the package docstring).

Each package is built in a hidden folder in the output folder and published under its id
(``@OBJID``, the root folder's name) only when whole, or zipped (``--zip``) with that one root
folder inside. Stored objects are streamed into it and their SHA-256 checked against their
manifests on the way. Only accounts of a permanent class (*bevaras*) are delivered unless
``all_classes`` is set. Every package is then recorded in the archive (:mod:`.record`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import pathlib
import re
import secrets
import shutil
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from archive_lib import PRODUCT, __version__
from archive_lib.delivery import description, documentation, mets, premis
from archive_lib.delivery.contents import AccountContents, account_contents
from archive_lib.delivery.files import CHUNK, PackageFile, PackageWriter, fsync_tree
from archive_lib.delivery.record import record_delivery
from archive_lib.errors import ConfigError
from archive_lib.evidence.signing import Signer
from archive_lib.inert import safe_name
from archive_lib.layout import ItemsPart
from archive_lib.metadata.parts import account_parts, read_part
from archive_lib.models import Account, Inventory
from archive_lib.registry.render import DEPTH_CSS, render, stylesheet
from archive_lib.registry.thread import build_thread
from archive_lib.storage.base import ObjectStore

log = logging.getLogger(__name__)

SCHEMAS = pathlib.Path(__file__).parent / "schemas"
SCHEMA_FILES = (
    "mets.xsd",
    "xlink.xsd",
    "DILCISExtensionMETS.xsd",
    "DILCISExtensionSIPMETS.xsd",
    premis.SCHEMA_FILE,
    description.SCHEMA_FILE,
)
WARC_FORMAT = ("WARC", "1.1")
PARQUET_FORMAT = ("Apache Parquet", None)
HTML_FORMAT = ("HTML", "5")
SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")


@dataclass(frozen=True)
class DeliveryRequest:
    """What to deliver: accounts (by id, or every account of a board) and a period of nights."""

    since: dt.date
    until: dt.date
    out: pathlib.Path
    account_ids: tuple[str, ...] = ()
    board: str | None = None
    submission_agreement: str | None = None
    zip: bool = False
    all_classes: bool = False

    def __post_init__(self) -> None:
        if bool(self.account_ids) == bool(self.board):
            raise ConfigError("give either accounts (--account) or a board (--board)")
        if self.since > self.until:
            raise ConfigError(f"--since {self.since} is after --until {self.until}")


@dataclass
class DeliveryResult:
    """One SIP written and recorded."""

    package_id: str
    account_id: str
    path: pathlib.Path
    record_key: str
    files: int
    bytes: int
    warc_files: int
    threads: int
    mets_sha256: str
    zip_sha256: str | None = None


@dataclass
class Delivery:
    """What a delivery did: the packages written, and the accounts left out with the reason."""

    packages: list[DeliveryResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def select_accounts(
    inventory: Inventory, request: DeliveryRequest
) -> tuple[list[Account], list[tuple[str, str]]]:
    """The accounts to deliver, and those of the board left out (with why)."""
    skipped: list[tuple[str, str]] = []
    if request.account_ids:
        accounts = []
        for account_id in request.account_ids:
            try:
                account = inventory.account(account_id)
            except KeyError:
                raise ConfigError(f"no account {account_id!r} in the inventory") from None
            if not (account.retention.permanent or request.all_classes):
                raise ConfigError(
                    f"account {account_id} is in class {account.retention.name}, which is not kept "
                    "permanently (bevaras): give --all to deliver it anyway"
                )
            accounts.append(account)
        return accounts, skipped
    board = [a for a in inventory.accounts if a.board == request.board]
    if not board:
        raise ConfigError(f"no account of the board {request.board!r} in the inventory")
    accounts = []
    for account in board:
        if account.retention.permanent or request.all_classes:
            accounts.append(account)
        else:
            skipped.append((account.id, f"class {account.retention.name} is not kept permanently (--all)"))
    return accounts, skipped


def deliver(
    store: ObjectStore,
    inventory: Inventory,
    request: DeliveryRequest,
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    signer: Signer | None = None,
) -> Delivery:
    """Write one SIP per selected account into ``request.out`` and record each in the store
    (signed by ``signer`` when there is one)."""
    accounts, skipped = select_accounts(inventory, request)
    try:
        request.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot write to {request.out}: {exc.strerror}") from exc
    outcome = Delivery(skipped=skipped)
    for account in accounts:
        contents = account_contents(store, account, request.since, request.until)
        if contents.empty:
            outcome.skipped.append((account.id, f"nothing captured from {request.since} to {request.until}"))
            continue
        outcome.packages.append(_deliver_account(store, inventory, contents, request, now, signer))
    return outcome


def _deliver_account(
    store: ObjectStore,
    inventory: Inventory,
    contents: AccountContents,
    request: DeliveryRequest,
    now: Callable[[], dt.datetime],
    signer: Signer | None,
) -> DeliveryResult:
    made_at = now().astimezone(dt.UTC).replace(microsecond=0)
    delivery_id = f"{made_at:%Y%m%dT%H%M%SZ}_{secrets.token_hex(4)}"
    account = contents.account
    package_id = f"{account.id}_{request.since:%Y%m%d}-{request.until:%Y%m%d}_{delivery_id}"
    staging = pathlib.Path(tempfile.mkdtemp(prefix=f".{package_id}.", dir=request.out))
    try:
        root = staging / package_id
        root.mkdir()
        built = _build(store, inventory, contents, request, root, package_id, made_at)
        fsync_tree(root)
        if request.zip:
            path = request.out / f"{package_id}.zip"
            zip_sha256: str | None = _zip(root, path)
        else:
            path = request.out / package_id
            os.rename(root, path)
            zip_sha256 = None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    files, threads = built
    mets_file = files["METS.xml"]
    size = sum(f.size for f in files.values())
    record = {
        "delivery_id": delivery_id,
        "package_id": package_id,
        "made_at": made_at.isoformat(),
        "software": f"{PRODUCT}/{__version__}",
        "organisation": inventory.organisation,
        "account_id": account.id,
        "platform": account.platform,
        "board": account.board,
        "retention_class": account.retention.name,
        "since": request.since.isoformat(),
        "until": request.until.isoformat(),
        "submission_agreement": request.submission_agreement,
        "package": path.name,
        "mets_sha256": mets_file.sha256,
        "zip_sha256": zip_sha256,
        "files": len(files),
        "bytes": size,
        "sources": [
            {"key": f.source_key, "path": f.path, "size": f.size, "sha256": f.sha256}
            for f in files.values()
            if f.source_key
        ],
    }
    key = record_delivery(store, made_at, delivery_id, record, signer)
    log.info("delivered %s as %s, recorded as %s", account.id, path, key, extra={"account_id": account.id})
    return DeliveryResult(
        package_id,
        account.id,
        path,
        key,
        len(files),
        size,
        len(contents.warc),
        threads,
        mets_file.sha256,
        zip_sha256,
    )


def _build(
    store: ObjectStore,
    inventory: Inventory,
    contents: AccountContents,
    request: DeliveryRequest,
    root: pathlib.Path,
    package_id: str,
    made_at: dt.datetime,
) -> tuple[dict[str, PackageFile], int]:
    """Write every file of the package under ``root``; the files by path, and the threads rendered."""
    writer = PackageWriter(root, made_at)
    expected = contents.expected_sha256()
    account = contents.account
    warc = []
    for key in contents.warc:
        night = key.split("/")[3:6]
        path = f"representations/warc/data/{'-'.join(night)}/{key.rsplit('/', 1)[-1]}"
        warc.append(
            writer.copy(
                store,
                key,
                path,
                "application/warc",
                expected_sha256=expected.get(key),
                format_name=WARC_FORMAT[0],
                format_version=WARC_FORMAT[1],
            )
        )
    parquet = []
    for part in contents.items:
        path = f"representations/metadata/data/items/run_date={part.run_date}/{part.key.rsplit('/', 1)[-1]}"
        parquet.append(_copy_parquet(writer, store, part.key, path, expected))
    for key in contents.runs:
        path = f"representations/metadata/data/runs/{'/'.join(key.split('/')[2:])}"
        parquet.append(_copy_parquet(writer, store, key, path, expected))
    renditions, versions, items = _renditions(store, writer, contents, package_id, made_at)
    header = mets.PackageHeader(
        package_id=package_id,
        label=f"{account.board}: {account.id} ({account.platform}) {request.since} to {request.until}",
        created=made_at,
        organisation=inventory.organisation,
        board=account.board,
        submission_agreement=request.submission_agreement,
    )
    representations = []
    for name, data in (("warc", warc), ("metadata", parquet), ("renditions", renditions)):
        if not data:
            continue
        folder = f"representations/{name}"
        rep_premis = writer.write(
            f"{folder}/metadata/preservation/premis.xml",
            premis.representation_premis_xml(data),
            "application/xml",
        )
        rep_mets = writer.write(
            f"{folder}/METS.xml",
            mets.representation_mets_xml(header, name, data, rep_premis),
            "application/xml",
        )
        representations.append((name, rep_mets))
    evidence: list[mets.Metadata] = []
    timestamps: dict[str, bytes] = {}
    for manifest in contents.manifests:
        folder = f"metadata/preservation/manifests/{manifest.night}"
        name = manifest.key.rsplit("/", 1)[-1]
        entry = writer.copy(store, manifest.key, f"{folder}/{name}", "application/json", expected_sha256=None)
        evidence.append(mets.Metadata(entry, "OTHER", "run manifest (JSON)"))
        if manifest.signature:
            entry = writer.copy(
                store,
                manifest.signature,
                f"{folder}/{name}.sig",
                "application/octet-stream",
                expected_sha256=None,
            )
            evidence.append(mets.Metadata(entry, "OTHER", "Ed25519 signature of the run manifest"))
        if manifest.timestamp:
            entry = writer.copy(
                store,
                manifest.timestamp,
                f"{folder}/{name}.tsr",
                "application/timestamp-reply",
                expected_sha256=None,
            )
            timestamps[manifest.timestamp] = (root / entry.path).read_bytes()
            evidence.append(mets.Metadata(entry, "OTHER", "RFC 3161 TimeStampResp over the signature"))
    for key in contents.public_keys:
        name = key.rsplit("/", 1)[-1]
        if not SAFE_FILE_NAME.match(name):  # a key id the signer chose: kept readable, made inert
            name = f"{safe_name(name.removesuffix('.pem'))}.pem"
        entry = writer.copy(
            store, key, f"metadata/preservation/keys/{name}", "text/plain", expected_sha256=None
        )
        evidence.append(mets.Metadata(entry, "OTHER", "Ed25519 public key (SubjectPublicKeyInfo PEM)"))
    marked = description.marked_items(store, account.id, items)
    counts = {
        "warc files": len(warc),
        "items parts": len(contents.items),
        "runs": len(contents.runs),
        "manifests": len(contents.manifests),
        "threads": len(renditions),
        "items": len(items),
        "item versions": versions,
    }
    descriptive = writer.write(
        "metadata/descriptive/description.xml",
        description.description_xml(
            inventory,
            account,
            request.since,
            request.until,
            nights=contents.nights(),
            counts=counts,
            marked=marked,
        ),
        "application/xml",
    )
    docs = [
        writer.write(
            "documentation/system-description.html",
            documentation.system_description(inventory, account, package_id),
            "text/html",
            format_name=HTML_FORMAT[0],
            format_version=HTML_FORMAT[1],
        ),
        writer.write("documentation/data-dictionary.csv", documentation.data_dictionary_csv(), "text/csv"),
    ]
    schemas = [
        writer.write(f"schemas/{name}", (SCHEMAS / name).read_bytes(), "application/xml")
        for name in SCHEMA_FILES
    ]
    preservation = writer.write(
        "metadata/preservation/premis.xml",
        premis.premis_xml(
            inventory,
            contents,
            [f for f in writer.files.values()],
            package_id=package_id,
            made_at=made_at,
            timestamps=timestamps,
        ),
        "application/xml",
    )
    writer.write(
        "METS.xml",
        mets.mets_xml(
            header,
            descriptive=[mets.Metadata(descriptive, "OTHER", "social-records-archive description")],
            provenance=[mets.Metadata(preservation, "PREMIS"), *evidence],
            documentation=docs,
            schemas=schemas,
            representations=representations,
        ),
        "application/xml",
    )
    return writer.files, len(renditions)


def _copy_parquet(
    writer: PackageWriter, store: ObjectStore, key: str, path: str, expected: dict[str, str]
) -> PackageFile:
    return writer.copy(
        store,
        key,
        path,
        "application/vnd.apache.parquet",
        expected_sha256=expected.get(key),
        format_name=PARQUET_FORMAT[0],
    )


def _renditions(
    store: ObjectStore,
    writer: PackageWriter,
    contents: AccountContents,
    package_id: str,
    made_at: dt.datetime,
) -> tuple[list[PackageFile], int, set[str]]:
    """An HTML rendition of every thread with a version captured in the period, as archived by
    the end of the period; the files, the versions delivered and the item ids."""
    account = contents.account
    posts: set[str] = set()
    versions = 0
    items: set[str] = set()
    for part in contents.items:
        for row in read_part(store, part, ("post_id", "item_id")):
            posts.add(str(row["post_id"]))
            items.add(str(row["item_id"]))
            versions += 1
    if not posts:
        return [], versions, items
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for part in _parts_until(store, account.id, contents.until):
        for row in read_part(store, part, where=("post_id", sorted(posts))):
            rows[str(row["post_id"])].append(row)
    css = stylesheet()
    files = []
    for post_id in sorted(posts):
        thread = build_thread(rows[post_id], account.id, post_id, post_id, contents.until)
        page = render(
            "delivery_thread.html",
            thread=thread,
            css=css,
            depth_css=DEPTH_CSS,
            package_id=package_id,
            as_of=contents.until.isoformat(),
            made_at=made_at.isoformat(),
            software=f"{PRODUCT}/{__version__}",
        )
        path = f"representations/renditions/data/threads/{safe_name(account.id, post_id)}.html"
        files.append(
            writer.write(
                path,
                page.encode("utf-8"),
                "text/html",
                format_name=HTML_FORMAT[0],
                format_version=HTML_FORMAT[1],
            )
        )
    return files, versions, items


def _parts_until(store: ObjectStore, account_id: str, until: dt.date) -> Sequence[ItemsPart]:
    return [p for p in account_parts(store, account_id) if p.run_date <= until]


def _zip(root: pathlib.Path, path: pathlib.Path) -> str:
    """Zip the package folder ``root`` (as the archive's one root folder) to ``path``; its SHA-256."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(p for p in root.rglob("*") if p.is_file()):
                    name = f"{root.name}/{file.relative_to(root).as_posix()}"
                    stored = file.name.endswith((".gz", ".parquet", ".zip"))
                    archive.write(
                        file, name, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                    )
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # never replaces a file that appeared meanwhile
    except FileExistsError:
        raise ConfigError(f"{path} exists already") from None
    finally:
        os.unlink(tmp)
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
