"""Every caregiver's fit for one job, for a dispatcher who picks by hand.

choose() stops at the first tier that settles the search and keeps only the best few; a
person picking needs everyone who could do the job, ranked the planner's way, and for the
others the reason they cannot: busy (which a dispatcher may override), off shift, fully
booked or lacking a skill.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from yiyang.planner.choose import COMMUNITY, DISTRICT, STREET, _candidate
from yiyang.planner.feasibility import BUSY, CAPACITY, SHIFT, SKILL, find_slots
from yiyang.planner.ranking import Weights, rank_key, score
from yiyang.planner.types import Candidate, CaregiverState, Job, TravelModel

# How near an unfit caregiver came, nearest first: a busy one can still be assigned by hand.
NEARNESS = (CAPACITY, BUSY, SHIFT, SKILL)


@dataclass(frozen=True)
class Fit:
    """One caregiver against one job.

    `candidate` is the caregiver scored at its best gap whenever the day has room in time
    (also when the day's capacity is exceeded); `reason` is None when the planner itself
    could choose them, else the first of skill, busy, shift, capacity that rules them out.
    """

    staff_id: int
    tier: str
    travel_min: float  # to the job: from the best gap, else from home
    candidate: Candidate | None
    reason: str | None
    load_share: float  # share of the day's capacity already booked
    visits_before: int  # visits to this elder lately (continuity)
    missing: tuple[str, ...] = ()  # required skills not held at the level needed
    refused: bool = False  # refused the order or was unavailable for it before

    @property
    def feasible(self) -> bool:
        """The planner could choose this caregiver (refusals aside)."""
        return self.reason is None


def tier_of(c: CaregiverState, job: Job) -> str:
    """Where the caregiver stands for this elder: former caregivers count as community."""
    if c.community_id == job.community_id or c.staff_id in job.previous_caregivers:
        return COMMUNITY
    if c.street_id == job.street_id:
        return STREET
    return DISTRICT


def fit(c: CaregiverState, job: Job, travel: TravelModel, weights: Weights | None = None) -> Fit:
    """How one caregiver fits the job (refusals are reported, not ruled out)."""
    weights = weights or Weights()
    base = Fit(
        staff_id=c.staff_id,
        tier=tier_of(c, job),
        travel_min=round(travel.minutes(c.home, job.location, c.travel_mode), 1),
        candidate=None,
        reason=None,
        load_share=round(c.load_minutes / c.capacity_minutes, 4) if c.capacity_minutes else 1.0,
        visits_before=job.previous_caregivers.get(c.staff_id, 0),
        refused=c.staff_id in job.excluded,
    )
    missing = tuple(sorted(s for s, lvl in job.required_skills.items() if c.skills.get(s, 0) < lvl))
    if missing:
        return replace(base, reason=SKILL, missing=missing)
    slots = find_slots(c, job, travel)
    if isinstance(slots, str):
        return replace(base, reason=slots)
    best = min(slots, key=lambda slot: score(c, job, slot, weights))
    candidate = _candidate(c, job, best, base.tier, weights)
    full = c.load_minutes + job.duration_min > c.capacity_minutes
    return replace(
        base,
        travel_min=candidate.travel_min,
        candidate=candidate,
        reason=CAPACITY if full else None,
    )


def _order(f: Fit) -> tuple[int, tuple[float, float, object, int]]:
    if f.feasible and f.candidate is not None:
        return (1 if f.refused else 0, rank_key(f.candidate))
    return (2 + NEARNESS.index(f.reason or SKILL), (f.travel_min, 0.0, 0, f.staff_id))


def assess(
    job: Job,
    caregivers: Iterable[CaregiverState],
    travel: TravelModel,
    *,
    weights: Weights | None = None,
) -> list[Fit]:
    """Every caregiver's fit: feasible ones in the planner's ranking, then the nearest misses."""
    weights = weights or Weights()
    return sorted((fit(c, job, travel, weights) for c in caregivers), key=_order)
