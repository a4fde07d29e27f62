"""The district's field caregivers as a web worker keeps them between orders (ADR 0007).

Placing an order used to read every field caregiver of the district, their skills and home
facilities, and decode each working pattern, for every order. What those rows say changes
rarely; so a worker keeps them, decoded, as a picture stamped with the token of
`dispatch_picture`, which a trigger changes in every transaction that writes staff, skills
or facilities. An order reads the token in its own transaction: the same token means the
same rows as that transaction would read, so the picture is never staler than a fresh read,
in any worker. Only the day's visits (which change with every order) are read each time.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.dispatch import repository
from yiyang.kit.localtime import CHINA_TZ
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.types import CaregiverState, Point, Window

# Staff roles that may be sent to an elder's home; skills then decide who fits the job.
FIELD_ROLES = frozenset(
    {"caregiver", "nurse", "bath_aide", "care_butler", "social_worker", "driver"}
)
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYS_KEPT = 16  # shifts decoded for this many days per picture, then decoded again


def _clock(value: str) -> time:
    hours, _, minutes = value.partition(":")
    return time(int(hours) % 24, int(minutes or 0))


def shifts_for(pattern: Mapping[str, Any], day: date) -> tuple[Window, ...]:
    """Working windows on a local day from a pattern {"mon": ["08:00", "17:00"], …} in UTC.

    A day may also hold several ranges ([["08:00", "12:00"], ["14:00", "18:00"]]); an end at
    or before the start runs past midnight.
    """
    ranges = pattern.get(WEEKDAY_KEYS[day.weekday()]) or []
    if ranges and isinstance(ranges[0], str):
        ranges = [ranges]
    out = []
    for pair in ranges:
        if len(pair) != 2:
            continue
        start = datetime.combine(day, _clock(pair[0]), CHINA_TZ)
        end = datetime.combine(day, _clock(pair[1]), CHINA_TZ)
        if end <= start:
            end += timedelta(days=1)
        out.append(Window(start.astimezone(UTC), end.astimezone(UTC)))
    return tuple(sorted(out, key=lambda w: w.start))


@dataclass(frozen=True)
class Member:
    """A field caregiver with an active home facility: what does not change from order to
    order (their visits do, and are read each time)."""

    staff_id: int
    provider_id: int
    facility_id: int
    street_id: int | None
    community_id: int | None
    home: Point
    travel_mode: str
    skills: Mapping[str, int]
    pattern: Mapping[str, Any]


class Picture:
    """The members under one token, with their shifts decoded once per day asked for."""

    def __init__(self, token: int, members: list[Member]) -> None:
        self.token = token
        self.members = sorted(members, key=lambda m: m.staff_id)
        self.by_id = {m.staff_id: m for m in self.members}
        self._shifts: dict[date, dict[int, tuple[Window, ...]]] = {}
        self._days: dict[date, tuple[dict[int, CaregiverState], CaregiverIndex]] = {}

    def shifts(self, day: date) -> dict[int, tuple[Window, ...]]:
        """Every member's working windows on the local day."""
        known = self._shifts.get(day)
        if known is None:
            known = {m.staff_id: shifts_for(m.pattern, day) for m in self.members}
            if len(self._shifts) >= DAYS_KEPT:
                self._shifts.clear()
            self._shifts[day] = known
        return known

    def day(self, day: date) -> tuple[dict[int, CaregiverState], CaregiverIndex]:
        """Every member's state on the day with no visits yet, by id, and their index (the
        planner's, to be copied before it changes)."""
        known = self._days.get(day)
        if known is None:
            shifts = self.shifts(day)
            free = {
                m.staff_id: CaregiverState(
                    staff_id=m.staff_id,
                    provider_id=m.provider_id,
                    facility_id=m.facility_id,
                    street_id=m.street_id,
                    community_id=m.community_id,
                    home=m.home,
                    travel_mode=m.travel_mode,
                    skills=m.skills,
                    shifts=shifts[m.staff_id],
                )
                for m in self.members
            }
            known = (free, CaregiverIndex(free.values()))
            if len(self._days) >= DAYS_KEPT:
                self._days.clear()
            self._days[day] = known
        return known


def load(session: Session, token: int) -> Picture:
    """Read every active field caregiver with an active home facility from the database."""
    rows = repository.caregiver_rows(session)
    members = []
    for s in rows.staff:
        if not FIELD_ROLES & set(s.roles or ()):
            continue
        facility = rows.facilities.get(s.facility_id or 0)
        if facility is None or not facility.active:
            continue
        members.append(
            Member(
                staff_id=s.id,
                provider_id=s.provider_id,
                facility_id=facility.id,
                street_id=facility.street_id,
                community_id=facility.community_id,
                home=Point(facility.lat, facility.lon),
                travel_mode=s.travel_mode,
                skills=rows.skills.get(s.id, {}),
                pattern=s.working_pattern or {},
            )
        )
    return Picture(token, members)


_kept: dict[str, Picture] = {}
_lock = threading.Lock()


def current(session: Session) -> Picture:
    """The picture this transaction would read: the kept one if its token is still the
    token the transaction sees, else a fresh read (kept for the next order)."""
    token = repository.picture_token(session)
    key = str(session.get_bind().engine.url)  # one picture per database
    kept = _kept.get(key)
    if kept is not None and kept.token == token:
        return kept
    fresh = load(session, token)
    with _lock:
        _kept[key] = fresh
    return fresh
