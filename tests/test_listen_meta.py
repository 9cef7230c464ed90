"""``archivectl listen`` and Meta's webhooks, over loopback against the real process.

A delivery without a valid signature gets 403 and nothing is written; a valid one is archived
as received (a WARC request record with its headers), its comment becomes an item version of a
``push`` run at once, and a replayed delivery is stored once; the verification handshake
refuses a wrong token; SIGTERM flushes and exits 0.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import pathlib
import subprocess
import time
from collections.abc import Iterator

import pytest

from archive_lib.metadata.runs import runs_of_night
from archive_lib.storage.file import FileStore
from tests.helpers import PROCESS_TIMEOUT, audit_command, open_record, read_items, write_inventory
from tests.listen_helpers import APP_SECRET, VERIFY_TOKEN, Listen, sign, store_keys
from tests.signing import write_key_file

PAGE = "104857600123456"
POST = f"{PAGE}_900000000000001"


def _inventory(folder: pathlib.Path) -> pathlib.Path:
    accounts = [
        {"id": "ks-facebook", "platform": "facebook", "handle": PAGE, "token_env": "KS_FB"},
    ]
    return write_inventory(folder, "http://127.0.0.1:9/v25.0", accounts)


def _delivery(comment_id: str, message: str) -> bytes:
    now = int(time.time())
    payload = {
        "object": "page",
        "entry": [
            {
                "id": PAGE,
                "time": now,
                "changes": [
                    {
                        "field": "feed",
                        "value": {
                            "from": {"id": "24242424", "name": "Anna Lindqvist"},
                            "post": {"status_type": "mobile_status_update", "id": POST},
                            "message": message,
                            "post_id": POST,
                            "comment_id": f"{POST.split('_')[1]}_{comment_id}",
                            "created_time": now,
                            "item": "comment",
                            "parent_id": POST,
                            "verb": "add",
                        },
                    }
                ],
            }
        ],
    }
    return json.dumps(payload, ensure_ascii=False).encode()


@pytest.fixture
def listen(tmp_path: pathlib.Path) -> Iterator[Listen]:
    inventory = _inventory(tmp_path)
    # Signed like a night's manifests (ARCHIVE_SIGNING_KEY), so the audit finds the push run whole.
    env = {"KS_FB": "page-token-123", "ARCHIVE_SIGNING_KEY": str(write_key_file(tmp_path))}
    with Listen(inventory, f"file://{tmp_path / 'archive'}", env) as running:
        yield running


def test_health_and_the_verification_handshake(listen: Listen) -> None:
    assert listen.get("/healthz").status == 200
    ok = listen.get(
        "/webhooks/meta",
        **{"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert (ok.status, ok.data) == (200, b"1158201444")
    wrong = listen.get(
        "/webhooks/meta",
        **{"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1158201444"},
    )
    assert wrong.status == 403 and b"1158201444" not in wrong.data
    missing = listen.get("/webhooks/meta", **{"hub.mode": "subscribe", "hub.challenge": "1158201444"})
    assert missing.status == 403


def test_deliveries_without_a_valid_signature_are_refused_and_nothing_is_written(
    listen: Listen, tmp_path: pathlib.Path
) -> None:
    body = _delivery("1", "Varför är badhuset stängt?")
    assert listen.deliver(body, signature=None).status == 403
    assert listen.deliver(body, signature=sign(body, "not-" + APP_SECRET)).status == 403
    assert listen.deliver(body, signature="sha256=" + "0" * 64).status == 403
    assert listen.deliver(body, signature=sign(body + b" ")).status == 403  # signed another body
    assert listen.deliver(body, signature=sign(body).replace("sha256=", "sha1=")).status == 403
    assert (
        listen.post("/webhooks/meta", b"x" * (1024 * 1024 + 1), {"X-Hub-Signature-256": "sha256=0"}).status
        == 413
    )
    # An accepted delivery afterwards is written: the process was flushing all along.
    assert listen.deliver(_delivery("2", "Tack!")).status == 200
    assert listen.terminate() == 0
    items = read_items(FileStore(f"file://{tmp_path / 'archive'}"))
    assert [r["text"] for r in items] == ["Tack!"]
    warcs = [k for k in store_keys(tmp_path / "archive") if k.endswith(".warc.gz")]
    assert len(warcs) == 1


def test_a_delivery_is_archived_as_received_and_a_replay_is_stored_once(
    listen: Listen, tmp_path: pathlib.Path
) -> None:
    body = _delivery("7001", "När öppnar badhuset igen?")
    first = listen.deliver(body)
    assert (first.status, first.data) == (200, b"EVENT_RECEIVED")  # answered once stored
    store = FileStore(f"file://{tmp_path / 'archive'}")
    keys_after_first = store_keys(tmp_path / "archive")
    assert listen.deliver(body).status == 200  # Meta retries: same bytes, no delivery id
    assert listen.deliver(body).status == 200
    assert listen.terminate() == 0
    assert store_keys(tmp_path / "archive") == keys_after_first

    [row] = read_items(store)
    assert (row["item_id"], row["post_id"], row["text"], row["event"], row["version"]) == (
        "900000000000001_7001",
        POST,
        "När öppnar badhuset igen?",
        "new",
        1,
    )
    assert (row["author_id"], row["author_name"], row["item_type"]) == (
        "24242424",
        "Anna Lindqvist",
        "comment",
    )
    record = open_record(store, row["warc_key"], row["warc_offset"], row["warc_length"])
    assert record.rec_headers.get_header("WARC-Type") == "request"
    assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
    assert record.payload == body  # as received, byte for byte
    assert record.http_headers.get_header("X-Hub-Signature-256") == sign(body)
    assert (record.http_headers.protocol, record.http_headers.statusline) == (
        "POST",
        "/webhooks/meta HTTP/1.1",
    )
    raw = (tmp_path / "archive" / row["warc_key"]).read_bytes()
    assert APP_SECRET.encode() not in gzip.decompress(raw)

    runs = [r for k in store.list("metadata/runs/") for r in runs_of_night(store, _night(k))]
    run_date = runs[0]["run_date"]
    assert [(r["account_id"], r["kind"], r["status"], r["counts"]["comments_new"]) for r in runs] == [
        ("ks-facebook", "push", "ok", 1)
    ]
    manifests = [
        k for k in store_keys(tmp_path / "archive") if k.startswith("manifests/") and k.endswith(".json")
    ]
    assert len(manifests) == 1
    manifest = json.loads((tmp_path / "archive" / manifests[0]).read_text())
    assert manifest["kind"] == "push"
    assert {o["kind"] for o in manifest["objects"]} == {"warc", "items", "runs", "delivery"}
    # The archivist's audit accepts what push wrote: objects, digests, the item's pointer. A push
    # run is no nightly capture: the night itself is still missing, and that is all it reports.
    audit = subprocess.run(
        audit_command(
            listen.inventory, listen.store, "--full", "--format", "json", night=run_date.isoformat()
        ),
        env=listen.env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert audit.returncode == 1, audit.stdout[-2000:] + audit.stderr[-2000:]
    problems = json.loads(audit.stdout)["problems"]
    assert [p["kind"] for p in problems] == ["night_missing"], problems


def _night(key: str) -> dt.date:
    return dt.date.fromisoformat(key.split("run_date=")[1][:10])
