"""Builders of planner inputs for tests: points by metres, windows by clock time, caregivers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from yiyang.kit.geo import EARTH_RADIUS_M
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import CaregiverState, Job, Point, Window

ORIGIN = Point(34.7800, 113.6800)  # near 北林路, Jinshui
DAY = datetime(2026, 3, 2, tzinfo=UTC)
# 100 m a minute walking, 1 km a minute by car, no road factor: minutes are easy to read.
TRAVEL = StraightLineTravel(road_factor=1.0, speed_kmh={"walk": 6.0, "car": 60.0}, min_minutes=0)
_DEG_M = EARTH_RADIUS_M * math.pi / 180


def at(north_m: float = 0.0, east_m: float = 0.0) -> Point:
    """A point this many metres north and east of ORIGIN."""
    lat = ORIGIN.lat + north_m / _DEG_M
    lon = ORIGIN.lon + east_m / (_DEG_M * math.cos(math.radians(ORIGIN.lat)))
    return Point(lat, lon)


def t(hhmm: str) -> datetime:
    """A time on DAY given as 'HH:MM' (UTC)."""
    h, m = hhmm.split(":")
    return DAY + timedelta(hours=int(h), minutes=int(m))


def w(a: str, b: str) -> Window:
    """A window between two clock times on DAY."""
    return Window(t(a), t(b))


def cg(
    staff_id: int,
    *,
    home: Point | None = None,
    skills: Mapping[str, int] | None = None,
    community: int | None = 11,
    street: int | None = 1,
    mode: str = "walk",
    shifts: tuple[Window, ...] | None = None,
    busy: tuple[tuple[Window, Point], ...] = (),
    load: int = 0,
    capacity: int = 480,
    provider: int = 1,
) -> CaregiverState:
    """A caregiver working 08:00-17:00 at ORIGIN with bathing 3 unless told otherwise."""
    return CaregiverState(
        staff_id=staff_id,
        provider_id=provider,
        facility_id=None,
        street_id=street,
        community_id=community,
        home=home or ORIGIN,
        travel_mode=mode,
        skills=dict(skills if skills is not None else {"bathing": 3}),
        shifts=shifts or (w("08:00", "17:00"),),
        busy=tuple(b for b, _ in busy),
        busy_points=tuple(p for _, p in busy),
        load_minutes=load,
        capacity_minutes=capacity,
    )


def job(
    *,
    location: Point | None = None,
    window: Window | None = None,
    duration: int = 60,
    skills: Mapping[str, int] | None = None,
    community: int = 11,
    street: int = 1,
    previous: Mapping[int, int] | None = None,
    excluded: frozenset[int] = frozenset(),
    order_id: int = 1,
) -> Job:
    """A 60-minute bath at ORIGIN between 09:00 and 11:00 unless told otherwise."""
    return Job(
        order_id=order_id,
        elder_id=100 + order_id,
        location=location or ORIGIN,
        street_id=street,
        community_id=community,
        window=window or w("09:00", "11:00"),
        duration_min=duration,
        required_skills=dict(skills if skills is not None else {"bathing": 2}),
        previous_caregivers=dict(previous or {}),
        excluded=excluded,
    )
