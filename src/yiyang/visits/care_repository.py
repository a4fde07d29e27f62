"""Queries of aftercare (complaints, their steps, the return-visit queue), scoped by the order."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from yiyang.errors import N_, NotFound
from yiyang.kit.localtime import local_today
from yiyang.orders import repository as order_repository
from yiyang.orders.models import ServiceOrder
from yiyang.registry.elders.models import Elder
from yiyang.security.subject import Subject
from yiyang.visits.care_models import ComplaintStep, ReturnVisitDue
from yiyang.visits.care_schemas import DueRead, DueSummary
from yiyang.visits.models import Complaint, Visit

DELIVERED = ("completed", "confirmed", "settled")


def _scope_ids(subject: Subject) -> Any:
    return order_repository.readable(subject).with_only_columns(ServiceOrder.id).scalar_subquery()


def _on_readable_order(
    session: Session, subject: Subject, model: Any, row_id: int, lock: bool, message: str
) -> Any:
    """One row of a table keyed to orders, when its order is readable, else NotFound."""
    if lock:
        session.scalar(select(model.id).where(model.id == row_id).with_for_update())
    stmt = select(model).where(model.id == row_id, model.order_id.in_(_scope_ids(subject)))
    found = session.scalar(stmt.execution_options(populate_existing=True))
    if found is None:
        raise NotFound(message, id=row_id)
    return found


def get_complaint(
    session: Session, subject: Subject, complaint_id: int, *, lock: bool = False
) -> Complaint:
    """One complaint on a readable order, or NotFound (locked first when it will change)."""
    message = N_("Complaint %(id)s not found.")
    found: Complaint = _on_readable_order(session, subject, Complaint, complaint_id, lock, message)
    return found


def complaint_rows(
    session: Session,
    subject: Subject,
    *,
    status: str | None = None,
    open_only: bool = False,
    category: str | None = None,
    provider_id: int | None = None,
    limit: int = 200,
) -> list[tuple[Complaint, ServiceOrder, Elder]]:
    """Complaints in scope with their order and elder, oldest open first."""
    stmt = (
        select(Complaint, ServiceOrder, Elder)
        .join(ServiceOrder, ServiceOrder.id == Complaint.order_id)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(Complaint.order_id.in_(_scope_ids(subject)))
    )
    if status:
        stmt = stmt.where(Complaint.status == status)
    if open_only:
        stmt = stmt.where(Complaint.status != "closed")
    if category:
        stmt = stmt.where(Complaint.category == category)
    if provider_id:
        stmt = stmt.where(ServiceOrder.provider_id == provider_id)
    stmt = stmt.options(joinedload(ServiceOrder.item), joinedload(ServiceOrder.provider))
    stmt = stmt.order_by(Complaint.at, Complaint.id).limit(limit)
    return [(c, o, e) for c, o, e in session.execute(stmt).unique()]


def complaints_of_order(session: Session, order_id: int) -> list[Complaint]:
    """The complaints of one order (scope is checked on the order first), oldest first."""
    stmt = select(Complaint).where(Complaint.order_id == order_id).order_by(Complaint.id)
    return list(session.scalars(stmt))


def steps_of(session: Session, complaint_ids: list[int]) -> dict[int, list[ComplaintStep]]:
    """The handling steps of several complaints, oldest first."""
    out: dict[int, list[ComplaintStep]] = {i: [] for i in complaint_ids}
    if not complaint_ids:
        return out
    stmt = (
        select(ComplaintStep)
        .where(ComplaintStep.complaint_id.in_(complaint_ids))
        .order_by(ComplaintStep.at, ComplaintStep.id)
    )
    for step in session.scalars(stmt):
        out[step.complaint_id].append(step)
    return out


def completed_between(session: Session, start: datetime, end: datetime) -> list[int]:
    """Delivered orders checked out in [start, end) and not yet sampled for a call-back."""
    sampled = select(ReturnVisitDue.order_id)
    stmt = (
        select(ServiceOrder.id)
        .join(Visit, Visit.order_id == ServiceOrder.id)
        .where(
            ServiceOrder.status.in_(DELIVERED),
            Visit.check_out_at >= start,
            Visit.check_out_at < end,
            ServiceOrder.id.not_in(sampled),
        )
    )
    return list(session.scalars(stmt))


def sampled_count(session: Session, day: date) -> int:
    """How many of a day's visits are sampled already."""
    stmt = select(func.count(ReturnVisitDue.id)).where(ReturnVisitDue.sample_date == day)
    return session.scalar(stmt) or 0


def get_due(
    session: Session, subject: Subject, due_id: int, *, lock: bool = False
) -> ReturnVisitDue:
    """One call-back on a readable order, or NotFound."""
    message = N_("Return visit %(id)s not found.")
    found: ReturnVisitDue = _on_readable_order(
        session, subject, ReturnVisitDue, due_id, lock, message
    )
    return found


def due_rows(
    session: Session, subject: Subject, tab: str, today: date, *, limit: int = 200
) -> list[tuple[ReturnVisitDue, ServiceOrder, Elder, Visit | None]]:
    """Call-backs in scope: `today` (due today), `overdue` (due before) or `done`."""
    stmt = (
        select(ReturnVisitDue, ServiceOrder, Elder, Visit)
        .join(ServiceOrder, ServiceOrder.id == ReturnVisitDue.order_id)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .outerjoin(Visit, Visit.order_id == ServiceOrder.id)
        .where(ReturnVisitDue.order_id.in_(_scope_ids(subject)))
    )
    if tab == "done":
        stmt = stmt.where(ReturnVisitDue.done_at.is_not(None)).order_by(
            ReturnVisitDue.done_at.desc()
        )
    else:
        day_clause = (
            ReturnVisitDue.due_date == today if tab == "today" else ReturnVisitDue.due_date < today
        )
        stmt = stmt.where(ReturnVisitDue.done_at.is_(None), day_clause).order_by(
            ReturnVisitDue.due_date, ReturnVisitDue.id
        )
    stmt = stmt.options(joinedload(ServiceOrder.item), joinedload(ServiceOrder.staff))
    return [(d, o, e, v) for d, o, e, v in session.execute(stmt.limit(limit)).unique()]


def due_counts(session: Session, subject: Subject, today: date) -> dict[str, int]:
    """How many call-backs are due today and overdue, in scope."""
    stmt = (
        select(ReturnVisitDue.due_date, func.count(ReturnVisitDue.id))
        .where(
            ReturnVisitDue.order_id.in_(_scope_ids(subject)),
            ReturnVisitDue.done_at.is_(None),
            ReturnVisitDue.due_date <= today,
        )
        .group_by(ReturnVisitDue.due_date)
    )
    out = {"today": 0, "overdue": 0}
    for day, n in session.execute(stmt):
        out["overdue" if day < today else "today"] += n
    return out


def provider_caregivers_since(
    session: Session, subject: Subject, provider_id: int, since: datetime
) -> list[tuple[int, int, datetime]]:
    """(elder, caregiver, check-in) of a provider's readable visits since a time (continuity)."""
    stmt = (
        select(Visit.elder_id, Visit.staff_id, Visit.check_in_at)
        .join(ServiceOrder, ServiceOrder.id == Visit.order_id)
        .where(
            Visit.order_id.in_(_scope_ids(subject)),
            ServiceOrder.provider_id == provider_id,
            Visit.check_in_at >= since,
            Visit.staff_id.is_not(None),
        )
    )
    return [(e, s, at) for e, s, at in session.execute(stmt) if s is not None and at is not None]


def due_read(d: ReturnVisitDue) -> DueRead:
    """A call-back row as the API and the work page read it."""
    return DueRead(
        id=d.id,
        order_id=d.order_id,
        due_date=d.due_date,
        attempts=d.attempts,
        done=d.done_at is not None,
        last_result=d.last_result,
    )


def return_visits_due(session: Session, subject: Subject, now: datetime) -> DueSummary:
    """Call-backs due today and overdue in the subject's scope, with the first five (overdue
    first): the counts and the short list an operator's work page shows."""
    today = local_today(now)
    counts = due_counts(session, subject, today)
    first = due_rows(session, subject, "overdue", today, limit=5)
    first += due_rows(session, subject, "today", today, limit=5)
    return DueSummary(
        due_today=counts["today"],
        overdue=counts["overdue"],
        first=[due_read(d) for d, _o, _e, _v in first[:5]],
    )
