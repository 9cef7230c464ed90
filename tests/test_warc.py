"""Tests of the WARC writer (archive_lib.warc.writer) and its redaction, read back with warcio.

Exchanges are fetched from the fake Mastodon server by the real HttpClient (gzip + chunked, as
Mastodon behind nginx sends them, and plain), written by a WarcRecorder into a FileStore under
tmp_path, and then read back the way an archivist's tools would: warcio's ArchiveIterator with
digest checking, the ``warcio check`` command line, and the RecordRef pointers through
FileStore.read_range. Covers the warcinfo record, request/response pairing, SHA-256 digests,
chunked bodies stored whole, rolling files, and that no credential reaches a stored byte.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import pathlib
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from archive_lib import PRODUCT, __version__
from archive_lib.clock import IdFactory
from archive_lib.connectors.http import HttpClient
from archive_lib.connectors.response import Response
from archive_lib.layout import warc_key
from archive_lib.models import RecordRef
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import StoredObject
from archive_lib.storage.file import FileStore
from archive_lib.warc.redact import Redactor
from archive_lib.warc.writer import WarcRecorder
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.mastodon_png import make_png
from tests.helpers import PROCESS_TIMEOUT, FakeClock, gzip_members

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
RUN_ID = "ks-mastodon_20260302T020000Z_ab12"
TOKEN = "ks-mastodon-token-5f3a9c0e71d2"
WARCIO = pathlib.Path(sys.executable).with_name("warcio")
PICTURE = make_png(16, 12, (10, 120, 200))
SHA256_DIGEST = re.compile(r"^sha256:[A-Z2-7]{52}====$")  # base32 of 32 bytes


@dataclass
class Capture:
    """A fake instance, a store, a recorder writing into it and a client recording through it."""

    fake: FakeMastodon
    store: FileStore
    recorder: WarcRecorder
    client: HttpClient
    town: dict[str, Any]
    post: dict[str, Any]

    def get(self, path: str, **params: str | int) -> Response:
        return self.client.get(self.fake.base_url + path, params or None)

    def flush(self) -> StoredObject:
        stored = self.recorder.flush()
        assert stored is not None
        return stored

    def path(self, key: str) -> pathlib.Path:
        return self.store.root / key


@dataclass
class Record:
    """One WARC record read back: headers, the payload as stored, and the digest verdict."""

    type: str
    headers: dict[str, str]
    http_headers: list[tuple[str, str]]
    status_line: str
    payload: bytes
    digests_passed: bool | None
    digest_problems: list[str]

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.http_headers if n.lower() == name.lower()), None)

    def decoded(self) -> bytes:
        if (self.header("Content-Encoding") or "").lower() == "gzip":
            return gzip.decompress(self.payload)
        return self.payload


def read_records(stream: BinaryIO) -> list[Record]:
    """Every record of a WARC stream, each read to its end with digest checking on."""
    out = []
    for record in ArchiveIterator(stream, check_digests=True):
        payload = record.raw_stream.read()
        http = record.http_headers
        out.append(
            Record(
                type=record.rec_type,
                headers=dict(record.rec_headers.headers),
                http_headers=list(http.headers) if http else [],
                status_line=f"{http.protocol} {http.statusline}" if http else "",
                payload=payload,
                digests_passed=record.digest_checker.passed,
                digest_problems=list(record.digest_checker.problems),
            )
        )
    return out


def records_of(capture: Capture, key: str) -> list[Record]:
    with capture.store.open(key) as stream:
        return read_records(stream)


def every_stored_byte(capture: Capture) -> bytes:
    """Each stored WARC file's bytes as stored and with every gzip member decompressed."""
    out = []
    for stored in capture.recorder.stored:
        data = capture.path(stored.key).read_bytes()
        out += [data, *gzip_members(data)]
    return b"\n".join(out)


def key_for(n: int) -> str:
    return warc_key("mastodon", "ks-mastodon", dt.date(2026, 3, 2), RUN_ID, n)


@pytest.fixture
def make_capture(fake_mastodon: FakeMastodon, tmp_path: pathlib.Path) -> Callable[..., Capture]:
    fake = fake_mastodon
    fake.set_time(NOW)
    fake.add_token(TOKEN)
    town = fake.add_account("kristianstad", "Kristianstads kommun", note="Kommunstyrelsen informerar")
    post = fake.post(
        town,
        fake.html("Badhuset i Kristianstad öppnar igen! Läs mer på https://www.kristianstad.se/badhuset"),
        media=[("badhuset.png", PICTURE, "image/png", "Badhuset")],
        at=NOW - dt.timedelta(hours=3),
    )

    def make(*, max_bytes: int = 256 * 1024 * 1024) -> Capture:
        store = FileStore(tmp_path.as_uri())
        recorder = WarcRecorder(
            store,
            key_for=key_for,
            warcinfo={
                "software": f"{PRODUCT}/{__version__} (warcio)",
                "operator": "Kristianstads kommun",
                "isPartOf": RUN_ID,
                "run-id": RUN_ID,
                "run-date": "2026-03-02",
                "account-id": "ks-mastodon",
                "board": "Kommunstyrelsen",
                "contact": "",
            },
            retention=ObjectRetention("bevaras", None),
            tags={"account-id": "ks-mastodon", "kind": "warc"},
            redactor=Redactor([TOKEN]),
            ids=IdFactory(),
            now=fake.clock.now,
            max_bytes=max_bytes,
        )
        client = HttpClient(recorder.record, clock=FakeClock(fake), token=TOKEN, token_origin=fake.base_url)
        return Capture(fake, store, recorder, client, town, post)

    return make


@pytest.fixture
def capture(make_capture: Callable[..., Capture]) -> Capture:
    return make_capture()


def fetch_a_night(capture: Capture) -> list[Response]:
    """A little night: API answers gzip+chunked, then plain, a 404 and a media file."""
    fake, town, post = capture.fake, capture.town, capture.post
    responses = [
        capture.get("/api/v1/accounts/lookup", acct="kristianstad"),
        capture.get(f"/api/v1/accounts/{town['id']}/statuses", limit=20),
    ]
    fake.gzip = fake.chunked = False
    responses += [
        capture.get(f"/api/v1/statuses/{post['id']}"),
        capture.get("/api/v1/statuses/1"),
        capture.client.get(post["media_attachments"][0]["url"], accept="*/*"),
    ]
    fake.gzip = fake.chunked = True
    assert [response.status for response in responses] == [200, 200, 200, 404, 200]
    return responses


# ------------------------------------------------------------------- reading it back


def test_every_record_passes_warcio_digest_checks(capture: Capture) -> None:
    fetched = fetch_a_night(capture)
    stored = capture.flush()

    # As warcio.checker.Checker does: read each record's content stream to its end.
    with capture.store.open(stored.key) as stream:
        iterator = ArchiveIterator(stream, check_digests=True)
        verdicts = []
        for record in iterator:
            content = record.content_stream()
            while content.read(65536):
                pass
            verdicts.append((record.rec_type, record.digest_checker.passed, record.digest_checker.problems))
    assert len(verdicts) == 1 + 2 * len(fetched)
    assert all(passed is True and problems == [] for _, passed, problems in verdicts), verdicts


def test_the_warcio_check_command_accepts_the_file(capture: Capture) -> None:
    fetched = fetch_a_night(capture)
    stored = capture.flush()
    result = subprocess.run(
        [str(WARCIO), "check", "-v", str(capture.path(stored.key))],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("digest pass") == 1 + 2 * len(fetched), result.stdout


def test_the_warcio_check_command_notices_a_damaged_record(capture: Capture, tmp_path: pathlib.Path) -> None:
    # The check above could pass by not looking: change one byte of a payload and it must fail.
    capture.fake.gzip = False
    capture.get("/api/v1/accounts/lookup", acct="kristianstad")
    stored = capture.flush()
    members = gzip_members(capture.path(stored.key).read_bytes())
    assert b"Kristianstads kommun" in members[1]
    members[1] = members[1].replace(b"Kristianstads kommun", b"Kristianstads kommuN")
    damaged = tmp_path / "damaged.warc.gz"
    damaged.write_bytes(b"".join(gzip.compress(member) for member in members))
    result = subprocess.run(
        [str(WARCIO), "check", str(damaged)],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert result.returncode == 1 and "digest failed" in result.stdout


def test_every_record_has_sha256_block_and_payload_digests(capture: Capture) -> None:
    fetch_a_night(capture)
    records = records_of(capture, capture.flush().key)
    assert {record.type for record in records} == {"warcinfo", "response", "request"}
    for record in records:
        assert SHA256_DIGEST.match(record.headers["WARC-Block-Digest"]), record.headers
        assert SHA256_DIGEST.match(record.headers["WARC-Payload-Digest"]), record.headers
        assert record.digests_passed is True


def test_the_file_starts_with_a_warcinfo_record_naming_software_and_run(capture: Capture) -> None:
    capture.get("/api/v1/accounts/lookup", acct="kristianstad")
    stored = capture.flush()
    with capture.store.open(stored.key) as stream:
        first = next(iter(ArchiveIterator(stream)))
        assert first.rec_headers.protocol == "WARC/1.1"
    records = records_of(capture, stored.key)
    info = records[0]

    assert info.type == "warcinfo"
    assert info.headers["Content-Type"] == "application/warc-fields"
    assert info.headers["WARC-Filename"] == f"{RUN_ID}-00001.warc.gz" == stored.key.rsplit("/", 1)[-1]
    fields = dict(line.split(": ", 1) for line in info.payload.decode().splitlines())
    assert fields == {
        "software": f"{PRODUCT}/{__version__} (warcio)",
        "operator": "Kristianstads kommun",
        "isPartOf": RUN_ID,
        "run-id": RUN_ID,
        "run-date": "2026-03-02",
        "account-id": "ks-mastodon",
        "board": "Kommunstyrelsen",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
    }, "empty fields (contact) are left out"
    assert [record.type for record in records[1:]] == ["response", "request"]


def test_each_request_follows_its_response_and_names_it(capture: Capture) -> None:
    fetched = fetch_a_night(capture)
    records = records_of(capture, capture.flush().key)[1:]
    pairs = list(zip(records[::2], records[1::2], strict=True))
    assert len(pairs) == len(fetched)

    for (response, request), sent in zip(pairs, fetched, strict=True):
        assert (response.type, request.type) == ("response", "request")
        assert request.headers["WARC-Concurrent-To"] == response.headers["WARC-Record-ID"]
        assert request.headers["WARC-Record-ID"] != response.headers["WARC-Record-ID"]
        assert request.headers["WARC-Target-URI"] == response.headers["WARC-Target-URI"] == sent.url
        url = urlsplit(sent.url)
        target = url.path + (f"?{url.query}" if url.query else "")
        assert request.status_line == f"GET {target} HTTP/1.1"
        assert request.header("Host") == url.netloc
        assert response.status_line.startswith(f"HTTP/1.1 {sent.status} ")
        assert response.headers["WARC-IP-Address"] == "127.0.0.1"


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip-chunked", "plain"])
def test_each_record_ref_opens_exactly_its_response(capture: Capture, compressed: bool) -> None:
    capture.fake.gzip = capture.fake.chunked = compressed
    fake, town, post = capture.fake, capture.town, capture.post
    expected = [
        fake.account_json(town),
        [fake.status_json(post, token=TOKEN)],
        fake.status_json(post, token=TOKEN),
    ]
    responses = [
        capture.get(f"/api/v1/accounts/{town['id']}"),
        capture.get(f"/api/v1/accounts/{town['id']}/statuses"),
        capture.get(f"/api/v1/statuses/{post['id']}"),
    ]
    media = capture.client.get(post["media_attachments"][0]["url"], accept="*/*")
    capture.flush()

    def opened(ref: RecordRef) -> Record:
        data = capture.store.read_range(ref.warc_key, ref.offset, ref.length)
        assert len(gzip_members(data)) == 1, "the pointer covers one whole gzip member"
        (record,) = read_records(io.BytesIO(data))
        assert record.type == "response" and record.digests_passed is True
        assert record.headers["WARC-Record-ID"] == ref.record_id
        assert record.status_line.startswith(f"HTTP/1.1 {ref.status} ") and ref.status == 200
        return record

    for response, sent in zip(responses, expected, strict=True):
        record = opened(response.record)
        assert record.headers["WARC-Target-URI"] == response.record.target_uri == response.url
        assert (record.header("Content-Encoding") == "gzip") is compressed
        assert json.loads(record.decoded()) == sent == response.json()
    assert opened(media.record).payload == PICTURE


def test_a_chunked_response_is_stored_whole_with_a_content_length(capture: Capture) -> None:
    chunked = capture.get(f"/api/v1/accounts/{capture.town['id']}/statuses")
    capture.fake.gzip = capture.fake.chunked = False
    plain = capture.get(f"/api/v1/statuses/{capture.post['id']}")
    records = records_of(capture, capture.flush().key)
    stored_chunked, stored_plain = (r for r in records if r.type == "response")

    assert dict(chunked.exchange.response_headers)["Transfer-Encoding"] == "chunked"
    assert stored_chunked.header("Transfer-Encoding") is None
    assert stored_chunked.header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert stored_chunked.header("Content-Length") == str(len(stored_chunked.payload))
    chunked.exchange.body.seek(0)
    assert stored_chunked.payload == chunked.exchange.body.read(), "the gzip bytes as they came"
    assert stored_chunked.header("Content-Encoding") == "gzip"

    assert stored_plain.header("Content-Length") == str(len(stored_plain.payload)) == str(len(plain.content))
    assert not any(name.startswith("X-Archive-Orig-") for name, _ in stored_plain.http_headers)


def test_files_roll_at_max_bytes_and_each_starts_with_warcinfo(make_capture: Callable[..., Capture]) -> None:
    capture = make_capture(max_bytes=1)  # every exchange fills a file
    responses = [
        capture.get("/api/v1/accounts/lookup", acct="kristianstad"),
        capture.get(f"/api/v1/accounts/{capture.town['id']}"),
        capture.get(f"/api/v1/statuses/{capture.post['id']}"),
    ]
    assert capture.recorder.flush() is None and not capture.recorder.pending

    keys = [stored.key for stored in capture.recorder.stored]
    assert keys == [key_for(1), key_for(2), key_for(3)]
    assert sorted(capture.store.list("warc/")) == keys
    for key, response in zip(keys, responses, strict=True):
        records = records_of(capture, key)
        assert [record.type for record in records] == ["warcinfo", "response", "request"]
        assert records[0].headers["WARC-Filename"] == key.rsplit("/", 1)[-1]
        assert response.record.warc_key == key
        assert records[1].headers["WARC-Record-ID"] == response.record.record_id


# ---------------------------------------------------------------------------- secrets


def test_credentials_never_reach_a_stored_byte(capture: Capture) -> None:
    capture.get("/api/v1/accounts/lookup", acct="kristianstad")
    capture.get(f"/api/v1/accounts/{capture.town['id']}/statuses", access_token=TOKEN, limit=5)
    assert [request.authorization for request in capture.fake.requests] == [f"Bearer {TOKEN}"] * 2
    assert capture.fake.requests[1].query["access_token"] == [TOKEN]
    stored = capture.flush()

    assert TOKEN.encode() not in every_stored_byte(capture)
    requests = [record for record in records_of(capture, stored.key) if record.type == "request"]
    assert [request.header("Authorization") for request in requests] == ["Bearer REDACTED"] * 2
    assert "access_token=REDACTED" in requests[1].headers["WARC-Target-URI"]
    assert "access_token=REDACTED" in requests[1].status_line


def test_a_token_parameter_is_redacted_even_when_its_value_is_not_a_known_secret(capture: Capture) -> None:
    other = "sidtoken-7c1e2f9a0b64"  # e.g. a page token the redactor was never told about
    capture.get("/api/v1/accounts/lookup", acct="kristianstad", access_token=other)
    stored = capture.flush()

    assert capture.fake.requests[0].query["access_token"] == [other]
    assert other.encode() not in every_stored_byte(capture)
    (request,) = (r for r in records_of(capture, stored.key) if r.type == "request")
    assert request.headers["WARC-Target-URI"].endswith("?acct=kristianstad&access_token=REDACTED")


def test_a_token_echoed_in_response_headers_is_replaced(capture: Capture) -> None:
    capture.fake.inject(
        r"/api/v1/instance",
        200,
        body={"uri": "social.example"},
        headers={
            "Link": f'<https://social.example/api/v1/instance?cursor={TOKEN}>; rel="next"',
            "X-Debug-Authorization": f"Bearer {TOKEN}",
        },
    )
    capture.get("/api/v1/instance")
    stored = capture.flush()

    assert TOKEN.encode() not in every_stored_byte(capture)
    (record,) = (r for r in records_of(capture, stored.key) if r.type == "response")
    assert record.header("Link") == '<https://social.example/api/v1/instance?cursor=REDACTED>; rel="next"'
    assert record.header("X-Debug-Authorization") == "Bearer REDACTED"


@pytest.mark.parametrize("compressed", [True, False], ids=["gzip-chunked", "plain"])
def test_a_token_echoed_in_a_body_is_redacted_and_the_record_stays_valid(
    capture: Capture, compressed: bool
) -> None:
    capture.fake.gzip = capture.fake.chunked = compressed
    echoed = {
        "data": [{"id": "1", "message": "Välkommen till Kristianstad"}],
        "paging": {"next": f"https://graph.example/v19.0/1/feed?access_token={TOKEN}&after=QVFI"},
    }
    capture.fake.inject(r"/echo", 200, body=echoed)
    response = capture.get("/api/v1/echo")
    assert response.json() == echoed, "the caller still sees what the server sent"
    stored = capture.flush()

    assert TOKEN.encode() not in every_stored_byte(capture)
    (record,) = (r for r in records_of(capture, stored.key) if r.type == "response")
    assert record.digests_passed is True and record.digest_problems == []
    assert json.loads(record.payload)["paging"]["next"] == (
        "https://graph.example/v19.0/1/feed?access_token=REDACTED&after=QVFI"
    )
    assert record.header("Content-Encoding") is None
    assert record.header("X-Archive-Orig-Content-Encoding") == ("gzip" if compressed else None)
    assert record.header("Content-Length") == str(len(record.payload))
    result = subprocess.run(
        [str(WARCIO), "check", str(capture.path(stored.key))],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_a_set_cookie_header_is_redacted(capture: Capture) -> None:
    cookie = "_mastodon_session=c2Vzc2lvbi1rYWth; path=/; secure; HttpOnly; SameSite=Lax"
    capture.fake.inject(
        r"/api/v1/instance", 200, body={"uri": "social.example"}, headers={"Set-Cookie": cookie}
    )
    capture.get("/api/v1/instance")
    stored = capture.flush()

    (record,) = (r for r in records_of(capture, stored.key) if r.type == "response")
    assert record.header("Set-Cookie") == "REDACTED"
    assert b"c2Vzc2lvbi1rYWth" not in every_stored_byte(capture)
    assert record.digests_passed is True


def test_a_percent_encoded_secret_is_redacted_too() -> None:
    from archive_lib.warc.redact import MARK, Redactor

    redactor = Redactor(["EAAB/x+y=="])
    echoed = b'{"paging":{"next":"https://graph.example/1/feed?after=Q&access=EAAB%2Fx%2By%3D%3D"}}'
    assert b"EAAB" not in redactor.body(echoed) and MARK.encode() in redactor.body(echoed)
    assert "EAAB" not in redactor.text("token EAAB/x+y== refused")


def test_a_url_with_spaces_and_letters_like_o_umlaut_is_sent_and_recorded_as_ascii(capture: Capture) -> None:
    # Platforms hand out such URLs (an attachment named by its uploader, a next page): the
    # request goes out percent-encoded, and the records say exactly what went out.
    response = capture.client.get(
        f"{capture.fake.base_url}/media/Sommarbild från Åhus.jpg?storlek=stor bild",
        accept="*/*",
        allow=(404,),
    )
    stored = capture.flush()

    assert response.status == 404
    assert response.url == (
        f"{capture.fake.base_url}/media/Sommarbild%20fr%C3%A5n%20%C3%85hus.jpg?storlek=stor%20bild"
    )
    records = records_of(capture, stored.key)
    assert {r.type for r in records} == {"warcinfo", "response", "request"}
    for record in records:
        if record.type != "warcinfo":
            assert record.headers["WARC-Target-URI"] == response.url
