"""Signed, timestamped evidence: what lets an outsider check the archive with standard tools.

* :mod:`.keys`: the Ed25519 signing key, key ids, the public keys kept under ``keys/``;
* :mod:`.signing`: :func:`put_signed`, the one way to store a signed document (document,
  ``.sig``, ``.tsr``, key), and :func:`timestamp_missing`, which retries missing timestamps;
* :mod:`.timestamps`: RFC 3161 requests to the TSAs and the checks of their answers;
* :mod:`.check`: checking one signed document offline (signature, key, timestamp);
* :mod:`.config`: the signer the settings describe.

The layer sits between ``metadata`` (which signs run manifests with it) and ``storage``.
"""

from archive_lib.evidence.signing import Signer, put_signed, timestamp_missing

__all__ = ["Signer", "put_signed", "timestamp_missing"]
