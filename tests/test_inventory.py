"""Tests of the account inventory (archive_lib.inventory): loading a valid förteckning, and the
InventoryError a broken one gives.

Every broken inventory must be refused with a message that names the file, the line and the
field, and all problems of one file must come together, in line order. Files are written into
pytest's tmp_path and read through load_inventory, as the nightly run reads them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import pathlib
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive_lib.connectors import PLATFORMS
from archive_lib.errors import ConfigError, InventoryError
from archive_lib.inert import CONTROLS
from archive_lib.inventory import MAX_KEEP_YEARS, MAX_RECHECK_DAYS, load_inventory, parse_inventory
from archive_lib.retention_classes import ObjectRetention, RetentionClass
from archive_lib.storage import FileStore
from tests.fakes.mastodon import FakeMastodon
from tests.helpers import PROCESS_TIMEOUT, capture_command, read_items, write_inventory

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
  gallras-efter-2-ar: {keep_years: 2, decision: "KS 2026/123"}
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
            "line 15: accounts[0].active_from: must be a date YYYY-MM-DD from 2000-01-01 to 2199-12-31, "
            "not '2019-13-01'",
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
                "  gallras-efter-2-ar: {keep_years: 2, decision: \"KS 2026/123\"}\n", ""
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
        HEAD.replace("{keep_years: 2,", "{keep_years: 0,")
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
        "from 1 to 200, not 0",
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


# -------------------------------------------------------------------- bounds on values


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            HEAD.replace("{keep_years: 2,", "{keep_years: 9000,") + KS,
            "line 4: retention_classes.gallras-efter-2-ar.keep_years: must be a whole number from 1 "
            "to 200, not 9000",
            id="keep-years-9000",
        ),
        pytest.param(
            "recheck_days: 1000000\n" + HEAD + KS,
            "line 1: recheck_days: must be a whole number from 1 to 3650, not 1000000",
            id="top-level-recheck-days",
        ),
        pytest.param(
            HEAD + KS + "    recheck_days: 3651\n",
            "line 15: accounts[0].recheck_days: must be a whole number from 1 to 3650, not 3651",
            id="account-recheck-days",
        ),
        pytest.param(
            HEAD + KS + "    active_from: 0001-01-01\n",
            "line 15: accounts[0].active_from: must be a date YYYY-MM-DD from 2000-01-01 to 2199-12-31, "
            "not 0001-01-01",
            id="active-from-year-1",
        ),
        pytest.param(
            HEAD + KS + "    active_to: 9999-12-31\n",
            "line 15: accounts[0].active_to: must be a date YYYY-MM-DD from 2000-01-01 to 2199-12-31, "
            "not 9999-12-31",
            id="active-to-year-9999",
        ),
        pytest.param(
            HEAD + KS + "    active_from: '1999-12-31'\n",
            "line 15: accounts[0].active_from: must be a date YYYY-MM-DD from 2000-01-01 to 2199-12-31, "
            "not '1999-12-31'",
            id="active-from-quoted-just-too-early",
        ),
        pytest.param(
            HEAD + KS + "    recheck_days: " + "9" * 5000 + "\n",
            "line 15: accounts[0].recheck_days: must be a whole number from 1 to 3650, not "
            f"'{'9' * 60}'… (5000 characters)",
            id="integer-too-long-to-convert",
        ),
        pytest.param(
            HEAD + KS.replace("board: Kommunstyrelsen", "board: " + "K" * 201),
            "line 7: accounts[0].board: is 201 characters long, at most 200 are allowed",
            id="text-too-long",
        ),
    ],
)
def test_values_outside_their_bounds_are_refused(tmp_path: pathlib.Path, text: str, expected: str) -> None:
    path, error = refused(tmp_path, text)
    assert one_line(path, error) == f"{path}, {expected}"


def test_values_at_their_bounds_load(tmp_path: pathlib.Path) -> None:
    text = (
        "recheck_days: 3650\n"
        + HEAD.replace("{keep_years: 2,", "{keep_years: 200,")
        + KS.replace("retention: bevaras", "retention: gallras-efter-2-ar")
        + "    active_from: 2000-01-01\n    active_to: 2199-12-31\n    recheck_days: 1\n"
    )
    [account] = load_inventory(write(tmp_path, text)).accounts
    assert account.retention.keep_years == 200
    assert (account.active_from, account.active_to) == (dt.date(2000, 1, 1), dt.date(2199, 12, 31))
    assert account.recheck_days == 1


def test_the_widest_inventory_captures_a_night(tmp_path: pathlib.Path) -> None:
    """The extremes the inventory allows go through a whole capture: retain-until 200 years on,
    a re-check window of ten years, active from the earliest to the latest allowed day."""
    night = "2026-11-20"
    now = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)
    with FakeMastodon(now=now) as fake:
        town = fake.add_account("kristianstad", "Kristianstads kommun")
        fake.post(town, fake.html("Badhuset öppnar igen!"), at=now - dt.timedelta(days=3000))
        inventory = write_inventory(
            tmp_path,
            fake.base_url,
            [
                {
                    "id": "ks-mastodon",
                    "handle": "kristianstad",
                    "retention": "lange",
                    "active_from": "2000-01-01",
                    "active_to": "2199-12-31",
                }
            ],
            retention_classes={"lange": {"keep_years": MAX_KEEP_YEARS, "decision": "KS 2026/123"}},
            recheck_days=MAX_RECHECK_DAYS,
        )
        store = (tmp_path / "archive").as_uri()
        done = subprocess.run(
            capture_command(inventory, store, night=night),
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
        )
    assert done.returncode == 0, done.stderr
    rows = read_items(FileStore(store))
    assert len(rows) == 1
    assert rows[0]["retain_until"] == dt.date(2226, 11, 20)
    [key] = FileStore(store).list("manifests/")
    assert FileStore(store).stat(key).retention == ObjectRetention("lange", dt.date(2226, 11, 20))


# ------------------------------------------------------------------- text from the file


@pytest.mark.parametrize(
    ("character", "code"),
    [
        ("\\r\\n", "000D"),
        ("\\n", "000A"),
        ("\\t", "0009"),
        ("\\0", "0000"),
        ("\\e[31m", "001B"),
        ("\\x7f", "007F"),
        ("\\x85", "0085"),
        ("\\u202e", "202E"),
        ("\\u2066", "2066"),
        ("\\u2069", "2069"),
    ],
)
def test_control_characters_in_values_are_refused(tmp_path: pathlib.Path, character: str, code: str) -> None:
    # Double-quoted YAML writes any character as an escape; this is how a CRLF reaches a value.
    text = HEAD + KS.replace("handle: kristianstad", f'handle: "kristian{character}WARC-Evil: 1"')
    path, error = refused(tmp_path, text)
    assert one_line(path, error) == (
        f"{path}, line 9: accounts[0].handle: contains the control character U+{code} (character 9); "
        "values are one line of plain text"
    )


def test_a_crlf_in_any_text_field_is_refused_naming_each(tmp_path: pathlib.Path) -> None:
    text = (
        'organisation: "Kristianstads kommun\\r\\nX: 1"\n'
        + HEAD.replace("organisation: Kristianstads kommun\n", "")
        + KS.replace("board: Kommunstyrelsen", 'board: "Kommun\\rstyrelsen"').replace(
            "responsible: Anna Andersson", 'responsible: "Anna\\u2028Andersson"'
        )
    )
    _, error = refused(tmp_path, text)
    assert [(p.line, p.field) for p in error.problems] == [
        (1, "organisation"),
        (7, "accounts[0].board"),
        (12, "accounts[0].responsible"),
    ]


@given(value=st.text(min_size=1, max_size=400))
def test_every_problem_is_one_short_inert_line(value: str) -> None:
    """Whatever text a field holds, each problem quoting it is one printable line of bounded length."""
    for text in (
        HEAD + KS.replace("platform: mastodon", f"platform: {json.dumps(value)}"),
        HEAD + KS.replace("api_base: https://social.kristianstad.se", f"api_base: {json.dumps(value)}"),
        HEAD + KS + f"    {json.dumps(value)}: 1\n",
    ):
        try:
            parse_inventory(text, "förteckning.yaml")
        except InventoryError as error:
            for problem in error.problems:
                line = str(problem)
                assert "\n" not in line and "\r" not in line
                assert not CONTROLS.search(line), line
                assert len(line) <= 600
            assert len(str(error)) <= 100 * 600


def test_a_long_hostile_value_is_quoted_short_and_escaped(tmp_path: pathlib.Path) -> None:
    hostile = "\\e[2J\\e[31m" + "x" * 10_000
    path, error = refused(tmp_path, HEAD + KS.replace("platform: mastodon", f'platform: "{hostile}"'))
    message = one_line(path, error)
    assert message == (
        f"{path}, line 8: accounts[0].platform: contains the control character U+001B (character 1); "
        "values are one line of plain text"
    )
    path, error = refused(tmp_path, HEAD + KS.replace("platform: mastodon", "platform: " + "x" * 10_000))
    assert one_line(path, error) == (
        f"{path}, line 8: accounts[0].platform: is 10000 characters long, at most 200 are allowed"
    )
    path, error = refused(tmp_path, HEAD + KS.replace("platform: mastodon", "platform: " + "y" * 150))
    assert one_line(path, error).startswith(
        f"{path}, line 8: accounts[0].platform: '{'y' * 60}'… (150 characters) is not a supported platform"
    )
    path, error = refused(tmp_path, HEAD + KS + '    "kanal\\e]0;title\\u0007": 1\n')
    assert one_line(path, error) == f"{path}, line 15: accounts[0].'kanal\\x1b]0;title\\x07': unknown field"
    text = HEAD.replace("  bevaras: {keep: permanent}", '  "Bevaras\\u202e": {keep: permanent}') + KS
    path, error = refused(tmp_path, text)
    assert str(error).splitlines()[0] == (
        f"{path}, line 3: retention_classes.'Bevaras\\u202e': class names use lowercase letters, digits "
        "and hyphens"
    )


# ----------------------------------------------------------------------- hostile YAML


def billion_laughs(levels: int = 9) -> str:
    """Nested aliases: each level repeats the previous one nine times (9**levels values)."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for n in range(1, levels):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\nrecheck_days: *a{levels - 1}\n"


def test_an_alias_bomb_is_refused_with_one_problem_naming_the_line(tmp_path: pathlib.Path) -> None:
    bomb = billion_laughs()
    assert len(bomb) < 700
    path, error = refused(tmp_path, bomb)
    assert one_line(path, error) == (
        f"{path}, line 6: aliases (*name) repeat more than 100000 values in this file; write the "
        "values out or use fewer aliases"
    )


def test_anchors_and_merge_keys_still_work(tmp_path: pathlib.Path) -> None:
    text = HEAD + (
        "  - id: ks-mastodon\n"
        "    <<: &mastodon\n"
        "      board: Kommunstyrelsen\n"
        "      platform: mastodon\n"
        "      api_base: https://social.kristianstad.se\n"
        "      retention: &keep bevaras\n"
        "      responsible: Anna Andersson\n"
        "      substitute: Bo Berg\n"
        "    handle: kristianstad\n"
    )
    for n in range(300):
        text += f"  - {{<<: *mastodon, id: konto-{n}, handle: konto{n}, retention: *keep}}\n"
    inventory = load_inventory(write(tmp_path, text))
    assert len(inventory.accounts) == 301
    assert {(a.board, a.platform, a.retention.name) for a in inventory.accounts} == {
        ("Kommunstyrelsen", "mastodon", "bevaras")
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "accounts: &a [*a]\n",
            "line 1: an alias refers to the mapping or list it is part of",
            id="recursive-alias",
        ),
        pytest.param(
            "accounts: " + "[" * 1000 + "]" * 1000 + "\n",
            "line 1: nested more than 20 levels deep",
            id="deep-nesting",
        ),
        pytest.param(
            "? [ks, kfn]\n: Kommunstyrelsen\n",
            "line 1: a key must be text, not a list or mapping",
            id="list-as-key",
        ),
        pytest.param(
            "organisation: Kristianstad\ncontact: \x1b[31m\n",
            "line 2: the character U+001B is not allowed in YAML",
            id="raw-escape-character",
        ),
        pytest.param(
            "accounts: *" + "x" * 5000 + "\n",
            f"line 1: not valid YAML: found undefined alias '{'x' * 97}…",
            id="long-alias-name",
        ),
    ],
)
def test_hostile_yaml_is_refused_with_one_short_problem(
    tmp_path: pathlib.Path, text: str, expected: str
) -> None:
    path, error = refused(tmp_path, text)
    assert one_line(path, error) == f"{path}, {expected}"


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, VALID + "# " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(InventoryError) as caught:
        load_inventory(path)
    assert str(caught.value) == f"{path}: is larger than 2 MiB; an inventory is a few hundred kB at most"


def test_a_flood_of_problems_is_listed_up_to_a_limit(tmp_path: pathlib.Path) -> None:
    text = HEAD + KS + "".join(f"    fel{n}: 1\n" for n in range(500))
    path, error = refused(tmp_path, text)
    assert len(error.problems) == 500
    lines = str(error).splitlines()
    assert len(lines) == 101
    assert lines[-1] == f"{path}: and 400 more problems"


def test_the_people_may_have_e_mail_addresses_and_a_wrong_one_is_named_by_line(
    tmp_path: pathlib.Path,
) -> None:
    people = (
        "    responsible_email: anna.andersson@kristianstad.se\n"
        "    substitute_email: bo.berg@kristianstad.se\n"
    )
    account = load_inventory(write(tmp_path, HEAD + KS + people)).account("ks-mastodon")
    assert (account.responsible_email, account.substitute_email) == (
        "anna.andersson@kristianstad.se",
        "bo.berg@kristianstad.se",
    )
    assert load_inventory(write(tmp_path, HEAD + KS)).account("ks-mastodon").responsible_email is None
    for wrong in ("anna andersson", "a@b", "anna@kommun.se, bo@kommun.se", "<anna@kommun.se>"):
        path, error = refused(tmp_path, HEAD + KS + f'    substitute_email: "{wrong}"\n')
        assert one_line(path, error).startswith(f"{path}, line 15: accounts[0].substitute_email: ")
        assert "is not an e-mail address" in str(error)
# ------------------------------------------------------- disposal decisions (gallringsbeslut)


def test_a_class_with_keep_years_names_its_decision_as_text_or_as_a_mapping(tmp_path: pathlib.Path) -> None:
    text = (
        HEAD.replace(
            '{keep_years: 2, decision: "KS 2026/123"}',
            "\n    keep_years: 2\n    decision: {id: KS 2026/123, date: 2026-03-04, board: Kommunstyrelsen,"
            " reference: 'DHP 4.2.1 Sociala medier'}",
        ).replace("bevaras: {keep: permanent}", 'bevaras: {keep: permanent, decision: "KS 2019/7"}')
        + KS
    )
    inventory = load_inventory(write(tmp_path, text))
    ends = inventory.retention_classes["gallras-efter-2-ar"]
    assert ends.decision == "KS 2026/123"
    assert ends.decision_record is not None
    assert ends.decision_record.to_json() == {
        "id": "KS 2026/123",
        "date": "2026-03-04",
        "board": "Kommunstyrelsen",
        "reference": "DHP 4.2.1 Sociala medier",
    }
    assert inventory.retention_classes["bevaras"].decision == "KS 2019/7"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param(
            "{keep_years: 2}",
            "line 4: retention_classes.gallras-efter-2-ar.decision: is required for a class with keep_years",
            id="no-decision",
        ),
        pytest.param(
            "{keep_years: 2, decision: {date: 2026-03-04}}",
            "line 4: retention_classes.gallras-efter-2-ar.decision.id: is required",
            id="mapping-without-id",
        ),
        pytest.param(
            "{keep_years: 2, decision: {id: KS 1, datum: 2026-03-04}}",
            "line 4: retention_classes.gallras-efter-2-ar.decision.datum: unknown field",
            id="mapping-unknown-field",
        ),
    ],
)
def test_a_class_with_keep_years_without_a_decision_is_refused(
    tmp_path: pathlib.Path, spec: str, expected: str
) -> None:
    path, error = refused(tmp_path, HEAD.replace('{keep_years: 2, decision: "KS 2026/123"}', spec) + KS)
    assert one_line(path, error).startswith(f"{path}, {expected}")


def test_archivectl_refuses_a_class_without_a_decision_with_exit_2(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, HEAD.replace('{keep_years: 2, decision: "KS 2026/123"}', "{keep_years: 2}") + KS)
    done = subprocess.run(
        [sys.executable, "-m", "archive_lib.cli", "check-inventory", str(path)],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "retention_classes.gallras-efter-2-ar.decision: is required" in done.stderr + done.stdout
