"""The signer the settings describe: ``ARCHIVE_SIGNING_KEY``, ``ARCHIVE_TSA_URL``, ``ARCHIVE_TSA_CA``.

Outside Airflow the key is a PEM file named by ``ARCHIVE_SIGNING_KEY``. Under Airflow the glue
may pass ``key_pem``, a loader that returns the PEM from an Airflow Connection (its password
field, named by ``ARCHIVE_SIGNING_CONNECTION``); the file is then not needed. No key at all means
the archive runs unsigned: that is logged here and reported by the audit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from archive_lib.evidence.keys import SigningKey, load_signing_key, signing_key_from_pem
from archive_lib.evidence.signing import Signer
from archive_lib.evidence.timestamps import TrustAnchors, TsaClient, load_trust_anchors
from archive_lib.settings import SIGNING_KEY, TSA_CA, TSA_URL, Settings

log = logging.getLogger(__name__)

#: Returns a private key's PEM from elsewhere (an Airflow Connection); None when it has none.
KeyLoader = Callable[[], "bytes | None"]


def signing_key(settings: Settings, key_pem: KeyLoader | None = None) -> SigningKey | None:
    """The signing key from ``key_pem``, else from the file ``ARCHIVE_SIGNING_KEY``; None if neither."""
    pem = key_pem() if key_pem is not None else None
    if pem:
        return signing_key_from_pem(pem, "the signing key's Airflow Connection")
    path = settings.get(SIGNING_KEY)
    return load_signing_key(path) if path else None


def tsa_client(settings: Settings) -> TsaClient | None:
    """The TSAs of ``ARCHIVE_TSA_URL`` (checked against ``ARCHIVE_TSA_CA`` when set); None if unset."""
    urls = (settings.get(TSA_URL) or "").split()
    if not urls:
        return None
    return TsaClient(urls, anchors=trust_anchors(settings))


def trust_anchors(settings: Settings) -> TrustAnchors | None:
    path = settings.get(TSA_CA)
    return load_trust_anchors(path) if path else None


def signer_from_settings(settings: Settings, key_pem: KeyLoader | None = None) -> Signer | None:
    """The signer the settings describe; None (unsigned, with a warning) when no key is set.

    ConfigError when a key or CA bundle is named but cannot be used.
    """
    key = signing_key(settings, key_pem)
    if key is None:
        log.warning("no signing key (%s): manifests, reports and logs are stored unsigned", SIGNING_KEY.env)
        return None
    return Signer(key, tsa=tsa_client(settings))
