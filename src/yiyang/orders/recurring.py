"""Standing orders (lunch Monday to Friday…): create, change, list; a daily timer expands them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.errors import N_, FieldProblem, Invalid
from yiyang.kit.clock import CHINA_TZ, local_today
from yiyang.orders import repository
from yiyang.orders.models import RecurringOrder
from yiyang.orders.schemas import RecurringIn, RecurringUpdate
from yiyang.orders.service import _elder, _item
from yiyang.registry.models import ServiceItem
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.timers import service as timers

EXPAND = "orders.recurring_expand"
EXPAND_AT = time(0, 30)  # local time of the daily expansion


def next_expansion(now: datetime) -> datetime:
    """The next daily expansion time after `now` (00:30 China time)."""
    at = datetime.combine(local_today(now), EXPAND_AT, CHINA_TZ)
    if at <= now:
        at += timedelta(days=1)
    return at


def ensure_timer(session: Session, now: datetime) -> None:
    """Make sure one daily expansion timer is pending (it reschedules itself when it fires)."""
    if not timers.pending(session, EXPAND):
        timers.schedule(session, EXPAND, 0, next_expansion(now))


def _problems(
    weekdays: list[int], start: time, end: time, start_date: date, end_date: date | None
) -> list[FieldProblem]:
    problems = []
    if any(d < 0 or d > 6 for d in weekdays):
        problems.append(
            FieldProblem("weekdays", "bad_weekday", N_("Weekdays go from 0 (Monday) to 6."))
        )
    if end <= start:
        problems.append(
            FieldProblem("end_time", "inverted", N_("The time window ends before it starts."))
        )
    if end_date is not None and end_date < start_date:
        problems.append(
            FieldProblem("end_date", "inverted", N_("The end date is before the start date."))
        )
    return problems


def _raise(problems: list[FieldProblem]) -> None:
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )


def create(
    session: Session, subject: Subject, data: RecurringIn, *, now: datetime
) -> RecurringOrder:
    """Register a standing order for an elder the subject may order for."""
    subject.require(Perm.ORDER_CREATE)
    problems = _problems(
        data.weekdays, data.start_time, data.end_time, data.start_date, data.end_date
    )
    elder = _elder(session, subject, data.elder_id)
    item = _item(session, data.item_code)
    problems += [x for x in (elder, item) if isinstance(x, FieldProblem)]
    _raise(problems)
    assert isinstance(item, ServiceItem) and not isinstance(elder, FieldProblem)
    row = RecurringOrder(
        elder_id=elder.id,
        item_id=item.id,
        weekdays=sorted(set(data.weekdays)),
        start_time=data.start_time,
        end_time=data.end_time,
        start_date=data.start_date,
        end_date=data.end_date,
        notes=data.notes,
        created_by_id=subject.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    ensure_timer(session, now)
    return row


def update(
    session: Session, subject: Subject, recurring_id: int, data: RecurringUpdate, *, now: datetime
) -> RecurringOrder:
    """Change or stop a standing order (orders already made are not touched)."""
    subject.require(Perm.ORDER_CREATE)
    row = repository.get_recurring(session, subject, recurring_id)
    given = data.model_dump(exclude_unset=True)
    weekdays = given.get("weekdays") or row.weekdays
    _raise(
        _problems(
            weekdays,
            given.get("start_time") or row.start_time,
            given.get("end_time") or row.end_time,
            row.start_date,
            given.get("end_date", row.end_date),
        )
    )
    for name, value in given.items():
        setattr(row, name, sorted(set(value)) if name == "weekdays" else value)
    row.updated_at = now
    session.flush()
    return row


def list_for(
    session: Session, subject: Subject, elder_id: int | None = None
) -> list[RecurringOrder]:
    """Standing orders in scope, optionally of one elder."""
    subject.require(Perm.ORDER_READ)
    stmt = repository.recurring_readable(subject)
    if elder_id is not None:
        stmt = stmt.where(RecurringOrder.elder_id == elder_id)
    return list(session.scalars(stmt.order_by(RecurringOrder.id)))


def due_on(session: Session, day: date) -> list[RecurringOrder]:
    """Active standing orders that produce an order on a local day."""
    rows = session.scalars(
        select(RecurringOrder).where(
            RecurringOrder.active.is_(True), RecurringOrder.start_date <= day
        )
    ).all()
    return [
        r
        for r in rows
        if (r.end_date is None or r.end_date >= day) and day.weekday() in (r.weekdays or [])
    ]
