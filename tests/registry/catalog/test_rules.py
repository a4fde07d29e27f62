"""Pure rules of the catalog: the price in force on a day, and which new versions are allowed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from yiyang.registry.catalog.rules import is_duplicate_version, new_version_problem, price_on


@dataclass
class V:
    effective_date: date
    price_fen: int


VERSIONS = [V(date(2026, 1, 1), 5000), V(date(2024, 7, 1), 4000), V(date(2027, 1, 1), 5500)]


def fen_on(day: date) -> int | None:
    version = price_on(VERSIONS, day)
    return version.price_fen if version else None


def test_price_on_picks_latest_version_not_after_the_day() -> None:
    assert fen_on(date(2024, 6, 30)) is None  # before the first version
    assert fen_on(date(2024, 7, 1)) == 4000
    assert fen_on(date(2025, 12, 31)) == 4000
    assert fen_on(date(2026, 1, 1)) == 5000
    assert fen_on(date(2030, 1, 1)) == 5500
    assert price_on([], date(2030, 1, 1)) is None


def test_new_versions_start_today_or_later_and_once_per_day() -> None:
    today = date(2026, 11, 23)
    assert new_version_problem(today, today) is None
    assert new_version_problem(date(2027, 1, 1), today) is None
    problem = new_version_problem(date(2026, 11, 22), today)
    assert problem is not None and problem.field == "effective_date"
    assert is_duplicate_version(date(2027, 1, 1), [v.effective_date for v in VERSIONS])
    assert not is_duplicate_version(date(2027, 2, 1), [v.effective_date for v in VERSIONS])
