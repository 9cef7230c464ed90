"""Retention classes: how long the objects of an account must be kept.

A class comes from the inventory (``retention_classes``) and is usually named after the board's
document management plan (*dokumenthanteringsplan*). ``keep: permanent`` means *bevaras*: no
end date. ``keep_years: N`` means the objects may be culled (*gallras*) N years after the night
that captured them, never earlier, and only by the disposal decision (*gallringsbeslut*) the class
names (:class:`Decision`): ``archivectl dispose --decision ID`` is the one path that deletes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Decision:
    """A disposal decision (*gallringsbeslut*): its id (the board's reference, e.g. ``KS 2026/123``)
    and, when the inventory gives them, its date, the board that took it and the entry of the
    document management plan (*dokumenthanteringsplan*) it applies."""

    id: str
    date: dt.date | None = None
    board: str | None = None
    reference: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "id": self.id,
            "date": self.date.isoformat() if self.date else None,
            "board": self.board,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class RetentionClass:
    """A named retention rule. ``keep_years`` is ``None`` for permanent classes."""

    name: str
    keep_years: int | None
    decision: str | None = None  # the id of the disposal decision (gallringsbeslut), if any
    # The decision as the inventory describes it (its id is ``decision``, which equality compares).
    decision_record: Decision | None = field(default=None, compare=False)

    @property
    def permanent(self) -> bool:
        return self.keep_years is None

    def retain_until(self, run_date: dt.date) -> dt.date | None:
        """The first day the objects of ``run_date`` may be culled; ``None`` for permanent."""
        if self.keep_years is None:
            return None
        return add_years(run_date, self.keep_years)

    def for_night(self, run_date: dt.date) -> ObjectRetention:
        return ObjectRetention(self.name, self.retain_until(run_date))


@dataclass(frozen=True)
class ObjectRetention:
    """The retention one stored object carries: its class and the date it may go (or never)."""

    retention_class: str
    retain_until: dt.date | None

    @property
    def permanent(self) -> bool:
        return self.retain_until is None


#: The export log is kept permanently: it documents what the authority handed out.
EXPORT_LOG = ObjectRetention("export-log", None)

#: The record of every delivery to the e-archive is kept permanently: it documents what left.
DELIVERY_LOG = ObjectRetention("delivery-log", None)


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years on; 29 February becomes 1 March in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)
