"""Straight-line travel: road factor, speed per mode, minimum minutes."""

from __future__ import annotations

import pytest

from tests.planner.helpers import ORIGIN, at
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import Point


def test_defaults_use_road_factor_and_mode_speed() -> None:
    travel = StraightLineTravel()
    one_km = at(north_m=1000)
    # 1.3 km by road at 4.5 km/h is 17.3 minutes; by car at 25 km/h 3.12 minutes.
    assert travel.minutes(ORIGIN, one_km, "walk") == pytest.approx(17.33, abs=0.05)
    assert travel.minutes(ORIGIN, one_km, "ebike") == pytest.approx(4.33, abs=0.05)
    assert travel.minutes(ORIGIN, one_km, "car") == pytest.approx(3.12, abs=0.05)


def test_minimum_minutes_and_unknown_mode_walks() -> None:
    travel = StraightLineTravel()
    assert travel.minutes(ORIGIN, ORIGIN, "car") == 3
    assert travel.minutes(ORIGIN, at(north_m=1000), "hovercraft") == travel.minutes(
        ORIGIN, at(north_m=1000), "walk"
    )


def test_lower_bound_never_exceeds_any_mode() -> None:
    travel = StraightLineTravel()
    far = at(north_m=3000, east_m=4000)
    for mode in ("walk", "bicycle", "ebike", "car"):
        assert travel.lower_bound(5000 * 0.999) <= travel.minutes(ORIGIN, far, mode)


def test_seconds_matrix_agrees_with_minutes_pair_by_pair() -> None:
    travel = StraightLineTravel()
    points = [Point(34.78, 113.68), Point(34.79, 113.70), Point(34.7801, 113.6801)]
    matrix = travel.seconds_matrix(points, "ebike")
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            expected = 0 if i == j else round(travel.minutes(a, b, "ebike") * 60)
            assert abs(int(matrix[i][j]) - expected) <= 1
