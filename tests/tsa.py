"""A Time-Stamp Authority on loopback for the tests: ``openssl ts -reply`` behind a small HTTP server.

It makes its own test CA and a TSA certificate (critical ``timeStamping`` EKU, signed by the CA),
and answers ``POST application/timestamp-query`` with the DER ``TimeStampResp`` that
``openssl ts -reply`` writes. The response embeds only the TSA's own certificate (no ``certs``
in the configuration): a chain embedded by openssl is not in DER set order, which
rfc3161-client refuses (``InvalidSetOrdering``).

``mode`` makes it misbehave: ``"down"`` answers 503, ``"rejection"`` a TimeStampResp refusing,
``"garbage"`` answers 200 with bytes that are no TimeStampResp, ``"other"`` timestamps other
bytes than asked.
"""

from __future__ import annotations

import datetime as dt
import http.server
import pathlib
import subprocess
import threading
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.helpers import PROCESS_TIMEOUT

_CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(folder: pathlib.Path) -> pathlib.Path:
    """A CA and a TSA certificate under ``folder``; the CA bundle's path."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    later = now + dt.timedelta(days=30)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root CA"))
        .issuer_name(_name("Test Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    tsa_key = ec.generate_private_key(ec.SECP256R1())
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA"))
        .issuer_name(ca.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(later)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.pem").write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    (folder / "tsa.key").write_bytes(
        tsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (folder / "serial").write_text("01\n")
    (folder / "tsa.cnf").write_text(_CONFIG.format(dir=folder))
    return folder / "ca.pem"


class LoopbackTsa:
    """``with LoopbackTsa(folder) as tsa:`` serves at ``tsa.url``; ``tsa.ca`` is the CA bundle."""

    def __init__(self, folder: pathlib.Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.ca = make_pki(folder)
        self.mode = "ok"
        self.requests = 0
        self.granted = 0
        self._lock = threading.Lock()
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                query = self.rfile.read(length)
                status, body = tsa.answer(query)
                self.send_response(status)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, query: bytes) -> tuple[int, bytes]:
        with self._lock:
            self.requests += 1
            if self.mode == "down":
                return 503, b"down for maintenance"
            if self.mode == "rejection":
                return 200, bytes.fromhex("30053003020102")  # TimeStampResp, status rejection (2)
            if self.mode == "garbage":
                return 200, b"\x30\x03\x02\x01\x00 not a response"
            if self.mode == "other":
                return 200, self.reply_for_data(b"other bytes")
            self.granted += 1
            return 200, self.reply(query)

    def reply(self, query: bytes) -> bytes:
        """``openssl ts -reply`` to the DER TimeStampReq ``query``."""
        (self.folder / "query.tsq").write_bytes(query)
        subprocess.run(
            ["openssl", "ts", "-reply", "-config", str(self.folder / "tsa.cnf"),
             "-queryfile", str(self.folder / "query.tsq"), "-out", str(self.folder / "reply.tsr")],
            check=True, capture_output=True, timeout=PROCESS_TIMEOUT,
        )  # fmt: skip
        return (self.folder / "reply.tsr").read_bytes()

    def reply_for_data(self, data: bytes) -> bytes:
        """A granted reply to a fresh query for ``data`` (with a certificate)."""
        (self.folder / "data.bin").write_bytes(data)
        query = subprocess.run(
            ["openssl", "ts", "-query", "-data", str(self.folder / "data.bin"), "-sha256", "-cert"],
            check=True, capture_output=True, timeout=PROCESS_TIMEOUT,
        ).stdout  # fmt: skip
        return self.reply(query)

    def __enter__(self) -> LoopbackTsa:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=60)
