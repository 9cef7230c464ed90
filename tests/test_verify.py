"""``archivectl verify``: every signature, timestamp, listed object and the coverage rule, offline.

A night captured with a signing key and a loopback TSA verifies clean; then one thing at a time is
broken the way an intruder with write access to the store could, and verify names it by its key
and exits 1.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from archive_lib.capture.account import CaptureOptions
from archive_lib.cli.main import main
from archive_lib.evidence.keys import generate_signing_key, public_pem
from archive_lib.evidence.signing import Signer, json_document, put_signed
from archive_lib.evidence.timestamps import TsaClient, load_trust_anchors
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage import FileStore
from tests.audit_world import AuditWorld
from tests.fakes.mastodon import FakeMastodon
from tests.signing import TEST_KEY, signer_for_tests
from tests.tsa import LoopbackTsa

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT = dt.date(2026, 11, 20)
KEEP = ObjectRetention("bevaras", None)


@dataclass
class Archive:
    store: FileStore
    tsa: LoopbackTsa
    manifest: str

    @property
    def root(self) -> pathlib.Path:
        return self.store.root

    def tamper(self, key: str, data: bytes) -> None:
        """Replace the bytes under ``key`` behind the store's back (as root or after a chmod could)."""
        path = self.root / key
        path.chmod(0o644)
        path.write_bytes(data)


@pytest.fixture(scope="module")
def signed_night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LoopbackTsa, pathlib.Path]]:
    """A TSA on loopback, and a night captured with a signing key and that TSA (once per module)."""
    folder = tmp_path_factory.mktemp("signed-night")
    with LoopbackTsa(folder / "tsa") as tsa, FakeMastodon(now=NOW) as fake:
        world = AuditWorld(fake, folder, FileStore((folder / "archive").as_uri()))
        fake.post(world.town, fake.html("Bibblan har öppet till 20 i kväll."), at=NOW)
        client = TsaClient([tsa.url], anchors=load_trust_anchors(tsa.ca))
        result = world.capture(NIGHT, "ks-mastodon", options=CaptureOptions(signer=signer_for_tests(client)))
        assert result.status == "ok", result.error
        yield tsa, folder / "archive"


@pytest.fixture
def archive(signed_night: tuple[LoopbackTsa, pathlib.Path], tmp_path: pathlib.Path) -> Archive:
    """A copy of the signed night for one test to break."""
    tsa, folder = signed_night
    tsa.mode = "ok"
    shutil.copytree(folder, tmp_path / "archive")
    store = FileStore((tmp_path / "archive").as_uri())
    [manifest] = [k for k in store.list("manifests/") if k.endswith(".json")]
    return Archive(store, tsa, manifest)


def _verify(archive: Archive, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code = main(
        ["verify", "--store", archive.store.url, "--tsa-ca", str(archive.tsa.ca), "--format", "json", *extra]
    )
    return code, json.loads(capsys.readouterr().out)


def _problems(report: dict[str, Any]) -> set[tuple[str, str]]:
    return {(p["kind"], p["key"]) for p in report["problems"]}


def test_a_signed_timestamped_night_verifies(archive: Archive, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _verify(archive, capsys)
    assert code == 0, report["problems"]
    assert report["ok"] is True and report["problems"] == []
    assert report["counts"]["documents"] == 1
    assert report["counts"]["listed_objects_checked"] == report["counts"]["objects"] >= 3  # WARC, items, runs


def test_verify_finds_a_manifest_whose_bytes_were_changed(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (archive.root / archive.manifest).read_bytes()
    archive.tamper(archive.manifest, data.replace(b'"status": "ok"', b'"status": "OK"'))
    code, report = _verify(archive, capsys)
    assert code == 1
    assert ("signature_invalid", archive.manifest) in _problems(report)
    # What it listed is no longer vouched for.
    assert {k for kind, k in _problems(report) if kind == "not_covered"} == {
        k for k in archive.store.list("") if k.startswith(("warc/", "metadata/", "leases/"))
    }


def test_verify_finds_a_signature_from_an_unknown_key(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = generate_signing_key()
    key = "exports/2026/11/20/20261120T120000Z_0badc0de.json"
    body = json_document({"export_id": "20261120T120000Z_0badc0de", "signing_key_id": stranger.key_id})
    archive.store.put(key, body, retention=KEEP, tags={"kind": "export"})
    archive.store.put(key + ".sig", stranger.sign(body), retention=KEEP, tags={"kind": "export"})
    code, report = _verify(archive, capsys)
    assert code == 1
    assert _problems(report) == {("signature_unknown_key", key)}


def test_verify_finds_an_object_not_covered_by_any_manifest(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    stray = "warc/mastodon/ks-mastodon/2026/11/20/inlagd-efterhand.warc.gz"
    archive.store.put(stray, b"not captured by the archive", retention=KEEP, tags={"kind": "warc"})
    code, report = _verify(archive, capsys)
    assert code == 1
    assert _problems(report) == {("not_covered", stray)}
    # Outside the nights asked for, it is not looked at.
    code, report = _verify(archive, capsys, "--since", "2026-11-21")
    assert code == 0 and report["counts"]["objects"] == 0


def test_verify_finds_a_timestamp_that_does_not_match(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    archive.tamper(archive.manifest + ".tsr", archive.tsa.reply_for_data(b"some other signature"))
    code, report = _verify(archive, capsys)
    assert code == 1
    [problem] = report["problems"]
    assert (problem["kind"], problem["key"]) == ("timestamp_invalid", archive.manifest)
    assert "imprint" in problem["detail"]


def test_verify_finds_a_timestamp_before_the_signing_time(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    client = TsaClient([archive.tsa.url], anchors=load_trust_anchors(archive.tsa.ca))
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)  # the signer claims a time yet to come
    signer = Signer(TEST_KEY, tsa=client, now=lambda: later)
    key = "exports/2026/11/20/20261120T130000Z_00c0ffee.json"
    put_signed(archive.store, key, {"export_id": "x"}, retention=KEEP, tags={"kind": "export"}, signer=signer)
    code, report = _verify(archive, capsys)
    assert code == 1
    assert _problems(report) == {("timestamp_before_signing", key)}
    # Within a tolerance of more than the hour, it holds.
    code, report = _verify(archive, capsys, "--tolerance", "7200")
    assert code == 0, report["problems"]


def test_verify_finds_a_changed_warc_file(archive: Archive, capsys: pytest.CaptureFixture[str]) -> None:
    [warc] = [k for k in archive.store.list("warc/")]
    data = bytearray((archive.root / warc).read_bytes())
    data[-3] ^= 0x01
    archive.tamper(warc, bytes(data))
    code, report = _verify(archive, capsys)
    assert code == 1
    assert _problems(report) == {("object_changed", warc)}


def test_verify_finds_a_missing_timestamp_and_an_unsigned_manifest(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    (archive.root / (archive.manifest + ".tsr")).unlink()
    code, report = _verify(archive, capsys)
    assert code == 1 and _problems(report) == {("untimestamped", archive.manifest)}
    (archive.root / (archive.manifest + ".sig")).unlink()
    code, report = _verify(archive, capsys)
    assert code == 1
    assert ("unsigned", archive.manifest) in _problems(report)
    assert {kind for kind, _ in _problems(report)} == {"unsigned", "not_covered"}


def test_verify_prints_problems_as_text_by_default(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    archive.store.put("metadata/okand.bin", b"\x1b[2J", retention=KEEP, tags={"kind": "other"})
    code = main(["verify", "--store", archive.store.url, "--tsa-ca", str(archive.tsa.ca)])
    out = capsys.readouterr()
    assert code == 1
    assert out.out.splitlines() == ["not_covered metadata/okand.bin: no signed document lists this object"]
    assert "1 problems" in out.err


def test_verify_finds_a_public_key_swapped_for_another(
    archive: Archive, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = f"keys/{TEST_KEY.key_id}.pem"
    archive.tamper(pem, public_pem(generate_signing_key().public))
    archive.store.put("keys/readme.txt", b"trust me", retention=KEEP, tags={"kind": "key"})
    code, report = _verify(archive, capsys)
    assert code == 1
    problems = _problems(report)
    assert {("key_invalid", pem), ("key_invalid", "keys/readme.txt")} <= problems
    assert ("signature_unknown_key", archive.manifest) in problems
