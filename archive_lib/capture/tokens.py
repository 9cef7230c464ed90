"""Where an account's token comes from, outside Airflow.

The inventory names either an environment variable (``token_env``) or an Airflow Connection
(``token_connection``, the token in its password field). Under Airflow the connection is read
through Airflow itself (:mod:`archive_lib.airflow_glue.capture`), which also covers its secrets
backends. Outside Airflow (``archivectl``) a connection can only come from the environment, in
Airflow's own ``AIRFLOW_CONN_{ID}`` form (a URI or JSON), which is read here.
"""

from __future__ import annotations

import json
import os
from urllib.parse import unquote, urlsplit

from archive_lib.errors import MissingTokenError
from archive_lib.models import Account


def env_tokens(account: Account) -> str | None:
    """The account's token from the environment; ``None`` when the inventory names none."""
    if account.token_env:
        token = os.environ.get(account.token_env, "").strip()
        if not token:
            raise MissingTokenError(
                f"the inventory says the token is in ${account.token_env}, but that variable is not set"
            )
        return token
    if account.token_connection:
        return connection_password(account.token_connection)
    return None


def connection_env_name(connection_id: str) -> str:
    return f"AIRFLOW_CONN_{connection_id.upper()}"


def connection_password(connection_id: str) -> str:
    """The password of an Airflow connection defined in the environment (URI or JSON form)."""
    name = connection_env_name(connection_id)
    value = os.environ.get(name, "").strip()
    if not value:
        raise MissingTokenError(
            f"the token is in Airflow connection {connection_id!r}; outside Airflow set ${name} "
            f"(e.g. mastodon://:TOKEN@) or give the account a token_env"
        )
    if value.startswith("{"):
        try:
            password = json.loads(value).get("password")
        except (ValueError, AttributeError):
            password = None
    else:
        raw = urlsplit(value).password
        password = unquote(raw) if raw else None
    if not password:
        raise MissingTokenError(f"${name} defines connection {connection_id!r} without a password (token)")
    return str(password)
