"""Every query of the bureau's report: a period's rows, cut to the streets and the provider
the report is for (`streets` None: the whole district; `provider_id` None: every provider).

Orders and their check-in times come from the big screen's own queries, so that a report of
today counts exactly what the screen shows (console/screen/repository.py).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yiyang.alarms.models import Alarm
from yiyang.alarms.response.models import AlarmResponder
from yiyang.console.reports.models import IssuedReport
from yiyang.orders.models import ServiceOrder, SubsidyPolicy
from yiyang.registry.catalog.models import ServiceCategory, ServiceItem
from yiyang.registry.elders.models import Elder, ElderGroup
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff
from yiyang.visits.models import Complaint, ReturnVisit, Visit, VisitRating

SERVED = ("checked_out", "completed", "confirmed", "settled")
Streets = Collection[int] | None


def _cut(stmt: Select[Any], streets: Streets, provider_id: int | None) -> Select[Any]:
    """Only orders of elders in these streets, and of this provider (the statement joins
    ServiceOrder and Elder)."""
    if streets is not None:
        stmt = stmt.where(Elder.street_id.in_(list(streets)))
    if provider_id is not None:
        stmt = stmt.where(ServiceOrder.provider_id == provider_id)
    return stmt


def categories(session: Session) -> list[tuple[int, str, str, str]]:
    """(id, code, Chinese name, English name) of every service category, in their order."""
    rows = session.execute(
        select(
            ServiceCategory.id, ServiceCategory.code, ServiceCategory.name_zh,
            ServiceCategory.name_en,
        ).order_by(ServiceCategory.sort, ServiceCategory.code)
    )  # fmt: skip
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def provider_names(session: Session) -> dict[int, str]:
    """Every provider's name by id."""
    return {r[0]: r[1] for r in session.execute(select(Provider.id, Provider.name))}


def policy_names(session: Session) -> dict[int, tuple[str, str | None]]:
    """Every subsidy policy's (Chinese, English) name by id."""
    rows = session.execute(select(SubsidyPolicy.id, SubsidyPolicy.name, SubsidyPolicy.name_en))
    return {r[0]: (r[1], r[2]) for r in rows}


def groups_served(
    session: Session, first: date, last: date, streets: Streets, provider_id: int | None
) -> list[tuple[str, int, int, int]]:
    """(group code, elders, orders, government fen) of the government-paid orders served in
    these days, per special group of the elder (an elder in two groups counts in both)."""
    stmt = (
        select(
            ElderGroup.code, func.count(func.distinct(ServiceOrder.elder_id)),
            func.count(ServiceOrder.id), func.coalesce(func.sum(ServiceOrder.government_fen), 0),
        )
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .join(ElderGroup, ElderGroup.elder_id == ServiceOrder.elder_id)
        .where(
            ServiceOrder.service_date >= first, ServiceOrder.service_date <= last,
            ServiceOrder.status.in_(SERVED), ServiceOrder.government_fen > 0,
        )
        .group_by(ElderGroup.code)
    )  # fmt: skip
    rows = session.execute(_cut(stmt, streets, provider_id))
    return [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]


def complaints(
    session: Session, start: datetime, end: datetime, streets: Streets, provider_id: int | None
) -> list[tuple[str, str, str | None, int | None]]:
    """(category, status, outcome, provider id) of the complaints filed in [start, end)."""
    stmt = (
        select(Complaint.category, Complaint.status, Complaint.outcome, ServiceOrder.provider_id)
        .join(ServiceOrder, ServiceOrder.id == Complaint.order_id)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(Complaint.at >= start, Complaint.at < end)
    )
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(_cut(stmt, streets, provider_id))]


def return_visits(
    session: Session, start: datetime, end: datetime, streets: Streets, provider_id: int | None
) -> list[tuple[bool, int | None, int | None]]:
    """(reached, satisfaction 1–5, provider id) of the return visits made in [start, end)."""
    stmt = (
        select(ReturnVisit.reached, ReturnVisit.satisfaction, ServiceOrder.provider_id)
        .join(ServiceOrder, ServiceOrder.id == ReturnVisit.order_id)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(ReturnVisit.at >= start, ReturnVisit.at < end)
    )
    rows = session.execute(_cut(stmt, streets, provider_id))
    return [(bool(r[0]), r[1], r[2]) for r in rows]


def ratings(
    session: Session, first: date, last: date, streets: Streets, provider_id: int | None
) -> list[tuple[int, int | None]]:
    """(score 1–5, provider id) of the ratings of the orders of these service days."""
    stmt = (
        select(VisitRating.score, ServiceOrder.provider_id)
        .join(ServiceOrder, ServiceOrder.id == VisitRating.order_id)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(ServiceOrder.service_date >= first, ServiceOrder.service_date <= last)
    )
    return [(int(r[0]), r[1]) for r in session.execute(_cut(stmt, streets, provider_id))]


def caregivers_seen(
    session: Session, end: datetime, days: int, streets: Streets, provider_id: int | None
) -> list[tuple[int, int, int | None]]:
    """Distinct (elder, caregiver, provider) of the visits checked in during the `days` days
    before `end` (continuity of care)."""
    stmt = (
        select(Visit.elder_id, Visit.staff_id, ServiceOrder.provider_id)
        .distinct()
        .join(ServiceOrder, ServiceOrder.id == Visit.order_id)
        .join(Elder, Elder.id == Visit.elder_id)
        .where(
            Visit.check_in_at >= end - timedelta(days=days),
            Visit.check_in_at < end,
            Visit.staff_id.is_not(None),
        )
    )
    return [(r[0], r[1], r[2]) for r in session.execute(_cut(stmt, streets, provider_id))]


def alarms(
    session: Session, start: datetime, end: datetime, streets: Streets
) -> list[dict[str, Any]]:
    """Alarms raised in [start, end) with when they were answered, when the first responder
    was sent and when the first one arrived."""
    sent = (
        select(
            AlarmResponder.alarm_id.label("alarm_id"),
            func.min(AlarmResponder.sent_at).label("sent_at"),
            func.min(AlarmResponder.arrived_at).label("arrived_at"),
        )
        .group_by(AlarmResponder.alarm_id)
        .subquery()
    )
    stmt = (
        select(
            Alarm.id, Alarm.type, Alarm.street_id, Alarm.raised_at, Alarm.acknowledged_at,
            sent.c.sent_at, sent.c.arrived_at,
        )
        .outerjoin(sent, sent.c.alarm_id == Alarm.id)
        .where(Alarm.raised_at >= start, Alarm.raised_at < end)
    )  # fmt: skip
    if streets is not None:
        stmt = stmt.where(Alarm.street_id.in_(list(streets)))
    keys = ("id", "type", "street_id", "raised_at", "acknowledged_at", "sent_at", "arrived_at")
    return [dict(zip(keys, row, strict=True)) for row in session.execute(stmt)]


def places(
    session: Session, streets: Streets, provider_id: int | None
) -> list[tuple[int, str, int]]:
    """(id, kind, long-stay beds + day places) of the active facilities with places."""
    stmt = select(Facility.id, Facility.kind, Facility.beds_long_stay + Facility.day_places).where(
        Facility.active.is_(True), Facility.beds_long_stay + Facility.day_places > 0
    )
    if streets is not None:
        stmt = stmt.where(Facility.street_id.in_(list(streets)))
    if provider_id is not None:
        stmt = stmt.where(Facility.provider_id == provider_id)
    return [(r[0], r[1], int(r[2])) for r in session.execute(stmt)]


def places_in_use(session: Session, first: date, last: date) -> dict[tuple[int, date], int]:
    """Elders served at each facility on each day (visits that are not home visits, by its
    caregivers), as the big screen counts places in use."""
    rows = session.execute(
        select(Staff.facility_id, ServiceOrder.service_date,
               func.count(func.distinct(ServiceOrder.elder_id)))
        .join(Staff, Staff.id == ServiceOrder.staff_id)
        .join(ServiceItem, ServiceItem.id == ServiceOrder.item_id)
        .where(
            ServiceOrder.service_date >= first, ServiceOrder.service_date <= last,
            ServiceItem.home_visit.is_(False),
            ServiceOrder.status.not_in(("cancelled", "no_show")),
            Staff.facility_id.is_not(None),
        )
        .group_by(Staff.facility_id, ServiceOrder.service_date)
    )  # fmt: skip
    return {(r[0], r[1]): int(r[2]) for r in rows}


def latest_issue(session: Session, month: str, key: str) -> IssuedReport | None:
    """The newest issued version of the month's report for this scope, if any."""
    return session.scalar(
        select(IssuedReport)
        .where(IssuedReport.month == month, IssuedReport.scope_key == key)
        .order_by(IssuedReport.version.desc())
        .limit(1)
    )
