"""Signed, timestamped evidence, checked with the tools an outsider has: openssl and archivectl verify.

A real night is captured from the fake Mastodon server with a signing key and a Time-Stamp
Authority on loopback (``openssl ts -reply`` behind a small HTTP server, with a CA the test
makes); openssl then accepts the manifest's signature and its timestamp token. A TSA that is down
leaves the night signed and the audit naming what is untimestamped, until the next run adds it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import subprocess
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_lib.audit import AuditOptions, audit_period, run_audit
from archive_lib.capture.account import CaptureOptions
from archive_lib.errors import ConfigError
from archive_lib.evidence.check import KeyRing, check_document
from archive_lib.evidence.config import signer_from_settings
from archive_lib.evidence.keys import generate_signing_key, private_pem
from archive_lib.evidence.signing import Signer, put_signed, timestamp_missing
from archive_lib.evidence.timestamps import (
    TimestampRefused,
    TsaClient,
    check_token,
    decode,
    load_trust_anchors,
)
from archive_lib.retention_classes import ObjectRetention
from archive_lib.settings import Settings
from archive_lib.storage import FileStore
from tests.audit_world import AuditWorld, kinds
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import PROCESS_TIMEOUT, capture_command, read_items, write_inventory
from tests.signing import TEST_KEY, signer_for_tests, write_key_file
from tests.tsa import LoopbackTsa

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
NIGHT = dt.date(2026, 11, 20)
NEXT = dt.date(2026, 11, 21)
KEEP = ObjectRetention("bevaras", None)


@pytest.fixture
def tsa(tmp_path: pathlib.Path) -> Iterator[LoopbackTsa]:
    with LoopbackTsa(tmp_path / "tsa") as server:
        yield server


@pytest.fixture
def world(tmp_path: pathlib.Path) -> Iterator[AuditWorld]:
    with FakeMastodon(now=NOW) as fake:
        store = FileStore((tmp_path / "archive").as_uri())
        world = AuditWorld(fake, tmp_path, store)
        fake.post(world.town, fake.html("Badhuset öppnar igen på måndag."), at=NOW - dt.timedelta(hours=3))
        yield world


def _client(tsa: LoopbackTsa) -> TsaClient:
    return TsaClient([tsa.url], anchors=load_trust_anchors(tsa.ca))


def _night(world: AuditWorld, night: dt.date, signer: Signer | None) -> str:
    """Capture ``night`` signed by ``signer``; the key of its manifest."""
    result = world.capture(night, "ks-mastodon", options=CaptureOptions(signer=signer))
    assert result.status == "ok", result.error
    return f"manifests/{night}/{result.run_id}.json"


def _openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["openssl", *args], capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False
    )


def test_openssl_accepts_the_signature_and_timestamp_of_a_real_nights_manifest(
    world: AuditWorld, tsa: LoopbackTsa
) -> None:
    key = _night(world, NIGHT, signer_for_tests(_client(tsa)))
    root = world.store.root  # type: ignore[attr-defined]
    doc = root / key
    manifest = json.loads(doc.read_bytes())
    key_id = manifest["signing_key_id"]
    assert key_id == TEST_KEY.key_id and len(key_id) == 16
    assert manifest["objects"] and manifest["status"] == "ok"
    assert len((root / f"{key}.sig").read_bytes()) == 64

    signature = _openssl(
        "pkeyutl", "-verify", "-pubin", "-inkey", str(root / f"keys/{key_id}.pem"),
        "-rawin", "-in", str(doc), "-sigfile", str(root / f"{key}.sig"),
    )  # fmt: skip
    assert signature.returncode == 0, signature.stdout + signature.stderr
    assert "Signature Verified Successfully" in signature.stdout

    token = _openssl(
        "ts", "-verify", "-data", str(root / f"{key}.sig"), "-in", str(root / f"{key}.tsr"),
        "-CAfile", str(tsa.ca),
    )  # fmt: skip
    assert token.returncode == 0, token.stdout + token.stderr
    assert "Verification: OK" in token.stdout

    # The token is of the signature: openssl refuses it for the document's own bytes.
    wrong = _openssl(
        "ts", "-verify", "-data", str(doc), "-in", str(root / f"{key}.tsr"), "-CAfile", str(tsa.ca)
    )
    assert wrong.returncode != 0
    info = json.loads((root / f"keys/{key_id}.json").read_bytes())
    assert info["key_id"] == key_id and info["first_used"].startswith(str(dt.datetime.now(dt.UTC).year))
    assert tsa.granted == 1


def test_a_tsa_that_is_down_is_retried_by_the_next_run(world: AuditWorld, tsa: LoopbackTsa) -> None:
    signer = signer_for_tests(_client(tsa))
    tsa.mode = "down"
    first = _night(world, NIGHT, signer)
    store = world.store
    assert store.exists(first + ".sig") and not store.exists(first + ".tsr")  # signed, night not failed
    inventory = world.inventory()
    options = AuditOptions(full=True, want_timestamps=True, tsa_anchors=load_trust_anchors(tsa.ca))
    report = run_audit(store, inventory, audit_period(NIGHT, NIGHT, world.clock.now()), options=options)
    assert [(p.kind, p.key) for p in report.problems] == [("untimestamped", first)]

    tsa.mode = "ok"
    second = _night(world, NEXT, signer)
    assert store.exists(first + ".tsr") and store.exists(second + ".tsr")
    ring = KeyRing(store)
    for key in (first, second):
        with store.open(key) as handle:
            checked = check_document(
                store, key, handle.read(), ring, anchors=load_trust_anchors(tsa.ca), want_timestamp=True
            )
        assert checked.signed and checked.problems == []
    report = run_audit(store, inventory, audit_period(NIGHT, NEXT, world.clock.now()), options=options)
    assert "untimestamped" not in kinds(report)
    # The store is write-once: a retry finds nothing left to do and asks the TSA nothing.
    asked = tsa.requests
    assert timestamp_missing(store, ["manifests/"], _client(tsa)) == []
    assert tsa.requests == asked


def test_without_a_key_the_archive_runs_unsigned_and_the_audit_says_so(world: AuditWorld) -> None:
    key = _night(world, NIGHT, None)
    store = world.store
    assert not store.exists(key + ".sig") and list(store.list("keys/")) == []
    report = run_audit(store, world.inventory(), audit_period(NIGHT, NIGHT, world.clock.now()))
    assert [(p.kind, p.key) for p in report.problems] == [("unsigned", key)]


def test_a_hostile_tsa_gives_no_timestamp_and_fails_nothing(tmp_path: pathlib.Path, tsa: LoopbackTsa) -> None:
    store = FileStore((tmp_path / "store").as_uri())
    for n, mode in enumerate(("garbage", "other", "rejection", "down")):
        tsa.mode = mode
        key = f"exports/2026/11/20/20261120T10000{n}Z_0123abcd.json"
        put_signed(
            store,
            key,
            {"n": n},
            retention=KEEP,
            tags={"kind": "export"},
            signer=signer_for_tests(_client(tsa)),
        )
        assert store.exists(key + ".sig") and not store.exists(key + ".tsr"), mode
    # An answer larger than the client takes is cut off, not read to its end.
    tsa.mode = "ok"
    small = TsaClient([tsa.url], anchors=load_trust_anchors(tsa.ca), max_bytes=100)
    assert small.timestamp(b"s" * 64) is None
    # Tried in order: a TSA that is down is passed over for the next one.
    both = TsaClient(["http://127.0.0.1:9/down", tsa.url], anchors=load_trust_anchors(tsa.ca))
    assert both.timestamp(b"s" * 64) is not None


def test_a_rotated_key_stays_verifiable(tmp_path: pathlib.Path) -> None:
    store = FileStore((tmp_path / "store").as_uri())
    old, new = TEST_KEY, generate_signing_key()
    put_signed(store, "exports/2026/11/20/20261120T100000Z_0000aaaa.json", {"a": 1}, retention=KEEP,
               tags={"kind": "export"}, signer=Signer(old))  # fmt: skip
    put_signed(store, "exports/2026/11/21/20261121T100000Z_0000bbbb.json", {"b": 2}, retention=KEEP,
               tags={"kind": "export"}, signer=Signer(new))  # fmt: skip
    assert sorted(store.list("keys/")) == sorted(
        f"keys/{k.key_id}.{ext}" for k in (old, new) for ext in ("json", "pem")
    )
    ring = KeyRing(store)
    for key in store.list("exports/"):
        if key.endswith(".json"):
            with store.open(key) as handle:
                assert check_document(
                    store, key, handle.read(), ring, anchors=None, want_timestamp=False
                ).signed


def test_the_signer_comes_from_the_settings(tmp_path: pathlib.Path) -> None:
    assert signer_from_settings(Settings({})) is None
    path = write_key_file(tmp_path)
    signer = signer_from_settings(Settings({"ARCHIVE_SIGNING_KEY": str(path)}))
    assert signer is not None and signer.key_id == TEST_KEY.key_id and signer.tsa is None
    # The Airflow glue passes the PEM from a Connection; the file is then not read.
    from_connection = signer_from_settings(Settings({}), lambda: path.read_bytes())
    assert from_connection is not None and from_connection.key_id == TEST_KEY.key_id
    (tmp_path / "bad.pem").write_text("-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match=r"bad\.pem"):
        signer_from_settings(Settings({"ARCHIVE_SIGNING_KEY": str(tmp_path / "bad.pem")}))
    with pytest.raises(ConfigError, match="not an http"):
        signer_from_settings(Settings({"ARCHIVE_SIGNING_KEY": str(path), "ARCHIVE_TSA_URL": "ftp://x"}))


def test_under_airflow_the_key_can_come_from_a_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    from archive_lib.airflow_glue.signing import archive_signer

    connection = {"conn_type": "generic", "password": private_pem(TEST_KEY).decode()}
    monkeypatch.setenv("AIRFLOW_CONN_ARCHIVE_SIGNING", json.dumps(connection))
    signer = archive_signer(Settings({"ARCHIVE_SIGNING_CONNECTION": "archive_signing"}))
    assert signer is not None and signer.key_id == TEST_KEY.key_id
    monkeypatch.setenv("AIRFLOW_CONN_ARCHIVE_SIGNING", json.dumps({"conn_type": "generic"}))
    with pytest.raises(ConfigError, match="no password"):
        archive_signer(Settings({"ARCHIVE_SIGNING_CONNECTION": "archive_signing"}))


def test_capture_refuses_a_key_it_cannot_use_before_writing_anything(tmp_path: pathlib.Path) -> None:
    inventory = write_inventory(tmp_path, "http://127.0.0.1:9", [{"id": "ks-mastodon", "handle": "k"}])
    store = tmp_path / "archive"
    (tmp_path / "key.pem").write_text("not a key")
    env = {**os.environ, "ARCHIVE_SIGNING_KEY": str(tmp_path / "key.pem")}
    result = subprocess.run(
        capture_command(inventory, store.as_uri()),
        capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "key.pem: not an unencrypted PEM private key" in result.stderr
    assert not store.exists()


def test_an_export_log_entry_is_signed_and_the_whole_store_verifies(
    world: AuditWorld, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archive_lib.audit.verify import verify_store
    from archive_lib.cli.main import main

    _night(world, NIGHT, signer_for_tests())
    monkeypatch.setenv("ARCHIVE_SIGNING_KEY", str(write_key_file(tmp_path)))
    [row] = read_items(world.store)
    code = main(
        ["export", "--store", world.store.url, "--index", str(tmp_path / "index"), "--item", row["item_id"],
         "--purpose", "Begäran om allmän handling", "--reference", "KS 2026/0042", "--by", "Rita Registrator",
         "--out", str(tmp_path / "utlamnande.zip")]
    )  # fmt: skip
    assert code == 0
    [entry] = [k for k in world.store.list("exports/") if k.endswith(".json")]
    assert world.store.exists(entry + ".sig")
    with world.store.open(entry) as handle:
        assert json.loads(handle.read())["signing_key_id"] == TEST_KEY.key_id
    result = verify_store(world.store)
    assert result.ok, result.problems
    assert result.counts["documents"] == 2  # the manifest and the export log entry


def test_a_tsa_that_drips_its_answer_is_cut_off_at_the_deadline(caplog: pytest.LogCaptureFixture) -> None:
    import http.server
    import threading

    stop = threading.Event()

    class Drip(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            while not stop.wait(0.05):  # a hostile TSA: one byte at a time, never done
                try:
                    self.wfile.write(b"0")
                    self.wfile.flush()
                except OSError:
                    return

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = TsaClient([f"http://127.0.0.1:{server.server_address[1]}/"], deadline=0.5)
        assert client.timestamp(b"s" * 64) is None
        assert "answer took longer than" in caplog.text
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=60)


DER_PREFIX = st.builds(lambda rest: b"\x30\x82" + rest, st.binary(max_size=300))


@given(token=st.one_of(st.binary(max_size=300), DER_PREFIX))
def test_any_bytes_as_a_timestamp_are_refused_never_a_crash(token: bytes) -> None:
    """A .tsr (and a TSA's answer) is hostile input: whatever it holds, it is refused by name."""
    with pytest.raises(TimestampRefused):
        check_token(decode(token), b"s" * 64, None)
