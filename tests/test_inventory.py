"""Tests of the account inventory (archive_lib.inventory): loading a valid förteckning, and the
InventoryError a broken one gives.

Every broken inventory must be refused with a message that names the file, the line and the
field, and all problems of one file must come together, in line order. Files are written into
pytest's tmp_path and read through load_inventory, as the nightly run reads them.
"""

from __future__ import annotations

import datetime as dt
import logging
import pathlib

import pytest

from archive_lib.connectors import PLATFORMS
from archive_lib.errors import ConfigError, InventoryError
from archive_lib.inventory import load_inventory
from archive_lib.retention import RetentionClass

VALID = """\
organisation: Kristianstads kommun
contact: arkiv@kristianstad.se
retention_classes:
  bevaras:
    keep: permanent
  gallras-efter-2-ar:
    keep_years: 2
    decision: "KS 2019/123 § 45"
accounts:
  - id: ks-mastodon
    board: Kommunstyrelsen
    platform: mastodon
    handle: "@kristianstad"
    api_base: https://social.kristianstad.se/
    token_env: KS_MASTODON_TOKEN
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: bevaras
    active_from: 2019-03-01
  - id: kfn-mastodon
    board: Kultur- och fritidsnämnden
    platform: mastodon
    handle: kristianstadbibliotek
    api_base: https://mastodon.nu
    token_connection: kfn_mastodon
    responsible: Cecilia Ström
    substitute: Örjan Åkesson
    retention: gallras-efter-2-ar
    active_from: 2021-01-15
    active_to: 2024-12-31
    recheck_days: 14
"""

# A one-account inventory whose lines the broken cases below refer to.
HEAD = """\
organisation: Kristianstads kommun
retention_classes:
  bevaras: {keep: permanent}
  gallras-efter-2-ar: {keep_years: 2}
accounts:
"""
KS = """\
  - id: ks-mastodon
    board: Kommunstyrelsen
    platform: mastodon
    handle: kristianstad
    api_base: https://social.kristianstad.se
    token_env: KS_MASTODON_TOKEN
    responsible: Anna Andersson
    substitute: Bo Berg
    retention: bevaras
"""
# Lines of KS in HEAD + KS: id 6, board 7, platform 8, handle 9, api_base 10, token_env 11,
# responsible 12, substitute 13, retention 14; a line appended to KS is line 15.
KFN = """\
  - id: kfn-mastodon
    board: Kultur- och fritidsnämnden
    platform: mastodon
    handle: kristianstadbibliotek
    api_base: https://social.kristianstad.se
    responsible: Cecilia Ström
    substitute: Örjan Åkesson
    retention: gallras-efter-2-ar
"""
# Lines of KFN after HEAD + KS: id 15, board 16, platform 17, handle 18, api_base 19.


def write(folder: pathlib.Path, text: str) -> pathlib.Path:
    path = folder / "förteckning.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(folder: pathlib.Path, text: str) -> tuple[pathlib.Path, InventoryError]:
    path = write(folder, text)
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    return path, caught.value


def one_line(path: pathlib.Path, error: InventoryError) -> str:
    """The error's only problem as its message line, after checking that it is alone."""
    assert len(error.problems) == 1, str(error)
    assert str(error) == str(error.problems[0])
    assert str(error).startswith(f"{path}, line ") or str(error).startswith(f"{path}: ")
    return str(error)


# ------------------------------------------------------------------------------ valid


def test_a_valid_inventory_loads_with_every_field(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, VALID)
    inventory = load_inventory(path)

    assert inventory.path == str(path)
    assert inventory.organisation == "Kristianstads kommun"
    assert inventory.contact == "arkiv@kristianstad.se"
    assert inventory.retention_classes == {
        "bevaras": RetentionClass("bevaras", None, None),
        "gallras-efter-2-ar": RetentionClass("gallras-efter-2-ar", 2, "KS 2019/123 § 45"),
    }
    ks, kfn = inventory.accounts
    assert (ks.id, ks.board, ks.platform, ks.line) == ("ks-mastodon", "Kommunstyrelsen", "mastodon", 10)
    assert ks.handle == "kristianstad", "a leading @ is dropped"
    assert ks.api_base == "https://social.kristianstad.se", "a trailing slash is dropped"
    assert (ks.token_env, ks.token_connection) == ("KS_MASTODON_TOKEN", None)
    assert (ks.responsible, ks.substitute) == ("Anna Andersson", "Bo Berg")
    assert ks.retention.permanent
    assert (ks.active_from, ks.active_to) == (dt.date(2019, 3, 1), None)
    assert ks.recheck_days == 30, "the default"

    assert (kfn.board, kfn.handle, kfn.line) == ("Kultur- och fritidsnämnden", "kristianstadbibliotek", 20)
    assert (kfn.token_env, kfn.token_connection) == (None, "kfn_mastodon")
    assert (kfn.responsible, kfn.substitute) == ("Cecilia Ström", "Örjan Åkesson")
    assert kfn.retention.keep_years == 2
    assert (kfn.active_from, kfn.active_to) == (dt.date(2021, 1, 15), dt.date(2024, 12, 31))
    assert kfn.recheck_days == 14
    assert inventory.active_on(dt.date(2025, 1, 1)) == (ks,)
    assert inventory.account("kfn-mastodon") is kfn


def test_a_top_level_recheck_days_is_the_default_for_every_account(tmp_path: pathlib.Path) -> None:
    inventory = load_inventory(write(tmp_path, "recheck_days: 45\n" + VALID))
    assert [account.recheck_days for account in inventory.accounts] == [45, 14]


def test_missing_responsible_or_substitute_loads_with_a_warning(
    tmp_path: pathlib.Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = (
        HEAD
        + KS.replace("    responsible: Anna Andersson\n", "")
        + KFN.replace("    substitute: Örjan Åkesson\n", "")
    )
    path = write(tmp_path, text)
    with caplog.at_level(logging.WARNING, logger="archive_lib.inventory"):
        inventory = load_inventory(path)
    assert [account.id for account in inventory.accounts] == ["ks-mastodon", "kfn-mastodon"]
    messages = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert messages == [
        f"{path}, line 6: account ks-mastodon has no responsible person; the guideline asks for both",
        f"{path}, line 14: account kfn-mastodon has no substitute; the guideline asks for both",
    ]


# ------------------------------------------------------------- one problem, one line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEAD + KS.replace("    board: Kommunstyrelsen\n", ""),
            "line 6: accounts[0].board: is required",
            id="missing-required-field",
        ),
        pytest.param(
            HEAD + KS.replace("responsible:", "resposible:"),
            "line 12: accounts[0].resposible: unknown field (did you mean 'responsible'?)",
            id="unknown-field-with-hint",
        ),
        pytest.param(
            HEAD + KS.replace("id: ks-mastodon", "id: KS_Mastodon"),
            "line 6: accounts[0].id: 'KS_Mastodon' must use lowercase letters, digits and single "
            "hyphens (e.g. ks-mastodon)",
            id="bad-id",
        ),
        pytest.param(
            HEAD + KS.replace("platform: mastodon", "platform: twitter"),
            "line 8: accounts[0].platform: 'twitter' is not a supported platform "
            f"(supported: {', '.join(sorted(PLATFORMS))})",
            id="unknown-platform",
        ),
        pytest.param(
            HEAD + KS.replace("retention: bevaras", "retention: bevara"),
            "line 14: accounts[0].retention: 'bevara' is not a retention class "
            "(defined: bevaras, gallras-efter-2-ar)",
            id="unknown-retention-class",
        ),
        pytest.param(
            HEAD + KS + "    active_from: 2019-13-01\n",
            "line 15: accounts[0].active_from: must be a date YYYY-MM-DD, not '2019-13-01'",
            id="impossible-date",
        ),
        pytest.param(
            HEAD + KS + "    active_from: 2019-03-01\n    active_to: 2019-02-28\n",
            "line 16: accounts[0].active_to: 2019-02-28 is before active_from 2019-03-01",
            id="active-to-before-active-from",
        ),
        pytest.param(
            HEAD + KS.replace("api_base: https://social.kristianstad.se", "api_base: social.kristianstad.se"),
            "line 10: accounts[0].api_base: 'social.kristianstad.se' must be an http(s) URL such as "
            "https://social.example",
            id="api-base-without-scheme",
        ),
        pytest.param(
            HEAD
            + KS.replace(
                "api_base: https://social.kristianstad.se", "api_base: https://social.kristianstad.se/?x=1"
            ),
            "line 10: accounts[0].api_base: 'https://social.kristianstad.se/?x=1' must not carry a "
            "query or fragment",
            id="api-base-with-query",
        ),
        pytest.param(
            HEAD + KS.replace("token_env: KS_MASTODON_TOKEN", "token_env: KS-MASTODON-TOKEN"),
            "line 11: accounts[0].token_env: 'KS-MASTODON-TOKEN' is not a valid environment variable name",
            id="bad-token-env",
        ),
        pytest.param(
            HEAD + KS.replace("    responsible:", "    token_connection: ks\n    responsible:"),
            "line 12: accounts[0].token_connection: give the token either in token_env or in "
            "token_connection, not both",
            id="two-token-sources",
        ),
        pytest.param(
            HEAD + KS + KFN.replace("id: kfn-mastodon", "id: ks-mastodon"),
            "line 15: accounts[1].id: 'ks-mastodon' is already used on line 6",
            id="duplicate-id",
        ),
        pytest.param(
            HEAD + KS + KFN.replace("handle: kristianstadbibliotek", "handle: '@Kristianstad'"),
            "line 18: accounts[1].handle: the same mastodon account is already inventoried on line 9",
            id="same-platform-account-twice",
        ),
        pytest.param(
            HEAD + KS + "    board: Kultur- och fritidsnämnden\n",
            "line 15: board: appears twice in the same mapping",
            id="duplicate-key",
        ),
        pytest.param(
            HEAD + KS.replace("board: Kommunstyrelsen", "board: Kommunstyrelsen: ordförande"),
            "line 7: not valid YAML: mapping values are not allowed here",
            id="invalid-yaml",
        ),
        pytest.param(
            HEAD + KS.replace("    handle:", "\thandle:"),
            "line 9: not valid YAML: found character '\\t' that cannot start any token",
            id="tab-indentation",
        ),
        pytest.param(
            HEAD.replace("bevaras: {keep: permanent}", "bevaras: {keep: forever}").replace(
                "  gallras-efter-2-ar: {keep_years: 2}\n", ""
            )
            + KS,
            "line 3: retention_classes.bevaras.keep: the only value is 'permanent', not 'forever'",
            id="only-retention-class-broken",
        ),
        pytest.param(
            HEAD
            + KS.replace("platform: mastodon", "platform: facebook")
            .replace("    api_base: https://social.kristianstad.se\n", "")
            .replace("    token_env: KS_MASTODON_TOKEN\n", ""),
            "line 6: accounts[0].token_env: a facebook account needs a token: give token_env or "
            "token_connection",
            id="facebook-without-token",
        ),
    ],
)
def test_a_broken_inventory_names_file_line_and_field(
    tmp_path: pathlib.Path, text: str, expected: str
) -> None:
    path, error = refused(tmp_path, text)
    assert one_line(path, error) == f"{path}, {expected}"
    assert isinstance(error, ConfigError) and not error.retryable
    assert error.path == str(path)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty-file"),
        pytest.param("# Förteckning över sociala medier\n", id="only-a-comment"),
        pytest.param("- ks-mastodon\n- kfn-mastodon\n", id="a-list"),
        pytest.param("Kristianstads kommun\n", id="a-string"),
    ],
)
def test_an_inventory_that_is_not_a_mapping_is_refused(tmp_path: pathlib.Path, text: str) -> None:
    path, error = refused(tmp_path, text)
    assert one_line(path, error) == (
        f"{path}: must be a mapping with organisation, retention_classes and accounts"
    )


def test_an_unknown_top_level_field_suggests_the_right_one(tmp_path: pathlib.Path) -> None:
    path, error = refused(tmp_path, HEAD.replace("organisation:", "organization:") + KS)
    assert str(error).splitlines() == [
        f"{path}, line 1: organization: unknown field (did you mean 'organisation'?)",
        f"{path}, line 1: organisation: is required",
    ]


# ---------------------------------------------------------------- all problems at once


def test_every_problem_is_reported_together_in_line_order(tmp_path: pathlib.Path) -> None:
    text = (
        HEAD.replace("gallras-efter-2-ar: {keep_years: 2}", "gallras-efter-2-ar: {keep_years: 0}")
        + KS.replace("platform: mastodon", "platform: mastodn").replace(
            "retention: bevaras", "retention: evigt"
        )
        + KFN.replace("id: kfn-mastodon", "id: kfn_mastodon").replace(
            "    board: Kultur- och fritidsnämnden\n", ""
        )
        + "organisationsnummer: 212000-0951\n"
    )
    path, error = refused(tmp_path, text)
    assert str(error).splitlines() == [
        f"{path}, line 4: retention_classes.gallras-efter-2-ar.keep_years: must be a whole number "
        "of at least 1, not 0",
        f"{path}, line 8: accounts[0].platform: 'mastodn' is not a supported platform "
        f"(supported: {', '.join(sorted(PLATFORMS))})",
        f"{path}, line 14: accounts[0].retention: 'evigt' is not a retention class (defined: bevaras)",
        f"{path}, line 15: accounts[1].id: 'kfn_mastodon' must use lowercase letters, digits and "
        "single hyphens (e.g. ks-mastodon)",
        f"{path}, line 15: accounts[1].board: is required",
        f"{path}, line 21: accounts[1].retention: 'gallras-efter-2-ar' is not a retention class "
        "(defined: bevaras)",
        f"{path}, line 22: organisationsnummer: unknown field (did you mean 'organisation'?)",
    ]
    assert [problem.line for problem in error.problems] == [4, 8, 14, 15, 15, 21, 22]


# -------------------------------------------------------------------- unreadable files


def test_a_missing_file_is_refused_with_its_name(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "saknas.yaml"
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert str(caught.value) == f"{path}: cannot be read: No such file or directory"


def test_a_folder_is_refused_with_its_name(tmp_path: pathlib.Path) -> None:
    with pytest.raises(InventoryError) as caught:
        load_inventory(tmp_path)
    assert str(caught.value) == f"{tmp_path}: cannot be read: Is a directory"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.encode("latin-1", "replace"))
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert str(caught.value) == f"{path}: is not UTF-8 text"
