"""The S3 store: objects under COMPLIANCE Object Lock (``s3://bucket/optional/prefix``).

Every object is written with one single-part ``PutObject`` that carries everything at once:
``If-None-Match: *`` (the server refuses to replace an existing key, so create-only holds even
between racing writers), a SHA-256 checksum, a COMPLIANCE lock until the retain-until date
(or a legal hold plus a long lock for permanent records) and the tags. Multipart uploads are
never used: some servers (moto among them) silently drop Object Lock on them, so objects are
limited to the 5 GiB a single PUT allows.

Endpoint and credentials come from the standard AWS environment (``AWS_ENDPOINT_URL``,
``AWS_ACCESS_KEY_ID`` ...). The bucket must have Object Lock enabled; the store checks this
before writing anything.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, BinaryIO

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from archive_lib.errors import (
    ObjectExistsError,
    ObjectNotFoundError,
    ObjectProtectedError,
    StoreConfigError,
    StoreError,
)
from archive_lib.retention_classes import ObjectRetention, add_years
from archive_lib.storage.base import (
    MIN_LOCK,
    RETENTION_TAG,
    DisposalWarrant,
    Protection,
    StoredObject,
    check_key,
    check_range,
    check_tags,
    check_warrant,
    iter_chunks,
)

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer
    from botocore.response import StreamingBody
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import HeadObjectOutputTypeDef

log = logging.getLogger(__name__)

MAX_SINGLE_PUT = 5 * 1024**3  # the largest object one S3 PutObject accepts
_NOT_FOUND = frozenset({"NoSuchKey", "NotFound", "404"})
_DENIED = frozenset({"AccessDenied", "403", "InvalidAccessKeyId", "SignatureDoesNotMatch"})
_CONFLICT = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})


class ObjectTooLargeError(StoreError):
    """The object exceeds what one single-part PUT can store; retrying cannot help."""

    retryable = False


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _parse_url(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise StoreConfigError(f"not an S3 store URL (want s3://bucket/optional/prefix): {url!r}")
    prefix = parts.path.strip("/")
    if prefix:
        try:
            check_key(prefix)
        except ValueError as e:
            raise StoreConfigError(f"bad key prefix in {url!r}: {e}") from None
    return parts.netloc, prefix + "/" if prefix else ""


def _error_code(e: ClientError) -> tuple[str, int]:
    code = e.response.get("Error", {}).get("Code", "")
    status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code, status


class S3Store:
    """Create-only object store in an Object Lock bucket; see the module docstring.

    Capabilities: :class:`~.base.ProtectedStore` (Object Lock), :class:`~.base.VersionedStore`,
    :class:`~.base.DisposingStore` (every version deleted, which Object Lock refuses while an
    object is locked or held) and :class:`~.base.LegalHoldStore`.
    """

    protection = Protection.OBJECT_LOCK

    def __init__(
        self,
        url: str,
        *,
        client: S3Client | None = None,
        permanent_lock_years: int = 100,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        """Open the store at ``url`` and check that its bucket has Object Lock enabled.

        ``client`` replaces the boto3 client built from the environment (for tests).
        Permanent records get a legal hold plus a COMPLIANCE lock of ``permanent_lock_years``.
        """
        self.bucket, self.prefix = _parse_url(url)
        self.url = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        self._client: S3Client = client if client is not None else boto3.client("s3")
        self._permanent_lock_years = permanent_lock_years
        self._clock = clock
        self._check_bucket()

    def _check_bucket(self) -> None:
        try:
            config = self._client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as e:
            code, _ = _error_code(e)
            if code == "ObjectLockConfigurationNotFoundError":
                problem = "does not have Object Lock enabled"
            elif code in ("NoSuchBucket", "404"):
                problem = "does not exist"
            elif code in _DENIED:
                problem = f"cannot be read with these credentials ({code})"
            else:
                raise StoreError(f"{self.url}: cannot check the bucket: {e}") from e
            raise StoreConfigError(
                f"{self.url}: bucket {self.bucket!r} {problem}; the archive needs a bucket with"
                " Object Lock enabled, nothing was written"
            ) from e
        except BotoCoreError as e:
            raise StoreError(f"{self.url}: cannot reach the object store: {e}") from e
        enabled = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
        if enabled != "Enabled":
            raise StoreConfigError(
                f"{self.url}: bucket {self.bucket!r} does not have Object Lock enabled"
                f" (ObjectLockEnabled={enabled!r}); nothing was written"
            )

    @contextlib.contextmanager
    def _errors(self, action: str, key: str) -> Iterator[None]:
        try:
            yield
        except (ClientError, BotoCoreError) as e:
            raise self._translate(e, action, key) from e

    def _translate(self, e: ClientError | BotoCoreError, action: str, key: str) -> StoreError:
        """The archive's error for a boto error: not found, refused, or retryable failure."""
        where = f"{self.url}: {action} {key!r}"
        if isinstance(e, BotoCoreError):
            return StoreError(f"{where}: {e}")
        code, status = _error_code(e)
        if code in _NOT_FOUND:
            return ObjectNotFoundError(f"{where}: no such object")
        if code == "NoSuchBucket" or code in _DENIED:
            return StoreConfigError(f"{where}: {code} (HTTP {status})")
        return StoreError(f"{where}: {code} (HTTP {status})")

    # -- writing -----------------------------------------------------------------------------

    def put(
        self, key: str, data: bytes | BinaryIO, *, retention: ObjectRetention, tags: Mapping[str, str]
    ) -> StoredObject:
        """Store ``data`` under ``key`` once, locked; see :class:`~.base.ObjectStore`.

        The SHA-256 is computed before sending (a stream is read once, then rewound) and
        checked against the one the server reports having stored.
        """
        check_key(key)
        caller_tags = check_tags(tags, retention.retention_class)
        size, sha256 = _measure(key, data)
        checksum = base64.b64encode(bytes.fromhex(sha256)).decode()
        hold = retention.retain_until is None
        until_day = retention.retain_until or add_years(
            self._clock().astimezone(dt.UTC).date(), self._permanent_lock_years
        )
        lock_until = dt.datetime.combine(until_day, dt.time(), tzinfo=dt.UTC)
        earliest = self._clock().astimezone(dt.UTC) + MIN_LOCK
        if lock_until < earliest:
            # A late capture of an old night whose retention already ended: AWS refuses a past
            # retain-until date, and a record is never written unlocked. It is locked for a day
            # (the audit knows why); its retention class stays what it is.
            log.warning(
                "%s: retain-until %s has passed; locked until %s instead",
                key,
                until_day,
                earliest.date(),
                extra={"key": key},
            )
            lock_until = earliest
        tagging = urllib.parse.urlencode(
            {**caller_tags, RETENTION_TAG: retention.retention_class},
            quote_via=urllib.parse.quote,
        )
        try:
            response = self._client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Body=data,
                ContentLength=size,
                IfNoneMatch="*",
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=checksum,
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=lock_until,
                ObjectLockLegalHoldStatus="ON" if hold else "OFF",
                Tagging=tagging,
            )
        except ClientError as e:
            code, status = _error_code(e)
            if code in _CONFLICT or status == 412:
                return self._put_existing(key, sha256)
            raise self._translate(e, "put", key) from e
        except BotoCoreError as e:
            raise self._translate(e, "put", key) from e
        if response.get("ChecksumSHA256") != checksum:
            # The server stored something other than what we sent (moto does not check).
            raise StoreError(
                f"{self.url}: put {key!r}: server reports checksum"
                f" {response.get('ChecksumSHA256')!r}, we sent {checksum!r}"
            )
        log.debug("stored %s (%d bytes)", key, size, extra={"key": key, "size": size, "sha256": sha256})
        return StoredObject(
            key=key,
            size=size,
            sha256=sha256,
            retention=retention,
            tags=caller_tags,
            locked_until=lock_until,
            lock_mode="COMPLIANCE",
            legal_hold=hold,
        )

    def _put_existing(self, key: str, sha256: str) -> StoredObject:
        try:
            existing = self.stat(key)
        except ObjectNotFoundError:
            # 409: another conditional write to this key is still in flight.
            raise StoreError(f"{self.url}: put {key!r}: concurrent write, try again") from None
        if existing.sha256 != sha256:
            raise ObjectExistsError(
                f"{self.url}: {key!r} already stored with SHA-256 {existing.sha256},"
                f" refusing different bytes ({sha256})"
            )
        log.info("%s was already stored with the same bytes", key, extra={"key": key})
        return existing

    # -- reading -----------------------------------------------------------------------------

    def open(self, key: str) -> BinaryIO:
        """A buffered stream of the object's body; the caller closes it."""
        check_key(key)
        with self._errors("open", key):
            response = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        return io.BufferedReader(_BodyReader(response["Body"], f"{self.url}: read {key!r}"))

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        """Exactly ``length`` bytes from ``offset`` (an HTTP Range request)."""
        check_key(key)
        check_range(offset, length)
        if length == 0:
            self.stat(key)  # an empty range cannot be requested, but the object must exist
            return b""
        with self._errors("read", key):
            response = self._client.get_object(
                Bucket=self.bucket,
                Key=self.prefix + key,
                Range=f"bytes={offset}-{offset + length - 1}",
            )
            data = response["Body"].read()
        if len(data) != length:
            raise StoreError(
                f"{self.url}: {key!r}: asked for {length} bytes at offset {offset}, got {len(data)}"
            )
        return data

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        check_key(key)
        try:
            with self._errors("head", key):
                self._client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ObjectNotFoundError:
            return False
        return True

    def list(self, prefix: str = "", start_after: str | None = None) -> Iterator[str]:
        """Keys starting with ``prefix`` in byte order, strictly after ``start_after``."""
        paginator = self._client.get_paginator("list_objects_v2")
        if start_after is None:
            pages = paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        else:
            pages = paginator.paginate(
                Bucket=self.bucket,
                Prefix=self.prefix + prefix,
                StartAfter=self.prefix + start_after,
            )
        with self._errors("list", prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(self.prefix) :]

    def version_counts(self, prefix: str = "") -> dict[str, int]:
        """How many versions each key under ``prefix`` has; see :class:`~.base.VersionedStore`.

        Bytes put over an archived key make a new version; the locked original stays as an older one.
        """
        counts: dict[str, int] = {}
        paginator = self._client.get_paginator("list_object_versions")
        with self._errors("list versions", prefix):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for version in page.get("Versions", []):
                    key = version["Key"][len(self.prefix) :]
                    counts[key] = counts.get(key, 0) + 1
        return counts

    def _versions(self, key: str) -> builtins.list[tuple[str, bool]]:
        """Every version of exactly ``key``, oldest first: (version id, is a delete marker)."""
        found: list[tuple[dt.datetime, str, bool]] = []
        paginator = self._client.get_paginator("list_object_versions")
        with self._errors("list versions", key):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + key):
                for version in page.get("Versions", []):
                    if version["Key"] == self.prefix + key:
                        found.append((version["LastModified"], version["VersionId"], False))
                for marker in page.get("DeleteMarkers", []):
                    if marker["Key"] == self.prefix + key:
                        found.append((marker["LastModified"], marker["VersionId"], True))
        return [(version_id, marker) for _, version_id, marker in sorted(found, key=lambda f: f[0])]

    def dispose(self, key: str, warrant: DisposalWarrant) -> bool:
        """Delete every version of ``key``; see :class:`~.base.DisposingStore`.

        The oldest version (the one the archive wrote) goes first: while Object Lock protects it
        the server refuses, and nothing at all is deleted. The refusal is never bypassed.
        """
        check_warrant(self, key, warrant)
        versions = self._versions(key)
        if not versions:
            return False
        for version_id, _ in versions:
            try:
                self._client.delete_object(Bucket=self.bucket, Key=self.prefix + key, VersionId=version_id)
            except ClientError as e:
                code, status = _error_code(e)
                if code in _DENIED or status == 403:
                    raise ObjectProtectedError(
                        f"{key}: the store refused to delete it ({self._protection_of(key, version_id)})"
                    ) from e
                raise self._translate(e, "dispose of", key) from e
            except BotoCoreError as e:
                raise self._translate(e, "dispose of", key) from e
        log.info("disposed of %s (%d versions)", key, len(versions), extra={"key": key})
        return True

    def _protection_of(self, key: str, version_id: str) -> str:
        """What protects one version, in words, for a refusal's message."""
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self.prefix + key, VersionId=version_id)
        except (ClientError, BotoCoreError):
            return "Object Lock"
        parts = []
        if head.get("ObjectLockLegalHoldStatus") == "ON":
            parts.append("legal hold on")
        until = head.get("ObjectLockRetainUntilDate")
        if until is not None:
            moment = until.astimezone(dt.UTC)
            parts.append(f"Object Lock {head.get('ObjectLockMode')} until {moment:%Y-%m-%d %H:%M} UTC")
        return ", ".join(parts) or "access denied"

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Turn the legal hold of every stored version of ``key`` on or off."""
        check_key(key)
        versions = [v for v, marker in self._versions(key) if not marker]
        if not versions:
            raise ObjectNotFoundError(f"{self.url}: legal hold {key!r}: no such object")
        with self._errors("legal hold", key):
            for version_id in versions:
                self._client.put_object_legal_hold(
                    Bucket=self.bucket,
                    Key=self.prefix + key,
                    VersionId=version_id,
                    LegalHold={"Status": "ON" if on else "OFF"},
                )

    def stat(self, key: str) -> StoredObject:
        """Size, SHA-256, lock and tags from HeadObject and GetObjectTagging.

        The retention is rebuilt from the ``retention-class`` tag and the lock: a legal hold
        means permanent, otherwise the retain-until date is the lock's.
        """
        check_key(key)
        with self._errors("stat", key):
            head = self._client.head_object(Bucket=self.bucket, Key=self.prefix + key, ChecksumMode="ENABLED")
            version = head.get("VersionId")
            if version:
                tagging = self._client.get_object_tagging(
                    Bucket=self.bucket, Key=self.prefix + key, VersionId=version
                )
            else:
                tagging = self._client.get_object_tagging(Bucket=self.bucket, Key=self.prefix + key)
        tags = {t["Key"]: t["Value"] for t in tagging.get("TagSet", [])}
        retention_class = tags.pop(RETENTION_TAG, None)
        hold = head.get("ObjectLockLegalHoldStatus") == "ON"
        lock_date = head.get("ObjectLockRetainUntilDate")
        until = lock_date.astimezone(dt.UTC) if lock_date is not None else None
        retention = None
        if retention_class is not None and (hold or until is not None):
            day = None if hold or until is None else until.date()
            retention = ObjectRetention(retention_class, day)
        return StoredObject(
            key=key,
            size=head["ContentLength"],
            sha256=self._sha256(key, head),
            retention=retention,
            tags=tags,
            locked_until=until,
            lock_mode=head.get("ObjectLockMode"),
            legal_hold=hold,
        )

    def _sha256(self, key: str, head: HeadObjectOutputTypeDef) -> str:
        """The SHA-256 the server holds, or computed from the body if it has none."""
        checksum = head.get("ChecksumSHA256")
        if checksum and "-" not in checksum:
            try:
                return base64.b64decode(checksum, validate=True).hex()
            except binascii.Error:
                pass
        log.warning("no usable SHA-256 on the server: reading the object", extra={"key": key})
        digest = hashlib.sha256()
        with self.open(key) as f:
            for chunk in iter_chunks(f):
                digest.update(chunk)
        return digest.hexdigest()


def _measure(key: str, data: bytes | BinaryIO) -> tuple[int, str]:
    """Size and SHA-256 of ``data``; a stream is rewound to where it was."""
    if isinstance(data, bytes | bytearray | memoryview):
        size = len(data)
        if size > MAX_SINGLE_PUT:
            raise ObjectTooLargeError(_too_large(key, size))
        return size, hashlib.sha256(data).hexdigest()
    start = data.tell()
    size = data.seek(0, os.SEEK_END) - start
    if size > MAX_SINGLE_PUT:
        raise ObjectTooLargeError(_too_large(key, size))
    data.seek(start)
    digest = hashlib.sha256()
    for chunk in iter_chunks(data):
        digest.update(chunk)
    data.seek(start)
    return size, digest.hexdigest()


def _too_large(key: str, size: int) -> str:
    return (
        f"{key!r}: {size} bytes is more than the {MAX_SINGLE_PUT} bytes of one single-part PUT;"
        " multipart uploads are not used because they can lose Object Lock"
    )


class _BodyReader(io.RawIOBase):
    """A botocore StreamingBody as a raw stream, with read failures as StoreError."""

    def __init__(self, body: StreamingBody, what: str) -> None:
        super().__init__()
        self._body = body
        self._what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._body.read(len(view))
        except BotoCoreError as e:
            raise StoreError(f"{self._what}: {e}") from e
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()
