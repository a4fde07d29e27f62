"""What a report is made of, whatever it is shown as: headline figures and tables of typed
cells, already in the reader's language. The page, the print and the workbook draw from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# How a cell is shown: text, a count, a share (0–1), money in fen, minutes, seconds, a score.
KINDS = ("text", "count", "share", "fen", "minutes", "seconds", "score")


@dataclass(frozen=True)
class Column:
    """A table's column: its heading and the kind of its cells."""

    label: str
    kind: str = "count"


@dataclass(frozen=True)
class Figure:
    """One headline figure, with the target it is held to (a share) when it has one."""

    key: str
    label: str
    kind: str
    value: Any
    target: float | None = None

    @property
    def met(self) -> bool | None:
        """Whether a figure with a target meets it (None: no target, or nothing counted)."""
        if self.target is None or self.value is None:
            return None
        return bool(self.value >= self.target)


@dataclass
class Table:
    """One section of the report: a titled table, its totals row, an optional chart."""

    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None
    total_kinds: list[str] | None = None  # when the totals are of another kind (averages)
    note: str = ""
    chart: dict[str, Any] | None = None  # {"kind": "bar"|"pie", "labels", "series": [...]}

    @property
    def total_columns(self) -> list[Column]:
        """The columns as the totals row is shown."""
        if self.total_kinds is None:
            return self.columns
        return [Column(c.label, k) for c, k in zip(self.columns, self.total_kinds, strict=True)]


@dataclass
class Report:
    """A report of one period for the district, a street or a provider."""

    title: str
    scope: str  # the district, a street's name, with the provider's name when there is one
    first: date
    last: date
    generated_at: datetime
    figures: list[Figure]
    tables: list[Table]

    def table(self, key: str) -> Table:
        """The table with this key (KeyError if the report has none)."""
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def figure(self, key: str) -> Figure:
        """The headline figure with this key (KeyError if none)."""
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)
