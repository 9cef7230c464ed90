"""A signing key for the tests' archives, made once per test session (never a file in the repo)."""

from __future__ import annotations

import pathlib

from archive_lib.evidence.keys import SigningKey, generate_signing_key, private_pem
from archive_lib.evidence.signing import Signer
from archive_lib.evidence.timestamps import TsaClient

TEST_KEY: SigningKey = generate_signing_key()


def signer_for_tests(tsa: TsaClient | None = None, key: SigningKey = TEST_KEY) -> Signer:
    return Signer(key, tsa=tsa)


def write_key_file(folder: pathlib.Path, key: SigningKey = TEST_KEY) -> pathlib.Path:
    """The key as a PEM file under ``folder``, as ``ARCHIVE_SIGNING_KEY`` names one."""
    path = folder / "signing-key.pem"
    path.write_bytes(private_pem(key))
    path.chmod(0o600)
    return path
