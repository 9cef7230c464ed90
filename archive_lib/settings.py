"""The archive's settings, read in one place: the environment first, then Airflow Variables.

Each :class:`Setting` has an environment variable (``ARCHIVE_STORE``) and the Airflow Variable
that may stand in for it (``archive_store``). Outside Airflow (``archivectl``) only the
environment is read. Inside Airflow the tasks and the registrars' web view pass a lookup of
Airflow Variables (:data:`VariableLookup`), so this module does not import Airflow; the lookup is
asked only when the environment has no value, so a task that is configured by its environment
never reaches for Airflow's database.

A value that is set but empty counts as not set, in the environment and in a Variable alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from archive_lib.errors import ConfigError

#: An Airflow Variable's value by name; None when it is not set.
VariableLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable and the Airflow Variable that may stand in for it."""

    env: str
    variable: str


STORE = Setting("ARCHIVE_STORE", "archive_store")
INVENTORY = Setting("ARCHIVE_INVENTORY", "archive_inventory")
AUDIT_NIGHTS = Setting("ARCHIVE_AUDIT_NIGHTS", "archive_audit_nights")
AUDIT_PERIOD_DAYS = Setting("ARCHIVE_AUDIT_PERIOD_DAYS", "archive_audit_period_days")
# Hot passes (archive_lib/capture/recent.py): how far back, the budget share they may use, and one
# slot of an account's write lease (archive_lib/capture/lease.py).
HOT_HOURS = Setting("ARCHIVE_HOT_HOURS", "archive_hot_hours")
HOT_BUDGET_PERCENT = Setting("ARCHIVE_HOT_BUDGET_PERCENT", "archive_hot_budget_percent")
LEASE_SECONDS = Setting("ARCHIVE_LEASE_SECONDS", "archive_lease_seconds")

# Signed, timestamped evidence (archive_lib/evidence/config.py reads these).
SIGNING_KEY = Setting("ARCHIVE_SIGNING_KEY", "archive_signing_key")  # a PEM file path
SIGNING_CONNECTION = Setting("ARCHIVE_SIGNING_CONNECTION", "archive_signing_connection")  # Airflow only
TSA_URL = Setting("ARCHIVE_TSA_URL", "archive_tsa_url")  # space-separated, tried in order
TSA_CA = Setting("ARCHIVE_TSA_CA", "archive_tsa_ca")  # a PEM CA bundle path

#: The language of renditions and reports for people: ``sv`` (the default) or ``en``.
LANGUAGE = Setting("ARCHIVE_LANGUAGE", "archive_language")


class Settings:
    """Settings from ``environ`` (the process environment by default), else from ``variables``."""

    def __init__(
        self, environ: Mapping[str, str] | None = None, variables: VariableLookup | None = None
    ) -> None:
        self._environ = environ
        self._variables = variables

    @property
    def environ(self) -> Mapping[str, str]:
        """The environment the settings are read from (also for settings of other modules, such as
        the HTTP bounds of :meth:`archive_lib.connectors.policy.HttpPolicy.from_environ`)."""
        return os.environ if self._environ is None else self._environ

    def get(self, setting: Setting) -> str | None:
        """The setting's value: the environment's, else the Airflow Variable's; None if neither."""
        value = self.environ.get(setting.env)
        if value:
            return value
        if self._variables is None:
            return None
        return self._variables(setting.variable) or None

    def require(self, setting: Setting) -> str:
        """The setting's value; ConfigError naming both places when neither holds one."""
        value = self.get(setting)
        if value is None:
            raise ConfigError(
                f"set the environment variable {setting.env} or the Airflow Variable {setting.variable}"
            )
        return value

    def whole_number(self, setting: Setting, default: int) -> int:
        """The setting as a whole number of at least 1; ``default`` when it is not set.

        ConfigError when it is set to anything else.
        """
        value = self.get(setting)
        if value is None:
            return default
        where = f"{setting.env} / Variable {setting.variable}"
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"{where} must be a whole number, not {value!r}") from None
        if number < 1:
            raise ConfigError(f"{where} must be at least 1")
        return number


#: Settings of a process outside Airflow: the environment alone.
ENVIRONMENT = Settings()
