"""Tests of the pointer columns (archive_lib.metadata.schema): a WARC pointer written into the
``warc_*`` columns of an items row comes back as the same pointer.
"""

from __future__ import annotations

import datetime as dt

from archive_lib.metadata.schema import ITEMS_SCHEMA, POINTER_COLUMNS, pointer_columns, pointer_of
from archive_lib.models import RecordRef, WarcPointer

NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


# ------------------------------------------------------------------- the pointer columns


def test_a_pointer_goes_into_its_columns_and_comes_back() -> None:
    ref = RecordRef("warc/a.warc.gz", 1234, 567, "<urn:uuid:1>", "https://example.org/x", NOW, 404)
    columns = pointer_columns(ref)
    assert columns == {
        "warc_key": "warc/a.warc.gz",
        "warc_offset": 1234,
        "warc_length": 567,
        "warc_record_id": "<urn:uuid:1>",
    }
    assert (
        tuple(columns) == POINTER_COLUMNS == tuple(f.name for f in ITEMS_SCHEMA if f.name.startswith("warc_"))
    )
    pointer = pointer_of(columns)
    assert pointer == WarcPointer("warc/a.warc.gz", 1234, 567, "<urn:uuid:1>")
    assert RecordRef.at(pointer, target_uri=ref.target_uri, date=ref.date, status=404) == ref
    assert pointer_columns(None) == dict.fromkeys(POINTER_COLUMNS)
    assert pointer_of(pointer_columns(None)) is None and pointer_of({}) is None
    # A search hit carries the same columns, read back from JSON.
    assert pointer_of({**columns, "warc_offset": 1234.0}) == pointer
