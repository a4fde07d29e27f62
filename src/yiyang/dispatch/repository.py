"""Every query of dispatch: decisions, the queue, refusals, caregivers' days, the day plan.

The staff row locks of booking's discipline (ADR 0004) are taken here, when booking says.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import Session

from yiyang.dispatch.models import DispatchDecision, DispatchPicture, DispatchQueueItem
from yiyang.orders import repository as order_repository
from yiyang.orders.models import ServiceOrder
from yiyang.orders.rules import HOLDS_CAREGIVER, Status
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff import repository as staff_repository
from yiyang.registry.staff.models import Staff, StaffSkill
from yiyang.security.subject import Subject

# Decision outcomes that keep the winner (or its provider) out of later attempts.
EXCLUDING = ("org_refused", "org_timeout", "caregiver_refused", "caregiver_timeout", "unavailable")
PROVIDER_EXCLUDING = ("org_refused", "org_timeout")
# Statuses of an order that a day plan may still move to another caregiver or time.
MOVABLE = frozenset(
    {
        Status.QUEUED,
        Status.OFFERED,
        Status.ORG_ACCEPTED,
        Status.ASSIGNED,
        Status.CAREGIVER_ACCEPTED,
        Status.ORG_REFUSED,
    }
)
# Visits that happened: the caregivers who made them know the elder (continuity of care).
DONE = (Status.CHECKED_OUT, Status.COMPLETED, Status.CONFIRMED, Status.SETTLED)
CONTINUITY_DAYS = 90


def current_decision(session: Session, order_id: int) -> DispatchDecision | None:
    """The latest decision of an order: the one an answer or a timer is about."""
    return session.scalar(
        select(DispatchDecision)
        .where(DispatchDecision.order_id == order_id)
        .order_by(DispatchDecision.id.desc())
        .limit(1)
    )


def decisions(session: Session, order_id: int) -> list[DispatchDecision]:
    """Every decision of an order, oldest first, for its history (the caller checked scope)."""
    return list(
        session.scalars(
            select(DispatchDecision)
            .where(DispatchDecision.order_id == order_id)
            .order_by(DispatchDecision.id)
        )
    )


def open_queue_items(session: Session, order_id: int) -> list[DispatchQueueItem]:
    """The order's queue items nobody resolved yet, so that placing it can close them."""
    return list(
        session.scalars(
            select(DispatchQueueItem).where(
                DispatchQueueItem.order_id == order_id, DispatchQueueItem.resolved_at.is_(None)
            )
        )
    )


def open_queue(session: Session, subject: Subject) -> list[tuple[DispatchQueueItem, ServiceOrder]]:
    """Open queue items of orders the subject may read, oldest first, with the list loads."""
    readable = order_repository.readable(subject).subquery()
    rows = session.execute(
        select(DispatchQueueItem, ServiceOrder)
        .join(ServiceOrder, ServiceOrder.id == DispatchQueueItem.order_id)
        .where(
            DispatchQueueItem.resolved_at.is_(None),
            ServiceOrder.id.in_(select(readable.c.id)),
        )
        .order_by(DispatchQueueItem.created_at, DispatchQueueItem.id)
        .options(*order_repository.LIST_LOADS)
    ).all()
    return [(item, order) for item, order in rows]


def exclusions(session: Session, order_id: int) -> tuple[frozenset[int], frozenset[int]]:
    """Caregivers, and providers, who refused, let the offer lapse or became unavailable."""
    rows = session.execute(
        select(
            DispatchDecision.winner_staff_id,
            DispatchDecision.winner_provider_id,
            DispatchDecision.outcome,
        ).where(DispatchDecision.order_id == order_id, DispatchDecision.outcome.in_(EXCLUDING))
    ).all()
    staff = frozenset(s for s, _, _ in rows if s is not None)
    providers = frozenset(p for _, p, o in rows if p is not None and o in PROVIDER_EXCLUDING)
    return staff, providers


def staff_of_providers(session: Session, provider_ids: Iterable[int]) -> frozenset[int]:
    """Every staff member of these providers: a refusing provider refuses for all of them."""
    return frozenset(session.scalars(select(Staff.id).where(Staff.provider_id.in_(provider_ids))))


def day_orders(session: Session, day: date, *, lock: bool = False) -> list[ServiceOrder]:
    """That day's unpinned orders in a movable status, by id; locked when a plan is applied."""
    stmt = (
        select(ServiceOrder)
        .where(
            ServiceOrder.service_date == day,
            ServiceOrder.pinned.is_(False),
            ServiceOrder.status.in_([str(s) for s in MOVABLE]),
        )
        .order_by(ServiceOrder.id)
    )
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def settled_legs(session: Session, order_ids: list[int]) -> dict[int, float]:
    """The trip in of each order's open decision, the latest one winning (keep short trips)."""
    legs: dict[int, float] = {}
    for order_id, travel_min in session.execute(
        select(DispatchDecision.order_id, DispatchDecision.travel_min)
        .where(
            DispatchDecision.order_id.in_(order_ids),
            DispatchDecision.outcome.in_(("offered", "accepted")),
            DispatchDecision.travel_min.is_not(None),
        )
        .order_by(DispatchDecision.id)
    ):
        legs[order_id] = travel_min
    return legs


def orders_with_names(
    session: Session, order_ids: list[int]
) -> dict[int, tuple[ServiceOrder, str, str, str]]:
    """Orders with their elder's name and their service's Chinese and English names."""
    return {
        o.id: (o, name, zh, en)
        for o, name, zh, en in session.execute(
            select(ServiceOrder, Elder.name, ServiceItem.name_zh, ServiceItem.name_en)
            .join(Elder, Elder.id == ServiceOrder.elder_id)
            .join(ServiceItem, ServiceItem.id == ServiceOrder.item_id)
            .where(ServiceOrder.id.in_(order_ids))
        ).tuples()
    }


def elder_points(session: Session, order_ids: Collection[int]) -> dict[int, tuple[float, float]]:
    """Where each order's elder lives (lat, lon), for the day plan's map of rounds."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(ServiceOrder.id, Elder.lat, Elder.lon)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(ServiceOrder.id.in_(order_ids))
    ).tuples()
    return {i: (lat, lon) for i, lat, lon in rows}


def staff_names(session: Session, staff_ids: Collection[int]) -> dict[int, str]:
    """Staff names by id, for explanations and lists that mention caregivers."""
    rows = session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids)))
    return {i: n for i, n in rows}


def area_names(session: Session, area_ids: Collection[int | None]) -> dict[int, str]:
    """Area names by id, for explanations that mention the elder's community and street."""
    rows = session.execute(select(Area.id, Area.name).where(Area.id.in_(area_ids)))
    return {i: n for i, n in rows}


class Centre(NamedTuple):
    """A caregiver's home centre: its name, its street's name and where it is."""

    name: str
    street: str
    lat: float
    lon: float


def staff_centres(session: Session, staff_ids: Collection[int]) -> dict[int, Centre]:
    """Each caregiver's home centre (explanations name it, the day plan's map starts there)."""
    if not staff_ids:
        return {}
    rows = session.execute(
        select(Staff.id, Facility.name, Area.name, Facility.lat, Facility.lon)
        .join(Facility, Facility.id == Staff.facility_id)
        .join(Area, Area.id == Facility.street_id)
        .where(Staff.id.in_(staff_ids))
    ).all()
    return {sid: Centre(name, street, lat, lon) for sid, name, street, lat, lon in rows}


def staff_about(session: Session, staff_ids: list[int]) -> dict[int, tuple[str, str, str, str]]:
    """Name, code, provider and home facility of caregivers a dispatcher may pick from."""
    rows = session.execute(
        select(Staff.id, Staff.name, Staff.code, Provider.name, Facility.name)
        .join(Provider, Provider.id == Staff.provider_id)
        .join(Facility, Facility.id == Staff.facility_id)
        .where(Staff.id.in_(staff_ids))
    ).all()
    return {sid: (name, code, provider, facility) for sid, name, code, provider, facility in rows}


def staff_in_scope(session: Session, subject: Subject) -> set[int]:
    """The ids of the staff the subject may see: the only ones it may pick by hand."""
    return set(session.scalars(staff_repository.readable(subject).with_only_columns(Staff.id)))


def assignable_staff(session: Session, subject: Subject, staff_id: int) -> Staff | None:
    """The staff member, if active and in the subject's scope (otherwise not assignable)."""
    return session.scalar(
        staff_repository.readable(subject).where(Staff.id == staff_id, Staff.status == "active")
    )


def lock_staff(session: Session, staff_ids: list[int]) -> None:
    """Lock these staff rows FOR NO KEY UPDATE in id order (booking says when and which)."""
    session.execute(
        select(Staff.id)
        .where(Staff.id.in_(staff_ids))
        .order_by(Staff.id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: foreign keys still check
    )


def past_caregivers(session: Session, order: ServiceOrder) -> dict[int, int]:
    """Visits each caregiver made to the order's elder in the days before (continuity)."""
    return {
        staff_id: n
        for staff_id, n in session.execute(
            select(ServiceOrder.staff_id, func.count())
            .where(
                ServiceOrder.elder_id == order.elder_id,
                ServiceOrder.staff_id.is_not(None),
                ServiceOrder.status.in_([str(s) for s in DONE]),
                ServiceOrder.service_date >= order.service_date - timedelta(CONTINUITY_DAYS),
            )
            .group_by(ServiceOrder.staff_id)
        )
        if staff_id is not None
    }


def held_visit_rows(
    session: Session,
    day: date,
    *,
    except_orders: Collection[int] = (),
    staff_ids: Collection[int] | None = None,
) -> Sequence[Row[tuple[int | None, datetime | None, datetime, int, float, float]]]:
    """Visits holding a caregiver from the day before to the day after: who, when, where."""
    return session.execute(
        select(
            ServiceOrder.staff_id,
            ServiceOrder.planned_start_at,
            ServiceOrder.window_start_at,
            ServiceOrder.standard_minutes,
            Elder.lat,
            Elder.lon,
        )
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(
            ServiceOrder.staff_id.is_not(None),
            ServiceOrder.status.in_([str(s) for s in HOLDS_CAREGIVER]),
            ServiceOrder.service_date.between(day - timedelta(days=1), day + timedelta(days=1)),
            ServiceOrder.id.not_in(list(except_orders)),
            *([] if staff_ids is None else [ServiceOrder.staff_id.in_(list(staff_ids))]),
        )
    ).all()


def caregiver_visit_rows(
    session: Session, staff_id: int, order: ServiceOrder
) -> Sequence[Row[tuple[int, datetime | None, datetime, int, str]]]:
    """The caregiver's other held visits around the order's day, with the elders' names."""
    day = order.service_date
    return session.execute(
        select(
            ServiceOrder.id,
            ServiceOrder.planned_start_at,
            ServiceOrder.window_start_at,
            ServiceOrder.standard_minutes,
            Elder.name,
        )
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(
            ServiceOrder.staff_id == staff_id,
            ServiceOrder.status.in_([str(s) for s in HOLDS_CAREGIVER]),
            ServiceOrder.service_date.between(day - timedelta(days=1), day + timedelta(days=1)),
            ServiceOrder.id != order.id,
        )
        .order_by(ServiceOrder.planned_start_at, ServiceOrder.id)
    ).all()


@dataclass(frozen=True)
class CaregiverRows:
    """The plain rows a caregiver's state is made of: staff, their skills, their facilities."""

    staff: Sequence[Row[Any]]
    skills: dict[int, dict[str, int]]
    facilities: dict[int, Row[Any]]


def caregiver_rows(session: Session) -> CaregiverRows:
    """Active staff with a home facility, their skills and facilities: plain rows, not ORM
    objects, for the caregiver picture (dispatch/picture.py)."""
    active: list[ColumnElement[bool]] = [Staff.status == "active", Staff.facility_id.is_not(None)]
    staff = session.execute(
        select(
            Staff.id,
            Staff.provider_id,
            Staff.facility_id,
            Staff.roles,
            Staff.travel_mode,
            Staff.working_pattern,
        ).where(*active)
    ).all()
    skills: dict[int, dict[str, int]] = {}
    for staff_id, skill, level in session.execute(
        select(StaffSkill.staff_id, StaffSkill.skill, StaffSkill.level)
        .join(Staff, Staff.id == StaffSkill.staff_id)
        .where(*active)
    ):
        skills.setdefault(staff_id, {})[skill] = level
    facilities = {
        row.id: row
        for row in session.execute(
            select(
                Facility.id,
                Facility.street_id,
                Facility.community_id,
                Facility.lat,
                Facility.lon,
                Facility.active,
            ).where(Facility.id.in_({s.facility_id for s in staff}))
        )
    }
    return CaregiverRows(staff, skills, facilities)


def picture_token(session: Session) -> int:
    """The token of the caregiver picture as this transaction sees it (ADR 0007)."""
    return session.scalar(select(DispatchPicture.token).where(DispatchPicture.id == 1)) or 0
