"""Pure booking rules: a visit's interval, overlap, the first start free of other visits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yiyang.dispatch.rules import first_free_start, overlaps, planned_end
from yiyang.planner.types import Window

NINE = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 09:00 in Zhengzhou


def at(minutes: int) -> datetime:
    return NINE + timedelta(minutes=minutes)


def span(start: int, end: int) -> Window:
    return Window(at(start), at(end))


def test_a_visit_ends_its_standard_minutes_after_it_starts() -> None:
    assert planned_end(NINE, 60) == at(60)
    assert planned_end(at(1430), 45) == at(1475)  # past midnight in local time too


def test_touching_visits_do_not_overlap_and_sharing_a_minute_does() -> None:
    assert not overlaps(span(0, 60), span(60, 120))
    assert not overlaps(span(60, 120), span(0, 60))
    assert overlaps(span(0, 60), span(59, 120))
    assert overlaps(span(0, 120), span(30, 60))  # one inside the other
    assert overlaps(span(30, 60), span(0, 120))


def test_the_first_free_start_is_the_window_start_when_nothing_is_in_the_way() -> None:
    assert first_free_start(at(0), at(60), 60, []) == at(0)
    assert first_free_start(at(0), at(60), 60, [span(-60, 0), span(60, 90)]) == at(0)


def test_the_first_free_start_skips_visits_in_the_way_in_any_order() -> None:
    busy = [span(70, 130), span(0, 60), span(130, 140)]
    assert first_free_start(at(0), at(300), 60, busy) == at(140)  # the 10 min gap is too short
    assert first_free_start(at(0), at(300), 10, busy) == at(60)
    assert first_free_start(at(20), at(300), 60, [span(0, 30), span(10, 50)]) == at(50)


def test_no_free_start_when_the_window_closes_first() -> None:
    assert first_free_start(at(0), at(60), 60, [span(0, 61)]) is None
    assert first_free_start(at(0), at(61), 60, [span(0, 61)]) == at(61)
