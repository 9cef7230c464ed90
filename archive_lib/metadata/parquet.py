"""Parquet in and out, as bytes: this module never knows where the bytes are stored."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from archive_lib import PRODUCT, __version__


def to_parquet_bytes(
    rows: Sequence[Mapping[str, Any]], schema: pa.Schema, metadata: Mapping[str, str] | None = None
) -> bytes:
    """``rows`` as one Parquet file (zstd), stamped with the software that wrote it."""
    file_metadata = {"software": f"{PRODUCT}/{__version__}", **(metadata or {})}
    table = pa.Table.from_pylist(list(rows), schema=schema)
    table = table.replace_schema_metadata({k.encode(): v.encode() for k, v in file_metadata.items()})
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd", use_dictionary=True, write_statistics=True)
    return sink.getvalue()


def read_parquet_bytes(data: bytes, columns: Sequence[str] | None = None) -> pa.Table:
    """A Parquet file held in memory as a table.

    ``use_threads=False``: pyarrow 26 reading from an in-memory buffer with threads has been
    seen to abort the interpreter at exit (apache/arrow#33975); single-threaded is safe and
    these files are small.
    """
    return pq.read_table(io.BytesIO(data), columns=list(columns) if columns else None, use_threads=False)
