"""The pure rules of a stay away from home: when it may end, and whether it is on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yiyang.registry.elders.rules import MAX_AWAY, away_until_problem, is_away

NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("until", "code"),
    [
        (NOW - timedelta(days=1), "past"),
        (NOW, "past"),
        (NOW + timedelta(minutes=1), None),
        (NOW + MAX_AWAY, None),
        (NOW + MAX_AWAY + timedelta(seconds=1), "too_far"),
    ],
)
def test_away_until_must_lie_ahead_at_most_180_days(until: datetime, code: str | None) -> None:
    problem = away_until_problem(until, NOW)
    assert (problem.code if problem else None) == code
    if problem:
        assert problem.field == "until" and problem.message


def test_is_away_only_while_the_end_lies_ahead() -> None:
    assert not is_away(None, NOW)
    assert not is_away(NOW, NOW)
    assert not is_away(NOW - timedelta(hours=1), NOW)
    assert is_away(NOW + timedelta(hours=1), NOW)
