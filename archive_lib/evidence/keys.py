"""Signing keys: the private key that signs, and the public keys kept in the archive.

A key is named by its *key id*: the first 16 hex digits of the SHA-256 of the raw 32-byte
Ed25519 public key. Every public key that ever signed is stored once, permanently, under
``keys/{key_id}.pem`` (SubjectPublicKeyInfo PEM, what ``openssl pkeyutl -pubin`` reads), with
``keys/{key_id}.json`` beside it saying when it was first used. A rotated key stays in the store,
so what it signed stays verifiable; the keys under ``keys/`` are the trust roots of the archive's
own signatures and are compared with the key ids the archive publishes out of band.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import pathlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from archive_lib.errors import ConfigError, ObjectExistsError
from archive_lib.retention_classes import ObjectRetention
from archive_lib.storage.base import ObjectStore

KEYS = "keys"
#: Public keys are kept for as long as anything they signed: always.
KEY_RETENTION = ObjectRetention("signing-keys", None)
KEY_TAGS = {"kind": "key"}
#: A PEM file larger than this is not a key.
MAX_KEY_FILE = 64 * 1024


def key_id_of(public_key: Ed25519PublicKey) -> str:
    """The key id: first 16 hex digits of SHA-256 over the raw public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM."""
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return public_key.public_bytes(serialization.Encoding.PEM, spki)


def is_key_file(key: str) -> bool:
    """Whether ``key`` is a public key or its note under ``keys/`` (the trust roots)."""
    return key.startswith(f"{KEYS}/")


def key_pem_key(key_id: str) -> str:
    return f"{KEYS}/{key_id}.pem"


def key_info_key(key_id: str) -> str:
    return f"{KEYS}/{key_id}.json"


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and its key id."""

    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def key_id(self) -> str:
        return key_id_of(self.public)

    def sign(self, data: bytes) -> bytes:
        """The raw 64-byte Ed25519 signature of ``data``."""
        return self.private.sign(data)

    def __repr__(self) -> str:  # never print key material
        return f"SigningKey(key_id={self.key_id!r})"


def signing_key_from_pem(pem: bytes, where: str) -> SigningKey:
    """An Ed25519 private key from PEM (PKCS#8, unencrypted); ConfigError naming ``where`` if not."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{where}: not an unencrypted PEM private key ({reason[:120]})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{where}: the key is not an Ed25519 key")
    return SigningKey(key)


def load_signing_key(path: str | pathlib.Path) -> SigningKey:
    """The signing key in the PEM file at ``path``; ConfigError when it cannot be used."""
    file = pathlib.Path(path)
    try:
        with open(file, "rb") as handle:
            pem = handle.read(MAX_KEY_FILE + 1)
    except OSError as exc:
        raise ConfigError(f"signing key {file}: {exc.strerror or exc}") from None
    if len(pem) > MAX_KEY_FILE:
        raise ConfigError(f"signing key {file}: larger than {MAX_KEY_FILE} bytes, not a key")
    return signing_key_from_pem(pem, f"signing key {file}")


def generate_signing_key() -> SigningKey:
    return SigningKey(Ed25519PrivateKey.generate())


def private_pem(key: SigningKey) -> bytes:
    """The private key as unencrypted PKCS#8 PEM (for a demo or a test key file)."""
    return key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def publish_key(store: ObjectStore, key: SigningKey, first_used: dt.datetime) -> None:
    """Store the public key under ``keys/`` unless it is there: its PEM, then when it was first used.

    Idempotent: the PEM of a key id is always the same bytes; the first ``.json`` written stays.
    """
    if not store.exists(key_pem_key(key.key_id)):
        store.put(key_pem_key(key.key_id), public_pem(key.public), retention=KEY_RETENTION, tags=KEY_TAGS)
    if not store.exists(key_info_key(key.key_id)):
        info = {
            "key_id": key.key_id,
            "algorithm": "Ed25519",
            "public_key": key_pem_key(key.key_id),
            "first_used": first_used.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        }
        data = json.dumps(info, indent=2).encode() + b"\n"
        # Another process may have published it first; its time stands.
        with contextlib.suppress(ObjectExistsError):
            store.put(key_info_key(key.key_id), data, retention=KEY_RETENTION, tags=KEY_TAGS)


def load_public_key(pem: bytes) -> Ed25519PublicKey | None:
    """An Ed25519 public key from SubjectPublicKeyInfo PEM; None when it is not one."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def signature_holds(public_key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is ``public_key``'s Ed25519 signature over exactly ``data``."""
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
