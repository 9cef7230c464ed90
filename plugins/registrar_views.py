"""Airflow plugin: the registrars' web view (search, threads, release packages) in Airflow's menu.

Thin on purpose: the app is :func:`archive_lib.registry.web.create_app`; this file only gives it
Airflow's signed-in user (plugin apps are not protected by Airflow otherwise) and the store
URL (``ARCHIVE_STORE``, else the Airflow Variable ``archive_store``) and the signer of export
log entries (``ARCHIVE_SIGNING_KEY`` or ``ARCHIVE_SIGNING_CONNECTION``). The search index lives
in ``ARCHIVE_INDEX_DIR`` (default: the API server user's cache folder). Which Airflow roles or
groups make a registrar and an archivist: ``ARCHIVE_WEB_REGISTRARS`` / ``ARCHIVE_WEB_ARCHIVISTS``
or the Variables ``archive_web_registrars`` / ``archive_web_archivists`` (see
:mod:`archive_lib.registry.roles`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from airflow.api_fastapi.core_api.security import get_user
from airflow.plugins_manager import AirflowPlugin

from archive_lib.errors import ConfigError
from archive_lib.evidence.signing import Signer
from archive_lib.registry.roles import WebRoles, web_roles
from archive_lib.registry.web import create_app
from archive_lib.settings import STORE, Settings


def _variable(name: str) -> str | None:
    from airflow.models import Variable

    value = Variable.get(name, default_var=None)
    return None if value is None else str(value)


def _store_url() -> str:
    url = Settings(variables=_variable).get(STORE)
    if url is None:
        raise ConfigError("set ARCHIVE_STORE or the Airflow Variable archive_store")
    return url


def _roles() -> WebRoles:
    return web_roles(Settings(variables=_variable))


def _signer() -> Signer | None:
    from archive_lib.airflow_glue.signing import archive_signer

    return archive_signer(Settings(variables=_variable))


registry_app = create_app(current_user=get_user, store_url=_store_url, roles=_roles, signer=_signer)


class RegistrarViewsPlugin(AirflowPlugin):
    name = "registrar_views"
    fastapi_apps: ClassVar[list[dict[str, Any]]] = [
        {"app": registry_app, "url_prefix": "/registry", "name": "Records archive: registry"}
    ]
    external_views: ClassVar[list[dict[str, Any]]] = [
        {
            "name": "Search the archive",
            "href": "/registry/",
            "destination": "nav",
            "category": "browse",
            "url_route": "registry",
        }
    ]
