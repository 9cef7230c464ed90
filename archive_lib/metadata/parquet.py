"""Parquet in and out, as bytes: this module never knows where the bytes are stored.

Every Parquet file the archive reads is read here, so the one caution pyarrow needs (see
:func:`read_parquet_bytes`) is taken once for every reader.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
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


def read_parquet_bytes(data: bytes, columns: Iterable[str] | None = None) -> pa.Table:
    """A Parquet file held in memory as a table: every column, or those of ``columns`` it has
    (a file written by older code lacks the columns added since).

    ``use_threads=False``: pyarrow 26 reading from an in-memory buffer with threads has been
    seen to abort the interpreter at exit (apache/arrow#33975); single-threaded is safe and
    these files are small.
    """
    parquet = pq.ParquetFile(io.BytesIO(data))
    wanted = None
    if columns is not None:
        present = set(parquet.schema_arrow.names)
        wanted = [c for c in columns if c in present]
    return parquet.read(columns=wanted, use_threads=False)


def parquet_rows(
    data: bytes,
    columns: Iterable[str] | None = None,
    *,
    where: tuple[str, Collection[str]] | None = None,
) -> list[dict[str, Any]]:
    """The rows of a Parquet file held in memory, as dicts (see :func:`read_parquet_bytes` for
    ``columns``; a column the file lacks is absent from its rows).

    ``where=(column, values)`` keeps only the rows whose text ``column`` holds one of ``values``,
    chosen before any row becomes Python objects.
    """
    table = read_parquet_bytes(data, columns)
    if where is not None:
        column, values = where
        wanted = pa.array(sorted(set(values)), pa.string())
        table = table.filter(pc.is_in(table[column], value_set=wanted))
    rows: list[dict[str, Any]] = table.to_pylist()
    return rows


def iter_parquet_rows(
    data: bytes, columns: Iterable[str] | None = None, *, batch_rows: int = 1_000
) -> Iterator[dict[str, Any]]:
    """The rows of a Parquet file held in memory, as :func:`parquet_rows` gives them, made into
    Python objects ``batch_rows`` at a time (a reader that keeps only what it needs of each
    row holds one batch, not the file)."""
    parquet = pq.ParquetFile(io.BytesIO(data))
    wanted = None
    if columns is not None:
        present = set(parquet.schema_arrow.names)
        wanted = [c for c in columns if c in present]
    try:
        for batch in parquet.iter_batches(batch_size=batch_rows, columns=wanted, use_threads=False):
            yield from batch.to_pylist()
            del batch
    finally:
        del parquet
        # Arrow's allocator keeps what a file's decoding freed for the next file; a reader
        # streaming many files would hold tens of MiB more than it uses (measured: bench/).
        pa.default_memory_pool().release_unused()
