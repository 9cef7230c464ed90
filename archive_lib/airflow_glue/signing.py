"""The archive's signer under Airflow: the key from an Airflow Connection or a file.

``ARCHIVE_SIGNING_CONNECTION`` (or the Variable ``archive_signing_connection``) names a
Connection whose password holds the Ed25519 private key as PEM (read through Airflow, so its
secrets backends work too); without it, ``ARCHIVE_SIGNING_KEY`` names a PEM file. The TSAs come
from ``ARCHIVE_TSA_URL`` and ``ARCHIVE_TSA_CA`` (see :mod:`archive_lib.evidence.config`).
"""

from __future__ import annotations

from airflow.sdk import Connection

from archive_lib.errors import ConfigError
from archive_lib.evidence.config import signer_from_settings
from archive_lib.evidence.signing import Signer
from archive_lib.settings import SIGNING_CONNECTION, Settings


def archive_signer(settings: Settings) -> Signer | None:
    """The signer the settings describe; None (unsigned) when no key is configured."""
    connection_id = settings.get(SIGNING_CONNECTION)

    def from_connection() -> bytes | None:
        if not connection_id:
            return None
        try:
            connection = Connection.get(connection_id)
        except Exception as exc:  # Airflow raises its own not-found type, which may change
            raise ConfigError(f"the signing key's Airflow connection {connection_id!r}: {exc}") from None
        pem = (connection.password or "").strip() if connection else ""
        if not pem:
            raise ConfigError(f"the Airflow connection {connection_id!r} has no password (the key's PEM)")
        return pem.encode()

    return signer_from_settings(settings, from_connection)
