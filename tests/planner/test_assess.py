"""Every caregiver's fit for a manual pick: the planner's ranking first, then the near misses."""

from __future__ import annotations

from tests.planner.helpers import TRAVEL, at, cg, job, t, w
from yiyang.planner.assess import assess, fit, tier_of
from yiyang.planner.choose import choose


def test_feasible_first_in_the_planners_order_then_capacity_busy_shift_skill() -> None:
    aides = [
        cg(1, skills={"cleaning": 3}),  # lacks bathing
        cg(2, shifts=(w("13:00", "17:00"),)),  # works the afternoon only
        cg(3, busy=((w("08:30", "11:30"), at()),)),  # a visit across the whole window
        cg(4, load=450),  # 30 minutes left of 480
        cg(5, home=at(1500)),  # free, 15 min away
        cg(6, home=at(300)),  # free, 3 min away
    ]
    fits = assess(job(), aides, TRAVEL)
    assert [(f.staff_id, f.reason) for f in fits] == [
        (6, None), (5, None), (4, "capacity"), (3, "busy"), (2, "shift"), (1, "skill"),
    ]  # fmt: skip
    best = choose(job(), aides, TRAVEL).winner
    assert best is not None and fits[0].candidate is not None
    assert fits[0].candidate.staff_id == best.staff_id
    assert fits[0].candidate.start == best.start and fits[0].travel_min == best.travel_min
    # Over capacity there is still a slot in time, so the start is known; skill lists what lacks.
    assert fits[2].candidate is not None and fits[2].candidate.start == t("09:00")
    assert fits[5].missing == ("bathing",) and fits[5].candidate is None
    assert fits[3].travel_min == 0.0  # from home when there is no slot


def test_level_too_low_is_a_missing_skill() -> None:
    assert fit(cg(1, skills={"bathing": 1}), job(), TRAVEL).missing == ("bathing",)


def test_refusals_are_reported_and_ranked_after_other_free_caregivers() -> None:
    aides = [cg(1, home=at(100)), cg(2, home=at(900))]
    fits = assess(job(excluded=frozenset({1})), aides, TRAVEL)
    assert [(f.staff_id, f.feasible, f.refused) for f in fits] == [
        (2, True, False),
        (1, True, True),
    ]


def test_tiers_follow_the_elder_and_former_caregivers_count_as_community() -> None:
    elder = job(community=11, street=1, previous={9: 1})
    assert tier_of(cg(1, community=11, street=1), elder) == "community"
    assert tier_of(cg(2, community=12, street=1), elder) == "street"
    assert tier_of(cg(3, community=21, street=2), elder) == "district"
    assert tier_of(cg(9, community=21, street=2), elder) == "community"
