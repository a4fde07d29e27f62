"""Pure rules of the service catalog: which price version is in force, which may be added."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol, TypeVar

from yiyang.errors import N_, FieldProblem


class Dated(Protocol):
    """Anything with an effective date (a stored price row, a demo price version)."""

    @property
    def effective_date(self) -> date: ...


P = TypeVar("P", bound=Dated)


def price_on(prices: Iterable[P], day: date) -> P | None:
    """The version with the latest effective date on or before the day; None before the first."""
    best: P | None = None
    for version in prices:
        if version.effective_date <= day and (
            best is None or version.effective_date > best.effective_date
        ):
            best = version
    return best


def new_version_problem(effective_date: date, today: date) -> FieldProblem | None:
    """A new price version takes effect today or later; past versions are never rewritten."""
    if effective_date < today:
        return FieldProblem(
            "effective_date",
            "past_date",
            N_("A new price must take effect today (%(today)s) or later."),
            {"today": today.isoformat()},
        )
    return None


def is_duplicate_version(effective_date: date, existing: Iterable[date]) -> bool:
    """Whether the item already has a version taking effect that day."""
    return effective_date in set(existing)
