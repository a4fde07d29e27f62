"""Pure rules of facilities: weekly hours and a community lying in its street."""

from __future__ import annotations

from yiyang.registry.facilities.rules import community_problem, weekly_hours_problems


def test_good_hours_are_normalised_in_weekday_order() -> None:
    hours, problems = weekly_hours_problems(
        {"sun": ["09:00", "12:00"], "mon": [" 08:00", "24:00"]}, "opening_hours"
    )
    assert problems == []
    assert list(hours) == ["mon", "sun"] and hours["mon"] == ["08:00", "24:00"]


def test_bad_hours_name_the_day() -> None:
    _, problems = weekly_hours_problems(
        {
            "monday": ["08:00", "17:00"],
            "tue": ["8:00", "17:00"],
            "wed": ["18:00", "08:00"],
            "thu": ["08:00"],
            "fri": ["25:00", "26:00"],
            "sat": ["10:00", "10:00"],
        },
        "opening_hours",
    )
    found = {(p.field, p.code) for p in problems}
    assert found == {
        ("opening_hours.monday", "weekday"),
        ("opening_hours.tue", "time_format"),
        ("opening_hours.wed", "time_order"),
        ("opening_hours.thu", "time_format"),
        ("opening_hours.fri", "time_format"),
        ("opening_hours.sat", "time_order"),
    }


def test_community_must_lie_in_street() -> None:
    assert community_problem(7, 7) is None
    problem = community_problem(7, 8)
    assert problem is not None and problem.field == "community_code"
