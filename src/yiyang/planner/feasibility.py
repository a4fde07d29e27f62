"""Can a caregiver serve a job: skills, exclusion, capacity and a gap in shifts and visits."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from yiyang.planner.types import CaregiverState, Job, Point, TravelModel, Window

# Reason codes for ruling a caregiver out, in the order they are checked.
EXCLUDED = "excluded"
SKILL = "skill"
CAPACITY = "capacity"
SHIFT = "shift"
BUSY = "busy"
REASONS = (EXCLUDED, SKILL, CAPACITY, SHIFT, BUSY)

_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Slot:
    """Where a job fits in a caregiver's day: earliest start and the travel it costs."""

    start: datetime
    travel_min: float  # from the previous visit's place, or home at the start of the shift
    detour_min: float  # travel added to the day: in + out - what the gap already needed


def minutes_of(moment: datetime) -> float:
    """A datetime as minutes since the epoch, for cheap arithmetic."""
    return moment.timestamp() / 60.0


def from_minutes(value: float) -> datetime:
    """Minutes since the epoch back to an aware UTC datetime."""
    return datetime.fromtimestamp(value * 60.0, tz=UTC)


def has_skills(skills: Mapping[str, int], required: Mapping[str, int]) -> bool:
    """Every required skill is held at least at the required level."""
    return all(skills.get(skill, 0) >= level for skill, level in required.items())


def rule_out(c: CaregiverState, job: Job) -> str | None:
    """The reason code that rules a caregiver out before looking at time, or None."""
    if c.staff_id in job.excluded:
        return EXCLUDED
    if not has_skills(c.skills, job.required_skills):
        return SKILL
    if c.load_minutes + job.duration_min > c.capacity_minutes:
        return CAPACITY
    return None


def check(c: CaregiverState, job: Job, travel: TravelModel) -> Slot | str:
    """The earliest slot where the caregiver can serve the job, or the reason code why not."""
    reason = rule_out(c, job)
    if reason is not None:
        return reason
    return find_slot(c, job, travel)


def find_slot(c: CaregiverState, job: Job, travel: TravelModel) -> Slot | str:
    """Earliest start within the job window that fits shifts, visits and travel between them."""
    found = find_slots(c, job, travel, first_only=True)
    return found[0] if isinstance(found, list) else found


def check_all(c: CaregiverState, job: Job, travel: TravelModel) -> list[Slot] | str:
    """Every gap of the caregiver's day where the job fits (earliest start in each), or why not."""
    reason = rule_out(c, job)
    if reason is not None:
        return reason
    return find_slots(c, job, travel)


def find_slots(
    c: CaregiverState, job: Job, travel: TravelModel, *, first_only: bool = False
) -> list[Slot] | str:
    """The earliest start in each gap that fits, in time order, or the reason code why none."""
    ws, we = minutes_of(job.window.start), minutes_of(job.window.end)
    dur = float(job.duration_min)
    busy = sorted(
        (
            (minutes_of(w.start), minutes_of(w.end), p)
            for w, p in zip(c.busy, _points(c), strict=True)
        ),
        key=lambda b: (b[0], b[1]),  # two visits booked at one time (a dispatcher's override)
    )
    here, mode = job.location, c.travel_mode
    reason = SHIFT
    slots: list[Slot] = []
    for shift in c.shifts:
        s0, s1 = minutes_of(shift.start), minutes_of(shift.end)
        if s1 - dur < ws - _EPS or s0 > we + _EPS:
            continue  # the service cannot start inside the job window within this shift
        # Anchors: (free from, at point) then (free until, next point or None at shift end).
        inside = [b for b in busy if b[1] > s0 and b[0] < s1]
        prev_end, prev_pt = s0, c.home
        gaps: list[tuple[float, Point, float, Point | None]] = []
        for b0, b1, bp in inside:
            gaps.append((prev_end, prev_pt, b0, bp))
            if b1 > prev_end:
                prev_end, prev_pt = b1, bp
        gaps.append((prev_end, prev_pt, s1, None))
        home_in = travel.minutes(c.home, here, mode)
        if max(ws, s0 + home_in) <= min(we, s1 - dur) + _EPS:
            reason = BUSY  # the shift alone would have fitted; visits are in the way
        for pe, pp, ns, np in gaps:
            if ns - pe < dur or ns - dur < ws - _EPS or pe > we + _EPS:
                continue
            t_in = home_in if pp is c.home else travel.minutes(pp, here, mode)
            t_out = travel.minutes(here, np, mode) if np is not None else 0.0
            earliest = math.ceil(max(ws, pe + t_in) - _EPS)  # whole minutes
            latest = min(we, ns - dur - t_out)
            if earliest <= latest + _EPS:
                base = travel.minutes(pp, np, mode) if np is not None else 0.0
                slots.append(Slot(from_minutes(earliest), t_in, t_in + t_out - base))
                if first_only:
                    return slots
    return slots or reason


def _points(c: CaregiverState) -> tuple[Point, ...]:
    """Busy points aligned with busy windows (home stands in for any missing point)."""
    if len(c.busy_points) == len(c.busy):
        return c.busy_points
    return tuple(c.busy_points[i] if i < len(c.busy_points) else c.home for i in range(len(c.busy)))


def with_visit(c: CaregiverState, job: Job, start: datetime) -> CaregiverState:
    """The caregiver's state after committing the job at `start` (busy window, point, load)."""
    window = Window(start, start + timedelta(minutes=job.duration_min))
    pairs = sorted(zip(c.busy, _points(c), strict=True), key=lambda wp: wp[0].start)
    at = bisect_right([w.start for w, _ in pairs], start)
    pairs.insert(at, (window, job.location))
    return replace(
        c,
        busy=tuple(w for w, _ in pairs),
        busy_points=tuple(p for _, p in pairs),
        load_minutes=c.load_minutes + job.duration_min,
    )
