"""Explanations: translatable templates with params that name the tier and the reason."""

from __future__ import annotations

from tests.planner.helpers import TRAVEL, at, cg, job, w
from yiyang.planner.choose import choose
from yiyang.planner.explain import explain, render


def test_district_winner_explains_the_widened_search() -> None:
    elder = job(community=11, street=1)
    aides = [
        cg(1, community=11, street=1, load=480),
        cg(5, community=None, street=3, home=at(4000)),
    ]
    decision = choose(elder, aides, TRAVEL)
    lines = explain(
        decision,
        names={5: "王芳"},
        community="文雅社区",
        street="北林路街道",
        skill_labels={"bathing": "bathing"},
    )
    text = render(lines)
    assert "王芳 chosen: 40 min away, 0% of the day booked." in text
    assert (
        "No free caregiver with bathing in 文雅社区 or 北林路街道, so the search widened to the "
        "district" in text
    )
    # Templates keep their placeholders for the UI to translate; params are plain values.
    template, params = lines[0]
    assert "%(name)s" in template and params["name"] == "王芳"


def test_community_winner_says_so() -> None:
    text = render(explain(choose(job(), [cg(1)], TRAVEL), community="文雅社区"))
    assert "own community, 文雅社区" in text


def test_unplaceable_explains_why() -> None:
    decision = choose(job(window=w("20:00", "21:00")), [cg(1), cg(2, skills={})], TRAVEL)
    text = render(explain(decision))
    assert "No caregiver with bathing is working at that time" in text
    assert "1 caregivers lacked the skills" in text


def test_former_caregiver_from_elsewhere_is_asked_first_and_explained() -> None:
    elder = job(community=11, street=1, previous={5: 2})
    aides = [
        cg(1, community=11, street=1, home=at(800)),
        cg(5, community=None, street=3, home=at(1000)),
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 5
    assert decision.tier == "community"
    text = render(explain(decision, names={5: "王芳"}, community="文雅社区"))
    assert "served this elder 2 times before" in text
    assert "served this elder before are asked first, with 文雅社区" in text


def test_widening_past_a_too_distant_local_aide_is_explained() -> None:
    elder = job(community=11, street=1)
    aides = [
        cg(1, community=11, street=1, home=at(2000)),  # 20 min on foot
        cg(5, community=None, street=3, mode="car", home=at(3000)),  # 3 min by car
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 5
    assert decision.tier == "district"
    text = render(explain(decision, community="文雅社区", street="北林路街道"))
    assert "Caregivers free nearer in 文雅社区 or 北林路街道 were too far a trip" in text
