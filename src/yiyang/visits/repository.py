"""Every query of the visits domain; the one place where its data scope is applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from yiyang.errors import N_, NotFound
from yiyang.orders import repository as order_repository
from yiyang.orders.models import ServiceOrder
from yiyang.registry.models import Provider, ServiceItem
from yiyang.security.subject import Subject
from yiyang.visits.models import Alert, Complaint, ReturnVisit, Visit, VisitRating

# Orders whose visit is over and whose money is due (settlement and EVV export).
DELIVERED = ("completed", "confirmed", "settled")


def readable(subject: Subject) -> Select[tuple[ServiceOrder]]:
    """Orders (and so visits) the subject may see: the orders domain's scope, unchanged."""
    return order_repository.readable(subject)


def _order_options() -> tuple[Any, ...]:
    return (
        joinedload(ServiceOrder.elder),
        joinedload(ServiceOrder.item).joinedload(ServiceItem.category),
        joinedload(ServiceOrder.staff),
        joinedload(ServiceOrder.provider),
    )


def get_order(
    session: Session, subject: Subject, order_id: int, *, lock: bool = False
) -> ServiceOrder:
    """One readable order with elder, item, staff and provider loaded, or NotFound.

    With `lock`, the bare order row is locked first, so the caller sees its current status.
    """
    if lock:
        session.scalar(select(ServiceOrder.id).where(ServiceOrder.id == order_id).with_for_update())
    stmt = readable(subject).where(ServiceOrder.id == order_id).options(*_order_options())
    order = session.scalar(stmt.execution_options(populate_existing=True))
    if order is None:
        raise NotFound(N_("Order %(id)s not found."), id=order_id)
    return order


def get_visit(session: Session, order_id: int) -> Visit | None:
    """The visit of an order (scope is checked on the order first), with its corrections."""
    stmt = select(Visit).where(Visit.order_id == order_id).options(selectinload(Visit.corrections))
    return session.scalar(stmt)


def visits_of(session: Session, order_ids: Sequence[int]) -> dict[int, Visit]:
    """Visits of several orders, keyed by order id."""
    if not order_ids:
        return {}
    rows = session.scalars(select(Visit).where(Visit.order_id.in_(order_ids)))
    return {v.order_id: v for v in rows}


def caregiver_day(session: Session, subject: Subject, day: date) -> list[ServiceOrder]:
    """A caregiver's orders of one service date, in time order, cancelled ones left out."""
    stmt = (
        readable(subject)
        .where(
            ServiceOrder.staff_id == subject.staff_id,
            ServiceOrder.service_date == day,
            ServiceOrder.status.not_in(("cancelled", "caregiver_refused")),
        )
        .options(*_order_options())
        .order_by(ServiceOrder.window_start_at, ServiceOrder.id)
    )
    return list(session.scalars(stmt).unique())


def rating_of(session: Session, order_id: int) -> VisitRating | None:
    """The rating of an order, if any."""
    return session.scalar(select(VisitRating).where(VisitRating.order_id == order_id))


def _scope_ids(subject: Subject) -> Any:
    return readable(subject).with_only_columns(ServiceOrder.id).scalar_subquery()


def alerts(session: Session, subject: Subject, *, open_only: bool, limit: int = 200) -> list[Alert]:
    """Alerts on readable orders, newest first; open means not yet cleared."""
    stmt = select(Alert).where(Alert.order_id.in_(_scope_ids(subject)))
    if open_only:
        stmt = stmt.where(Alert.cleared_at.is_(None))
    stmt = stmt.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def get_alert(session: Session, subject: Subject, alert_id: int) -> Alert:
    """One alert on a readable order, or NotFound."""
    alert = session.scalar(
        select(Alert).where(Alert.id == alert_id, Alert.order_id.in_(_scope_ids(subject)))
    )
    if alert is None:
        raise NotFound(N_("Alert %(id)s not found."), id=alert_id)
    return alert


def alert_for(session: Session, order_id: int, kind: str) -> Alert | None:
    """The (single) alert of a kind on an order."""
    return session.scalar(select(Alert).where(Alert.order_id == order_id, Alert.kind == kind))


def complaints(session: Session, subject: Subject, *, limit: int = 200) -> list[Complaint]:
    """Complaints on readable orders, newest first."""
    stmt = select(Complaint).where(Complaint.order_id.in_(_scope_ids(subject)))
    stmt = stmt.order_by(Complaint.at.desc(), Complaint.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def return_visits(session: Session, order_id: int) -> list[ReturnVisit]:
    """Follow-up calls of an order, oldest first."""
    stmt = select(ReturnVisit).where(ReturnVisit.order_id == order_id).order_by(ReturnVisit.id)
    return list(session.scalars(stmt))


def delivered_between(
    session: Session,
    subject: Subject,
    start: datetime,
    end: datetime,
    provider_id: int | None = None,
) -> list[tuple[ServiceOrder, Visit | None]]:
    """Delivered readable orders whose window started in [start, end), with their visits."""
    stmt = (
        readable(subject)
        .add_columns(Visit)
        .outerjoin(Visit, Visit.order_id == ServiceOrder.id)
        .where(
            ServiceOrder.status.in_(DELIVERED),
            ServiceOrder.window_start_at >= start,
            ServiceOrder.window_start_at < end,
        )
        .options(*_order_options())
        .order_by(ServiceOrder.window_start_at, ServiceOrder.id)
    )
    if provider_id is not None:
        stmt = stmt.where(ServiceOrder.provider_id == provider_id)
    return [(order, visit) for order, visit in session.execute(stmt).unique()]


def provider(session: Session, provider_id: int) -> Provider | None:
    """A provider by id (for names on settlement sheets)."""
    return session.get(Provider, provider_id)


def caregivers_since(
    session: Session, elder_ids: Sequence[int], since: datetime
) -> list[tuple[int, int, datetime]]:
    """(elder, caregiver, check-in) of visits checked in since a time, for continuity."""
    stmt = select(Visit.elder_id, Visit.staff_id, Visit.check_in_at).where(
        Visit.elder_id.in_(elder_ids),
        Visit.check_in_at >= since,
        Visit.staff_id.is_not(None),
    )
    return [(e, s, at) for e, s, at in session.execute(stmt) if s is not None and at is not None]
