"""Where tokens come from outside Airflow: a variable, or an Airflow connection in the environment."""

from __future__ import annotations

import pytest

from archive_lib.capture.tokens import env_tokens
from archive_lib.errors import MissingTokenError
from archive_lib.models import Account
from archive_lib.retention_classes import RetentionClass

BEVARAS = RetentionClass("bevaras", None)


def account(**fields: str) -> Account:
    return Account(
        id="ks-mastodon",
        board="Kommunstyrelsen",
        platform="mastodon",
        handle="kristianstad",
        retention=BEVARAS,
        api_base="https://social.example",
        **fields,
    )  # type: ignore[arg-type]


def test_no_token_named_means_anonymous() -> None:
    assert env_tokens(account()) is None


def test_a_token_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KS_TOKEN", "  abc123  ")
    assert env_tokens(account(token_env="KS_TOKEN")) == "abc123"


def test_a_token_variable_that_is_not_set_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KS_TOKEN", raising=False)
    with pytest.raises(MissingTokenError, match=r"\$KS_TOKEN"):
        env_tokens(account(token_env="KS_TOKEN"))


@pytest.mark.parametrize(
    "value",
    ["mastodon://:s%40cret-token@social.example", '{"conn_type": "http", "password": "s@cret-token"}'],
    ids=["uri", "json"],
)
def test_an_airflow_connection_in_the_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_KS_MASTODON", value)
    assert env_tokens(account(token_connection="ks_mastodon")) == "s@cret-token"


@pytest.mark.parametrize(
    "value", [None, "mastodon://social.example", '{"login": "x"}'], ids=["unset", "uri", "json"]
)
def test_a_connection_without_a_token_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("AIRFLOW_CONN_KS_MASTODON", raising=False)
    else:
        monkeypatch.setenv("AIRFLOW_CONN_KS_MASTODON", value)
    with pytest.raises(MissingTokenError, match=r"AIRFLOW_CONN_KS_MASTODON|ks_mastodon"):
        env_tokens(account(token_connection="ks_mastodon"))
