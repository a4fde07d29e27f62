"""Scenarios of the GB/T 42195-2022 capability assessment: scores, levels and adjustments."""

from __future__ import annotations

import pytest

from yiyang.errors import Invalid
from yiyang.registry.assessments import rules
from yiyang.registry.assessments.rules import Adjustment, Facts, assess


def full_marks() -> dict[str, object]:
    return {item.code: item.max_points for item in rules.ITEMS}


def scored(total: int) -> dict[str, object]:
    """Scores adding up to `total`, taking points off items in order."""
    scores = full_marks()
    missing = rules.MAX_TOTAL - total
    for item in rules.ITEMS:
        off = min(missing, item.max_points)
        scores[item.code] = item.max_points - off
        missing -= off
    assert sum(int(str(v)) for v in scores.values()) == total
    return scores


def test_the_standard_has_26_items_worth_90_points_in_four_parts() -> None:
    assert len(rules.ITEMS) == 26
    assert rules.MAX_TOTAL == 90
    by_part = {p: sum(i.max_points for i in rules.ITEMS if i.part == p) for p in rules.Part}
    assert by_part == {"self_care": 32, "mobility": 15, "mental": 28, "perception": 15}


def test_an_elder_with_full_marks_is_intact() -> None:
    result = assess(full_marks())
    assert (result.total, result.level, result.adjustments) == (90, 0, ())
    assert result.parts == {"self_care": 32, "mobility": 15, "mental": 28, "perception": 15}


@pytest.mark.parametrize(
    ("total", "level"),
    [(90, 0), (89, 1), (66, 1), (65, 2), (46, 2), (45, 3), (30, 3), (29, 4), (0, 4)],
)
def test_each_boundary_of_the_levels(total: int, level: int) -> None:
    result = assess(scored(total))
    assert result.total == total
    assert (result.score_level, result.level, result.adjustments) == (level, level, ())


def test_a_coma_is_level_4_whatever_the_score() -> None:
    result = assess(scored(70), Facts(coma=True))
    assert (result.score_level, result.level, result.adjustments) == (1, 4, (Adjustment.COMA,))


def test_diagnosed_dementia_raises_the_level_by_one() -> None:
    result = assess(scored(70), Facts(mental_disorder=True))
    assert (result.level, result.adjustments) == (2, (Adjustment.MENTAL_DISORDER,))


def test_two_risk_events_in_30_days_raise_the_level_by_one() -> None:
    result = assess(scored(50), Facts(risk_events={"fall": 1, "choking": 1}))
    assert (result.level, result.adjustments) == (3, (Adjustment.RISK_EVENTS,))


def test_one_risk_event_does_not_raise_the_level() -> None:
    result = assess(scored(50), Facts(risk_events={"fall": 1, "wandering": 0}))
    assert (result.level, result.adjustments) == (2, ())


def test_dementia_and_falls_together_raise_two_levels() -> None:
    result = assess(scored(70), Facts(mental_disorder=True, risk_events={"fall": 2}))
    assert result.level == 3
    assert result.adjustments == (Adjustment.MENTAL_DISORDER, Adjustment.RISK_EVENTS)


def test_adjustments_never_raise_above_level_4() -> None:
    result = assess(scored(35), Facts(mental_disorder=True, risk_events={"self_harm": 3}))
    assert result.level == 4
    assert result.adjustments == (Adjustment.MENTAL_DISORDER, Adjustment.CAPPED)


def test_an_elder_already_at_level_4_stays_there_with_the_cap_said() -> None:
    result = assess(scored(10), Facts(mental_disorder=True))
    assert (result.level, result.adjustments) == (4, (Adjustment.CAPPED,))


def test_coma_with_dementia_is_level_4_and_says_coma() -> None:
    result = assess(scored(80), Facts(coma=True, mental_disorder=True))
    assert (result.level, result.adjustments) == (4, (Adjustment.COMA,))


def test_a_missing_item_is_an_error_naming_it() -> None:
    scores = full_marks()
    del scores["stairs"]
    with pytest.raises(Invalid) as caught:
        assess(scores)
    assert caught.value.field == "stairs"
    assert caught.value.params["item"] == "Going up and down stairs"
    assert [p.field for p in caught.value.problems] == ["stairs"]


def test_a_score_above_the_items_maximum_is_an_error_naming_the_item() -> None:
    scores = full_marks() | {"stairs": 4, "vision": "x"}
    with pytest.raises(Invalid) as caught:
        assess(scores)
    assert [p.field for p in caught.value.problems] == ["stairs", "vision"]
    assert caught.value.problems[0].params == {"item": "Going up and down stairs", "max": 3}


def test_a_negative_score_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        assess(full_marks() | {"eating": -1})
    assert caught.value.field == "eating"


def test_a_negative_risk_count_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        assess(full_marks(), Facts(risk_events={"fall": -2}))
    assert caught.value.field == "risk_fall"


def test_every_scale_runs_from_its_maximum_down_to_zero() -> None:
    for item in rules.ITEMS:
        assert item.points == tuple(range(item.max_points, -1, -1)), item.code
