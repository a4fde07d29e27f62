"""Choose a caregiver for a job: community first, then street, then the whole district."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from yiyang.planner.feasibility import REASONS, SKILL, Slot, check_all
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.ranking import (
    CONTINUITY,
    EARLIEST_START,
    LIGHTEST_LOAD,
    SHORTEST_TRAVEL,
    TIE_BREAK,
    Weights,
    rank_key,
    score,
)
from yiyang.planner.types import Candidate, CaregiverState, Decision, Job, TravelModel

COMMUNITY, STREET, DISTRICT = "community", "street", "district"
TIERS = (COMMUNITY, STREET, DISTRICT)
# Extra codes in Decision.rejected / unplaceable_reason besides feasibility.REASONS.
FARTHER = "farther"  # not examined: nobody that far could beat the k candidates found
BEYOND_REACH = "beyond_reach"  # feasible in a nearer tier but too far, so the search widened
NO_CAREGIVERS = "no_caregivers"
BAD_WINDOW = "window"


def choose(
    job: Job,
    caregivers: Iterable[CaregiverState] | CaregiverIndex,
    travel: TravelModel,
    *,
    k: int = 5,
    weights: Weights | None = None,
    tiers: tuple[str, ...] = TIERS,
) -> Decision:
    """Rank feasible caregivers tier by tier and pick the best; never fails silently.

    A tier settles the search only if someone found so far is within `weights.reach` minutes
    of travel; otherwise the search widens and the best on score among all tiers seen wins.
    Each caregiver is scored at the gap of its day where the job costs least, not the first.

    `tiers` may stop the escalation early (e.g. community and street only) for comparisons.
    """
    weights = weights or Weights()
    index = caregivers if isinstance(caregivers, CaregiverIndex) else CaregiverIndex(caregivers)
    rejected: Counter[str] = Counter()
    if job.window.end < job.window.start or job.duration_min <= 0:
        return Decision(job, None, (), {}, None, BAD_WINDOW)
    if len(index) == 0:
        return Decision(job, None, (), {}, None, NO_CAREGIVERS)
    skilled = index.skilled(job.required_skills)
    seen: set[int] = set()
    examined = 0
    kept: list[Candidate] = []
    for tier in tiers:
        if tier == COMMUNITY:
            # Former caregivers of the elder count as local: they already serve this home.
            former = {sid for sid in job.previous_caregivers if sid in index}
            pool = index.community(job.community_id) | former
        elif tier == STREET:
            pool = index.street(job.street_id) - seen
        else:
            pool = index.ids() - seen
        seen |= pool
        able = pool & skilled
        if len(pool) > len(able):
            rejected[SKILL] += len(pool) - len(able)
        if tier == DISTRICT and hasattr(travel, "lower_bound"):
            found, n = _search_rings(job, index, able, travel, weights, k, rejected)
        else:
            found, n = _evaluate(job, index, sorted(able), travel, weights, tier, rejected)
        examined += n
        kept += found
        if not kept:
            continue
        if tier != tiers[-1] and min(c.travel_min for c in kept) > weights.reach:
            # Nobody this near is within reach: widen, and let them compete with the farther.
            rejected[BEYOND_REACH] += len(found)
            continue
        ranked = _with_reasons(sorted(kept, key=rank_key)[:k], weights)
        winner = ranked[0]
        return Decision(job, winner, tuple(ranked), dict(rejected), winner.tier, None, examined)
    return Decision(job, None, (), dict(rejected), None, _why_not(rejected, skilled), examined)


def _evaluate(
    job: Job,
    index: CaregiverIndex,
    staff_ids: Iterable[int],
    travel: TravelModel,
    weights: Weights,
    tier: str,
    rejected: Counter[str],
) -> tuple[list[Candidate], int]:
    """Check every caregiver given; return the feasible ones as candidates and how many."""
    found: list[Candidate] = []
    n = 0
    for sid in staff_ids:
        c = index.get(sid)
        n += 1
        result = check_all(c, job, travel)
        if isinstance(result, str):
            rejected[result] += 1
        else:
            best = min(result, key=lambda slot: score(c, job, slot, weights))
            found.append(_candidate(c, job, best, tier, weights))
    return found, n


def _search_rings(
    job: Job,
    index: CaregiverIndex,
    able: set[int],
    travel: TravelModel,
    weights: Weights,
    k: int,
    rejected: Counter[str],
) -> tuple[list[Candidate], int]:
    """District tier: examine caregivers ring by ring outward, stop when nobody farther can win.

    A caregiver's travel is from its home or one of its visits, all of which are indexed, so
    a ring's distance bounds the travel (and, weights being non-negative, the score) of
    everyone not yet reached. Former caregivers of the elder are examined up front because
    their continuity bonus could outweigh distance.
    """
    lower_bound = travel.lower_bound  # type: ignore[attr-defined]
    first = sorted(sid for sid in job.previous_caregivers if sid in able)
    found, n = _evaluate(job, index, first, travel, weights, DISTRICT, rejected)
    done = set(first)
    for distance, members in index.rings(job.location):
        if len(found) >= k and len(done) < len(able):
            kth = sorted(found, key=rank_key)[k - 1].score
            if kth < weights.travel * lower_bound(distance):
                break
        batch = sorted((members & able) - done)
        more, m = _evaluate(job, index, batch, travel, weights, DISTRICT, rejected)
        found += more
        n += m
        done.update(batch)
    if len(done) < len(able):
        rejected[FARTHER] += len(able) - len(done)
    return found, n


def _candidate(c: CaregiverState, job: Job, slot: Slot, tier: str, weights: Weights) -> Candidate:
    load_share = c.load_minutes / c.capacity_minutes if c.capacity_minutes > 0 else 1.0
    return Candidate(
        staff_id=c.staff_id,
        provider_id=c.provider_id,
        tier=tier,
        travel_min=round(slot.travel_min, 1),
        start=slot.start,
        score=round(score(c, job, slot, weights), 6),
        reasons=(),
        load_share=round(load_share, 4),
        visits_before=job.previous_caregivers.get(c.staff_id, 0),
    )


def _with_reasons(ranked: list[Candidate], weights: Weights) -> list[Candidate]:
    """Attach to each candidate the codes of what it is best at among those considered."""
    least_travel = min(c.travel_min for c in ranked)
    least_load = min(c.load_share for c in ranked)
    earliest = min(c.start for c in ranked)
    out = []
    for i, c in enumerate(ranked):
        codes = []
        if c.visits_before > 0 and weights.continuity_bonus(c.visits_before) > 0:
            codes.append(CONTINUITY)
        if c.travel_min == least_travel:
            codes.append(SHORTEST_TRAVEL)
        if c.load_share == least_load:
            codes.append(LIGHTEST_LOAD)
        if c.start == earliest:
            codes.append(EARLIEST_START)
        if i == 0 and len(ranked) > 1 and ranked[1].score == c.score:
            codes.append(TIE_BREAK)
        out.append(replace(c, reasons=tuple(codes)))
    return out


def _why_not(rejected: Counter[str], skilled: set[int]) -> str:
    """The one reason an unplaceable job reports: no skill at all, else the commonest cause."""
    if not skilled:
        return SKILL
    causes = [(rejected.get(r, 0), -i, r) for i, r in enumerate(REASONS) if r != SKILL]
    count, _, reason = max(causes)
    return reason if count else SKILL
