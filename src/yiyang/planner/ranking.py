"""Score of a feasible caregiver for a job: travel, current load and continuity (lower wins)."""

from __future__ import annotations

from dataclasses import dataclass

from yiyang.planner.feasibility import Slot, minutes_of
from yiyang.planner.types import Candidate, CaregiverState, Job

# Reason codes attached to candidates (explain.py turns them into sentences).
CONTINUITY = "continuity"
SHORTEST_TRAVEL = "shortest_travel"
LIGHTEST_LOAD = "lightest_load"
EARLIEST_START = "earliest_start"
TIE_BREAK = "tie_break"


@dataclass(frozen=True)
class Weights:
    """Weights of the score, all in minutes of travel so they can be compared.

    score = travel x travel cost + load x share of capacity used
            + wait x minutes after the window opens - continuity bonus
    continuity bonus = continuity (served this elder before) + per_visit x min(visits - 1, cap)
    reach = the longest trip (minutes) that settles the search in a nearer tier (see choose)
    Load and wait are light: on the benchmark day heavier ones sent caregivers farther for
    little balance (docs/benchmarks.md, "Dispatch").
    """

    travel: float = 1.0
    load: float = 3.0
    wait: float = 0.005
    continuity: float = 5.0
    continuity_per_visit: float = 1.0
    continuity_cap: int = 4
    reach: float = 10.0

    def continuity_bonus(self, visits: int) -> float:
        """Minutes of travel that having served the elder `visits` times is worth."""
        if visits <= 0:
            return 0.0
        return self.continuity + self.continuity_per_visit * min(visits - 1, self.continuity_cap)

    def max_bonus(self) -> float:
        """The largest continuity bonus any caregiver can get."""
        return self.continuity + self.continuity_per_visit * self.continuity_cap


def travel_cost(slot: Slot) -> float:
    """Minutes the visit costs: the trip in, or the detour it adds between visits if larger.

    Never less than the trip in, so a distance bound on the trip bounds the whole score.
    """
    return max(slot.travel_min, slot.detour_min)


def score(c: CaregiverState, job: Job, slot: Slot, weights: Weights) -> float:
    """The caregiver's score for the job at this slot; lower is better."""
    load_share = c.load_minutes / c.capacity_minutes if c.capacity_minutes > 0 else 1.0
    wait = max(0.0, minutes_of(slot.start) - minutes_of(job.window.start))
    visits = job.previous_caregivers.get(c.staff_id, 0)
    return (
        weights.travel * travel_cost(slot)
        + weights.load * load_share
        + weights.wait * wait
        - weights.continuity_bonus(visits)
    )


def rank_key(cand: Candidate) -> tuple[float, float, object, int]:
    """Deterministic order: score, then less travel, then earlier start, then lower staff id."""
    return (cand.score, cand.travel_min, cand.start, cand.staff_id)
