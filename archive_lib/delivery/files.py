"""The files of a package being written: each written once, measured as it is written.

Stored objects are streamed from the store into the package (never held whole in memory) and
hashed on the way; a copy whose SHA-256 is not the one its manifest records refuses the whole
delivery, so a damaged object never leaves the archive unnoticed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pathlib
import re
from dataclasses import dataclass

from archive_lib.errors import ArchiveError
from archive_lib.storage.base import ObjectStore

CHUNK = 1024 * 1024
_SAFE_PATH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*(?:/[A-Za-z0-9][A-Za-z0-9._=-]*)*$")


@dataclass(frozen=True)
class PackageFile:
    """One file in the package: where, what, how large, its SHA-256 and where it came from."""

    path: str  # relative to the package root, ``/``-separated
    mimetype: str
    size: int
    sha256: str  # lowercase hex
    created: dt.datetime
    source_key: str | None = None  # the store key it was copied from, byte for byte
    format_name: str | None = None
    format_version: str | None = None


class PackageWriter:
    """Writes the files of one package under ``root`` and remembers each."""

    def __init__(self, root: pathlib.Path, created: dt.datetime) -> None:
        self.root = root
        self.created = created
        self.files: dict[str, PackageFile] = {}

    def write(
        self,
        path: str,
        data: bytes,
        mimetype: str,
        *,
        format_name: str | None = None,
        format_version: str | None = None,
    ) -> PackageFile:
        """Write ``data`` to ``path`` in the package."""
        target = self._target(path)
        with open(target, "xb") as handle:
            handle.write(data)
        entry = PackageFile(
            path,
            mimetype,
            len(data),
            hashlib.sha256(data).hexdigest(),
            self.created,
            format_name=format_name,
            format_version=format_version,
        )
        self.files[path] = entry
        return entry

    def copy(
        self,
        store: ObjectStore,
        key: str,
        path: str,
        mimetype: str,
        *,
        expected_sha256: str | None,
        format_name: str | None = None,
        format_version: str | None = None,
    ) -> PackageFile:
        """Stream the stored object ``key`` to ``path``, byte for byte.

        ``expected_sha256`` is what its manifest records (else the store's own checksum is
        used); a copy that does not match raises :class:`ArchiveError`.
        """
        target = self._target(path)
        digest = hashlib.sha256()
        size = 0
        with store.open(key) as source, open(target, "xb") as handle:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                handle.write(chunk)
                size += len(chunk)
        sha256 = digest.hexdigest()
        wanted = expected_sha256 or store.stat(key).sha256
        if sha256 != wanted:
            raise ArchiveError(
                f"{key}: its SHA-256 is {sha256}, the archive recorded {wanted}: the object is damaged, "
                "nothing delivered (run archivectl audit --full)"
            )
        entry = PackageFile(
            path,
            mimetype,
            size,
            sha256,
            self.created,
            source_key=key,
            format_name=format_name,
            format_version=format_version,
        )
        self.files[path] = entry
        return entry

    def _target(self, path: str) -> pathlib.Path:
        if not _SAFE_PATH.match(path) or ".." in path.split("/") or path in self.files:
            raise ArchiveError(f"refusing to write {path!r} into the package")
        target = self.root.joinpath(*path.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        return target


def fsync_tree(root: pathlib.Path) -> None:
    """Flush every file under ``root`` to disk before the package is published."""
    for folder, _, names in os.walk(root):
        for name in names:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
