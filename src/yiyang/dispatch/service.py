"""Dispatch use cases: place an order, run the organisation and caregiver offers, override.

Every automatic or manual placement is a DispatchDecision row; refusals, timeouts and
unavailable caregivers lead to a new attempt without them; an order nobody can take goes to
the dispatcher queue with the reason, never silently unassigned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.db import as_domain_errors
from yiyang.dispatch import booking, picking, record, repository, states
from yiyang.dispatch.models import DispatchDecision, DispatchQueueItem
from yiyang.errors import N_, Conflict, Forbidden, Invalid
from yiyang.jobs import timers
from yiyang.orders import repository as order_repository
from yiyang.orders import rules
from yiyang.orders import service as order_service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderCreate
from yiyang.planner.explain import PINNED_REFUSED, explain_pick, line, moment
from yiyang.planner.feasibility import BUSY, SKILL
from yiyang.registry.staff.models import Staff
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject, system_subject

ORG_OFFER_EXPIRY = "dispatch.org_offer_expiry"
CAREGIVER_OFFER_EXPIRY = "dispatch.caregiver_offer_expiry"
E = rules.Event
SYSTEM = system_subject("dispatch")


class AlreadyDispatched(Conflict):
    """The order is not waiting for dispatch (another dispatch placed it, or it moved on)."""

    code = "already_dispatched"


def resolve_queue(session: Session, order_id: int, *, now: datetime, by: Subject, how: str) -> None:
    """Close the order's open queue items: someone (or something) placed it."""
    for item in repository.open_queue_items(session, order_id):
        item.resolved_at, item.resolved_by_id, item.resolution = now, by.user_id, how


def cancel_timers(session: Session, order_id: int, now: datetime) -> None:
    """Stop the order's offer timers: its offer was answered or replaced."""
    timers.cancel(session, ORG_OFFER_EXPIRY, order_id, now=now)
    timers.cancel(session, CAREGIVER_OFFER_EXPIRY, order_id, now=now)


def _place(
    session: Session, order: ServiceOrder, *, now: datetime, settings: Settings
) -> DispatchDecision:
    """Run the planner for a locked order awaiting dispatch; offer it or queue it.

    The winner's staff row is locked and its slot confirmed before it is booked (booking).
    """
    excluded_staff, excluded_providers = repository.exclusions(session, order.id)
    job = states.job_for(session, order, excluded=excluded_staff, now=now)
    decision = booking.choose_locked(
        session, order, job, excluded_providers=excluded_providers, k=settings.dispatch_top_k
    )
    order.dispatch_attempts += 1
    winner = decision.winner
    row = DispatchDecision(
        order_id=order.id,
        at=now,
        attempt=order.dispatch_attempts,
        tier=decision.tier,
        winner_staff_id=winner.staff_id if winner else None,
        winner_provider_id=winner.provider_id if winner else None,
        travel_min=winner.travel_min if winner else None,
        candidates=record.candidates_json(decision),
        rejected={
            **dict(decision.rejected),
            "excluded_providers": sorted(excluded_providers),
        },
        unplaceable_reason=decision.unplaceable_reason,
        explanation_lines=record.explanation(session, decision),
        outcome="offered" if winner else "unplaceable",
    )
    session.add(row)
    session.flush()
    if winner is None:
        order.provider_id = order.staff_id = None
        booking.set_planned_start(order, None)
        order.provider_status = order.caregiver_status = None
        order_service.record(
            session,
            order,
            E.QUEUE,
            actor=None,
            now=now,
            reason=decision.unplaceable_reason,
            detail={"decision_id": row.id},
        )
        session.add(
            DispatchQueueItem(
                order_id=order.id,
                reason_code=decision.unplaceable_reason or "unplaceable",
                detail={"decision_id": row.id, "explanation": row.explanation_lines},
                created_at=now,
            )
        )
    else:
        order.provider_id, order.staff_id = winner.provider_id, winner.staff_id
        booking.set_planned_start(order, winner.start)
        order_service.record(
            session,
            order,
            E.OFFER,
            actor=None,
            now=now,
            detail={"decision_id": row.id, "provider_id": winner.provider_id, "tier": row.tier},
        )
        timers.schedule(
            session,
            ORG_OFFER_EXPIRY,
            order.id,
            now + timedelta(minutes=settings.dispatch_org_offer_minutes),
            {"decision_id": row.id},
        )
    session.flush()
    return row


@as_domain_errors()
def dispatch(
    session: Session, order_id: int, *, now: datetime, settings: Settings
) -> DispatchDecision:
    """Place an order awaiting dispatch; the order row is locked so it is placed only once."""
    order = order_repository.get(session, SYSTEM, order_id, lock=True)
    if order.status not in rules.AWAITING_DISPATCH:
        raise AlreadyDispatched(
            N_("Order %(id)s is not waiting for dispatch (it is %(status)s)."),
            id=order_id,
            status=order.status,
        )
    return _place(session, order, now=now, settings=settings)


@as_domain_errors()
def submit_order(
    session: Session,
    subject: Subject,
    data: OrderCreate,
    *,
    now: datetime,
    idempotency_key: str | None = None,
    settings: Settings,
    recurring_id: int | None = None,
) -> ServiceOrder:
    """Take an order from any channel and dispatch it in the same transaction."""
    order, created = order_service.create_order(
        session,
        subject,
        data,
        now=now,
        idempotency_key=idempotency_key,
        settings=settings,
        recurring_id=recurring_id,
    )
    if created:
        _place(session, order, now=now, settings=settings)
    return order


def _redispatch(
    session: Session, order: ServiceOrder, *, now: datetime, settings: Settings
) -> None:
    """After a refusal or timeout: try again without them, unless a dispatcher pinned it."""
    if order.pinned:
        order_service.record(
            session, order, E.QUEUE, actor=None, now=now, reason="pinned_order_refused"
        )
        pinned = session.get(Staff, order.staff_id) if order.staff_id else None
        name = pinned.name if pinned else "—"
        session.add(
            DispatchQueueItem(
                order_id=order.id,
                reason_code="pinned_order_refused",
                detail={"explanation": [line(PINNED_REFUSED, {"name": name})]},
                created_at=now,
            )
        )
        return
    _place(session, order, now=now, settings=settings)


def _mark(session: Session, order: ServiceOrder, outcome: str) -> None:
    """Close the current decision; an accepted one can still become unavailable (late, ill)."""
    decision = repository.current_decision(session, order.id)
    if decision is None:
        return
    if decision.outcome == "offered" or (
        outcome == "unavailable" and decision.outcome == "accepted"
    ):
        decision.outcome = outcome


def _check_actor(subject: Subject, event: str) -> None:
    subject.require(Perm.ORDER_ACT)
    if not rules.may_fire(str(subject.role), event):
        raise Forbidden(
            N_("Your role may not do “%(event)s” to an order."), event=event, code="event_forbidden"
        )


@as_domain_errors()
def act(
    session: Session,
    subject: Subject,
    order_id: int,
    event: str,
    *,
    now: datetime,
    reason: str | None = None,
    staff_id: int | None = None,
    settings: Settings,
) -> ServiceOrder:
    """Fire an event by hand, with the dispatch consequences (timers, next attempt)."""
    _check_actor(subject, event)
    order = order_repository.get(session, subject, order_id, lock=True)
    rules.transition(order.status, event)  # refuse illegal moves before any side effect
    if event == E.ORG_ACCEPT:
        if staff_id is not None and staff_id != order.staff_id:
            _choose_own_caregiver(session, order, staff_id)
        order_service.record(session, order, event, actor=subject, now=now, reason=reason)
        timers.cancel(session, ORG_OFFER_EXPIRY, order.id, now=now)
        order_service.record(
            session, order, E.ASSIGN, actor=None, now=now, detail={"staff_id": order.staff_id}
        )
        decision = repository.current_decision(session, order.id)
        timers.schedule(
            session,
            CAREGIVER_OFFER_EXPIRY,
            order.id,
            now + timedelta(minutes=settings.dispatch_caregiver_offer_minutes),
            {"decision_id": decision.id if decision else None},
        )
    elif event in (E.ORG_REFUSE, E.CAREGIVER_REFUSE, E.CAREGIVER_UNAVAILABLE):
        order_service.record(session, order, event, actor=subject, now=now, reason=reason)
        cancel_timers(session, order.id, now)
        outcome = {
            E.ORG_REFUSE: "org_refused",
            E.CAREGIVER_REFUSE: "caregiver_refused",
            E.CAREGIVER_UNAVAILABLE: "unavailable",
        }[rules.Event(event)]
        _mark(session, order, outcome)
        _redispatch(session, order, now=now, settings=settings)
    elif event == E.CAREGIVER_ACCEPT:
        order_service.record(session, order, event, actor=subject, now=now, reason=reason)
        timers.cancel(session, CAREGIVER_OFFER_EXPIRY, order.id, now=now)
        _mark(session, order, "accepted")
    else:
        order_service.record(session, order, event, actor=subject, now=now, reason=reason)
        if event in (E.CANCEL, E.NO_SHOW):
            cancel_timers(session, order.id, now)
            resolve_queue(session, order.id, now=now, by=subject, how=str(event))
    session.flush()
    return order


def _choose_own_caregiver(session: Session, order: ServiceOrder, staff_id: int) -> None:
    """The organisation sends another of its caregivers, at the offered time, if they are free."""
    booking.lock_staff(session, [staff_id])
    staff = session.get(Staff, staff_id)
    if staff is None or staff.provider_id != order.provider_id or staff.status != "active":
        raise Invalid(N_("Choose an active caregiver of your own organisation."), field="staff_id")
    start = order.planned_start_at or order.window_start_at
    booking.ensure_free(session, staff, order, start)
    order.staff_id = staff.id
    booking.set_planned_start(order, start)


@as_domain_errors()
def expire_offer(
    session: Session,
    order_id: int,
    decision_id: int | None,
    *,
    step: str,
    now: datetime,
    settings: Settings,
) -> bool:
    """A timer fired: if that offer is still open, time it out and try the next candidate."""
    order = order_repository.get(session, SYSTEM, order_id, lock=True)
    decision = repository.current_decision(session, order.id)
    if decision is None or decision.id != decision_id or decision.outcome != "offered":
        return False
    waiting = rules.Status.OFFERED if step == "org" else rules.Status.ASSIGNED
    if order.status != waiting:
        return False
    event = E.ORG_TIMEOUT if step == "org" else E.CAREGIVER_TIMEOUT
    order_service.record(session, order, event, actor=None, now=now, reason="offer_expired")
    decision.outcome = "org_timeout" if step == "org" else "caregiver_timeout"
    _redispatch(session, order, now=now, settings=settings)
    session.flush()
    return True


@as_domain_errors()
def assign(
    session: Session,
    subject: Subject,
    order_id: int,
    staff_id: int,
    *,
    now: datetime,
    reason: str,
    pin: bool = False,
    override_busy: bool = False,
    settings: Settings,
) -> ServiceOrder:
    """A dispatcher's override: assign (or reassign, or pin) a caregiver by hand, with a reason.

    The caregiver must be in the dispatcher's scope and hold the skills. The visit starts at
    the caregiver's best free slot when there is one. A caregiver the planner finds no room
    for (busy: the trip between visits is too tight) is refused unless the dispatcher
    knowingly overrides it; the visit then starts at the first moment in the window free of
    their other visits. A visit on top of another is never made (DoubleBooked names it).
    """
    subject.require(Perm.ORDER_DISPATCH)
    reason = reason.strip()
    if not reason:
        raise Invalid(N_("Give a reason for the manual assignment."), field="reason")
    order = order_repository.get(session, subject, order_id, lock=True)
    rules.transition(order.status, E.REASSIGN)
    booking.lock_staff(session, [staff_id])  # before their day is read: see booking
    fit, staff, job = picking.fit_of(session, subject, order, staff_id, now=now)
    if fit.reason == SKILL:
        raise Invalid(
            N_("%(name)s does not have the skills this service needs."),
            field="staff_id",
            name=staff.name,
        )
    busy = fit.reason == BUSY
    if busy and not override_busy:
        raise Invalid(
            N_(
                "%(name)s is busy with another visit at that time. Choose someone else, "
                "or tick “Override busy” to assign anyway."
            ),
            field="override_busy",
            name=staff.name,
        )
    if fit.candidate is not None:
        start = fit.candidate.start
    else:
        start = booking.free_start(session, staff, order, job)
    previous = repository.current_decision(session, order.id)
    if previous is not None and previous.outcome == "offered":
        previous.outcome = "superseded"
    cancel_timers(session, order.id, now)
    order.dispatch_attempts += 1
    lines = explain_pick(fit, name=staff.name, by=subject.display_name, reason=reason)
    if fit.candidate is None:
        lines.append(line(N_("The visit starts at %(start)s"), {"start": moment(start)}))
    row = DispatchDecision(
        order_id=order.id,
        at=now,
        attempt=order.dispatch_attempts,
        tier=fit.tier,
        winner_staff_id=staff.id,
        winner_provider_id=staff.provider_id,
        travel_min=fit.travel_min,
        candidates=[],
        rejected={},
        explanation_lines=lines,
        outcome="offered",
        manual=True,
        decided_by_id=subject.user_id,
        reason=reason,
        busy_overridden=busy,
    )
    session.add(row)
    session.flush()
    order.provider_id, order.staff_id, order.pinned = staff.provider_id, staff.id, pin
    booking.set_planned_start(order, start)
    order_service.record(
        session,
        order,
        E.REASSIGN,
        actor=subject,
        now=now,
        reason=reason,
        detail={"decision_id": row.id, "staff_id": staff.id, "pinned": pin}
        | ({"busy_overridden": True} if busy else {}),
    )
    timers.schedule(
        session,
        CAREGIVER_OFFER_EXPIRY,
        order.id,
        now + timedelta(minutes=settings.dispatch_caregiver_offer_minutes),
        {"decision_id": row.id},
    )
    resolve_queue(session, order.id, now=now, by=subject, how="assigned")
    session.flush()
    return order


@as_domain_errors()
def redispatch(
    session: Session,
    subject: Subject,
    order_id: int,
    *,
    now: datetime,
    settings: Settings,
) -> DispatchDecision:
    """A dispatcher asks automatic dispatch to try a queued order again."""
    subject.require(Perm.ORDER_DISPATCH)
    order_repository.get(session, subject, order_id)
    decision = dispatch(session, order_id, now=now, settings=settings)
    if decision.winner_staff_id is not None:
        resolve_queue(session, order_id, now=now, by=subject, how="redispatched")
    return decision


def queue(session: Session, subject: Subject) -> list[tuple[DispatchQueueItem, ServiceOrder]]:
    """Open queue items of orders in the dispatcher's scope, oldest first."""
    subject.require(Perm.ORDER_DISPATCH)
    return repository.open_queue(session, subject)
