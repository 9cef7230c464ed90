"""The warcinfo record stays one field per line whatever its values hold.

The inventory refuses control characters in the values that reach warcinfo (handle, board,
organisation ...); the writer is the second line of defence: a value with a line break, a
control or a bidirectional formatting character is written escaped on its own line, so nothing
can add a field to the record. The exchange is fetched from the fake Mastodon server over
loopback and the file read back with warcio, digest checks on.
"""

from __future__ import annotations

import datetime as dt
import pathlib

from warcio.archiveiterator import ArchiveIterator

from archive_lib.clock import IdFactory
from archive_lib.connectors.http import HttpClient
from archive_lib.inert import CONTROLS
from archive_lib.layout import warc_key
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.file import FileStore
from archive_lib.warc.redact import Redactor
from archive_lib.warc.writer import WarcRecorder
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import FakeClock

NOW = dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)
RUN_ID = "ks-mastodon_20260302T020000Z_ab12"
HOSTILE = {
    "handle": "kristianstad\r\nWARC-Evil: 1",
    "board": "Kommun\nstyrelsen\u2028operator: someone else",
    "description": "tab\there, escape \x1b[31m, DEL \x7f, NEL \x85, bidi \u202eetats\u202c \u2066x\u2069",
    "account-id": "ks-mastodon",
}


def test_no_warcinfo_value_can_break_its_line(fake_mastodon: FakeMastodon, tmp_path: pathlib.Path) -> None:
    fake = fake_mastodon
    fake.set_time(NOW)
    fake.add_account("kristianstad", "Kristianstads kommun")
    store = FileStore(tmp_path.as_uri())
    recorder = WarcRecorder(
        store,
        key_for=lambda n: warc_key("mastodon", "ks-mastodon", NOW.date(), RUN_ID, n),
        warcinfo=HOSTILE,
        retention=ObjectRetention("bevaras", None),
        tags={"kind": "warc"},
        redactor=Redactor(),
        ids=IdFactory(),
        now=fake.clock.now,
    )
    client = HttpClient(recorder.record, clock=FakeClock(fake))
    assert client.get(f"{fake.base_url}/api/v1/accounts/lookup", {"acct": "kristianstad"}).status == 200
    stored = recorder.flush()
    assert stored is not None

    with store.open(stored.key) as stream:
        info = next(iter(ArchiveIterator(stream, check_digests=True)))
        payload = info.content_stream().read()
        assert info.rec_type == "warcinfo"
        assert info.digest_checker.passed is not False
    text = payload.decode()
    lines = text.split("\r\n")
    assert lines[-1] == ""
    fields = dict(line.split(": ", 1) for line in lines[:-1])
    assert list(fields) == [*HOSTILE, "format", "conformsTo"]  # no field was added
    for name in HOSTILE:
        assert not CONTROLS.search(fields[name]), name
    assert fields["handle"] == "kristianstad\\r\\nWARC-Evil: 1"
    assert fields["board"] == "Kommun\\nstyrelsen\\u2028operator: someone else"
    assert fields["description"] == (
        "tab\\there, escape \\x1b[31m, DEL \\x7f, NEL \\x85, bidi \\u202eetats\\u202c \\u2066x\\u2069"
    )
    assert fields["account-id"] == "ks-mastodon"  # ordinary values are written as they are
