"""The account inventory (*förteckning*): load it, validate it, explain every error.

The inventory is a YAML file kept by the boards. It is read once per run and checked as a
whole: every problem is reported with the file, the line and the field, so an operator can fix
them all at once. An inventory with any problem is refused entirely; capturing from a half-read
inventory could skip an account silently.

Shape (see README.md for the whole reference)::

    organisation: Kristianstads kommun
    retention_classes:
      bevaras: {keep: permanent}
      gallras-efter-2-ar: {keep_years: 2}
    accounts:
      - id: ks-mastodon
        board: Kommunstyrelsen
        platform: mastodon
        handle: kristianstad
        api_base: https://social.example
        token_env: KS_MASTODON_TOKEN
        responsible: Anna Andersson
        substitute: Bo Berg
        retention: bevaras
        active_from: 2019-03-01
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import yaml

from archive_lib.connectors import PLATFORMS
from archive_lib.errors import InventoryError, InventoryProblem
from archive_lib.models import Account, Inventory
from archive_lib.retention import RetentionClass

log = logging.getLogger(__name__)

ACCOUNT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONNECTION_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
DEFAULT_RECHECK_DAYS = 30

TOP_FIELDS = {"organisation", "contact", "retention_classes", "accounts", "recheck_days"}
CLASS_FIELDS = {"keep", "keep_years", "decision"}
ACCOUNT_FIELDS = {
    "id",
    "board",
    "platform",
    "handle",
    "api_base",
    "token_env",
    "token_connection",
    "responsible",
    "substitute",
    "retention",
    "active_from",
    "active_to",
    "recheck_days",
}


class _Mapping(dict[str, Any]):
    """A YAML mapping that remembers its own line and the line of each value."""

    line: int = 0
    lines: dict[str, int]


class _Sequence(list[Any]):
    """A YAML sequence that remembers its own line and the line of each element."""

    line: int = 0
    lines: list[int]


class _Loader(yaml.SafeLoader):
    """Safe YAML loading that keeps line numbers and refuses duplicate keys."""

    duplicate_keys: list[tuple[str, int]]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    loader.flatten_mapping(node)
    out = _Mapping()
    out.line = node.start_mark.line + 1
    out.lines = {}
    for key_node, value_node in node.value:
        key = str(loader.construct_object(key_node, deep=True))
        if key in out:
            loader.duplicate_keys.append((key, key_node.start_mark.line + 1))
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> _Sequence:
    out = _Sequence(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> object:
    # An impossible date such as 2019-13-01 must become a reported problem, not a crash.
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _Checker:
    """Collects problems while the inventory is read."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[InventoryProblem] = []

    def problem(self, line: int | None, field: str | None, message: str) -> None:
        self.problems.append(InventoryProblem(self.path, line, field, message))

    def unknown_fields(self, mapping: _Mapping, allowed: set[str], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                hint = _closest(key, allowed)
                extra = f" (did you mean {hint!r}?)" if hint else ""
                self.problem(mapping.lines[key], _join(where, key), f"unknown field{extra}")

    def text(
        self,
        mapping: _Mapping,
        key: str,
        where: str,
        *,
        required: bool,
        check: Callable[[str], str | None] | None = None,
    ) -> str | None:
        if key not in mapping or mapping[key] is None:
            if required:
                self.problem(mapping.line, _join(where, key), "is required")
            return None
        value = mapping[key]
        line = mapping.lines[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem(line, _join(where, key), f"must be text, not {_kind(value)}")
            return None
        text = str(value).strip()
        if not text:
            if required:
                self.problem(line, _join(where, key), "must not be empty")
            return None
        if check is not None:
            message = check(text)
            if message:
                self.problem(line, _join(where, key), message)
                return None
        return text

    def date(self, mapping: _Mapping, key: str, where: str) -> dt.date | None:
        if key not in mapping or mapping[key] is None:
            return None
        value = mapping[key]
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.problem(mapping.lines[key], _join(where, key), f"must be a date YYYY-MM-DD, not {value!r}")
        return None

    def positive_int(self, mapping: _Mapping, key: str, where: str) -> int | None:
        if key not in mapping or mapping[key] is None:
            return None
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(
                mapping.lines[key], _join(where, key), f"must be a whole number of at least 1, not {value!r}"
            )
            return None
        return value


def load_inventory(path: str | os.PathLike[str]) -> Inventory:
    """Read and validate the inventory at ``path``.

    Raises :class:`~archive_lib.errors.InventoryError` listing every problem found.
    """
    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as exc:
        raise InventoryError(
            name, [InventoryProblem(name, None, None, f"cannot be read: {exc.strerror}")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise InventoryError(name, [InventoryProblem(name, None, None, "is not UTF-8 text")]) from exc
    return parse_inventory(text, name)


def parse_inventory(text: str, path: str = "<inventory>") -> Inventory:
    """Validate inventory YAML given as text; ``path`` is only used in messages."""
    checker = _Checker(path)
    loader = _Loader(text)
    loader.duplicate_keys = []
    try:
        document = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise InventoryError(
            path, [InventoryProblem(path, line, None, f"not valid YAML: {exc.problem}")]
        ) from exc
    except yaml.YAMLError as exc:
        raise InventoryError(path, [InventoryProblem(path, None, None, f"not valid YAML: {exc}")]) from exc
    finally:
        loader.dispose()
    for key, line in loader.duplicate_keys:
        checker.problem(line, key, "appears twice in the same mapping")

    if not isinstance(document, _Mapping):
        checker.problem(None, None, "must be a mapping with organisation, retention_classes and accounts")
        raise InventoryError(path, checker.problems)

    checker.unknown_fields(document, TOP_FIELDS, "")
    organisation = checker.text(document, "organisation", "", required=True)
    contact = checker.text(document, "contact", "", required=False)
    default_recheck = checker.positive_int(document, "recheck_days", "") or DEFAULT_RECHECK_DAYS
    classes = _retention_classes(document, checker)
    accounts = _accounts(document, checker, classes, default_recheck)

    if checker.problems:
        raise InventoryError(path, sorted(checker.problems, key=lambda p: p.line or 0))
    assert organisation is not None
    for account in accounts:
        if not account.responsible or not account.substitute:
            log.warning(
                "%s, line %s: account %s has no %s; the guideline asks for both",
                path,
                account.line,
                account.id,
                "responsible person" if not account.responsible else "substitute",
                extra={"account_id": account.id},
            )
    return Inventory(path, organisation, classes, tuple(accounts), contact)


def _retention_classes(document: _Mapping, checker: _Checker) -> dict[str, RetentionClass]:
    raw = document.get("retention_classes")
    if raw is None:
        checker.problem(document.line, "retention_classes", "is required")
        return {}
    if not isinstance(raw, _Mapping) or not raw:
        checker.problem(
            document.lines["retention_classes"],
            "retention_classes",
            "must map class names to {keep: permanent} or {keep_years: N}",
        )
        return {}
    classes: dict[str, RetentionClass] = {}
    for name, spec in raw.items():
        where = f"retention_classes.{name}"
        line = raw.lines[name]
        if not ACCOUNT_ID.match(name):
            checker.problem(line, where, "class names use lowercase letters, digits and hyphens")
            continue
        if not isinstance(spec, _Mapping):
            checker.problem(line, where, "must be {keep: permanent} or {keep_years: N}")
            continue
        checker.unknown_fields(spec, CLASS_FIELDS, where)
        decision = checker.text(spec, "decision", where, required=False)
        has_keep, has_years = "keep" in spec, "keep_years" in spec
        if has_keep == has_years:
            checker.problem(line, where, "give exactly one of keep: permanent or keep_years: N")
            continue
        if has_keep:
            if spec["keep"] != "permanent":
                checker.problem(
                    spec.lines["keep"],
                    f"{where}.keep",
                    f"the only value is 'permanent', not {spec['keep']!r}",
                )
                continue
            classes[name] = RetentionClass(name, None, decision)
        else:
            years = checker.positive_int(spec, "keep_years", where)
            if years is not None:
                classes[name] = RetentionClass(name, years, decision)
    return classes


def _accounts(
    document: _Mapping, checker: _Checker, classes: dict[str, RetentionClass], default_recheck: int
) -> list[Account]:
    raw = document.get("accounts")
    if raw is None:
        checker.problem(document.line, "accounts", "is required")
        return []
    if not isinstance(raw, _Sequence) or not raw:
        checker.problem(document.lines["accounts"], "accounts", "must be a non-empty list of accounts")
        return []
    accounts: list[Account] = []
    first_line: dict[str, int] = {}
    first_source: dict[tuple[str, str, str], int] = {}
    for index, entry in enumerate(raw):
        where = f"accounts[{index}]"
        line = raw.lines[index]
        if not isinstance(entry, _Mapping):
            checker.problem(line, where, "must be a mapping with id, board, platform, handle, retention ...")
            continue
        account = _account(entry, where, checker, classes, default_recheck)
        if account is None:
            continue
        if account.id in first_line:
            checker.problem(
                entry.lines["id"],
                f"{where}.id",
                f"{account.id!r} is already used on line {first_line[account.id]}",
            )
            continue
        source = (account.platform, (account.api_base or "").lower(), account.handle.lower().lstrip("@"))
        if source in first_source:
            checker.problem(
                entry.lines["handle"],
                f"{where}.handle",
                f"the same {account.platform} account is already inventoried on line {first_source[source]}",
            )
            continue
        first_line[account.id] = entry.lines["id"]
        first_source[source] = entry.lines["handle"]
        accounts.append(account)
    return accounts


def _account(
    entry: _Mapping, where: str, checker: _Checker, classes: dict[str, RetentionClass], default_recheck: int
) -> Account | None:
    before = len(checker.problems)
    checker.unknown_fields(entry, ACCOUNT_FIELDS, where)
    account_id = checker.text(entry, "id", where, required=True, check=_check_account_id)
    board = checker.text(entry, "board", where, required=True)
    platform = checker.text(entry, "platform", where, required=True, check=_check_platform)
    handle = checker.text(entry, "handle", where, required=True)
    needs_base = platform is not None and PLATFORMS[platform].needs_api_base
    api_base = checker.text(entry, "api_base", where, required=needs_base, check=_check_api_base)
    token_env = checker.text(entry, "token_env", where, required=False, check=_check_env_name)
    token_connection = checker.text(entry, "token_connection", where, required=False, check=_check_connection)
    responsible = checker.text(entry, "responsible", where, required=False)
    substitute = checker.text(entry, "substitute", where, required=False)
    retention_name = checker.text(entry, "retention", where, required=True)
    active_from = checker.date(entry, "active_from", where)
    active_to = checker.date(entry, "active_to", where)
    recheck_days = checker.positive_int(entry, "recheck_days", where) or default_recheck

    retention = None
    if retention_name is not None:
        retention = classes.get(retention_name)
        if retention is None and classes:
            defined = ", ".join(sorted(classes))
            checker.problem(
                entry.lines["retention"],
                f"{where}.retention",
                f"{retention_name!r} is not a retention class (defined: {defined})",
            )
    if token_env and token_connection:
        checker.problem(
            entry.lines["token_connection"],
            f"{where}.token_connection",
            "give the token either in token_env or in token_connection, not both",
        )
    if platform is not None and PLATFORMS[platform].needs_token and not (token_env or token_connection):
        checker.problem(
            entry.line,
            f"{where}.token_env",
            f"a {platform} account needs a token: give token_env or token_connection",
        )
    if active_from and active_to and active_to < active_from:
        checker.problem(
            entry.lines["active_to"], f"{where}.active_to", f"{active_to} is before active_from {active_from}"
        )
    if len(checker.problems) > before or retention is None:
        # No retention without a problem of its own: retention_classes is broken and reported.
        return None
    assert account_id and board and platform and handle
    return Account(
        id=account_id,
        board=board,
        platform=platform,
        handle=handle.lstrip("@"),
        retention=retention,
        api_base=(api_base or PLATFORMS[platform].default_api_base or "").rstrip("/") or None,
        token_env=token_env,
        token_connection=token_connection,
        responsible=responsible,
        substitute=substitute,
        active_from=active_from,
        active_to=active_to,
        recheck_days=recheck_days,
        line=entry.line,
    )


def _check_account_id(value: str) -> str | None:
    if ACCOUNT_ID.match(value):
        return None
    return f"{value!r} must use lowercase letters, digits and single hyphens (e.g. ks-mastodon)"


def _check_platform(value: str) -> str | None:
    if value in PLATFORMS:
        return None
    return f"{value!r} is not a supported platform (supported: {', '.join(sorted(PLATFORMS))})"


def _check_api_base(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{value!r} must be an http(s) URL such as https://social.example"
    if parts.query or parts.fragment:
        return f"{value!r} must not carry a query or fragment"
    return None


def _check_env_name(value: str) -> str | None:
    if ENV_NAME.match(value):
        return None
    return f"{value!r} is not a valid environment variable name"


def _check_connection(value: str) -> str | None:
    if CONNECTION_ID.match(value):
        return None
    return f"{value!r} is not a valid Airflow connection id"


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        return "true/false"
    return type(value).__name__


def _closest(name: str, options: set[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.75)
    return matches[0] if matches else None
