"""Day plan: VROOM rounds respect skills, windows, shifts, fixed visits, refusals and capacity."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from tests.planner.helpers import TRAVEL, at, cg, job, t, w
from yiyang.planner.choose import choose
from yiyang.planner.day_plan import DayPlan, changes, plan_day, round_travel
from yiyang.planner.feasibility import has_skills, with_visit
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.types import CaregiverState, Job

SLACK = timedelta(seconds=59)  # the solver works in whole seconds, the checks in minutes


def assert_feasible(caregivers: Sequence[CaregiverState], jobs: Sequence[Job], plan: DayPlan):
    """Every round: skills, refusals, start windows, shifts, travel between visits, capacity."""
    by_staff = {c.staff_id: c for c in caregivers}
    by_order = {j.order_id: j for j in jobs}
    rounds: dict[int, list] = defaultdict(list)
    for c in caregivers:
        for window, point in zip(c.busy, c.busy_points, strict=True):
            rounds[c.staff_id].append((window.start, window.end, point))
    for p in plan.placements.values():
        c, j = by_staff[p.staff_id], by_order[p.order_id]
        assert has_skills(c.skills, j.required_skills), (p, c.skills)
        assert c.staff_id not in j.excluded
        assert j.window.start - SLACK <= p.start <= j.window.end + SLACK, p
        end = p.start + timedelta(minutes=j.duration_min)
        assert any(s.start - SLACK <= p.start and end <= s.end + SLACK for s in c.shifts), p
        rounds[c.staff_id].append((p.start, end, j.location))
    for staff_id, visits in rounds.items():
        c = by_staff[staff_id]
        booked = sum((b - a).total_seconds() / 60 for a, b, _ in visits)
        assert booked <= c.capacity_minutes + 1
        visits.sort(key=lambda v: v[0])
        where, free = c.home, c.shifts[0].start
        for start, end, point in visits:
            leg = timedelta(minutes=TRAVEL.minutes(where, point, c.travel_mode))
            assert start + SLACK >= free + leg, (staff_id, visits)
            where, free = point, end


def greedy(
    caregivers: Sequence[CaregiverState], jobs: Sequence[Job]
) -> tuple[dict[int, int], float]:
    """One-by-one dispatch of the jobs: order id -> staff id, and its round travel."""
    index = CaregiverIndex(caregivers)
    held = {}
    for j in jobs:
        d = choose(j, index, TRAVEL)
        if d.winner is not None:
            index.put(with_visit(index.get(d.winner.staff_id), j, d.winner.start))
            held[j.order_id] = d.winner.staff_id
    return held, round_travel(index, TRAVEL)[0]


def test_rounds_chain_neighbours_instead_of_crossing() -> None:
    # Two caregivers 2 km apart, two elders by each. Arriving in a bad order, dispatch sends
    # each caregiver once across; the day plan keeps each on its own side.
    west, east = cg(1, home=at(east_m=-1000)), cg(2, home=at(east_m=1000))
    jobs = [
        job(order_id=1, location=at(east_m=-900), window=w("09:00", "12:00"), duration=30),
        job(order_id=2, location=at(east_m=900), window=w("09:00", "12:00"), duration=30),
        job(order_id=3, location=at(east_m=950), window=w("09:00", "12:00"), duration=30),
        job(order_id=4, location=at(east_m=-950), window=w("09:00", "12:00"), duration=30),
    ]
    plan = plan_day([west, east], jobs, TRAVEL, current={1: 2, 2: 1, 3: 1, 4: 2})
    assert plan.unplaced == frozenset()
    assert {o: p.staff_id for o, p in plan.placements.items()} == {1: 1, 4: 1, 2: 2, 3: 2}
    assert_feasible([west, east], jobs, plan)
    assert plan.visits == 4
    assert plan.travel_min < 5  # two short walks out and two hops of 50 m, at least 1 min each


def test_fixed_visits_stay_and_new_ones_fit_around_them() -> None:
    fixed = (w("10:00", "11:00"), at(north_m=500))
    c = cg(1, busy=(fixed,), load=60)
    jobs = [job(order_id=1, window=w("09:30", "11:30"), duration=60)]
    plan = plan_day([c], jobs, TRAVEL)
    start = plan.placements[1].start
    assert start >= t("11:05") or start + timedelta(minutes=60) <= t("09:55")
    assert_feasible([c], jobs, plan)
    assert plan.visits == 2  # the fixed visit counts in the round's travel


def test_levels_refusals_capacity_and_shift_gaps_are_constraints() -> None:
    low = cg(1, skills={"bathing": 1})
    refused = cg(2, skills={"bathing": 3})
    full = cg(3, skills={"bathing": 3}, load=450, capacity=480)
    split = cg(4, skills={"bathing": 3}, shifts=(w("08:00", "09:00"), w("13:00", "17:00")))
    jobs = [
        job(order_id=1, skills={"bathing": 2}, window=w("09:00", "15:00"), excluded=frozenset({2}))
    ]
    plan = plan_day([low, refused, full, split], jobs, TRAVEL)
    placed = plan.placements[1]
    assert placed.staff_id == 4 and placed.start >= t("13:00")
    assert_feasible([low, refused, full, split], jobs, plan)


def test_jobs_nobody_can_do_are_reported_unplaced() -> None:
    jobs = [job(order_id=1, skills={"nursing": 1}), job(order_id=2)]
    plan = plan_day([cg(1)], jobs, TRAVEL)
    assert plan.unplaced == frozenset({1})
    assert set(plan.placements) == {2}


def test_random_day_is_feasible_serves_no_fewer_and_travels_less() -> None:
    rng = random.Random(7)
    streets = (1, 2, 3)
    caregivers = [
        cg(
            n,
            home=at(rng.uniform(-3000, 3000), rng.uniform(-3000, 3000)),
            skills=rng.choice(({"bathing": 3}, {"cleaning": 2}, {"bathing": 1, "cleaning": 3})),
            street=rng.choice(streets),
            mode=rng.choice(("walk", "car")),
            shifts=(w("08:00", "12:00"), w("13:00", "17:00")) if n % 3 == 0 else None,
        )
        for n in range(1, 13)
    ]
    jobs = []
    for n in range(1, 61):
        first = rng.choice(("08:00", "09:00", "10:00", "13:00", "14:00", "15:00"))
        start = t(first)
        jobs.append(
            job(
                order_id=n,
                location=at(rng.uniform(-3000, 3000), rng.uniform(-3000, 3000)),
                skills=rng.choice(({"bathing": 2}, {"cleaning": 1})),
                street=rng.choice(streets),
                duration=rng.choice((30, 45, 60)),
                window=w(first, (start + timedelta(hours=2)).strftime("%H:%M")),
                excluded=frozenset({rng.randint(1, 12)}) if n % 7 == 0 else frozenset(),
            )
        )
    held, greedy_travel = greedy(caregivers, jobs)
    plan = plan_day(caregivers, jobs, TRAVEL, current=held)
    assert_feasible(caregivers, jobs, plan)
    assert len(plan.placements) >= len(held)
    assert plan.travel_min / plan.visits < greedy_travel / len(held)


def test_a_former_caregiver_keeps_the_elder_though_another_is_nearer() -> None:
    near, former = cg(1, home=at(east_m=100)), cg(2, home=at(east_m=2000))
    regular = job(order_id=1, location=at(), previous={2: 3}, duration=30)
    plan = plan_day([near, former], [regular], TRAVEL, current={1: 2})
    assert plan.placements[1].staff_id == 2
    # Without a history the nearer caregiver takes it.
    plain = job(order_id=1, location=at(), duration=30)
    assert plan_day([near, former], [plain], TRAVEL, current={1: 2}).placements[1].staff_id == 1


def test_a_job_served_from_another_street_comes_home_when_its_street_has_room() -> None:
    here = cg(1, home=at(east_m=-2000), street=1)
    there = cg(2, home=at(east_m=2000), street=2)
    escalated = job(order_id=1, location=at(east_m=2100), street=2, duration=30)
    plan = plan_day([here, there], [escalated], TRAVEL, current={1: 1})
    assert plan.placements[1].staff_id == 2
    # With no room to share a solve, each street keeps what it holds.
    alone = plan_day([here, there], [escalated], TRAVEL, current={1: 1}, max_jobs=0)
    assert alone.placements[1].staff_id == 1


def test_a_settled_short_trip_keeps_its_caregiver_when_asked() -> None:
    near, far = cg(1, home=at(east_m=100)), cg(2, home=at(east_m=600))
    j = job(order_id=1, location=at(), duration=30)
    moved = plan_day([near, far], [j], TRAVEL, current={1: 2})
    assert moved.placements[1].staff_id == 1  # six minutes' walk become one
    calm = plan_day(
        [near, far], [j], TRAVEL, current={1: 2}, settled={1: 6.0}, settled_within_min=8
    )
    assert calm.placements[1].staff_id == 2


def test_a_cap_on_changes_keeps_the_changes_that_save_most() -> None:
    # Three elders each held by a far caregiver whose own near caregiver is free.
    carers = [cg(i, home=at(east_m=e)) for i, e in ((1, 100), (2, 3100), (3, 6100))]
    far = [cg(10 + i, home=at(east_m=e + 1800 * i)) for i, e in ((1, 0), (2, 3000), (3, 6000))]
    jobs = [job(order_id=i, location=at(east_m=3000 * (i - 1)), duration=30) for i in (1, 2, 3)]
    current = {1: 11, 2: 12, 3: 13}
    legs = {1: 18.0, 2: 36.0, 3: 54.0}  # the farther the caregiver held now, the more it saves
    free = plan_day(carers + far, jobs, TRAVEL, current=current, settled=legs)
    assert len(changes(free, current)) == 3
    capped = plan_day(carers + far, jobs, TRAVEL, current=current, settled=legs, max_changes=1)
    assert changes(capped, current) == [3]  # the one saving most
    assert capped.placements[1].staff_id == 11 and capped.placements[2].staff_id == 12
    assert_feasible(carers + far, jobs, capped)
    none = plan_day(carers + far, jobs, TRAVEL, current=current, settled=legs, max_changes=0)
    assert changes(none, current) == []
