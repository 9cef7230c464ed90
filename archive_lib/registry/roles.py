"""Who may do what in the web view: registrars and archivists, by Airflow role or group.

* **Registrars** may search, view threads, release packages and mark items under secrecy.
* **Archivists** may do all that, lift markings, and read the access log (and, where the web
  view offers them, hold and dispose).

A signed-in user is a registrar or an archivist when one of their Airflow roles or groups is
named in the setting (case does not matter); anyone else is refused (403):

* ``ARCHIVE_WEB_REGISTRARS`` (Airflow Variable ``archive_web_registrars``), comma-separated;
  default ``registrar,user,op`` (the Simple auth manager's roles USER and OP);
* ``ARCHIVE_WEB_ARCHIVISTS`` (Variable ``archive_web_archivists``); default ``archivist,admin``.

The roles are read from what the auth manager gives the web view: ``role`` (Simple auth
manager), ``roles`` (FAB: names or objects with a ``name``), ``groups`` and ``teams``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from archive_lib.settings import Setting, Settings

REGISTRARS = Setting("ARCHIVE_WEB_REGISTRARS", "archive_web_registrars")
ARCHIVISTS = Setting("ARCHIVE_WEB_ARCHIVISTS", "archive_web_archivists")
DEFAULT_REGISTRARS = ("registrar", "user", "op")
DEFAULT_ARCHIVISTS = ("archivist", "admin")
REGISTRAR, ARCHIVIST = "registrar", "archivist"


@dataclass(frozen=True)
class WebRoles:
    """The role and group names that make a user a registrar, and an archivist."""

    registrars: frozenset[str]
    archivists: frozenset[str]

    def of(self, user: Any) -> str | None:
        """``archivist``, ``registrar`` or ``None`` (may do nothing here) for a signed-in user."""
        names = user_groups(user)
        if names & self.archivists:
            return ARCHIVIST
        if names & self.registrars:
            return REGISTRAR
        return None


def web_roles(settings: Settings) -> WebRoles:
    """The roles of the settings (the environment, else Airflow Variables), or the defaults."""
    return WebRoles(
        registrars=_names(settings.get(REGISTRARS), DEFAULT_REGISTRARS),
        archivists=_names(settings.get(ARCHIVISTS), DEFAULT_ARCHIVISTS),
    )


def may(role: str | None, needed: str) -> bool:
    """Whether ``role`` may do what needs ``needed`` (an archivist may do what a registrar may)."""
    return role == ARCHIVIST or (role == REGISTRAR and needed == REGISTRAR)


def user_groups(user: Any) -> frozenset[str]:
    """The lower-cased role and group names of a user object of any Airflow auth manager."""
    found: list[str] = []
    role = getattr(user, "role", None)
    if isinstance(role, str):
        found.append(role)
    for attribute in ("roles", "groups", "teams"):
        values = getattr(user, attribute, None)
        if isinstance(values, Iterable) and not isinstance(values, str | bytes):
            for value in values:
                name = value if isinstance(value, str) else getattr(value, "name", None)
                if isinstance(name, str):
                    found.append(name)
    return frozenset(name.strip().lower() for name in found if name.strip())


def _names(value: str | None, default: tuple[str, ...]) -> frozenset[str]:
    if value is None:
        return frozenset(default)
    return frozenset(part.strip().lower() for part in value.split(",") if part.strip())
