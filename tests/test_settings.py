"""Settings: the environment first, then Airflow Variables; the same messages everywhere.

The Variable lookup is a plain function here (a dict's), and once Airflow's own: Airflow reads a
Variable named ``x`` from the environment variable ``AIRFLOW_VAR_X`` before its database.
"""

from __future__ import annotations

import pathlib

import pytest

from archive_lib.errors import ConfigError
from archive_lib.settings import (
    AUDIT_NIGHTS,
    AUDIT_PERIOD_DAYS,
    ENVIRONMENT,
    INVENTORY,
    STORE,
    Settings,
)


class Variables:
    """Airflow Variables as a dict, remembering which were asked for."""

    def __init__(self, **values: str) -> None:
        self.values = values
        self.asked: list[str] = []

    def __call__(self, name: str) -> str | None:
        self.asked.append(name)
        return self.values.get(name)


def test_the_environment_wins_and_the_variable_is_not_asked() -> None:
    variables = Variables(archive_store="s3://from-variable")
    settings = Settings({"ARCHIVE_STORE": "file:///from/env"}, variables)
    assert settings.get(STORE) == "file:///from/env"
    assert settings.require(STORE) == "file:///from/env"
    assert variables.asked == []


def test_the_variable_stands_in_for_an_unset_or_empty_environment_variable() -> None:
    variables = Variables(archive_store="s3://from-variable", archive_inventory="/etc/inventory.yaml")
    settings = Settings({"ARCHIVE_STORE": ""}, variables)
    assert settings.get(STORE) == "s3://from-variable"
    assert settings.get(INVENTORY) == "/etc/inventory.yaml"
    assert variables.asked == ["archive_store", "archive_inventory"]


def test_an_empty_variable_is_unset() -> None:
    assert Settings({}, Variables(archive_store="")).get(STORE) is None


def test_a_missing_setting_names_both_places() -> None:
    settings = Settings({}, Variables())
    assert settings.get(STORE) is None
    with pytest.raises(ConfigError) as info:
        settings.require(STORE)
    assert (
        str(info.value) == "set the environment variable ARCHIVE_STORE or the Airflow Variable archive_store"
    )
    with pytest.raises(ConfigError, match=r"^set the environment variable ARCHIVE_INVENTORY or the Airflow"):
        settings.require(INVENTORY)


def test_without_a_lookup_only_the_environment_counts() -> None:
    assert Settings({"ARCHIVE_INVENTORY": "inventory.yaml"}).get(INVENTORY) == "inventory.yaml"
    assert Settings({}).get(INVENTORY) is None


def test_the_process_settings_read_the_environment_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVE_STORE", raising=False)
    assert ENVIRONMENT.get(STORE) is None
    monkeypatch.setenv("ARCHIVE_STORE", "file:///srv/arkiv")
    assert ENVIRONMENT.get(STORE) == "file:///srv/arkiv"
    monkeypatch.setenv("ARCHIVE_MAX_REQUESTS", "7")
    assert ENVIRONMENT.environ["ARCHIVE_MAX_REQUESTS"] == "7"


@pytest.mark.parametrize(
    ("environ", "variables", "expected"),
    [
        ({}, {}, 30),
        ({"ARCHIVE_AUDIT_NIGHTS": ""}, {"archive_audit_nights": ""}, 30),
        ({"ARCHIVE_AUDIT_NIGHTS": "7"}, {"archive_audit_nights": "9"}, 7),
        ({}, {"archive_audit_nights": "9"}, 9),
        ({"ARCHIVE_AUDIT_NIGHTS": " 12 "}, {}, 12),
        ({"ARCHIVE_AUDIT_NIGHTS": "1"}, {}, 1),
    ],
)
def test_whole_numbers(environ: dict[str, str], variables: dict[str, str], expected: int) -> None:
    assert Settings(environ, Variables(**variables)).whole_number(AUDIT_NIGHTS, 30) == expected


PERIOD = "ARCHIVE_AUDIT_PERIOD_DAYS / Variable archive_audit_period_days"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x", f"{PERIOD} must be a whole number, not 'x'"),
        ("2.5", f"{PERIOD} must be a whole number, not '2.5'"),
        ("0", f"{PERIOD} must be at least 1"),
        ("-3", f"{PERIOD} must be at least 1"),
    ],
)
def test_a_bad_whole_number_is_refused_by_name(value: str, message: str) -> None:
    for settings in (
        Settings({"ARCHIVE_AUDIT_PERIOD_DAYS": value}),
        Settings({}, Variables(archive_audit_period_days=value)),
    ):
        with pytest.raises(ConfigError) as info:
            settings.whole_number(AUDIT_PERIOD_DAYS, 90)
        assert str(info.value) == message


def test_tasks_read_airflow_variables_after_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from archive_lib.airflow_glue.capture import SETTINGS, open_archive_store

    monkeypatch.delenv("ARCHIVE_STORE", raising=False)
    monkeypatch.delenv("AIRFLOW_VAR_ARCHIVE_STORE", raising=False)
    with pytest.raises(AirflowFailException) as info:
        open_archive_store()
    assert (
        str(info.value) == "set the environment variable ARCHIVE_STORE or the Airflow Variable archive_store"
    )

    variable = (tmp_path / "from-variable").as_uri()
    monkeypatch.setenv("AIRFLOW_VAR_ARCHIVE_STORE", variable)
    assert SETTINGS.get(STORE) == variable
    assert open_archive_store().url == variable

    monkeypatch.setenv("ARCHIVE_STORE", (tmp_path / "from-env").as_uri())
    assert open_archive_store().url == (tmp_path / "from-env").as_uri()


def test_the_audit_task_refuses_a_bad_number_as_it_did(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from archive_lib.airflow_glue.audit import audit_task

    monkeypatch.delenv("ARCHIVE_AUDIT_NIGHTS", raising=False)
    monkeypatch.setenv("AIRFLOW_VAR_ARCHIVE_AUDIT_NIGHTS", "many")
    with pytest.raises(AirflowFailException) as info:
        audit_task()
    assert (
        str(info.value)
        == "ARCHIVE_AUDIT_NIGHTS / Variable archive_audit_nights must be a whole number, not 'many'"
    )


# Importing Airflow's API security imports Starlette's test client, which warns about httpx.
@pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient. is deprecated")
def test_the_registrars_web_view_reads_the_store_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    from plugins.registrar_views import _store_url

    monkeypatch.delenv("ARCHIVE_STORE", raising=False)
    monkeypatch.delenv("AIRFLOW_VAR_ARCHIVE_STORE", raising=False)
    with pytest.raises(ConfigError) as info:
        _store_url()
    assert str(info.value) == "set ARCHIVE_STORE or the Airflow Variable archive_store"
    monkeypatch.setenv("AIRFLOW_VAR_ARCHIVE_STORE", "s3://from-variable/arkiv")
    assert _store_url() == "s3://from-variable/arkiv"
    monkeypatch.setenv("ARCHIVE_STORE", "")
    assert _store_url() == "s3://from-variable/arkiv"
    monkeypatch.setenv("ARCHIVE_STORE", "file:///srv/arkiv")
    assert _store_url() == "file:///srv/arkiv"
