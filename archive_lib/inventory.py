"""The account inventory (*förteckning*): load it, validate it, explain every error.

The inventory is a YAML file kept by the boards. It is read once per run and checked as a
whole: every problem is reported with the file, the line and the field, so an operator can fix
them all at once. An inventory with any problem is refused entirely; capturing from a half-read
inventory could skip an account silently.

Shape (see README.md for the whole reference)::

    organisation: Kristianstads kommun
    retention_classes:
      bevaras: {keep: permanent}
      gallras-efter-2-ar: {keep_years: 2, decision: "KS 2026/123"}
    accounts:
      - id: ks-mastodon
        board: Kommunstyrelsen
        platform: mastodon
        handle: kristianstad
        api_base: https://social.example
        token_env: KS_MASTODON_TOKEN
        responsible: Anna Andersson
        substitute: Bo Berg
        responsible_email: anna.andersson@kristianstad.se
        substitute_email: bo.berg@kristianstad.se
        retention: bevaras
        active_from: 2019-03-01

The file comes from outside the archive's code and is read as hostile until it has passed. Every
value is bounded (the ``MIN_*``, ``MAX_*``, ``EARLIEST_DATE`` and ``LATEST_DATE`` constants), so
that nothing that passes can overflow the date arithmetic of retention and re-check windows, and
every text is one line of plain text; the YAML itself is bounded in size, nesting and alias use,
so that a small file cannot expand into a huge document (or a huge error message). Values quoted
in problems are cut short and shown inert.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
from collections.abc import Callable
from typing import Any, NoReturn
from urllib.parse import urlsplit

import yaml

from archive_lib.clock import EARLIEST_DATE, LATEST_DATE
from archive_lib.connectors import PLATFORMS
from archive_lib.errors import MAX_SHOWN, InventoryError, InventoryProblem, shown
from archive_lib.inert import CONTROLS
from archive_lib.models import Account, Inventory
from archive_lib.retention_classes import Decision, RetentionClass

log = logging.getLogger(__name__)

ACCOUNT_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CONNECTION_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
# One address, as a mail header may carry it: no spaces, quotes, commas or angle brackets.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?"
EMAIL = re.compile(rf"^[A-Za-z0-9.!#$%&'*+/=?^_`{{|}}~-]{{1,64}}@{_LABEL}(?:\.{_LABEL})+\Z")
DEFAULT_RECHECK_DAYS = 30

# Bounds no municipality reaches, chosen to keep every date the archive derives from the inventory
# (retain-until dates, re-check windows, Stockholm midnights) centuries away from the ends of the
# calendar Python can represent (years 1 and 9999). README.md, "The inventory", documents them.
MIN_KEEP_YEARS, MAX_KEEP_YEARS = 1, 200  # Swedish culling periods are counted in years, rarely past 10
MIN_RECHECK_DAYS, MAX_RECHECK_DAYS = 1, 3650  # ten years of re-checking threads every night
MAX_TEXT = 200  # characters of a name, handle, board, person, decision ...
MAX_URL = 2048  # characters of api_base
# The YAML itself: a few hundred accounts take some 100 kB and four levels of nesting.
MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 20  # nested mappings and lists
# Nodes an alias may repeat, counted over the whole file: `<<: *defaults` of ten fields in each of
# 5,000 accounts stays under it; a "billion laughs" of nested aliases reaches it within a few lines.
MAX_ALIAS_NODES = 100_000

TOP_FIELDS = {"organisation", "contact", "retention_classes", "accounts", "recheck_days"}
CLASS_FIELDS = {"keep", "keep_years", "decision"}
DECISION_FIELDS = {"id", "date", "board", "reference"}
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
    "responsible_email",
    "substitute_email",
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


class _Refused(Exception):
    """The YAML is refused while it is read: too deep, too many alias nodes, a non-text key."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(yaml.SafeLoader):
    """Safe YAML loading that keeps line numbers, refuses duplicate keys and bounds the document.

    Composition counts, for every alias, the nodes of what it repeats, and refuses the file once
    :data:`MAX_ALIAS_NODES` have been repeated, before anything is constructed from it; an alias
    that refers to its own enclosing anchor (a recursive document) is refused too.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.duplicate_keys: list[tuple[str, int]] = []
        self.alias_nodes = 0
        self.depth = 0
        self._sizes: dict[yaml.Node, int] = {}  # composed node -> nodes in it, aliases expanded

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            line = self._next_line()
            node = super().compose_node(parent, index)
            assert node is not None
            size = self._sizes.get(node)
            if size is None:
                raise _Refused(line, "an alias refers to the mapping or list it is part of")
            self.alias_nodes += size
            if self.alias_nodes > MAX_ALIAS_NODES:
                raise _Refused(
                    line,
                    f"aliases (*name) repeat more than {MAX_ALIAS_NODES} values in this file; "
                    "write the values out or use fewer aliases",
                )
            return node
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(self._next_line(), f"nested more than {MAX_DEPTH} levels deep")
        node = super().compose_node(parent, index)
        self.depth -= 1
        assert node is not None
        if isinstance(node, yaml.MappingNode):
            self._sizes[node] = 1 + sum(self._sizes[k] + self._sizes[v] for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            self._sizes[node] = 1 + sum(self._sizes[child] for child in node.value)
        else:
            self._sizes[node] = 1
        return node

    def _next_line(self) -> int:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        return event.start_mark.line + 1 if event.start_mark else 0


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _Mapping:
    # Keys written in this mapping may override those merged into it (`<<: *defaults`), but not
    # each other.
    own = {id(key_node) for key_node, _ in node.value}
    loader.flatten_mapping(node)
    out = _Mapping()
    out.line = node.start_mark.line + 1
    out.lines = {}
    written: set[str] = set()
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise _Refused(key_node.start_mark.line + 1, "a key must be text, not a list or mapping")
        key = str(loader.construct_object(key_node, deep=True))
        if id(key_node) in own:
            if key in written:
                loader.duplicate_keys.append((key, key_node.start_mark.line + 1))
            written.add(key)
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
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> object:
    # Python refuses to convert integers of more than 4300 digits; no bounded value needs 30.
    text = loader.construct_scalar(node)
    if len(str(text)) > 30:
        return text
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
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
        limit: int = MAX_TEXT,
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
        message = _check_plain(text, limit)
        if message is None and check is not None:
            message = check(text)
        if message:
            self.problem(line, _join(where, key), message)
            return None
        return text

    def date(self, mapping: _Mapping, key: str, where: str) -> dt.date | None:
        if key not in mapping or mapping[key] is None:
            return None
        value = mapping[key]
        day = None
        if isinstance(value, dt.datetime):
            day = value.date()
        elif isinstance(value, dt.date):
            day = value
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                day = dt.date.fromisoformat(value.strip())
        if day is None or not EARLIEST_DATE <= day <= LATEST_DATE:
            self.problem(
                mapping.lines[key],
                _join(where, key),
                f"must be a date YYYY-MM-DD from {EARLIEST_DATE} to {LATEST_DATE}, not {shown(value)}",
            )
            return None
        return day

    def whole_number(self, mapping: _Mapping, key: str, where: str, low: int, high: int) -> int | None:
        if key not in mapping or mapping[key] is None:
            return None
        value = mapping[key]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.problem(
                mapping.lines[key],
                _join(where, key),
                f"must be a whole number from {low} to {high}, not {shown(value)}",
            )
            return None
        return value


def load_inventory(path: str | os.PathLike[str]) -> Inventory:
    """Read and validate the inventory at ``path``.

    Raises :class:`~archive_lib.errors.InventoryError` listing every problem found.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InventoryError(
            name, [InventoryProblem(name, None, None, f"cannot be read: {exc.strerror}")]
        ) from exc
    if len(data) > MAX_BYTES:
        message = f"is larger than {MAX_BYTES // (1024 * 1024)} MiB; an inventory is a few hundred kB at most"
        raise InventoryError(name, [InventoryProblem(name, None, None, message)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InventoryError(name, [InventoryProblem(name, None, None, "is not UTF-8 text")]) from exc
    return parse_inventory(text, name)


def parse_inventory(text: str, path: str = "<inventory>") -> Inventory:
    """Validate inventory YAML given as text; ``path`` is only used in messages."""
    checker = _Checker(path)
    if len(text) > MAX_BYTES:
        _refuse(path, None, f"is longer than {MAX_BYTES} characters")
    try:
        loader = _Loader(text)  # refuses unprintable characters at once
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except _Refused as exc:
        _refuse(path, exc.line, exc.message)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        _refuse(path, mark.line + 1 if mark else None, f"not valid YAML: {_yaml_message(str(exc.problem))}")
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        _refuse(path, line, f"the character U+{exc.character:04X} is not allowed in YAML")
    except yaml.YAMLError as exc:
        _refuse(path, None, f"not valid YAML: {_yaml_message(str(exc))}")
    for key, line in loader.duplicate_keys:
        checker.problem(line, _join("", key), "appears twice in the same mapping")

    if not isinstance(document, _Mapping):
        checker.problem(None, None, "must be a mapping with organisation, retention_classes and accounts")
        raise InventoryError(path, checker.problems)

    checker.unknown_fields(document, TOP_FIELDS, "")
    organisation = checker.text(document, "organisation", "", required=True)
    contact = checker.text(document, "contact", "", required=False)
    default_recheck = (
        checker.whole_number(document, "recheck_days", "", MIN_RECHECK_DAYS, MAX_RECHECK_DAYS)
        or DEFAULT_RECHECK_DAYS
    )
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
        where = _join("retention_classes", name)
        line = raw.lines[name]
        if not ACCOUNT_ID.match(name):
            checker.problem(line, where, "class names use lowercase letters, digits and hyphens")
            continue
        if not isinstance(spec, _Mapping):
            checker.problem(line, where, "must be {keep: permanent} or {keep_years: N}")
            continue
        checker.unknown_fields(spec, CLASS_FIELDS, where)
        record = _decision(spec, where, checker)
        decision = record.id if record else None
        has_keep, has_years = "keep" in spec, "keep_years" in spec
        if has_keep == has_years:
            checker.problem(line, where, "give exactly one of keep: permanent or keep_years: N")
            continue
        if has_keep:
            if spec["keep"] != "permanent":
                checker.problem(
                    spec.lines["keep"],
                    f"{where}.keep",
                    f"the only value is 'permanent', not {shown(spec['keep'])}",
                )
                continue
            classes[name] = RetentionClass(name, None, decision, record)
        else:
            years = checker.whole_number(spec, "keep_years", where, MIN_KEEP_YEARS, MAX_KEEP_YEARS)
            if "decision" not in spec or spec["decision"] is None:
                # Arkivlagen: records are disposed of only by a decision; a class that ends
                # must say which one, or nothing of it could ever be disposed of lawfully.
                checker.problem(
                    line,
                    _join(where, "decision"),
                    "is required for a class with keep_years: name the disposal decision"
                    ' (gallringsbeslut), e.g. decision: "KS 2026/123" or'
                    " decision: {id, date, board, reference}",
                )
            elif years is not None and decision is not None:
                classes[name] = RetentionClass(name, years, decision, record)
    return classes


def _decision(spec: _Mapping, where: str, checker: _Checker) -> Decision | None:
    """A class's ``decision``: its id as text, or a mapping ``{id, date, board, reference}``."""
    value = spec.get("decision")
    if isinstance(value, _Mapping):
        inner = _join(where, "decision")
        checker.unknown_fields(value, DECISION_FIELDS, inner)
        decision_id = checker.text(value, "id", inner, required=True)
        day = checker.date(value, "date", inner)
        board = checker.text(value, "board", inner, required=False)
        reference = checker.text(value, "reference", inner, required=False)
        return Decision(decision_id, day, board, reference) if decision_id else None
    decision_id = checker.text(spec, "decision", where, required=False)
    return Decision(decision_id) if decision_id else None


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
                f"{shown(account.id)} is already used on line {first_line[account.id]}",
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
    api_base = checker.text(
        entry, "api_base", where, required=needs_base, check=_check_api_base, limit=MAX_URL
    )
    token_env = checker.text(entry, "token_env", where, required=False, check=_check_env_name)
    token_connection = checker.text(entry, "token_connection", where, required=False, check=_check_connection)
    responsible = checker.text(entry, "responsible", where, required=False)
    substitute = checker.text(entry, "substitute", where, required=False)
    responsible_email = checker.text(entry, "responsible_email", where, required=False, check=_check_email)
    substitute_email = checker.text(entry, "substitute_email", where, required=False, check=_check_email)
    retention_name = checker.text(entry, "retention", where, required=True)
    active_from = checker.date(entry, "active_from", where)
    active_to = checker.date(entry, "active_to", where)
    recheck_days = (
        checker.whole_number(entry, "recheck_days", where, MIN_RECHECK_DAYS, MAX_RECHECK_DAYS)
        or default_recheck
    )

    retention = _retention_of(entry, where, checker, classes, retention_name)
    _token_given_once(entry, where, checker, platform, token_env, token_connection)
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
        responsible_email=responsible_email,
        substitute_email=substitute_email,
        active_from=active_from,
        active_to=active_to,
        recheck_days=recheck_days,
        line=entry.line,
    )


def _retention_of(
    entry: _Mapping, where: str, checker: _Checker, classes: dict[str, RetentionClass], name: str | None
) -> RetentionClass | None:
    """The retention class an account names; a problem when the inventory defines no such class."""
    if name is None:
        return None
    retention = classes.get(name)
    if retention is None and classes:
        defined = ", ".join(sorted(classes))
        checker.problem(
            entry.lines["retention"],
            f"{where}.retention",
            f"{shown(name)} is not a retention class (defined: {defined})",
        )
    return retention


def _token_given_once(
    entry: _Mapping,
    where: str,
    checker: _Checker,
    platform: str | None,
    token_env: str | None,
    token_connection: str | None,
) -> None:
    """A token in one place only, and one for every platform whose API answers nothing without it."""
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


def _check_account_id(value: str) -> str | None:
    if ACCOUNT_ID.match(value):
        return None
    return f"{shown(value)} must use lowercase letters, digits and single hyphens (e.g. ks-mastodon)"


def _check_platform(value: str) -> str | None:
    if value in PLATFORMS:
        return None
    return f"{shown(value)} is not a supported platform (supported: {', '.join(sorted(PLATFORMS))})"


def _check_api_base(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return f"{shown(value)} must be an http(s) URL such as https://social.example"
    if parts.query or parts.fragment:
        return f"{shown(value)} must not carry a query or fragment"
    return None


def _check_env_name(value: str) -> str | None:
    if ENV_NAME.match(value):
        return None
    return f"{shown(value)} is not a valid environment variable name"


def _check_email(value: str) -> str | None:
    if EMAIL.match(value):
        return None
    return f"{shown(value)} is not an e-mail address (name@domain)"


def _check_connection(value: str) -> str | None:
    if CONNECTION_ID.match(value):
        return None
    return f"{shown(value)} is not a valid Airflow connection id"


def _refuse(path: str, line: int | None, message: str) -> NoReturn:
    """Refuse the file for one problem that stops reading it."""
    raise InventoryError(path, [InventoryProblem(path, line, None, message)]) from None


def _check_plain(text: str, limit: int) -> str | None:
    """Why ``text`` is not one line of plain text of at most ``limit`` characters, or ``None``."""
    bad = CONTROLS.search(text)
    if bad:
        return (
            f"contains the control character U+{ord(bad.group()):04X} (character {bad.start() + 1}); "
            "values are one line of plain text"
        )
    if len(text) > limit:
        return f"is {len(text)} characters long, at most {limit} are allowed"
    return None


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


def _join(where: str, key: str) -> str:
    shown_key = key if _PLAIN_KEY.match(key) else shown(key)
    return f"{where}.{shown_key}" if where else shown_key


def _yaml_message(problem: str) -> str:
    # PyYAML quotes what it found (an alias name, a tag) at any length.
    return problem if len(problem) <= 2 * MAX_SHOWN else problem[: 2 * MAX_SHOWN] + "…"


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

    if len(name) > MAX_SHOWN:
        return None
    matches = difflib.get_close_matches(name, sorted(options), n=1, cutoff=0.75)
    return matches[0] if matches else None
