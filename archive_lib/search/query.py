"""What a registrar asks for: free text in Swedish and filters.

Free-text syntax (every part must match; no part is case-sensitive):

* ``badhus``: the word and its inflected forms (``badhuset``, ``badhusets``);
* ``"stänger badhuset"``: the words next to each other, in this order (inflections allowed);
* ``badh*``: any word starting with ``badh`` (at least two letters before the ``*``);
* ``-simhall``: leaves out items containing the word (or ``-"a phrase"``, ``-sim*``).

``å``, ``ä`` and ``ö`` are letters of their own: ``åhus`` does not find ``ahus``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from archive_lib.errors import ConfigError
from archive_lib.search.items import STATES

ITEM_TYPES = ("post", "comment")
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
MIN_PREFIX = 2


class QueryError(ConfigError):
    """The search cannot be run as asked (bad syntax, unknown filter value)."""


@dataclass(frozen=True)
class Clause:
    """One part of the free text: ``kind`` is ``word``, ``phrase`` or ``prefix``."""

    kind: str
    text: str
    negated: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """Free text and filters. Empty filters match everything; dates are Stockholm days, inclusive,
    on ``created_at``; ``event`` is the item's latest known state (see :data:`STATES`)."""

    text: str = ""
    accounts: tuple[str, ...] = ()
    boards: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    item_types: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    item_ids: tuple[str, ...] = ()
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = 50
    clauses: tuple[Clause, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        for name, allowed in (("item_types", ITEM_TYPES), ("events", STATES)):
            for value in getattr(self, name):
                if value not in allowed:
                    raise QueryError(
                        f"unknown {name[:-1].replace('_', ' ')} {value!r}: use {', '.join(allowed)}"
                    )
        if self.since and self.until and self.since > self.until:
            raise QueryError(f"--since {self.since} is after --until {self.until}")
        if self.limit < 1:
            raise QueryError("--limit must be at least 1")
        object.__setattr__(self, "clauses", parse_text(self.text))

    def describe(self) -> dict[str, object]:
        """The query as plain data (for the export log and manifests)."""
        out: dict[str, object] = {"text": self.text}
        for name in ("accounts", "boards", "platforms", "authors", "item_types", "events", "item_ids"):
            if getattr(self, name):
                out[name] = list(getattr(self, name))
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        out["limit"] = self.limit
        return out


def parse_text(text: str) -> tuple[Clause, ...]:
    """The clauses of a free-text query; QueryError with the reason for a malformed one."""
    if text.count('"') % 2:
        raise QueryError(f'unbalanced quote in {text!r}: close every "phrase"')
    clauses = []
    for match in _TOKEN.finditer(text):
        if match.group(3) is None:
            phrase = match.group(2).strip()
            if phrase:
                clauses.append(Clause("phrase", phrase, negated=bool(match.group(1))))
            continue
        word = match.group(3)
        negated = word.startswith("-") and len(word) > 1
        word = word[1:] if negated else word
        if word.endswith("*"):
            stem = word.rstrip("*")
            if "*" in stem or len(stem) < MIN_PREFIX:
                raise QueryError(
                    f"{word!r}: a prefix needs at least {MIN_PREFIX} letters before one trailing '*'"
                )
            clauses.append(Clause("prefix", stem, negated))
        elif "*" in word:
            raise QueryError(f"{word!r}: '*' is only allowed at the end of a word")
        else:
            clauses.append(Clause("word", word, negated))
    return tuple(clauses)
