"""Re-plan a whole day's movable visits at once with VROOM, for shorter rounds.

Automatic dispatch places each order on its own as it arrives; by the evening before, the
day's orders are known together and a vehicle-routing solver can chain them into rounds that
travel less. Visits that may not move (started, pinned, too close in time) stay with their
caregiver at their planned start, as jobs only that caregiver can do at that exact time.
Skills with levels, shifts (gaps between shifts become breaks), daily capacity and refusals
(`Job.excluded`) are all encoded as VROOM constraints, so every plan it returns is one the
one-order feasibility check would also accept.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import vroom

from yiyang.planner.choose import choose
from yiyang.planner.feasibility import from_minutes, minutes_of, with_visit
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import CaregiverState, Job, Point, TravelModel

# VROOM serves as many priority points as it can before it saves travel: fixed visits first,
# then the jobs someone holds now (the current plan proves they fit), then waiting ones.
FIXED_PRIORITY = 100
HELD_PRIORITY = 50
WAITING_PRIORITY = 10
_FIXED_BASE = 1 << 40  # ids of fixed visits, above any order id
_BREAK_BASE = 1 << 20


@dataclass(frozen=True)
class Placement:
    """Where the day plan puts one order: caregiver, start and the leg travelled to it."""

    order_id: int
    staff_id: int
    provider_id: int
    start: datetime
    travel_min: float


@dataclass(frozen=True)
class DayPlan:
    """The solver's plan for the movable orders, and the orders it could not place."""

    placements: Mapping[int, Placement]
    unplaced: frozenset[int]
    travel_min: float  # every leg of every round, fixed visits included, no way back
    visits: int  # visits in all rounds, fixed included
    seconds: float = 0.0


@dataclass
class _Encoder:
    """Ids for VROOM: locations per point, skills per (skill, level) and per exclusion."""

    points: list[Point] = field(default_factory=list)
    _point_ids: dict[Point, int] = field(default_factory=dict)
    _skill_ids: dict[tuple[str, int], int] = field(default_factory=dict)

    def location(self, p: Point) -> int:
        """The matrix index of a point, added on first use."""
        if p not in self._point_ids:
            self._point_ids[p] = len(self.points)
            self.points.append(p)
        return self._point_ids[p]

    def skill(self, name: str, level: int) -> int:
        """The VROOM skill for holding `name` at `level` or higher."""
        return self._skill_ids.setdefault((name, level), len(self._skill_ids) + 1)


def plan_day(
    caregivers: Sequence[CaregiverState],
    movable: Sequence[Job],
    travel: StraightLineTravel,
    *,
    current: Mapping[int, int] | None = None,
    exploration_level: int = 3,
    threads: int = 2,
    max_jobs: int = 300,
    max_caregivers: int = 100,
    settled: Mapping[int, float] | None = None,
    settled_within_min: float = 0.0,
    max_changes: int | None = None,
) -> DayPlan:
    """Re-plan the movable jobs street by street with VROOM, then place leftovers one by one.

    One solve over a whole district takes minutes; the caregivers of one street (home
    facility) with the jobs they hold now (`current`: order id -> staff id; unheld jobs go to
    the elder's street) solve in well under a second each and keep the escalations dispatch
    made. A job held by a caregiver who served the elder before stays with that caregiver
    (continuity outranks travel, as in dispatch) though its time may move. Jobs a street could
    not fit are then placed by `choose` into the new rounds.
    `settled` (order id -> minutes of its current trip in) keeps held jobs whose trip is at
    most `settled_within_min` with their caregiver too: fewer changes, at a cost in travel.
    `max_changes` caps how many held jobs change caregiver: when the plan changes more, the
    changes that save most travel (trip in now, from `settled`, minus the planned trip) are
    kept and every other held job stays with its caregiver in a second solve.
    `caregivers` carry their fixed visits in `busy`/`busy_points` (movable ones left out) and
    `load_minutes` counting them; jobs carry their start windows, skills and exclusions.
    """
    started = time.perf_counter()
    current = current or {}
    street_of = {c.staff_id: c.street_id for c in caregivers}
    home = {
        job.order_id: street_of.get(current.get(job.order_id, -1), job.street_id) for job in movable
    }
    crew_size = Counter(c.street_id for c in caregivers)
    group = _group_streets(movable, home, crew_size, max_jobs, max_caregivers)
    crews: dict[int | None, list[CaregiverState]] = defaultdict(list)
    for c in caregivers:
        crews[group.get(c.street_id, c.street_id)].append(c)
    loads: dict[int | None, list[Job]] = defaultdict(list)
    for job in movable:
        street = home[job.order_id]
        loads[group.get(street, street)].append(job)
    near = {o for o, leg in (settled or {}).items() if leg <= settled_within_min}
    kept = {
        job.order_id: current[job.order_id]
        for job in movable
        if job.order_id in current
        and (current[job.order_id] in job.previous_caregivers or job.order_id in near)
    }
    plan = _solve(
        caregivers, movable, travel, current, crews, loads, kept, exploration_level, threads
    )
    changed = changes(plan, current)
    if max_changes is not None and len(changed) > max_changes:
        legs = settled or {}
        by_saving = sorted(
            changed, key=lambda o: (plan.placements[o].travel_min - legs.get(o, 0.0), o)
        )
        best = set(by_saving[: max(0, max_changes)])
        held = {o: current[o] for o in (j.order_id for j in movable) if o in current}
        kept = {o: staff for o, staff in held.items() if o not in best}
        plan = _solve(
            caregivers, movable, travel, current, crews, loads, kept, exploration_level, threads
        )
    return replace(plan, seconds=time.perf_counter() - started)


def changes(plan: DayPlan, current: Mapping[int, int]) -> list[int]:
    """Held orders the plan gives to another caregiver."""
    return sorted(
        o for o, p in plan.placements.items() if o in current and current[o] != p.staff_id
    )


def _solve(
    caregivers: Sequence[CaregiverState],
    movable: Sequence[Job],
    travel: StraightLineTravel,
    current: Mapping[int, int],
    crews: Mapping[int | None, list[CaregiverState]],
    loads: Mapping[int | None, list[Job]],
    kept: Mapping[int, int],
    exploration_level: int,
    threads: int,
) -> DayPlan:
    """One pass: each street's crew solved with VROOM, then leftovers placed by `choose`."""
    placements: dict[int, Placement] = {}
    for street, crew in crews.items():
        if loads.get(street):
            found = solve_rounds(
                crew, loads[street], travel, current, kept, exploration_level, threads
            )
            placements.update(found)
    by_id = {job.order_id: job for job in movable}
    index = CaregiverIndex(with_placements(caregivers, placements.values(), by_id))
    for job in movable:
        if job.order_id in placements:
            continue
        decision = choose(job, index, travel)
        if decision.winner is not None:
            w = decision.winner
            index.put(with_visit(index.get(w.staff_id), job, w.start))
            placements[job.order_id] = Placement(
                job.order_id, w.staff_id, w.provider_id, w.start, round(w.travel_min, 1)
            )
    travel_min, visits = round_travel(index, travel)
    return DayPlan(
        placements=placements,
        unplaced=frozenset(by_id) - placements.keys(),
        travel_min=travel_min,
        visits=visits,
    )


def _group_streets(
    jobs: Sequence[Job],
    home: Mapping[int, int | None],
    crew_size: Mapping[int | None, int],
    max_jobs: int,
    max_caregivers: int,
) -> dict[int | None, int | None]:
    """Streets solved together: those most linked by jobs served across them, within caps.

    A job held from another street can only come back to its own if both streets' crews are
    in one solve; merging the most linked pairs first covers most escalations, which go to
    neighbouring streets. Solving time grows with jobs times caregivers, hence both caps.
    """
    parent: dict[int | None, int | None] = {}
    size: Counter[int | None] = Counter(home.values())
    crews: Counter[int | None] = Counter(crew_size)

    def root(s: int | None) -> int | None:
        while parent.get(s, s) != s:
            s = parent[s]
        return s

    links = Counter(
        tuple(sorted((home[j.order_id], j.street_id), key=str))
        for j in jobs
        if home[j.order_id] != j.street_id
    )
    for (a, b), _ in links.most_common():
        ra, rb = root(a), root(b)
        if ra != rb and size[ra] + size[rb] <= max_jobs and crews[ra] + crews[rb] <= max_caregivers:
            parent[rb] = ra
            size[ra] += size.pop(rb, 0)
            crews[ra] += crews.pop(rb, 0)
    return {s: root(s) for s in {*home.values(), *(j.street_id for j in jobs)}}


def with_placements(
    caregivers: Iterable[CaregiverState], placements: Iterable[Placement], jobs: Mapping[int, Job]
) -> list[CaregiverState]:
    """The caregivers' days with the planned visits committed."""
    days = {c.staff_id: c for c in caregivers}
    for p in placements:
        days[p.staff_id] = with_visit(days[p.staff_id], jobs[p.order_id], p.start)
    return list(days.values())


def round_travel(caregivers: Iterable[CaregiverState], travel: TravelModel) -> tuple[float, int]:
    """Minutes of every leg of every caregiver's round (home, then visits in time order)."""
    total, visits = 0.0, 0
    for c in caregivers:
        where = c.home
        for _, point in sorted(zip(c.busy, c.busy_points, strict=True), key=lambda b: b[0].start):
            total += travel.minutes(where, point, c.travel_mode)
            where = point
            visits += 1
    return total, visits


def solve_rounds(
    caregivers: Sequence[CaregiverState],
    movable: Sequence[Job],
    travel: StraightLineTravel,
    held: Mapping[int, int],
    kept: Mapping[int, int],
    exploration_level: int = 3,
    threads: int = 2,
) -> dict[int, Placement]:
    """One VROOM solve: the movable jobs into these caregivers' rounds around fixed visits.

    `held` jobs (order id -> staff id now) go before waiting ones; `kept` ones are tied to
    that one caregiver while their time stays free.
    """
    origin = min(job.window.start for job in movable) - timedelta(hours=24)
    t0 = minutes_of(origin)

    def sec(moment: datetime) -> int:
        return round((minutes_of(moment) - t0) * 60)

    enc = _Encoder()
    problem = vroom.Input()
    exclusions = {job.order_id: job.excluded for job in movable if job.excluded}
    excluded_skill = {order_id: enc.skill(f"order:{order_id}", 1) for order_id in exclusions}
    by_vehicle: dict[int, CaregiverState] = {}
    fixed_jobs: list[vroom.Job] = []
    vehicles: list[vroom.Vehicle] = []
    for vid, c in enumerate(caregivers, start=1):
        if not c.shifts:
            continue
        by_vehicle[vid] = c
        own = enc.skill(f"staff:{c.staff_id}", 1)
        skills = {own} | {
            enc.skill(name, lvl) for name, level in c.skills.items() for lvl in range(1, level + 1)
        }
        skills |= {s for oid, s in excluded_skill.items() if c.staff_id not in exclusions[oid]}
        span_start, span_end = c.shifts[0].start, c.shifts[-1].end
        breaks = [
            vroom.Break(
                _BREAK_BASE + vid * 16 + n,
                time_windows=[vroom.TimeWindow(sec(a.end), sec(a.end))],
                service=sec(b.start) - sec(a.end),
            )
            for n, (a, b) in enumerate(zip(c.shifts, c.shifts[1:], strict=False))
        ]
        fixed_minutes = 0
        for w, p in zip(c.busy, c.busy_points, strict=True):
            if not span_start <= w.start < span_end:
                continue  # a visit outside this day's shifts cannot collide with the plan
            minutes = round((w.end - w.start).total_seconds() / 60)
            fixed_minutes += minutes
            fixed_jobs.append(
                vroom.Job(
                    _FIXED_BASE + len(fixed_jobs),
                    location=enc.location(p),
                    default_service=minutes * 60,
                    delivery=[minutes],
                    skills={own},
                    priority=FIXED_PRIORITY,
                    time_windows=[vroom.TimeWindow(sec(w.start), sec(w.start))],
                )
            )
        capacity = max(0, c.capacity_minutes - c.load_minutes + fixed_minutes)
        vehicles.append(
            vroom.Vehicle(
                vid,
                start=enc.location(c.home),
                profile=c.travel_mode,
                capacity=[capacity],
                skills=skills,
                time_window=vroom.TimeWindow(sec(span_start), sec(span_end)),
                breaks=breaks,
            )
        )
    jobs = [
        vroom.Job(
            job.order_id,
            location=enc.location(job.location),
            default_service=job.duration_min * 60,
            delivery=[job.duration_min],
            skills={enc.skill(n, lvl) for n, lvl in job.required_skills.items()}
            | ({excluded_skill[job.order_id]} if job.order_id in excluded_skill else set())
            | ({enc.skill(f"staff:{kept[job.order_id]}", 1)} if job.order_id in kept else set()),
            priority=HELD_PRIORITY if job.order_id in held else WAITING_PRIORITY,
            time_windows=[vroom.TimeWindow(sec(job.window.start), sec(job.window.end))],
        )
        for job in movable
    ]
    modes = sorted({c.travel_mode for c in by_vehicle.values()})
    for mode in modes:
        problem.set_durations_matrix(mode, travel.seconds_matrix(enc.points, mode))
    problem.add_vehicle(vehicles)
    problem.add_job(jobs + fixed_jobs)
    if not vehicles:
        return {}
    solution = problem.solve(exploration_level=exploration_level, nb_threads=threads)
    return _read(solution, by_vehicle, from_origin=t0)


def _read(
    solution: vroom.Solution, by_vehicle: Mapping[int, CaregiverState], *, from_origin: float
) -> dict[int, Placement]:
    """Placements of the movable orders from VROOM's routes, with the leg travelled to each."""
    placements: dict[int, Placement] = {}
    for vid, steps in solution.routes.groupby("vehicle_id", sort=False):
        c = by_vehicle[int(vid)]
        travelled = 0
        for step in steps.itertuples(index=False):
            leg, travelled = int(step.duration) - travelled, int(step.duration)
            if step.type != "job" or int(step.id) >= _FIXED_BASE:
                continue
            begins = (int(step.arrival) + int(step.waiting_time)) / 60
            placements[int(step.id)] = Placement(
                order_id=int(step.id),
                staff_id=c.staff_id,
                provider_id=c.provider_id,
                start=from_minutes(from_origin + begins),
                travel_min=round(leg / 60, 1),
            )
    return placements
