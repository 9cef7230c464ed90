"""RFC 3161 timestamps of signatures, from one or more Time-Stamp Authorities (TSA).

The message imprint is the SHA-256 of the ``.sig`` file (the raw signature), with ``certReq``
true and a nonce; the DER ``TimeStampResp`` is stored at ``{document}.tsr``. Requests are built
and responses checked with ``rfc3161-client``; the HTTP exchange is urllib3's.

A TSA is a server on the network, so its answer is hostile until checked: every exchange is
bounded (connect and read timeouts, a whole-exchange deadline, a body limit), and a response is
kept only when it decodes, is granted, answers this request's nonce and imprint and, when a CA
bundle is configured, chains to it with a time-stamping certificate. A TSA that is down or
refuses is not an error of the night: :meth:`TsaClient.timestamp` returns ``None`` and the next
run asks again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import pathlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import cryptography.x509
import urllib3
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    TimeStampResponse,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from archive_lib import PRODUCT, __version__
from archive_lib.errors import ConfigError

log = logging.getLogger(__name__)

#: A TimeStampResp with a certificate or two is a few kB; anything past this is refused.
MAX_RESPONSE_BYTES = 256 * 1024
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
#: One exchange in all, connecting and the whole body.
DEADLINE = 60.0
MAX_CA_FILE = 1024 * 1024
_CHUNK = 16 * 1024


class TimestampRefused(Exception):
    """A TSA gave no usable timestamp (down, refused, or an answer that does not check)."""


@dataclass(frozen=True)
class TrustAnchors:
    """The CA bundle timestamps are checked against: self-signed roots and the rest."""

    roots: tuple[cryptography.x509.Certificate, ...]
    intermediates: tuple[cryptography.x509.Certificate, ...] = ()


def load_trust_anchors(path: str | pathlib.Path) -> TrustAnchors:
    """The certificates of a PEM bundle; ConfigError when it holds none or cannot be read."""
    file = pathlib.Path(path)
    try:
        with open(file, "rb") as handle:
            data = handle.read(MAX_CA_FILE + 1)
    except OSError as exc:
        raise ConfigError(f"TSA CA bundle {file}: {exc.strerror or exc}") from None
    if len(data) > MAX_CA_FILE:
        raise ConfigError(f"TSA CA bundle {file}: larger than {MAX_CA_FILE} bytes")
    try:
        certs = cryptography.x509.load_pem_x509_certificates(data)
    except ValueError:
        raise ConfigError(f"TSA CA bundle {file}: no PEM certificates in it") from None
    roots = tuple(c for c in certs if c.issuer == c.subject)
    rest = tuple(c for c in certs if c.issuer != c.subject)
    if not roots:
        raise ConfigError(f"TSA CA bundle {file}: no self-signed (root) certificate in it")
    return TrustAnchors(roots, rest)


def imprint_of(signature: bytes) -> bytes:
    """The message imprint of a signature: SHA-256 of the ``.sig`` file's bytes."""
    return hashlib.sha256(signature).digest()


def check_token(
    response: TimeStampResponse, signature: bytes, anchors: TrustAnchors | None, nonce: int | None = None
) -> None:
    """Raise TimestampRefused unless ``response`` is a granted timestamp of ``signature``.

    With ``anchors`` the token's signature and its certificate are checked too (chain to a root,
    critical time-stamping EKU, valid at the timestamp's time).
    """
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        raise TimestampRefused(f"status {response.status} (not granted)")
    try:
        imprint, token_nonce = response.tst_info.message_imprint.message, response.tst_info.nonce
    except Exception as exc:  # a granted status without a readable token: the parser's own errors
        raise TimestampRefused(f"no readable timestamp token: {str(exc)[:200]}") from None
    if imprint != imprint_of(signature):
        raise TimestampRefused("the timestamp is of other bytes (message imprint differs)")
    if nonce is not None and token_nonce != nonce:
        raise TimestampRefused("the nonce differs from the request's")
    if anchors is None:
        return
    builder = VerifierBuilder()
    for root in anchors.roots:
        builder = builder.add_root_certificate(root)
    for cert in anchors.intermediates:
        builder = builder.add_intermediate_certificate(cert)
    try:
        builder.build().verify(response, imprint_of(signature))
    except (VerificationError, ValueError) as exc:
        raise TimestampRefused(f"the token does not verify: {str(exc)[:200]}") from None


def decode(data: bytes) -> TimeStampResponse:
    """A TimeStampResp from DER; TimestampRefused when it is not one."""
    try:
        return decode_timestamp_response(data)
    except Exception as exc:  # the parser's errors have no common type
        raise TimestampRefused(f"not a TimeStampResp: {str(exc)[:200]}") from None


def gen_time(response: TimeStampResponse) -> dt.datetime:
    moment = response.tst_info.gen_time
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@dataclass
class TsaClient:
    """Asks the TSAs at ``urls`` in order for a timestamp of a signature."""

    urls: Sequence[str]
    anchors: TrustAnchors | None = None
    deadline: float = DEADLINE
    max_bytes: int = MAX_RESPONSE_BYTES
    _pool: urllib3.PoolManager = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for url in self.urls:
            if not url.startswith(("http://", "https://")):
                raise ConfigError(f"ARCHIVE_TSA_URL: {url[:100]!r} is not an http(s) URL")
        self._pool = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT, read=READ_TIMEOUT),
            retries=False,
            headers={"User-Agent": f"{PRODUCT}/{__version__}"},
        )

    def timestamp(self, signature: bytes) -> bytes | None:
        """The DER TimeStampResp of the first TSA that grants a checked timestamp; None if none did."""
        for url in self.urls:
            try:
                return self._ask(url, signature)
            except TimestampRefused as exc:
                log.warning("TSA %s gave no timestamp: %s", url, exc, extra={"tsa": url})
            except Exception:  # an answer the checks did not foresee must not fail the night either
                log.warning("TSA %s gave no timestamp (an unexpected answer)", url, exc_info=True)
        return None

    def _ask(self, url: str, signature: bytes) -> bytes:
        request = (
            TimestampRequestBuilder()
            .data(signature)
            .hash_algorithm(HashAlgorithm.SHA256)
            .cert_request(cert_request=True)
            .nonce(nonce=True)
            .build()
        )
        body = self._post(url, request.as_bytes())
        response = decode(body)
        check_token(response, signature, self.anchors, request.nonce)
        return body

    def _post(self, url: str, query: bytes) -> bytes:
        started = time.monotonic()
        try:
            answer = self._pool.request(
                "POST",
                url,
                body=query,
                headers={"Content-Type": "application/timestamp-query"},
                preload_content=False,
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TimestampRefused(f"unreachable: {str(exc)[:200]}") from None
        try:
            if answer.status != 200:
                raise TimestampRefused(f"HTTP {answer.status}")
            chunks: list[bytes] = []
            size = 0
            while chunk := answer.read1(_CHUNK):  # returns what came, so the deadline is checked
                size += len(chunk)
                if size > self.max_bytes:
                    raise TimestampRefused(f"answer larger than {self.max_bytes} bytes")
                if time.monotonic() - started > self.deadline:
                    raise TimestampRefused(f"answer took longer than {self.deadline:.0f} s")
                chunks.append(chunk)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise TimestampRefused(f"the answer broke off: {str(exc)[:200]}") from None
        finally:
            answer.release_conn()
        return b"".join(chunks)
