"""Plain value types the dispatch planner reads and returns; no database, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Protocol

_EMPTY: Mapping[int, int] = MappingProxyType({})


@dataclass(frozen=True)
class Point:
    """A WGS-84 position."""

    lat: float
    lon: float


@dataclass(frozen=True)
class Window:
    """A half-open time interval [start, end) in aware UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class CaregiverState:
    """What the planner knows about one caregiver on the day concerned."""

    staff_id: int
    provider_id: int
    facility_id: int | None
    street_id: int | None
    community_id: int | None
    home: Point  # where the caregiver starts (home facility)
    travel_mode: str  # walk | bicycle | ebike | car
    skills: Mapping[str, int]  # skill -> level 1..5
    shifts: tuple[Window, ...]  # working windows on the day(s) concerned
    busy: tuple[Window, ...] = ()  # already committed visits (service time, not travel)
    busy_points: tuple[Point, ...] = ()  # where each busy window takes place (same order)
    load_minutes: int = 0  # minutes already assigned that day
    capacity_minutes: int = 480  # minutes of service the caregiver may do that day


@dataclass(frozen=True)
class Job:
    """One visit to place: where, when it may start, how long, what skills it needs."""

    order_id: int
    elder_id: int
    location: Point
    street_id: int
    community_id: int
    window: Window  # the elder's time window for the START of service
    duration_min: int
    required_skills: Mapping[str, int]  # skill -> minimum level
    previous_caregivers: Mapping[int, int] = field(default_factory=lambda: _EMPTY)
    excluded: frozenset[int] = frozenset()  # refused / timed out / unavailable


@dataclass(frozen=True)
class Candidate:
    """A feasible caregiver for a job, with its earliest start and score (lower is better)."""

    staff_id: int
    provider_id: int
    tier: str
    travel_min: float
    start: datetime
    score: float
    reasons: tuple[str, ...]
    load_share: float = 0.0  # share of the day's capacity already booked before this job
    visits_before: int = 0  # visits to this elder in the last 30 days


@dataclass(frozen=True)
class Decision:
    """The outcome of placing one job: the winner (or none, with why) and what was weighed."""

    job: Job
    winner: Candidate | None
    considered: tuple[Candidate, ...]  # top-k ranked, winner first
    rejected: Mapping[str, int]  # reason code -> caregivers ruled out for it
    tier: str | None  # "community" | "street" | "district" where the winner was found
    unplaceable_reason: str | None  # reason code when winner is None
    examined: int = 0  # caregivers whose day was actually checked (the index skipped the rest)


class TravelModel(Protocol):
    """Travel time between two points for a travel mode; a routing engine can implement it."""

    def minutes(self, a: Point, b: Point, mode: str) -> float: ...
