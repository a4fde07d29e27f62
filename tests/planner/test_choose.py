"""choose(): escalation community -> street -> district, ranking, ties, unplaceable reasons."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from tests.planner.helpers import TRAVEL, at, cg, job, t, w
from yiyang.planner.choose import choose
from yiyang.planner.feasibility import Slot, check
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.ranking import Weights
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import Point

# Areas of the seed story (ids are arbitrary): 文雅社区 in 北林路街道; 丰庆路街道 across the district.
WENYA, OTHER_BEILIN_COMMUNITY, FENGQING_COMMUNITY = 11, 12, 31
BEILIN, FENGQING = 1, 3


def test_seed_story_full_neighbours_send_a_fengqing_aide_from_across_the_district() -> None:
    elder = job(community=WENYA, street=BEILIN, skills={"bathing": 2}, duration=60)
    aides = [
        # Bathing aides of 文雅社区 and of 北林路's street centre: all already fully booked.
        cg(1, community=WENYA, street=BEILIN, load=450, home=at(north_m=200)),
        cg(2, community=OTHER_BEILIN_COMMUNITY, street=BEILIN, load=480, home=at(east_m=800)),
        cg(3, community=None, street=BEILIN, load=440, home=at(north_m=-600)),
        # Free nearby, but no bathing skill.
        cg(4, community=WENYA, street=BEILIN, skills={"cleaning": 3}),
        # A 丰庆路 centre aide 6 km away by e-bike, free.
        cg(5, community=None, street=FENGQING, mode="car", home=at(north_m=6000)),
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None
    assert decision.winner.staff_id == 5
    assert decision.tier == "district"
    assert decision.winner.tier == "district"
    assert decision.rejected == {"capacity": 3, "skill": 1}
    assert decision.unplaceable_reason is None


def test_community_before_street_even_if_the_street_aide_is_nearer() -> None:
    elder = job(community=WENYA, street=BEILIN)
    aides = [
        # 8 minutes' walk: within reach (10 min), so the community settles the search.
        cg(1, community=WENYA, street=BEILIN, home=at(north_m=800)),
        cg(2, community=OTHER_BEILIN_COMMUNITY, street=BEILIN, home=at(north_m=100)),
        cg(3, community=FENGQING_COMMUNITY, street=FENGQING, home=at(north_m=50)),
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 1
    assert decision.tier == "community"
    # The nearer tiers had a feasible aide, so nobody farther out was even examined.
    assert [c.staff_id for c in decision.considered] == [1]


def test_a_community_aide_beyond_reach_widens_the_search_to_the_nearer_street_aide() -> None:
    elder = job(community=WENYA, street=BEILIN)
    aides = [
        cg(1, community=WENYA, street=BEILIN, home=at(north_m=1500)),  # 15 min: beyond reach
        cg(2, community=OTHER_BEILIN_COMMUNITY, street=BEILIN, home=at(north_m=100)),
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 2
    assert decision.tier == "street"
    assert decision.rejected == {"beyond_reach": 1}
    # The community aide was not dropped: it competed and ranks second.
    assert [c.staff_id for c in decision.considered] == [2, 1]
    assert decision.considered[1].tier == "community"


def test_after_widening_the_nearer_tier_still_wins_if_nobody_farther_is_better() -> None:
    elder = job(community=WENYA, street=BEILIN)
    aides = [
        cg(1, community=WENYA, street=BEILIN, home=at(north_m=1200)),  # 12 min
        cg(2, community=OTHER_BEILIN_COMMUNITY, street=BEILIN, home=at(north_m=1600)),  # 16
        cg(3, community=FENGQING_COMMUNITY, street=FENGQING, home=at(north_m=-2500)),  # 25
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 1
    assert decision.tier == "community"
    assert decision.rejected == {"beyond_reach": 2}
    assert [c.staff_id for c in decision.considered] == [1, 2, 3]


def test_reach_can_be_set_so_tiers_settle_the_search_whatever_the_trip() -> None:
    elder = job(community=WENYA, street=BEILIN)
    aides = [
        cg(1, community=WENYA, street=BEILIN, home=at(north_m=1500)),
        cg(2, community=OTHER_BEILIN_COMMUNITY, street=BEILIN, home=at(north_m=100)),
    ]
    decision = choose(elder, aides, TRAVEL, weights=Weights(reach=math.inf))
    assert decision.winner is not None and decision.winner.staff_id == 1


def test_the_job_goes_in_the_gap_where_it_costs_least_not_the_first() -> None:
    far, near = at(north_m=3000), at(north_m=100)
    # Free 08:30-10:30 after a visit 30 min away, and again after 11:00 next door.
    day = cg(1, busy=((w("08:00", "08:30"), far), (w("10:30", "11:00"), near)))
    elder = job(window=w("09:00", "12:00"), duration=45)
    first = check(day, elder, TRAVEL)
    assert isinstance(first, Slot) and first.start == t("09:00")  # fits, but 30 min away
    decision = choose(elder, [day], TRAVEL)
    assert decision.winner is not None
    assert decision.winner.start == t("11:01")
    assert decision.winner.travel_min == 1.0


def test_street_tier_when_the_community_has_nobody_free() -> None:
    elder = job(community=WENYA, street=BEILIN, window=w("09:00", "09:30"))
    aides = [
        cg(1, community=WENYA, street=BEILIN, busy=((w("08:30", "10:00"), at()),)),
        cg(2, community=OTHER_BEILIN_COMMUNITY, street=BEILIN, home=at(north_m=900)),
        cg(3, community=FENGQING_COMMUNITY, street=FENGQING, home=at(north_m=100)),
    ]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 2
    assert decision.tier == "street"
    assert decision.rejected == {"busy": 1}


def test_continuity_beats_a_slightly_shorter_trip() -> None:
    elder = job(previous={2: 3})
    aides = [cg(1, home=at(north_m=800)), cg(2, home=at(north_m=1200))]
    decision = choose(elder, aides, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 2
    assert "continuity" in decision.winner.reasons
    assert decision.winner.visits_before == 3
    # …but not a much longer one.
    far = [cg(1, home=at(north_m=800)), cg(2, home=at(north_m=4000))]
    decision = choose(elder, far, TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 1


def test_lighter_load_wins_at_equal_travel() -> None:
    decision = choose(job(), [cg(1, load=300), cg(2, load=60)], TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 2
    assert "lightest_load" in decision.winner.reasons


def test_ties_are_broken_by_staff_id_whatever_the_input_order() -> None:
    aides = [cg(i, home=at(north_m=300)) for i in (9, 4, 7)]
    first = choose(job(), aides, TRAVEL)
    second = choose(job(), list(reversed(aides)), TRAVEL)
    assert first.winner is not None and first.winner.staff_id == 4
    assert first == second
    assert [c.staff_id for c in first.considered] == [4, 7, 9]
    assert "tie_break" in first.winner.reasons


def test_considered_is_top_k_winner_first() -> None:
    aides = [cg(i, home=at(north_m=100 * i)) for i in range(1, 9)]
    decision = choose(job(), aides, TRAVEL, k=3)
    assert [c.staff_id for c in decision.considered] == [1, 2, 3]
    assert decision.considered[0] == decision.winner
    assert decision.examined == 8


def test_excluded_caregivers_are_skipped_and_counted() -> None:
    decision = choose(job(excluded=frozenset({1})), [cg(1), cg(2, home=at(north_m=500))], TRAVEL)
    assert decision.winner is not None and decision.winner.staff_id == 2
    assert decision.rejected["excluded"] == 1


def test_unplaceable_jobs_have_a_reason() -> None:
    nobody_skilled = choose(job(), [cg(1, skills={"cleaning": 2})], TRAVEL)
    assert nobody_skilled.winner is None and nobody_skilled.unplaceable_reason == "skill"
    assert nobody_skilled.tier is None and nobody_skilled.considered == ()

    all_full = choose(job(), [cg(1, load=480), cg(2, load=470)], TRAVEL)
    assert all_full.unplaceable_reason == "capacity"

    all_busy = choose(
        job(window=w("09:00", "09:10")), [cg(1, busy=((w("08:00", "12:00"), at()),))], TRAVEL
    )
    assert all_busy.unplaceable_reason == "busy"

    off = choose(job(window=w("20:00", "21:00")), [cg(1)], TRAVEL)
    assert off.unplaceable_reason == "shift"

    refused = choose(job(excluded=frozenset({1, 2})), [cg(1), cg(2)], TRAVEL)
    assert refused.unplaceable_reason == "excluded"

    assert choose(job(), [], TRAVEL).unplaceable_reason == "no_caregivers"
    inverted = job(window=w("11:00", "09:00"))
    assert choose(inverted, [cg(1)], TRAVEL).unplaceable_reason == "window"


@dataclass(frozen=True)
class NoBound:
    """The same travel model without `lower_bound`, so choose examines everybody."""

    inner: StraightLineTravel

    def minutes(self, a: Point, b: Point, mode: str) -> float:
        return self.inner.minutes(a, b, mode)


def test_index_pruning_gives_the_same_decision_as_examining_everybody() -> None:
    rng = random.Random(7)
    travel = StraightLineTravel()
    skills = ("bathing", "cleaning", "nursing")
    aides = []
    for i in range(1, 301):
        visits = tuple(
            (
                w(f"{h:02d}:00", f"{h:02d}:45"),
                at(rng.uniform(-8000, 8000), rng.uniform(-8000, 8000)),
            )
            for h in rng.sample(range(8, 17), rng.randrange(0, 4))
        )
        aides.append(
            cg(
                i,
                home=at(rng.uniform(-8000, 8000), rng.uniform(-8000, 8000)),
                skills={s: rng.randint(1, 5) for s in rng.sample(skills, rng.randint(1, 2))},
                community=rng.choice([90, 91]),  # nobody in the job's community or street
                street=rng.choice([8, 9]),
                mode=rng.choice(["walk", "bicycle", "ebike", "car"]),
                busy=visits,
                load=rng.randrange(0, 400),
            )
        )
    index = CaregiverIndex(aides, cell_m=700)
    for n in range(40):
        elder = job(
            order_id=n,
            location=at(rng.uniform(-9000, 9000), rng.uniform(-9000, 9000)),
            window=w(f"{rng.randrange(8, 15):02d}:00", f"{rng.randrange(15, 17):02d}:00"),
            skills={rng.choice(skills): rng.randint(1, 4)},
            previous={rng.randrange(1, 301): rng.randint(1, 5)} if n % 3 == 0 else {},
            duration=rng.choice([30, 60, 90]),
        )
        pruned = choose(elder, index, travel)
        full = choose(elder, aides, NoBound(travel))
        assert pruned.winner == full.winner
        assert pruned.considered == full.considered
        assert pruned.tier == full.tier
        assert pruned.examined <= full.examined
