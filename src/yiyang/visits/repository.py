"""Every query of the visits domain; the one place where its data scope is applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import parse_row_id
from yiyang.orders import repository as order_repository
from yiyang.orders.models import ServiceOrder
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.staff.models import Staff
from yiyang.security.disclosure import Kind, Viewer, may_see
from yiyang.security.subject import Subject
from yiyang.visits.models import Alert, Complaint, ReturnVisit, Visit, VisitRating
from yiyang.visits.schemas import AlertFilter

# Complaint states that no longer dispute a visit.
SETTLED_COMPLAINT = ("closed", "resolved")
# Orders whose visit is over and whose money is due (settlement and EVV export).
DELIVERED = ("completed", "confirmed", "settled")


def readable(subject: Subject) -> Select[tuple[ServiceOrder]]:
    """Orders (and so visits) the subject may see: the orders domain's scope, unchanged."""
    return order_repository.readable(subject)


def order_options() -> tuple[Any, ...]:
    """What a visit's row shows loaded: the elder and street, item, caregiver, provider."""
    return (
        joinedload(ServiceOrder.elder).joinedload(Elder.street),
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
    stmt = readable(subject).where(ServiceOrder.id == order_id).options(*order_options())
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
        .options(*order_options())
        .order_by(ServiceOrder.window_start_at, ServiceOrder.id)
    )
    return list(session.scalars(stmt).unique())


def rating_of(session: Session, order_id: int) -> VisitRating | None:
    """The rating of an order, if any."""
    return session.scalar(select(VisitRating).where(VisitRating.order_id == order_id))


def last_notes(session: Session, elder_ids: Sequence[int], *, before: datetime) -> dict[int, str]:
    """The notes of each elder's latest finished visit with notes (for the next caregiver)."""
    if not elder_ids:
        return {}
    rows = session.execute(
        select(Visit.elder_id, Visit.notes)
        .where(
            Visit.elder_id.in_(list(elder_ids)),
            Visit.notes.is_not(None),
            Visit.check_out_at.is_not(None),
            Visit.check_out_at < before,
        )
        .order_by(Visit.elder_id, Visit.check_out_at)
    )
    return {elder_id: notes for elder_id, notes in rows}  # the latest of each wins


def scores_of(session: Session, subject: Subject, order_ids: Sequence[int]) -> dict[int, int]:
    """The rating scores of those of these orders the subject may read."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(VisitRating.order_id, VisitRating.score).where(
            VisitRating.order_id.in_(list(order_ids)), VisitRating.order_id.in_(_scope_ids(subject))
        )
    )
    return {order_id: score for order_id, score in rows}


def _scope_ids(subject: Subject) -> Any:
    return readable(subject).with_only_columns(ServiceOrder.id).scalar_subquery()


# Most urgent first: nobody on it yet, then acknowledged, then resolved; within each the
# worse kind, then the newest.
_KIND_RANK = case(
    (Alert.kind == "no_show", 0), (Alert.kind == "late", 1), else_=2
)  # fmt: skip
_UNHANDLED = (Alert.resolved_at.is_(None), Alert.cleared_at.is_(None))


def _alert_options() -> tuple[Any, ...]:
    order = joinedload(Alert.order)
    return (
        order.joinedload(ServiceOrder.elder).joinedload(Elder.street),
        order.joinedload(ServiceOrder.elder).joinedload(Elder.community),
        order.joinedload(ServiceOrder.item),
        joinedload(Alert.staff),
        joinedload(Alert.acknowledged_by),
        joinedload(Alert.resolved_by),
    )


def _status_clause(status: str) -> Any:
    """SQL for an alert status; cleared by the platform counts as resolved."""
    if status == "resolved":
        return or_(Alert.resolved_at.is_not(None), Alert.cleared_at.is_not(None))
    if status == "acknowledged":
        return and_(Alert.acknowledged_at.is_not(None), *_UNHANDLED)
    if status == "open":
        return and_(Alert.acknowledged_at.is_(None), *_UNHANDLED)
    return and_(*_UNHANDLED)  # still to handle: open or acknowledged


def _filtered(subject: Subject, flt: AlertFilter, now: datetime) -> Select[tuple[Alert]]:
    stmt = (
        select(Alert)
        .join(ServiceOrder, ServiceOrder.id == Alert.order_id)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(Alert.order_id.in_(_scope_ids(subject)))
    )
    if flt.status != "all":
        stmt = stmt.where(_status_clause(flt.status or ""))
    if flt.kind:
        stmt = stmt.where(Alert.kind == flt.kind)
    if flt.street_code:
        street = select(Area.id).where(Area.code == flt.street_code.strip())
        stmt = stmt.where(Elder.street_id.in_(street.scalar_subquery()))
    if flt.elder:
        text = flt.elder.strip()  # a name, a phone number or an elder number
        elder_id = parse_row_id(text)  # not "²", nor past BIGINT
        by_id = Elder.id == elder_id if elder_id is not None else false()
        # By phone only for readers who see phones in full: for others a match would
        # confirm the masked digits.
        by_phone = Elder.phone == text if may_see(Viewer(subject), Kind.ELDER_PHONE) else false()
        stmt = stmt.where(or_(by_id, Elder.name.contains(text, autoescape=True), by_phone))
    if flt.order_id is not None:
        stmt = stmt.where(Alert.order_id == flt.order_id)
    if flt.staff_id is not None:
        stmt = stmt.where(Alert.staff_id == flt.staff_id)
    if flt.caregiver:
        names = select(Staff.id).where(Staff.name.contains(flt.caregiver.strip(), autoescape=True))
        stmt = stmt.where(Alert.staff_id.in_(names.scalar_subquery()))
    if flt.older_than_min:
        stmt = stmt.where(Alert.raised_at <= now - timedelta(minutes=flt.older_than_min))
    return stmt


def search_alerts(
    session: Session, subject: Subject, flt: AlertFilter, page: PageParams, *, now: datetime
) -> tuple[list[Alert], int]:
    """A page of matching alerts on readable orders (most urgent or newest first), and the total."""
    stmt = _filtered(subject, flt, now)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if flt.sort == "newest":
        order: tuple[Any, ...] = (Alert.raised_at.desc(), Alert.id.desc())
    else:
        stage = case(
            (_status_clause("resolved"), 2), (Alert.acknowledged_at.is_not(None), 1), else_=0
        )  # fmt: skip
        order = (stage, _KIND_RANK, Alert.raised_at.desc(), Alert.id.desc())
    rows = session.scalars(
        stmt.options(*_alert_options()).order_by(*order).offset(page.offset).limit(page.size)
    )
    return list(rows.unique()), total


def count_open(session: Session, subject: Subject) -> int:
    """How many alerts in scope nobody has acknowledged or resolved yet (the navigation badge)."""
    stmt = select(func.count(Alert.id)).where(
        Alert.order_id.in_(_scope_ids(subject)), _status_clause("open")
    )
    return session.scalar(stmt) or 0


def alerts_of_order(session: Session, order_id: int) -> list[Alert]:
    """Every alert of one order (scope is checked on the order first), newest first."""
    stmt = (
        select(Alert)
        .where(Alert.order_id == order_id)
        .options(*_alert_options())
        .order_by(Alert.raised_at.desc(), Alert.id.desc())
    )
    return list(session.scalars(stmt).unique())


def get_alert(session: Session, subject: Subject, alert_id: int, *, lock: bool = False) -> Alert:
    """One alert on a readable order, with what the screen shows loaded, or NotFound.

    With `lock`, the alert row is locked first, so two operators cannot both resolve it.
    """
    if lock:
        session.scalar(select(Alert.id).where(Alert.id == alert_id).with_for_update())
    stmt = (
        select(Alert)
        .where(Alert.id == alert_id, Alert.order_id.in_(_scope_ids(subject)))
        .options(*_alert_options())
        .execution_options(populate_existing=True)
    )
    alert = session.scalar(stmt)
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


def open_complaints(
    session: Session, order_ids: Sequence[int] | Select[tuple[int]]
) -> dict[int, int]:
    """How many complaints each order has that are not closed yet (open, assigned, answered);
    the orders as ids or as a statement selecting them."""
    if isinstance(order_ids, Sequence) and not order_ids:
        return {}
    stmt = (
        select(Complaint.order_id, func.count(Complaint.id))
        .where(Complaint.order_id.in_(order_ids), Complaint.status.not_in(SETTLED_COMPLAINT))
        .group_by(Complaint.order_id)
    )
    return {order_id: n for order_id, n in session.execute(stmt)}


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
        .options(*order_options())
        .order_by(ServiceOrder.window_start_at, ServiceOrder.id)
    )
    if provider_id is not None:
        stmt = stmt.where(ServiceOrder.provider_id == provider_id)
    return [(order, visit) for order, visit in session.execute(stmt).unique()]


def delivered_ids_between(
    subject: Subject,
    start: datetime,
    end: datetime,
    provider_id: int | None = None,
    street_ids: Sequence[int] | None = None,
) -> Select[tuple[int]]:
    """The ids of delivered readable orders whose window started in [start, end), optionally
    of one provider or of elders in some streets (a statement, to filter other tables by)."""
    stmt = select(ServiceOrder.id).where(
        ServiceOrder.id.in_(_scope_ids(subject)),
        ServiceOrder.status.in_(DELIVERED),
        ServiceOrder.window_start_at >= start,
        ServiceOrder.window_start_at < end,
    )
    if provider_id is not None:
        stmt = stmt.where(ServiceOrder.provider_id == provider_id)
    if street_ids is not None:
        stmt = stmt.where(
            ServiceOrder.elder_id.in_(select(Elder.id).where(Elder.street_id.in_(street_ids)))
        )
    return stmt


def delivered_facts(session: Session, ids: Select[tuple[int]]) -> list[Any]:
    """The columns supervision judges a delivered visit by, for these orders: (order id,
    provider id, window start, standard minutes, check-in and check-out times, their flags,
    short reason, manual). Rows, not objects: a district month is tens of thousands."""
    stmt = (
        select(
            ServiceOrder.id, ServiceOrder.provider_id, ServiceOrder.window_start_at,
            ServiceOrder.standard_minutes, Visit.check_in_at, Visit.check_out_at,
            Visit.check_in_flag, Visit.check_out_flag, Visit.short_reason, Visit.manual,
        )
        .outerjoin(Visit, Visit.order_id == ServiceOrder.id)
        .where(ServiceOrder.id.in_(ids))
    )  # fmt: skip
    return list(session.execute(stmt))


def deliveries_of(
    session: Session, order_ids: Sequence[int], *, lock: bool = False
) -> list[tuple[ServiceOrder, Visit | None]]:
    """Orders by id with their visits (callers checked scope), elder, item, staff and provider.

    With `lock`, the bare order rows are locked first (in id order), so two transactions
    judging one visit take turns (callers that change a visit's facts lock its order first
    too, so what they loaded is current).
    """
    if not order_ids:
        return []
    if lock:
        session.scalars(
            select(ServiceOrder.id)
            .where(ServiceOrder.id.in_(order_ids))
            .order_by(ServiceOrder.id)
            .with_for_update()
        ).all()
    stmt = (
        select(ServiceOrder)
        .add_columns(Visit)
        .outerjoin(Visit, Visit.order_id == ServiceOrder.id)
        .where(ServiceOrder.id.in_(order_ids))
        .options(*order_options())
        .order_by(ServiceOrder.id)
    )
    return [(order, visit) for order, visit in session.execute(stmt).unique()]


def providers_delivered_between(
    session: Session, subject: Subject, start: datetime, end: datetime
) -> list[int]:
    """The providers of delivered readable orders whose window started in [start, end)."""
    stmt = (
        readable(subject)
        .with_only_columns(ServiceOrder.provider_id)
        .where(
            ServiceOrder.status.in_(DELIVERED),
            ServiceOrder.window_start_at >= start,
            ServiceOrder.window_start_at < end,
            ServiceOrder.provider_id.is_not(None),
        )
        .distinct()
        .order_by(ServiceOrder.provider_id)
    )
    return [provider_id for provider_id in session.scalars(stmt) if provider_id is not None]


def count_delivered_between(
    session: Session,
    subject: Subject,
    start: datetime,
    end: datetime,
    provider_id: int | None = None,
) -> int:
    """How many delivered readable orders had their window start in [start, end)."""
    stmt = readable(subject).where(
        ServiceOrder.status.in_(DELIVERED),
        ServiceOrder.window_start_at >= start,
        ServiceOrder.window_start_at < end,
    )
    if provider_id is not None:
        stmt = stmt.where(ServiceOrder.provider_id == provider_id)
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


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
