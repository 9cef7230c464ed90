"""Keep secrets out of every stored byte.

Recorded requests carry what we sent, and what we sent includes credentials: ``Authorization``
headers, cookies, and for some platforms tokens in the query string. A :class:`Redactor`
replaces them before a record is written, and then checks the whole record for any known
secret value, so a token that slipped into an unexpected place (a response body echoing it, a
redirect URL) is caught before it reaches the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from archive_lib.errors import SecretLeakError

MARK = "REDACTED"
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-csrf-token",
        "x-api-key",
    }
)
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "token",
        "api_key",
        "key",
        "client_secret",
        "password",
        "refresh_token",
        "code",
        "fb_exchange_token",
        "input_token",
        "appsecret_proof",
        "sig",
        "signature",
    }
)
_AUTH_SCHEME = re.compile(r"^(\s*[A-Za-z][A-Za-z0-9._~+/-]*\s+)")


class Redactor:
    """Replaces credentials in URLs, headers and text; ``secrets`` are exact values to hunt."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._secret_bytes: list[bytes] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        # A secret echoed inside a URL may come percent-encoded; both spellings are replaced.
        for form in {secret, quote(secret, safe="")}:
            if form and form not in self._secrets:
                self._secrets = sorted([*self._secrets, form], key=len, reverse=True)
                self._secret_bytes = [s.encode() for s in self._secrets]

    @property
    def hunting(self) -> bool:
        """Whether there is any secret value to hunt for."""
        return bool(self._secret_bytes)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MARK)
        return value

    def body(self, data: bytes) -> bytes:
        for secret in self._secret_bytes:
            data = data.replace(secret, MARK.encode())
        return data

    def url(self, url: str) -> str:
        """``url`` with secret query parameters and any known secret replaced."""
        parts = urlsplit(url)
        if parts.query:
            pairs = parse_qsl(parts.query, keep_blank_values=True)
            if any(name.lower() in SECRET_PARAMS for name, _ in pairs):
                query = urlencode([(n, MARK if n.lower() in SECRET_PARAMS else v) for n, v in pairs])
                parts = parts._replace(query=query)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", f":{MARK}@")
            parts = parts._replace(netloc=netloc)
        return self.text(urlunsplit(parts))

    def headers(self, headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        out = []
        for name, value in headers:
            lower = name.lower()
            if lower in ("authorization", "proxy-authorization"):
                scheme = _AUTH_SCHEME.match(value)
                value = (scheme.group(1) if scheme else "") + MARK
            elif lower in SECRET_HEADERS:
                value = MARK
            elif lower in ("location", "content-location", "link"):
                value = self._urls_in(value)
            out.append((name, self.text(value)))
        return out

    def _urls_in(self, value: str) -> str:
        return re.sub(r"https?://[^\s<>\"',;]+", lambda m: self.url(m.group(0)), value)

    def find(self, data: bytes) -> bool:
        """Whether any known secret occurs in ``data``."""
        return any(secret in data for secret in self._secret_bytes)

    def find_in_chunks(self, chunks: Iterable[bytes]) -> bool:
        """Whether any known secret occurs in the concatenation of ``chunks`` (bounded memory)."""
        if not self._secret_bytes:
            return False
        overlap = max(len(s) for s in self._secret_bytes) - 1
        tail = b""
        for chunk in chunks:
            window = tail + chunk
            if self.find(window):
                return True
            tail = window[-overlap:] if overlap else b""
        return False

    def ensure_clean(self, data: bytes, where: str) -> None:
        """Raise :class:`SecretLeakError` if a known secret occurs in ``data``."""
        if self.find(data):
            raise SecretLeakError(f"a secret was about to be stored in {where}; nothing was written")
