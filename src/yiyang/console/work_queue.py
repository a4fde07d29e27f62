"""The work queue at the top of each role's home page: what is waiting for this person now.

Statistics come second (console/overview.py). Everything here is read within the caller's
data scope through the repositories' `readable(subject)`; the pages only lay it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import Session

from yiyang.dispatch import service as dispatch_service
from yiyang.dispatch.models import DispatchQueueItem
from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import PageParams
from yiyang.orders import day_repository
from yiyang.orders import service as order_service
from yiyang.orders.day_repository import DueElder
from yiyang.orders.models import ServiceOrder
from yiyang.orders.rules import Status
from yiyang.orders.schemas import OrderListItem
from yiyang.registry.facilities.models import Facility
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.visits import alerts, return_visits
from yiyang.visits.payment import exceptions, settlements
from yiyang.visits.payment.schemas import ExceptionFilter, ExceptionRead, RunRead
from yiyang.visits.return_visits import QueueRow
from yiyang.visits.schemas import AlertFilter, AlertRead

# Roles whose home page is the call centre's work page (console/work_pages.py).
DESK_ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})
# Roles whose home page is their area's day.
AREA_ROLES = frozenset({Role.STREET_ADMIN, Role.COMMUNITY_STAFF})
# An elder living alone, in an empty nest or in a special group is due a visit when nobody
# visited in this many days and none is booked for the next DUE_AHEAD_DAYS.
DUE_AFTER_DAYS = 30
DUE_AHEAD_DAYS = 7
SHOWN = 10  # rows of each list on a home page; the link beside it opens the whole list
ALERTS_SHOWN = 8
SETTLEMENTS_SHOWN = 3
OFFER_TIMERS = {
    Status.OFFERED: (dispatch_service.ORG_OFFER_EXPIRY,),
    Status.ASSIGNED: (dispatch_service.CAREGIVER_OFFER_EXPIRY,),
}


@dataclass(frozen=True)
class Offer:
    """An order waiting for the organisation's (offered) or its caregiver's (assigned) answer,
    and when the offer runs out and goes to the next candidate (None: no timer pending)."""

    order: OrderListItem
    step: str  # "org" or "caregiver"
    deadline: datetime | None


@dataclass
class CaregiverDay:
    """One caregiver's visits of the day in time order."""

    name: str
    facility: str | None
    visits: list[OrderListItem] = field(default_factory=list)


@dataclass(frozen=True)
class AreaOrder:
    """An order of the area's day that needs someone: no caregiver yet, or late."""

    order: OrderListItem
    late: bool


@dataclass
class WorkQueue:
    """What a home page lists first; empty lists are left out by the template."""

    role: str
    today: date
    offers: list[Offer] = field(default_factory=list)
    caregivers: list[CaregiverDay] = field(default_factory=list)
    orders: list[AreaOrder] = field(default_factory=list)
    orders_total: int = 0
    due: list[DueElder] = field(default_factory=list)
    due_total: int = 0
    due_days: int = DUE_AFTER_DAYS
    due_ahead: int = DUE_AHEAD_DAYS
    facilities: list[tuple[Facility, int]] = field(default_factory=list)
    alerts: list[AlertRead] = field(default_factory=list)
    alerts_open: int = 0
    queue: list[tuple[DispatchQueueItem, OrderListItem]] = field(default_factory=list)
    queue_total: int = 0
    settlements: list[RunRead] = field(default_factory=list)  # newest settlement runs first
    exceptions: list[ExceptionRead] = field(default_factory=list)  # waiting for a reviewer
    exceptions_total: int = 0
    return_visits: list[QueueRow] = field(default_factory=list)  # call-backs, overdue first
    return_counts: dict[str, int] = field(default_factory=dict)  # "today" and "overdue"
    sections: list[str] = field(default_factory=list)  # which cards to show, in order


def _start(order: ServiceOrder) -> datetime:
    return order.planned_start_at or order.window_start_at


def offers(session: Session, subject: Subject, *, limit: int) -> list[Offer]:
    """Offers in scope still waiting for an answer, with the moment each one expires."""
    rows = day_repository.awaiting_answer(session, subject, limit=limit)
    kinds = [kind for kinds in OFFER_TIMERS.values() for kind in kinds]
    due = day_repository.due_times(session, kinds, [o.id for o in rows])
    return [
        Offer(
            order_service.to_list_item(subject, o),
            "org" if o.status == Status.OFFERED else "caregiver",
            due.get(o.id),
        )
        for o in rows
    ]


def caregivers_day(session: Session, subject: Subject, day: date) -> list[CaregiverDay]:
    """The day of each caregiver in scope who has visits that day."""
    days: dict[int, CaregiverDay] = {}
    for o in day_repository.caregivers_day(session, subject, day):
        if o.staff is None or o.staff_id is None:
            continue
        facility = o.staff.facility.name if o.staff.facility else None
        days.setdefault(o.staff_id, CaregiverDay(o.staff.name, facility))
        days[o.staff_id].visits.append(order_service.to_list_item(subject, o))
    return sorted(days.values(), key=lambda d: (d.name, d.facility or ""))


def area_orders(
    session: Session, subject: Subject, *, now: datetime, limit: int
) -> tuple[list[AreaOrder], int]:
    """Today's and tomorrow's orders in scope without a caregiver, or late, by start time."""
    rows, total = day_repository.waiting_or_late(
        session, subject, now=now, today=local_today(now), limit=limit
    )
    return [AreaOrder(order_service.to_list_item(subject, o), _start(o) < now) for o in rows], total


def open_alerts(
    session: Session, subject: Subject, *, now: datetime
) -> tuple[list[AlertRead], int]:
    """The most urgent alerts still to handle, and how many nobody acknowledged yet."""
    if not subject.can(Perm.ALERT_READ):
        return [], 0
    page = alerts.open_alerts(
        session, subject, AlertFilter(), PageParams(page=1, size=ALERTS_SHOWN), now=now
    )
    return page.items, alerts.open_count(session, subject)


def dispatch_queue(
    session: Session, subject: Subject, *, limit: int
) -> tuple[list[tuple[DispatchQueueItem, OrderListItem]], int]:
    """The oldest orders automatic dispatch could not place, and how many wait in all."""
    if not subject.can(Perm.ORDER_DISPATCH):
        return [], 0
    rows = dispatch_service.queue(session, subject)
    return [(i, order_service.to_list_item(subject, o)) for i, o in rows[:limit]], len(rows)


def return_calls(
    session: Session, subject: Subject, *, now: datetime, limit: int = 5
) -> tuple[list[QueueRow], dict[str, int]]:
    """The first call-backs due (overdue first) and the counts, for a role that calls back."""
    if not subject.can(Perm.RETURN_VISIT_WRITE):
        return [], {}
    rows = return_visits.queue(session, subject, "overdue", now)[:limit]
    rows += return_visits.queue(session, subject, "today", now)[: limit - len(rows)]
    return rows, return_visits.counts(session, subject, now)


def waiting_exceptions(
    session: Session, subject: Subject, *, now: datetime, locale: str
) -> tuple[list[ExceptionRead], int]:
    """The unpayable visits waiting for this reviewer, as the exceptions queue lists them."""
    if not subject.can(Perm.VISIT_REVIEW):
        return [], 0
    found = exceptions.list_exceptions(
        session, subject, ExceptionFilter(), PageParams(page=1, size=SHOWN), now=now, locale=locale
    )
    return found.items, found.total


def work_queue(session: Session, subject: Subject, *, now: datetime, locale: str) -> WorkQueue:
    """The work queue of the caller's role, every list inside its data scope."""
    today = local_today(now)
    work = WorkQueue(role=subject.role, today=today)
    if subject.role == Role.PROVIDER_ADMIN:
        work.offers = offers(session, subject, limit=50)
        work.caregivers = caregivers_day(session, subject, today)
        if subject.can(Perm.SETTLEMENT_READ):
            work.settlements = settlements.list_runs(
                session, subject, None, None, PageParams(page=1, size=SETTLEMENTS_SHOWN)
            ).items
        work.alerts, work.alerts_open = open_alerts(session, subject, now=now)
        work.sections = ["offers", "caregivers", "alerts", "settlement"]
    elif subject.role in AREA_ROLES:
        work.orders, work.orders_total = area_orders(session, subject, now=now, limit=SHOWN)
        work.alerts, work.alerts_open = open_alerts(session, subject, now=now)
        work.due, work.due_total = day_repository.elders_due_visit(
            session, subject, today=today, days=DUE_AFTER_DAYS, ahead=DUE_AHEAD_DAYS, limit=SHOWN
        )
        work.facilities = day_repository.facilities_today(session, subject, today, limit=SHOWN)
        work.exceptions, work.exceptions_total = waiting_exceptions(
            session, subject, now=now, locale=locale
        )
        work.sections = ["orders", "alerts", "due", "facilities"]
        if subject.can(Perm.VISIT_REVIEW):
            work.sections.insert(2, "exceptions")
    elif subject.role == Role.DISTRICT_ADMIN:
        work.exceptions, work.exceptions_total = waiting_exceptions(
            session, subject, now=now, locale=locale
        )
        work.queue, work.queue_total = dispatch_queue(session, subject, limit=SHOWN)
        work.orders, work.orders_total = area_orders(session, subject, now=now, limit=SHOWN)
        work.alerts, work.alerts_open = open_alerts(session, subject, now=now)
        work.sections = ["exceptions", "alerts", "queue", "orders"]
    elif subject.role in DESK_ROLES:
        work.alerts, work.alerts_open = open_alerts(session, subject, now=now)
        work.queue, work.queue_total = dispatch_queue(session, subject, limit=SHOWN)
        work.return_visits, work.return_counts = return_calls(session, subject, now=now)
        work.sections = ["alerts", "queue"]
    return work
