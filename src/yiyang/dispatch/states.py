"""Build the planner's inputs (CaregiverState, Job) from the database for one order."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.dispatch import picture, repository
from yiyang.dispatch.rules import planned_end
from yiyang.kit.localtime import CHINA_TZ
from yiyang.orders.models import ServiceOrder
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.types import CaregiverState, Job, Point, Window
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder


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

    The caregivers come from the worker's picture (kept current by its token, ADR 0007); the
    visits are read now. The visits of `except_orders` (the order being placed, or those a
    day plan moves) are left out: they are what the planner is placing. `staff_ids` narrows
    the read to those caregivers (a fresh look at the ones just locked).
    """
    free, _ = picture.current(session).day(day)
    ids = sorted(free) if staff_ids is None else sorted(set(staff_ids) & free.keys())
    busy = held_visits(session, day, except_orders=except_orders, staff_ids=staff_ids)
    return [
        with_visits(free[i], busy[i], day) if i in busy else free[i]
        for i in ids
        if free[i].provider_id not in excluded_providers
    ]


def caregiver_index(
    session: Session,
    day: date,
    *,
    except_orders: Collection[int] = (),
    excluded_providers: frozenset[int] = frozenset(),
) -> CaregiverIndex:
    """What caregivers_for gives, as the planner's index: the picture's index of the day
    copied, with the day's visits added, instead of an index built anew for every order."""
    free, base = picture.current(session).day(day)
    index = base.copy()
    for staff_id, state in free.items():
        if state.provider_id in excluded_providers:
            index.drop(staff_id)
    for staff_id, visits in held_visits(session, day, except_orders=except_orders).items():
        if staff_id in index:
            index.put_busier(with_visits(free[staff_id], visits, day))
    return index


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
