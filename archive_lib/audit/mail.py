"""Sending the archive's reminders and alerts by e-mail, with the settings of an Airflow Connection.

The SMTP server is described once, as an Airflow Connection of type ``smtp`` (id
``smtp_default`` unless ``ARCHIVE_SMTP_CONNECTION`` names another), with the extras of Airflow's
own SMTP provider, so that the archive and Airflow's notifications use the same connection:

* host, port, login and password: the connection's fields;
* ``from_email``: the sender address (required);
* ``disable_ssl``: ``true`` to connect in plain text first (the default is SMTP over TLS, as the
  provider's); ``disable_tls``: ``true`` not to upgrade a plain connection with STARTTLS;
* ``timeout``: seconds for connecting and for each reply (default 30).

Inside Airflow the task reads the connection through Airflow (and its secrets backends);
outside it (``archivectl remind``) the connection comes from the environment in Airflow's own
``AIRFLOW_CONN_{ID}`` form, a URI such as
``smtp://user:password@mail.kommun.se:465?from_email=arkiv%40kommun.se`` or JSON.

A server that cannot be reached or refuses a message raises :class:`MailError`, which is
retryable: the next run sends what was not sent.
"""

from __future__ import annotations

import json
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from archive_lib.errors import ArchiveError, ConfigError
from archive_lib.settings import Setting

SMTP_CONNECTION = Setting("ARCHIVE_SMTP_CONNECTION", "archive_smtp_connection")
DEFAULT_CONNECTION = "smtp_default"
DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 300.0


class MailError(ArchiveError):
    """The SMTP server could not be reached or refused a message; a later attempt may succeed."""

    retryable = True


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail (see the module docstring)."""

    host: str
    port: int
    sender: str
    login: str | None = None
    password: str | None = None
    ssl: bool = True
    starttls: bool = True
    timeout: float = DEFAULT_TIMEOUT

    def __repr__(self) -> str:  # never show the password in a log or a traceback
        return f"SmtpSettings(host={self.host!r}, port={self.port}, sender={self.sender!r}, ssl={self.ssl})"

    @classmethod
    def from_fields(
        cls,
        *,
        host: str | None,
        port: int | None,
        login: str | None,
        password: str | None,
        extra: Mapping[str, Any],
        name: str,
    ) -> SmtpSettings:
        """Settings from a connection's fields and extras; ConfigError naming ``name`` if unusable."""
        if not host:
            raise ConfigError(f"SMTP connection {name!r} has no host")
        sender = str(extra.get("from_email") or "").strip()
        if "@" not in sender or any(c in sender for c in '\r\n,<>" '):
            raise ConfigError(f"SMTP connection {name!r} needs a from_email extra (one address)")
        use_ssl = not _flag(extra.get("disable_ssl"), name, "disable_ssl")
        starttls = not _flag(extra.get("disable_tls"), name, "disable_tls")
        try:
            timeout = float(extra.get("timeout", DEFAULT_TIMEOUT))
        except (TypeError, ValueError):
            raise ConfigError(f"SMTP connection {name!r}: timeout must be a number of seconds") from None
        if not 0 < timeout <= MAX_TIMEOUT:
            raise ConfigError(f"SMTP connection {name!r}: timeout must be in (0, {MAX_TIMEOUT:g}] seconds")
        port = port or (465 if use_ssl else 587 if starttls else 25)
        if not 0 < port < 65536:
            raise ConfigError(f"SMTP connection {name!r}: port {port} is not a port")
        return cls(host, port, sender, login or None, password or None, use_ssl, starttls, timeout)

    @classmethod
    def from_environment(cls, connection_id: str, environ: Mapping[str, str] | None = None) -> SmtpSettings:
        """The settings of Airflow connection ``connection_id`` defined in the environment
        (``AIRFLOW_CONN_{ID}``, a URI or JSON)."""
        env = os.environ if environ is None else environ
        name = f"AIRFLOW_CONN_{connection_id.upper()}"
        value = env.get(name, "").strip()
        if not value:
            raise ConfigError(
                f"no SMTP connection: set ${name} (e.g. smtp://user:pass@host:465?from_email=arkiv%40kommun.se)"
            )
        if value.startswith("{"):
            try:
                fields = json.loads(value)
                if not isinstance(fields, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                raise ConfigError(f"${name} is not a connection in JSON form: {exc}") from None
            extra = fields.get("extra") or {}
            if isinstance(extra, str):
                try:
                    extra = json.loads(extra)
                except ValueError:
                    raise ConfigError(f"${name}: extra is not JSON") from None
            try:
                port = int(fields["port"]) if fields.get("port") is not None else None
            except (TypeError, ValueError):
                raise ConfigError(f"${name}: port is not a number") from None
            return cls.from_fields(
                host=fields.get("host"),
                port=port,
                login=fields.get("login"),
                password=fields.get("password"),
                extra=extra if isinstance(extra, dict) else {},
                name=connection_id,
            )
        parts = urlsplit(value)
        try:
            port = parts.port
        except ValueError:
            raise ConfigError(f"${name}: the port is not a number") from None
        return cls.from_fields(
            host=parts.hostname,
            port=port,
            login=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            extra=dict(parse_qsl(parts.query)),
            name=connection_id,
        )


class Mailer(Protocol):
    """Something that delivers a message or raises :class:`MailError`."""

    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """Delivers messages through the SMTP server of :class:`SmtpSettings`, one connection per batch."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        try:
            smtp = self._connection()
            refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise MailError(f"mail to {message['To']} not sent: {exc}") from exc
        if refused:
            raise MailError(f"the SMTP server refused {', '.join(sorted(refused))}")

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        s = self.settings
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if s.ssl:
            smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.starttls:
                smtp.starttls(context=context)
        if s.login:
            smtp.login(s.login, s.password or "")
        self._smtp = smtp
        return smtp


def _flag(value: object, name: str, field: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ConfigError(f"SMTP connection {name!r}: {field} must be true or false, not {value!r}")
