"""Build the planner's inputs (CaregiverState, Job) from the database for one order."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.dispatch import repository
from yiyang.dispatch.rules import planned_end
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.models import ServiceOrder
from yiyang.planner.types import CaregiverState, Job, Point, Window
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder

# Staff roles that may be sent to an elder's home; skills then decide who fits the job.
FIELD_ROLES = frozenset(
    {"caregiver", "nurse", "bath_aide", "care_butler", "social_worker", "driver"}
)
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


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


def job_for(
    session: Session,
    order: ServiceOrder,
    *,
    excluded: frozenset[int],
    now: datetime,
) -> Job:
    """The planner's job: where, the window for the start of service, skills, continuity."""
    elder = session.get_one(Elder, order.elder_id)
    item = session.get_one(ServiceItem, order.item_id)
    latest_start = order.window_end_at - timedelta(minutes=order.standard_minutes)
    earliest = max(order.window_start_at, now)
    previous = repository.past_caregivers(session, order)
    return Job(
        order_id=order.id,
        elder_id=elder.id,
        location=Point(elder.lat, elder.lon),
        street_id=elder.street_id,
        community_id=elder.community_id,
        window=Window(earliest, max(earliest, latest_start)),
        duration_min=order.standard_minutes,
        required_skills={skill: 1 for skill in item.required_skills},
        previous_caregivers=previous,
        excluded=excluded,
    )


Visits = list[tuple[Window, Point]]


def held_visits(
    session: Session,
    day: date,
    *,
    except_orders: Collection[int] = (),
    staff_ids: Collection[int] | None = None,
) -> dict[int, Visits]:
    """Each caregiver's visits that hold their time, from the day before to the day after.

    In time order (ties by end and place), so that two reads of an unchanged day are equal.
    """
    held = repository.held_visit_rows(
        session, day, except_orders=except_orders, staff_ids=staff_ids
    )
    busy: dict[int, Visits] = {}
    for staff_id, planned, window_start, minutes, lat, lon in held:
        start = planned or window_start
        busy.setdefault(staff_id, []).append(
            (Window(start, planned_end(start, minutes)), Point(lat, lon))
        )
    for visits in busy.values():
        visits.sort(key=lambda wp: (wp[0].start, wp[0].end, wp[1].lat, wp[1].lon))
    return busy


def caregivers_for(
    session: Session,
    day: date,
    *,
    except_orders: Collection[int] = (),
    excluded_providers: frozenset[int] = frozenset(),
    staff_ids: Collection[int] | None = None,
) -> list[CaregiverState]:
    """Every active field caregiver with a home facility, their shifts and that day's visits.

    The visits of `except_orders` (the order being placed, or those a day plan moves) are
    left out: they are what the planner is placing. `staff_ids` narrows the read to those
    caregivers (a fresh look at the ones just locked).
    """
    rows = repository.caregiver_rows(session, staff_ids)
    staff, skills, facilities = rows.staff, rows.skills, rows.facilities
    busy = held_visits(session, day, except_orders=except_orders, staff_ids=staff_ids)
    states = []
    for s in staff:
        if s.provider_id in excluded_providers or not FIELD_ROLES & set(s.roles or ()):
            continue
        facility = facilities.get(s.facility_id or 0)
        if facility is None or not facility.active:
            continue
        visits = busy.get(s.id, [])
        states.append(
            CaregiverState(
                staff_id=s.id,
                provider_id=s.provider_id,
                facility_id=facility.id,
                street_id=facility.street_id,
                community_id=facility.community_id,
                home=Point(facility.lat, facility.lon),
                travel_mode=s.travel_mode,
                skills=skills.get(s.id, {}),
                shifts=shifts_for(s.working_pattern or {}, day),
                busy=tuple(w for w, _ in visits),
                busy_points=tuple(p for _, p in visits),
                load_minutes=_minutes_on(visits, day),
            )
        )
    return states


def _minutes_on(visits: Visits, day: date) -> int:
    """Minutes of service that start on the local day (what counts against capacity)."""
    return sum(
        int((w.end - w.start).total_seconds() // 60)
        for w, _ in visits
        if w.start.astimezone(CHINA_TZ).date() == day
    )


def visits_of(c: CaregiverState) -> Visits:
    """A caregiver's visits as held_visits gives them, to compare two reads."""
    return list(zip(c.busy, c.busy_points, strict=True))


def with_visits(c: CaregiverState, visits: Visits, day: date) -> CaregiverState:
    """The caregiver's state with another read of their visits (and so of their load)."""
    return replace(
        c,
        busy=tuple(w for w, _ in visits),
        busy_points=tuple(p for _, p in visits),
        load_minutes=_minutes_on(visits, day),
    )
