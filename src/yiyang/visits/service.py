"""Caregiver use cases: answer an offer, travel, check in/out, checklist, notes; visit detail.

A caregiver acts only on its own visits (another's is 'not found'); every move of the order
goes through the orders state machine and so leaves a timeline row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.dispatch import service as dispatch_service
from yiyang.errors import N_, Conflict, FieldProblem, Invalid, NotFound
from yiyang.jobs import timers
from yiyang.kit.geo import wgs84_to_gcj02
from yiyang.kit.localtime import local_today
from yiyang.orders import rules as order_rules
from yiyang.orders import service as orders_service
from yiyang.orders.disclosure import elder_viewer
from yiyang.orders.models import ServiceOrder
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.security.disclosure import disclosed
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import alerts as alert_service
from yiyang.visits import repository, rules
from yiyang.visits.models import Visit
from yiyang.visits.payment import rules as pay_rules
from yiyang.visits.payment import verdicts
from yiyang.visits.policy import policy_from
from yiyang.visits.rules import AlertKind, CheckMethod, GeofenceResult, VisitPolicy
from yiyang.visits.schemas import (
    CheckIn,
    ChecklistIn,
    CheckOut,
    CheckRead,
    CorrectionRead,
    NoteIn,
    OfferAnswer,
    VisitItem,
    VisitRead,
)

LATE_CHECK = "visit.late_check"
NO_SHOW_CHECK = "visit.no_show_check"
E = order_rules.Event


def raise_if(problems: list[FieldProblem]) -> None:
    """Report every problem at once, as 422, before anything is written."""
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )


def planned_start(order: ServiceOrder) -> datetime:
    """When the caregiver is expected: the start dispatch planned, else the window start."""
    return order.planned_start_at or order.window_start_at


def _own_order(session: Session, subject: Subject, order_id: int) -> ServiceOrder:
    """The caller's own visit, locked; anyone else's (even in scope) is 'not found'."""
    subject.require(Perm.VISIT_ACT)
    order = repository.get_order(session, subject, order_id, lock=True)
    if subject.staff_id is None or order.staff_id != subject.staff_id:
        raise NotFound(N_("Order %(id)s not found."), id=order_id)
    return order


def visit_for(session: Session, order: ServiceOrder) -> Visit:
    """The order's visit row, created on first use."""
    visit = repository.get_visit(session, order.id)
    if visit is None:
        visit = Visit(order_id=order.id, elder_id=order.elder_id, staff_id=order.staff_id)
        visit.checklist = {}
        visit.corrections = []
        session.add(visit)
        session.flush()
    return visit


def _require_move(order: ServiceOrder, event: str) -> None:
    """Refuse an illegal move before anything is written (409 naming the status)."""
    order_rules.transition(order.status, event)


# ---------------------------------------------------------------- timers


def schedule_checks(
    session: Session, order: ServiceOrder, *, now: datetime, policy: VisitPolicy
) -> None:
    """(Re)schedule the late and no-show checks of an order for its current caregiver."""
    cancel_checks(session, order.id, now=now)
    start = rules.check_start(planned_start(order), now)
    payload = {"staff_id": order.staff_id}
    timers.schedule(session, LATE_CHECK, order.id, rules.late_at(start, policy), payload)
    timers.schedule(session, NO_SHOW_CHECK, order.id, rules.no_show_at(start, policy), payload)


def cancel_checks(session: Session, order_id: int, *, now: datetime) -> None:
    """Cancel the pending late and no-show checks of an order."""
    timers.cancel(session, LATE_CHECK, order_id, now=now)
    timers.cancel(session, NO_SHOW_CHECK, order_id, now=now)


# ---------------------------------------------------------------- caregiver actions


def answer_offer(
    session: Session,
    subject: Subject,
    order_id: int,
    data: OfferAnswer,
    *,
    now: datetime,
    settings: Settings,
) -> ServiceOrder:
    """Accept (late/no-show checks start) or refuse (dispatch tries the next caregiver)."""
    order = _own_order(session, subject, order_id)
    event = E.CAREGIVER_ACCEPT if data.accept else E.CAREGIVER_REFUSE
    _require_move(order, event)
    dispatch_service.act(
        session, subject, order.id, event, now=now, reason=data.reason, settings=settings
    )
    if data.accept:
        visit_for(session, order)
        schedule_checks(session, order, now=now, policy=policy_from(settings))
    else:
        cancel_checks(session, order.id, now=now)
    return order


def depart(session: Session, subject: Subject, order_id: int, *, now: datetime) -> ServiceOrder:
    """The caregiver sets off ('on the way')."""
    order = _own_order(session, subject, order_id)
    _require_move(order, E.DEPART)
    orders_service.transition(session, subject, order.id, E.DEPART, now=now)
    return order


def _capture(
    order: ServiceOrder,
    method: str,
    position: tuple[float, float] | None,
    accuracy_m: float | None,
    qr_code: str | None,
    *,
    secret_key: str,
    policy: VisitPolicy,
) -> GeofenceResult:
    """Check a QR code (a bad one is refused) and place the fix against the elder's geofence."""
    if method == CheckMethod.QR and not (qr_code and qr_code.strip()):
        raise Invalid(
            N_("Scan the QR code on the elder's card, or type the code printed under it."),
            field="qr_code",
            code="qr_code_missing",
        )
    if method == CheckMethod.QR and not rules.card_code_valid(
        qr_code or "", order.elder_id, secret_key
    ):
        raise Invalid(
            N_("This QR code is not the card of this elder."), field="qr_code", code="bad_qr_code"
        )
    elder = order.elder
    result = rules.check_geofence(
        (elder.lat, elder.lon), position, accuracy_m, elder.geofence_m, policy
    )
    if method == CheckMethod.QR and result.flag == rules.GeofenceFlag.NO_POSITION:
        # The card on the elder's wall proves the place when the phone has no fix.
        return GeofenceResult(None, result.radius_m, None, None)
    return result


def check_in(
    session: Session,
    subject: Subject,
    order_id: int,
    data: CheckIn,
    *,
    now: datetime,
    secret_key: str,
    policy: VisitPolicy,
) -> Visit:
    """Record arrival with time, position and accuracy; outside the geofence is flagged."""
    order = _own_order(session, subject, order_id)
    pos = (data.position.lat, data.position.lon) if data.position else None
    acc = data.position.accuracy_m if data.position else None
    fence = _capture(
        order, data.method, pos, acc, data.qr_code, secret_key=secret_key, policy=policy
    )
    _require_move(order, E.CHECK_IN)
    detail = {"method": data.method, "distance_m": fence.distance_m, "flag": fence.flag}
    orders_service.transition(session, subject, order.id, E.CHECK_IN, now=now, detail=detail)
    visit = visit_for(session, order)
    visit.staff_id = order.staff_id
    visit.check_in_at = now
    visit.check_in_lat, visit.check_in_lon = pos if pos else (None, None)
    visit.check_in_accuracy_m = acc
    visit.check_in_method = data.method
    visit.check_in_distance_m = fence.distance_m
    visit.check_in_flag = fence.flag
    arrived(session, order, now=now)
    if fence.flagged:
        alert_service.raise_alert(
            session, order, AlertKind.GEOFENCE, now=now, detail={"check_in": _fence(fence)}
        )
    if pay_rules.is_early(order.window_start_at, now, policy):
        early_min = int((order.window_start_at - now).total_seconds() // 60)
        alert_service.raise_alert(
            session, order, AlertKind.EARLY, now=now,
            detail={"minutes_early": early_min, "window_start_at": order.window_start_at},
        )  # fmt: skip
    session.flush()
    return visit


def arrived(session: Session, order: ServiceOrder, *, now: datetime) -> None:
    """The caregiver is there: stop the late/no-show checks and clear their alerts."""
    cancel_checks(session, order.id, now=now)
    for kind in (AlertKind.LATE, AlertKind.NO_SHOW):
        alert_service.clear(session, order.id, kind, now=now)


def _fence(fence: GeofenceResult) -> dict[str, Any]:
    return {
        "distance_m": fence.distance_m,
        "radius_m": fence.radius_m,
        "accuracy_m": fence.accuracy_m,
        "flag": fence.flag,
    }


def check_out(
    session: Session,
    subject: Subject,
    order_id: int,
    data: CheckOut,
    *,
    now: datetime,
    secret_key: str,
    policy: VisitPolicy,
) -> Visit:
    """Record departure; a short visit needs a reason; the order is then completed."""
    order = _own_order(session, subject, order_id)
    visit = repository.get_visit(session, order.id)
    if problem := rules.check_out_problem(visit.check_in_at if visit else None, now):
        raise Conflict(problem.message, field=problem.field, code=problem.code, **problem.params)
    assert visit is not None and visit.check_in_at is not None
    minutes = rules.duration_minutes(visit.check_in_at, now)
    pos = (data.position.lat, data.position.lon) if data.position else None
    acc = data.position.accuracy_m if data.position else None
    problems: list[FieldProblem] = []
    short = rules.short_visit_problem(
        minutes, order.standard_minutes, data.short_reason, data.note, policy
    )
    if short:
        problems.append(short)
    raise_if(problems)
    fence = _capture(
        order, data.method, pos, acc, data.qr_code, secret_key=secret_key, policy=policy
    )
    _require_move(order, E.CHECK_OUT)
    detail = {"method": data.method, "distance_m": fence.distance_m, "flag": fence.flag}
    orders_service.transition(session, subject, order.id, E.CHECK_OUT, now=now, detail=detail)
    visit.check_out_at = now
    visit.check_out_lat, visit.check_out_lon = pos if pos else (None, None)
    visit.check_out_accuracy_m = acc
    visit.check_out_method = data.method
    visit.check_out_distance_m = fence.distance_m
    visit.check_out_flag = fence.flag
    visit.duration_min = minutes
    if data.short_reason and minutes < rules.min_visit_minutes(order.standard_minutes, policy):
        visit.short_reason = data.short_reason
    if data.note and data.note.strip():
        append_note(visit, data.note, now)
    orders_service.record(
        session, order, E.COMPLETE, actor=None, now=now, reason="visit checked out"
    )
    verdicts.refresh(session, [order.id], policy=policy, now=now)
    if fence.flagged:
        alert_service.raise_alert(
            session, order, AlertKind.GEOFENCE, now=now, detail={"check_out": _fence(fence)}
        )
    if pay_rules.is_short(minutes, order.standard_minutes, policy):
        alert_service.raise_alert(
            session, order, AlertKind.SHORT, now=now,
            detail={"minutes": minutes, "standard_minutes": order.standard_minutes,
                    "short_reason": visit.short_reason},
        )  # fmt: skip
    session.flush()
    return visit


def append_note(visit: Visit, text: str, now: datetime) -> None:
    """Append a timestamped line to the visit's notes."""
    line = f"[{now.isoformat(timespec='minutes')}] {text.strip()}"
    visit.notes = f"{visit.notes}\n{line}" if visit.notes else line


def _open_visit(session: Session, order: ServiceOrder) -> Visit:
    visit = repository.get_visit(session, order.id)
    if visit is None or visit.check_in_at is None:
        raise Conflict(
            N_("Check in before recording the visit."), field="order_id", code="not_checked_in"
        )
    return visit


def save_checklist(
    session: Session, subject: Subject, order_id: int, data: ChecklistIn, *, now: datetime
) -> Visit:
    """Mark items of the service's checklist done or not done (merged with earlier marks)."""
    order = _own_order(session, subject, order_id)
    visit = _open_visit(session, order)
    items = rules.checklist_for(order.item.category.code)
    raise_if(rules.checklist_problems(items, data.items))
    visit.checklist = {**(visit.checklist or {}), **data.items}
    visit.updated_at = now
    session.flush()
    return visit


def add_note(
    session: Session, subject: Subject, order_id: int, data: NoteIn, *, now: datetime
) -> Visit:
    """Append a note to one's own visit (after check-in)."""
    order = _own_order(session, subject, order_id)
    visit = _open_visit(session, order)
    append_note(visit, data.text, now)
    visit.updated_at = now
    session.flush()
    return visit


# ---------------------------------------------------------------- reading


def item_values(order: ServiceOrder, visit: Visit | None) -> dict[str, Any]:
    """The values of a visit line (a caregiver's day, the head of a visit read)."""
    elder = order.elder
    glat, glon = wgs84_to_gcj02(elder.lat, elder.lon)
    return {
        "order_id": order.id,
        "status": order.status,
        "window_start_at": order.window_start_at,
        "window_end_at": order.window_end_at,
        "planned_start_at": order.planned_start_at,
        "service_code": order.item.code,
        "service_name": order.item.name_zh,
        "service_name_en": order.item.name_en,
        "elder_id": elder.id,
        "elder_name": elder.name,
        "elder_phone": elder.phone,
        "address": elder.address,
        "lat": elder.lat,
        "lon": elder.lon,
        "map_lat_gcj02": round(glat, 6),
        "map_lon_gcj02": round(glon, 6),
        "checked_in_at": visit.check_in_at if visit else None,
        "checked_out_at": visit.check_out_at if visit else None,
    }


def day_orders(
    session: Session, subject: Subject, day: date
) -> tuple[list[ServiceOrder], dict[int, Visit]]:
    """The caller's own orders of a day in time order, with their visit rows."""
    subject.require(Perm.VISIT_ACT)
    if subject.staff_id is None:
        return [], {}
    orders = repository.caregiver_day(session, subject, day)
    return orders, repository.visits_of(session, [o.id for o in orders])


def my_day(session: Session, subject: Subject, day: date, *, now: datetime) -> list[VisitItem]:
    """The caregiver's visits of a day, in time order, with a map point for navigation."""
    orders, visits = day_orders(session, subject, day)
    today = local_today(now)
    return [
        disclosed(VisitItem, elder_viewer(subject, o, today), item_values(o, visits.get(o.id)))
        for o in orders
    ]


def _check(visit: Visit | None, side: str) -> CheckRead:
    def get(name: str) -> Any:
        return getattr(visit, f"{side}_{name}") if visit else None

    return CheckRead(
        at=get("at"),
        method=get("method"),
        lat=get("lat"),
        lon=get("lon"),
        accuracy_m=get("accuracy_m"),
        distance_m=get("distance_m"),
        flag=get("flag"),
        manual=bool(get("manual")),
    )


def to_read(
    session: Session,
    subject: Subject,
    order: ServiceOrder,
    visit: Visit | None,
    *,
    now: datetime,
    policy: VisitPolicy = VisitPolicy(),
) -> VisitRead:
    """The full visit as this subject may see it, with its supervision flags."""
    rating = repository.rating_of(session, order.id)
    flags: list[str] = []
    if visit is not None and visit.check_in_at is not None:
        facts = pay_rules.VisitFacts(
            window_start_at=order.window_start_at, check_in_at=visit.check_in_at,
            check_out_at=visit.check_out_at, standard_minutes=order.standard_minutes,
            check_in_flag=visit.check_in_flag, check_out_flag=visit.check_out_flag,
            short_reason=visit.short_reason, manual=visit.manual,
            open_complaints=repository.open_complaints(session, [order.id]).get(order.id, 0),
            rating_score=rating.score if rating else None,
        )  # fmt: skip
        flags = [str(f) for f in pay_rules.visit_flags(facts, policy)]
    values = item_values(order, visit) | dict(
        staff_id=order.staff_id,
        staff_name=order.staff.name if order.staff else None,
        geofence_m=order.elder.geofence_m,
        check_in=_check(visit, "check_in"),
        check_out=_check(visit, "check_out"),
        duration_min=visit.duration_min if visit else None,
        short_reason=visit.short_reason if visit else None,
        checklist_items=list(rules.checklist_for(order.item.category.code)),
        checklist=dict(visit.checklist or {}) if visit else {},
        notes=visit.notes if visit else None,
        manual=visit.manual if visit else False,
        corrections=[CorrectionRead.model_validate(c) for c in visit.corrections] if visit else [],
        rating_score=rating.score if rating else None,
        rating_comment=rating.comment if rating else None,
        flags=flags,
        punctuality=rules.punctuality(
            planned_start(order), visit.check_in_at if visit else None, now, policy
        ),
    )
    return disclosed(VisitRead, elder_viewer(subject, order, local_today(now)), values)


def read_visit(
    session: Session,
    subject: Subject,
    order_id: int,
    *,
    now: datetime,
    policy: VisitPolicy = VisitPolicy(),
) -> VisitRead:
    """One visit in the caller's scope."""
    subject.require(Perm.VISIT_READ)
    order = repository.get_order(session, subject, order_id)
    visit = repository.get_visit(session, order.id)
    return to_read(session, subject, order, visit, now=now, policy=policy)


def continuity(
    session: Session, subject: Subject, elder_id: int, *, now: datetime, days: int = 30
) -> int:
    """Distinct caregivers who checked in with an elder in the last `days` days (fewer: better)."""
    subject.require(Perm.VISIT_READ)
    if session.scalar(elder_repository.readable(subject).where(Elder.id == elder_id)) is None:
        raise NotFound(N_("Elder %(id)s not found."), id=elder_id)
    since = now - timedelta(days=days)
    rows = repository.caregivers_since(session, [elder_id], since)
    return rules.continuity(rows, now, days).get(elder_id, 0)
