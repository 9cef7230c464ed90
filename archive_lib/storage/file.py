"""The file store: objects as read-only files under one folder (``file:///absolute/path``).

The embedded default, for a single machine and for development. Each object is a file at
``root/key`` with mode 0o444, and its retention and tags sit beside it in a sidecar
``.NAME.meta.json`` in the same folder (also create-only, also 0o444; hidden, so that tools
reading a folder of Parquet files, such as pyarrow datasets, Hive, Trino or Athena, skip it).
Writes go to a hidden temporary file in the target folder, are fsynced, and are published with
``os.link``, which fails when the name is taken: that is what makes ``put`` atomic and
create-only even between racing writers.

Read-only files are a guard against accidents, not a lock: root, or the owner after a chmod, can
still change them. Use S3 with Object Lock where the records must be tamper-proof.

Keys and tags follow the rules every store applies (:func:`~archive_lib.storage.base.check_key`,
:func:`~archive_lib.storage.base.check_tags`), so that objects can move between stores.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import pathlib
import tempfile
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

from archive_lib.errors import (
    ObjectExistsError,
    ObjectNotFoundError,
    ObjectProtectedError,
    StoreConfigError,
    StoreError,
)
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import (
    DisposalWarrant,
    Protection,
    StoredObject,
    check_key,
    check_range,
    check_tags,
    check_warrant,
    iter_chunks,
)

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".meta.json"


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _fsync_dir(folder: pathlib.Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sha256_of(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter_chunks(f):
            digest.update(chunk)
    return digest.hexdigest()


def _path_from_url(url: str) -> pathlib.Path:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise StoreConfigError(f"not a local file URL (want file:///absolute/path): {url!r}")
    path = urllib.parse.unquote(parts.path)
    if not os.path.isabs(path):
        raise StoreConfigError(f"file store path must be absolute: {url!r}")
    return pathlib.Path(os.path.normpath(path))


class FileStore:
    """Create-only object store in a local folder; see the module docstring for the layout.

    Capabilities: :class:`~.base.ProtectedStore` (read-only files with sidecars) and
    :class:`~.base.DisposingStore` (disposal by decision, refused for a permanent object or one
    whose retain-until date in its sidecar has not come).
    """

    protection = Protection.READ_ONLY_FILES

    def __init__(self, url: str, *, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        """Open (and create if missing) the store at ``url``, a ``file:///absolute/path``."""
        self.root = _path_from_url(url)
        self.url = self.root.as_uri()
        self._clock = clock
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreConfigError(f"cannot create the store folder {self.root}: {e}") from e
        if not self.root.is_dir():
            raise StoreConfigError(f"store root is not a folder: {self.root}")

    # -- writing -----------------------------------------------------------------------------

    def put(
        self, key: str, data: bytes | BinaryIO, *, retention: ObjectRetention, tags: Mapping[str, str]
    ) -> StoredObject:
        """Store ``data`` under ``key`` once; see :class:`~archive_lib.storage.base.ObjectStore`.

        The object is written before its sidecar, so a put retried after a crash between the
        two finds the object, checks its bytes and writes the missing sidecar.
        """
        path = self._path(key)
        tags = check_tags(tags, retention.retention_class)
        try:
            self._make_folders(key)
            tmp, size, sha256 = self._stage(path.parent, iter_chunks(data))
            if not self._publish(tmp, path):
                return self._put_existing(key, path, sha256, retention, tags)
            self._write_sidecar(key, size, sha256, retention, tags)
        except OSError as e:
            raise StoreError(f"{key}: could not write to {self.root}: {e}") from e
        log.debug("stored %s (%d bytes)", key, size, extra={"key": key, "size": size, "sha256": sha256})
        return self.stat(key)

    def _put_existing(
        self, key: str, path: pathlib.Path, sha256: str, retention: ObjectRetention, tags: Mapping[str, str]
    ) -> StoredObject:
        if not path.is_file():
            raise ObjectExistsError(f"{key}: the name is taken by a folder in {self.root}")
        meta = self._read_sidecar(key)
        existing = meta["sha256"] if meta else _sha256_of(path)
        if existing != sha256:
            raise ObjectExistsError(
                f"{key}: already stored with SHA-256 {existing}, refusing different bytes ({sha256})"
            )
        if meta is None:
            log.warning("%s had no sidecar (an interrupted write): writing it", key, extra={"key": key})
            self._write_sidecar(key, path.stat().st_size, sha256, retention, tags)
        elif (meta["retention_class"], meta["retain_until"], meta["tags"]) != (
            retention.retention_class,
            _date_text(retention.retain_until),
            dict(tags),
        ):
            log.warning(
                "%s: same bytes stored again with other retention or tags; kept the first",
                key,
                extra={"key": key},
            )
        return self.stat(key)

    def _write_sidecar(
        self, key: str, size: int, sha256: str, retention: ObjectRetention, tags: Mapping[str, str]
    ) -> None:
        meta = {
            "key": key,
            "size": size,
            "sha256": sha256,
            "retention_class": retention.retention_class,
            "retain_until": _date_text(retention.retain_until),
            "permanent": retention.permanent,
            "tags": dict(tags),
            "stored_at": self._clock().astimezone(dt.UTC).isoformat(),
        }
        text = json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        path = self._sidecar_path(key)
        tmp, _, _ = self._stage(path.parent, iter([text.encode()]))
        if not self._publish(tmp, path):
            # A concurrent put of the same bytes got there first; its sidecar must agree.
            existing = self._read_sidecar(key)
            if existing is None or existing["sha256"] != sha256:
                raise StoreError(f"{key}: existing sidecar does not match the object")

    def _stage(self, folder: pathlib.Path, chunks: Iterator[bytes]) -> tuple[str, int, str]:
        """Write ``chunks`` to a hidden read-only temp file; return its path, size and SHA-256."""
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".put-")
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as f:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
                # Read-only before it gets its name, so the object is never writable under it.
                os.fchmod(f.fileno(), 0o444)
        except BaseException:
            os.unlink(tmp)
            raise
        return tmp, size, digest.hexdigest()

    def _publish(self, tmp: str, final: pathlib.Path) -> bool:
        """Give ``tmp`` the name ``final`` unless it is taken; True when this call created it."""
        try:
            os.link(tmp, final)
            created = True
        except FileExistsError:
            created = False
        finally:
            os.unlink(tmp)
        _fsync_dir(final.parent)
        return created

    def _make_folders(self, key: str) -> None:
        folder = self.root
        for segment in key.split("/")[:-1]:
            folder = folder / segment
            try:
                folder.mkdir()
            except FileExistsError:
                if not folder.is_dir():
                    raise ObjectExistsError(
                        f"{key}: {segment!r} is an object, it cannot also be a folder"
                    ) from None
                continue
            _fsync_dir(folder.parent)

    # -- disposal ----------------------------------------------------------------------------

    def dispose(self, key: str, warrant: DisposalWarrant) -> bool:
        """Remove ``key`` and its sidecar for good; see :class:`~.base.DisposingStore`.

        The object goes before its sidecar, so a disposal cut short leaves at most a sidecar,
        which the next disposal of the key removes.
        """
        check_warrant(self, key, warrant)
        path = self._path(key)
        sidecar = self._sidecar_path(key)
        if not path.is_file():
            if sidecar.exists():
                sidecar.unlink()
                _fsync_dir(sidecar.parent)
            return False
        meta = self._read_sidecar(key)
        if meta is None:
            raise ObjectProtectedError(f"{key}: no sidecar, so its retention is unknown: not disposed")
        until = meta["retain_until"]
        if until is None:
            raise ObjectProtectedError(f"{key}: class {meta['retention_class']} is kept permanently")
        today = self._clock().astimezone(dt.UTC).date()
        if dt.date.fromisoformat(until) > today:
            raise ObjectProtectedError(f"{key}: retained until {until}, not disposed before")
        try:
            path.unlink()
            sidecar.unlink(missing_ok=True)
            _fsync_dir(path.parent)
        except OSError as e:
            raise StoreError(f"{key}: could not dispose of it in {self.root}: {e}") from e
        log.info("disposed of %s", key, extra={"key": key})
        return True

    # -- reading -----------------------------------------------------------------------------

    def open(self, key: str) -> BinaryIO:
        """The object opened for binary reading; the caller closes it."""
        path = self._path(key)
        try:
            if path.is_dir():
                raise FileNotFoundError(key)
            return open(path, "rb")
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFoundError(f"{key}: no such object in {self.url}") from None
        except OSError as e:
            raise StoreError(f"{key}: cannot open: {e}") from e

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes from ``offset``; StoreError if the object is shorter."""
        check_range(offset, length)
        with self.open(key) as f:
            f.seek(offset)
            data = f.read(length)
        if len(data) != length:
            raise StoreError(f"{key}: asked for {length} bytes at offset {offset}, object gave {len(data)}")
        return data

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        return self._path(key).is_file()

    def stat(self, key: str) -> StoredObject:
        """Size, SHA-256 (from the sidecar, computed if it is missing), retention and tags."""
        path = self._path(key)
        try:
            st = path.stat()
            if not path.is_file():
                raise FileNotFoundError(key)
            meta = self._read_sidecar(key)
            sha256 = meta["sha256"] if meta else _sha256_of(path)
        except (FileNotFoundError, NotADirectoryError):
            raise ObjectNotFoundError(f"{key}: no such object in {self.url}") from None
        except OSError as e:
            raise StoreError(f"{key}: cannot stat: {e}") from e
        retention = None
        if meta is not None:
            until = meta["retain_until"]
            retention = ObjectRetention(
                meta["retention_class"], dt.date.fromisoformat(until) if until else None
            )
        return StoredObject(
            key=key,
            size=st.st_size,
            sha256=sha256,
            retention=retention,
            tags=dict(meta["tags"]) if meta else {},
            lock_mode=None if st.st_mode & 0o222 else "read-only",
        )

    def list(self, prefix: str = "", start_after: str | None = None) -> Iterator[str]:
        """Keys starting with ``prefix`` in byte order, strictly after ``start_after``.

        Folders whose keys all sort at or before ``start_after`` are skipped without being
        read, so listing one new night does not grow with the number of old ones.
        """
        folder_key, _, _ = prefix.rpartition("/")
        if folder_key:
            try:
                check_key(folder_key)
            except ValueError:
                return  # no valid key lies under an invalid folder
            yield from self._walk(self.root / folder_key, folder_key + "/", prefix, start_after)
        else:
            yield from self._walk(self.root, "", prefix, start_after)

    def _walk(self, folder: pathlib.Path, base: str, prefix: str, start_after: str | None) -> Iterator[str]:
        try:
            with os.scandir(folder) as it:
                entries = []
                for e in it:
                    if e.name.startswith("."):
                        continue
                    if e.is_dir(follow_symlinks=False):
                        entries.append((e.name + "/", True))
                    elif e.is_file(follow_symlinks=False):
                        entries.append((e.name, False))
        except (FileNotFoundError, NotADirectoryError):
            return
        # A folder sorts as "name/", which puts "a-c" before the keys under "a/".
        entries.sort()
        for name, is_folder in entries:
            key = base + name
            if not (key.startswith(prefix) or prefix.startswith(key)):
                if key > prefix:
                    return  # sorted: nothing later can start with prefix
                continue
            if is_folder:
                # Every key under "key" sorts before start_after: skip without reading.
                if start_after is not None and key < start_after[: len(key)]:
                    continue
                yield from self._walk(folder / name[:-1], key, prefix, start_after)
            elif key.startswith(prefix) and (start_after is None or key > start_after):
                yield key

    # -- paths -------------------------------------------------------------------------------

    def local_path(self, key: str) -> pathlib.Path:
        """Where the object ``key`` is kept on this machine (for readers in other processes)."""
        return self._path(key)

    def _path(self, key: str) -> pathlib.Path:
        check_key(key)
        return self.root / key

    def _sidecar_path(self, key: str) -> pathlib.Path:
        path = self._path(key)
        return path.with_name(f".{path.name}{SIDECAR_SUFFIX}")

    def _read_sidecar(self, key: str) -> dict[str, Any] | None:
        try:
            text = self._sidecar_path(key).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        meta: dict[str, Any] = json.loads(text)
        return meta


def _date_text(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None
