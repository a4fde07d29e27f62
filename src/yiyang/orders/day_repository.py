"""Queries behind the role home pages: an area's or a provider's day, within data scope.

Every function starts from `readable(subject)` of the domain it reads (orders, elders,
facilities), so a street administrator never sees another street's orders here either.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, and_, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload

from yiyang.jobs.models import Timer
from yiyang.orders.models import ServiceOrder
from yiyang.orders.repository import LIST_LOADS, readable
from yiyang.orders.rules import WITHOUT_CAREGIVER, Status
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder, ElderGroup
from yiyang.registry.facilities import repository as facility_repository
from yiyang.registry.facilities.models import Facility
from yiyang.registry.facilities.schemas import FacilityFilter
from yiyang.registry.staff.models import Staff
from yiyang.security.subject import Subject

# Accepted by a caregiver but not yet begun: late once the planned start has passed.
NOT_BEGUN = (Status.CAREGIVER_ACCEPTED, Status.ON_THE_WAY)
# Waiting for an answer: the organisation (offered) or its caregiver (assigned).
AWAITING_ANSWER = (Status.OFFERED, Status.ASSIGNED)
# An order that does not count as a visit having been (or about to be) made.
NOT_A_VISIT = (Status.CANCELLED, Status.NO_SHOW, Status.ORG_REFUSED, Status.CAREGIVER_REFUSED)
# Elders a visit matters most for: living alone or in an empty nest.
LONELY = ("alone", "empty_nest")


def _start() -> ColumnElement[datetime]:
    """When an order's visit begins: the planned start, else the start of its window."""
    return func.coalesce(ServiceOrder.planned_start_at, ServiceOrder.window_start_at)


def waiting_or_late(
    session: Session, subject: Subject, *, now: datetime, today: date, limit: int
) -> tuple[list[ServiceOrder], int]:
    """Orders of today and tomorrow that no caregiver has accepted yet, or that should have
    begun by now and have not (accepted or on the way past the planned start); the first
    `limit` by start time, and how many there are in all."""
    start = _start()
    stmt = readable(subject).where(
        ServiceOrder.service_date.between(today, today + timedelta(days=1)),
        or_(
            ServiceOrder.status.in_([str(s) for s in WITHOUT_CAREGIVER]),
            and_(ServiceOrder.status.in_([str(s) for s in NOT_BEGUN]), start < now),
        ),
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.options(*LIST_LOADS).order_by(start, ServiceOrder.id).limit(limit)
    ).unique()
    return list(rows), total


def awaiting_answer(session: Session, subject: Subject, *, limit: int) -> list[ServiceOrder]:
    """Readable orders offered to an organisation or its caregiver and not yet answered."""
    stmt = (
        readable(subject)
        .where(ServiceOrder.status.in_([str(s) for s in AWAITING_ANSWER]))
        .options(*LIST_LOADS)
        .order_by(ServiceOrder.window_start_at, ServiceOrder.id)
        .limit(limit)
    )
    return list(session.scalars(stmt).unique())


def due_times(
    session: Session, kinds: Sequence[str], ref_ids: Collection[int]
) -> dict[int, datetime]:
    """The earliest pending timer of these kinds per record (an offer's expiry, say)."""
    if not ref_ids:
        return {}
    rows = session.execute(
        select(Timer.ref_id, func.min(Timer.due_at))
        .where(
            Timer.kind.in_(kinds),
            Timer.ref_id.in_(ref_ids),
            Timer.fired_at.is_(None),
            Timer.cancelled_at.is_(None),
            Timer.failed_at.is_(None),
        )
        .group_by(Timer.ref_id)
    ).tuples()
    return {ref: due for ref, due in rows}


def caregivers_day(session: Session, subject: Subject, day: date) -> list[ServiceOrder]:
    """Readable orders of one service date that have a caregiver, by caregiver then time."""
    stmt = (
        readable(subject)
        .where(
            ServiceOrder.service_date == day,
            ServiceOrder.staff_id.is_not(None),
            ServiceOrder.status != Status.CANCELLED,
        )
        .options(*LIST_LOADS)
        .order_by(ServiceOrder.staff_id, _start(), ServiceOrder.id)
    )
    return list(session.scalars(stmt).unique())


@dataclass(frozen=True)
class DueElder:
    """An elder due a visit and the date of their last one (None: never visited)."""

    elder: Elder
    last_visit: date | None


def elders_due_visit(
    session: Session, subject: Subject, *, today: date, days: int, ahead: int, limit: int
) -> tuple[list[DueElder], int]:
    """Active elders living alone, in an empty nest or in a special-difficulty group, with no
    visit in the last `days` days and none booked for the next `ahead` days: those longest
    without a visit first (never visited before anyone), and how many there are in all."""
    visits = select(ServiceOrder.id).where(
        ServiceOrder.elder_id == Elder.id,
        ServiceOrder.status.not_in([str(s) for s in NOT_A_VISIT]),
        ServiceOrder.service_date.between(
            today - timedelta(days=days), today + timedelta(days=ahead)
        ),
    )
    stmt = elder_repository.readable(subject).where(
        Elder.status == "active",
        or_(
            Elder.living_situation.in_(LONELY),
            exists().where(ElderGroup.elder_id == Elder.id),
        ),
        ~exists(visits),
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    last = (
        select(func.max(ServiceOrder.service_date))
        .where(
            ServiceOrder.elder_id == Elder.id,
            ServiceOrder.status.not_in([str(s) for s in NOT_A_VISIT]),
            ServiceOrder.service_date < today,
        )
        .correlate(Elder)
        .scalar_subquery()
    )
    rows = session.execute(
        stmt.add_columns(last.label("last_visit"))
        .options(joinedload(Elder.street), joinedload(Elder.community))
        .order_by(last.is_not(None), last, Elder.id)
        .limit(limit)
    ).all()
    return [DueElder(row[0], row[1]) for row in rows], total


def _day_load(day: date) -> ScalarSelect[int]:
    """How many of the day's visits a facility's caregivers carry (correlated to Facility)."""
    return (
        select(func.count(ServiceOrder.id))
        .join(Staff, Staff.id == ServiceOrder.staff_id)
        .where(
            Staff.facility_id == Facility.id,
            ServiceOrder.service_date == day,
            ServiceOrder.status.not_in([str(s) for s in NOT_A_VISIT]),
        )
        .correlate(Facility)
        .scalar_subquery()
    )


def facilities_today(
    session: Session, subject: Subject, day: date, *, limit: int
) -> list[tuple[Facility, int]]:
    """Active facilities in scope with how many of the day's orders their caregivers carry."""
    load = _day_load(day)
    rows = session.execute(
        facility_repository.readable(subject)
        .where(Facility.active.is_(True))
        .add_columns(load.label("load"))
        .order_by(load.desc(), Facility.name, Facility.id)
        .limit(limit)
    ).all()
    return [(row[0], int(row[1] or 0)) for row in rows]


def caregiver_route(
    session: Session, subject: Subject, staff_id: int, day: date
) -> list[ServiceOrder]:
    """The readable visits one caregiver makes on one day, in the order they fall (the
    elder and item loaded): what the subject may see of that caregiver's route."""
    stmt = (
        readable(subject)
        .where(
            ServiceOrder.staff_id == staff_id,
            ServiceOrder.service_date == day,
            ServiceOrder.status.not_in([str(s) for s in NOT_A_VISIT]),
        )
        .options(*LIST_LOADS)
        .order_by(_start(), ServiceOrder.id)
    )
    return list(session.scalars(stmt).unique())


def facilities_on_map(
    session: Session,
    subject: Subject,
    flt: FacilityFilter,
    day: date,
    *,
    busy: bool | None,
    limit: int,
) -> tuple[list[tuple[Facility, int]], int]:
    """Facilities in scope matching the filter, each with the day's visits its caregivers
    carry; `busy` keeps those with visits (True) or without (False). The first `limit` by
    street and name (street loaded), and how many match in all."""
    load = _day_load(day)
    stmt = facility_repository.filtered(subject, flt).add_columns(load.label("load"))
    if busy is not None:
        stmt = stmt.where(load > 0 if busy else load == 0)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(
        stmt.options(joinedload(Facility.street))
        .order_by(Facility.street_id, Facility.name, Facility.id)
        .limit(limit)
    ).all()
    return [(row[0], int(row[1] or 0)) for row in rows], total
