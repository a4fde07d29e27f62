"""Standing orders (lunch Monday to Friday…): create, change, list, and which orders fall due.

A daily timer (dispatch.tasks) turns the occurrences into orders and dispatches them; the
unique (recurring_id, service_date) pair makes every occurrence an order at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, FieldProblem, Invalid
from yiyang.jobs import timers
from yiyang.jobs.models import Timer
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders import repository
from yiyang.orders.models import RecurringOrder
from yiyang.orders.rules import Channel
from yiyang.orders.schemas import OrderCreate, RecurringIn, RecurringUpdate
from yiyang.orders.service import load_elder, load_item, price_on
from yiyang.registry.catalog import repository as catalog_repository
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

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


def schedule_next(session: Session, fired: Timer, now: datetime) -> None:
    """After a run, schedule tomorrow's unless another run is already pending (no doubling)."""
    if not any(t.id != fired.id for t in timers.pending(session, EXPAND)):
        timers.schedule(session, EXPAND, 0, next_expansion(now))


def _minutes(start: time, end: time) -> int:
    day = date(2000, 1, 3)
    return int((datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() // 60)


def _problems(
    weekdays: list[int],
    start: time,
    end: time,
    start_date: date,
    end_date: date | None,
    today: date,
) -> list[FieldProblem]:
    problems = []
    if not weekdays:
        problems.append(FieldProblem("weekdays", "no_weekday", N_("Choose at least one weekday.")))
    elif any(d < 0 or d > 6 for d in weekdays):
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
    elif end_date is not None and end_date < today:
        problems.append(FieldProblem("end_date", "in_past", N_("The end date is in the past.")))
    return problems


def _window_problem(item: ServiceItem, start: time, end: time, day: date) -> FieldProblem | None:
    """Whether the service can be priced on `day` and fits in the daily window."""
    price = price_on(item, day)
    if price is None:
        return FieldProblem("item_code", "no_price", N_("This service has no price on that day."))
    if end > start and _minutes(start, end) < price.standard_minutes:
        return FieldProblem(
            "end_time",
            "too_short",
            N_("The time window must be at least %(minutes)s minutes long."),
            {"minutes": price.standard_minutes},
        )
    return None


def _raise(problems: list[FieldProblem]) -> None:
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )


def _snapshot(row: RecurringOrder) -> dict[str, Any]:
    return {
        "elder_id": row.elder_id,
        "item_id": row.item_id,
        "weekdays": list(row.weekdays),
        "start_time": row.start_time.isoformat(),
        "end_time": row.end_time.isoformat(),
        "start_date": row.start_date,
        "end_date": row.end_date,
        "active": row.active,
        "notes": row.notes,
    }


def create(
    session: Session, subject: Subject, data: RecurringIn, *, now: datetime
) -> RecurringOrder:
    """Register a standing order for an elder the subject may order for; nothing on error."""
    subject.require(Perm.ORDER_CREATE)
    today = local_today(now)
    problems = _problems(
        data.weekdays, data.start_time, data.end_time, data.start_date, data.end_date, today
    )
    elder = load_elder(session, subject, data.elder_id)
    item = load_item(session, data.item_code)
    problems += [x for x in (elder, item) if isinstance(x, FieldProblem)]
    if isinstance(item, ServiceItem) and (
        bad := _window_problem(item, data.start_time, data.end_time, max(data.start_date, today))
    ):
        problems.append(bad)
    _raise(problems)
    assert isinstance(item, ServiceItem) and isinstance(elder, Elder)
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
    audit.record(
        session, subject, "create", "recurring_order", row.id, after=_snapshot(row), at=now
    )
    ensure_timer(session, now)
    return row


def update(
    session: Session, subject: Subject, recurring_id: int, data: RecurringUpdate, *, now: datetime
) -> RecurringOrder:
    """Change, pause or end a standing order (orders already made are not touched).

    A null for weekdays, times or `active` means "unchanged"; a null end date means "no end".
    """
    subject.require(Perm.ORDER_CREATE)
    row = repository.get_recurring(session, subject, recurring_id)
    given = {
        k: v
        for k, v in data.model_dump(exclude_unset=True).items()
        if v is not None or k in ("end_date", "notes")
    }
    weekdays = given.get("weekdays", row.weekdays)
    start, end = given.get("start_time", row.start_time), given.get("end_time", row.end_time)
    today = local_today(now)
    # An end date is checked only when it changes (a running series may have passed it).
    problems = _problems(weekdays, start, end, row.start_date, given.get("end_date"), today)
    if "start_time" in given or "end_time" in given:
        item = catalog_repository.item_with_prices(session, item_id=row.item_id)
        assert item is not None
        if bad := _window_problem(item, start, end, max(row.start_date, today)):
            problems.append(bad)
    _raise(problems)
    before = _snapshot(row)
    for name, value in given.items():
        setattr(row, name, sorted(set(value)) if name == "weekdays" else value)
    row.updated_at = now
    session.flush()
    old, new = audit.changed_fields(before, _snapshot(row))
    if new:
        audit.record(
            session, subject, "update", "recurring_order", row.id, before=old, after=new, at=now
        )
    ensure_timer(session, now)
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


def due_on(session: Session, day: date, *, recurring_id: int | None = None) -> list[RecurringOrder]:
    """Running standing orders of served elders that produce an order on a local day."""
    return [
        r
        for r in repository.recurring_running(session, day, recurring_id=recurring_id)
        if (r.end_date is None or r.end_date >= day) and day.weekday() in (r.weekdays or [])
    ]


@dataclass(frozen=True)
class Occurrence:
    """One order a standing order still owes: for which day, what to create, under what key."""

    recurring: RecurringOrder
    day: date
    order: OrderCreate
    key: str


def occurrences(
    session: Session, *, now: datetime, days_ahead: int, recurring_id: int | None = None
) -> list[Occurrence]:
    """Orders not yet made for today up to `days_ahead`, leaving out windows already begun."""
    today = local_today(now)
    owed = []
    for offset in range(days_ahead + 1):
        day = today + timedelta(days=offset)
        for rec in due_on(session, day, recurring_id=recurring_id):
            start = datetime.combine(day, rec.start_time, CHINA_TZ)
            if start < now or repository.recurring_made_on(session, rec.id, day):
                continue
            order = OrderCreate(
                elder_id=rec.elder_id,
                item_code=rec.item.code,
                window_start=start,
                window_end=datetime.combine(day, rec.end_time, CHINA_TZ),
                channel=Channel.RECURRING,
                notes=rec.notes,
            )
            owed.append(Occurrence(rec, day, order, f"recurring:{rec.id}:{day.isoformat()}"))
    return owed
