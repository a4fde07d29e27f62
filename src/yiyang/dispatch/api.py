"""JSON routes that place and move orders through dispatch: create, events, assignment, queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from yiyang.dispatch import picking, tasks, wording
from yiyang.dispatch import service as dispatch_service
from yiyang.dispatch.reads import decision_read, read_order, weighed_names
from yiyang.dispatch.schemas import AssignIn, CandidateRead, DecisionRead, OrderDetail
from yiyang.kit.types import RowId
from yiyang.orders import recurring, rules
from yiyang.orders import service as order_service
from yiyang.orders.schemas import (
    EventIn,
    OrderCreate,
    OrderListItem,
    RecurringIn,
    RecurringRead,
    RecurringUpdate,
)
from yiyang.security.disclosure import Viewer
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale

router = APIRouter(tags=["orders"], dependencies=[Depends(get_locale)])


@router.post("/orders", response_model=OrderDetail, status_code=201)
def create_order(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    body: OrderCreate,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> OrderDetail:
    """Place an order and dispatch it; the same Idempotency-Key returns the first order."""
    order = dispatch_service.submit_order(
        db,
        subject,
        body,
        now=request.app.state.clock(),
        idempotency_key=idempotency_key,
        settings=request.app.state.settings,
    )
    return read_order(db, subject, order.id, locale=locale)


@router.get("/orders/{order_id}", response_model=OrderDetail)
def get_order(db: DbSession, subject: ApiSubject, locale: Locale, order_id: RowId) -> OrderDetail:
    """One order with its timeline and dispatch decisions."""
    return read_order(db, subject, order_id, locale=locale)


@router.post("/orders/{order_id}/events/{event}", response_model=OrderDetail)
def fire_event(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    order_id: RowId,
    event: rules.Event,
    body: EventIn | None = None,
) -> OrderDetail:
    """Accept, refuse, cancel, confirm… an order, with a reason."""
    body = body or EventIn()
    dispatch_service.act(
        db,
        subject,
        order_id,
        event,
        now=request.app.state.clock(),
        reason=body.reason,
        staff_id=body.staff_id,
        settings=request.app.state.settings,
    )
    return read_order(db, subject, order_id, locale=locale)


@router.post("/orders/{order_id}/assign", response_model=OrderDetail)
def assign(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    order_id: RowId,
    body: AssignIn,
) -> OrderDetail:
    """A dispatcher assigns, reassigns or pins a caregiver by hand, with a reason.

    A caregiver without the skills is refused, and so is one busy at that time unless
    `override_busy` is set (the decision then records it).
    """
    dispatch_service.assign(
        db,
        subject,
        order_id,
        body.staff_id,
        now=request.app.state.clock(),
        reason=body.reason,
        pin=body.pin,
        override_busy=body.override_busy,
        settings=request.app.state.settings,
    )
    return read_order(db, subject, order_id, locale=locale)


@router.get("/orders/{order_id}/candidates", response_model=list[CandidateRead])
def candidates(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, order_id: RowId
) -> list[CandidateRead]:
    """Everyone in the dispatcher's scope with a skill the order needs, best fit first."""
    _, choices = picking.candidates(db, subject, order_id, now=request.app.state.clock())
    return [
        CandidateRead(
            staff_id=c.fit.staff_id,
            name=c.name,
            code=c.code,
            provider=c.provider,
            facility=c.facility,
            tier=c.fit.tier,
            travel_min=round(c.fit.travel_min, 1),
            start=c.fit.candidate.start if c.fit.candidate else None,
            load_share=c.fit.load_share,
            visits_before=c.fit.visits_before,
            feasible=c.fit.feasible,
            reason=c.fit.reason,
            reason_label=wording.label(locale, wording.REASONS, c.fit.reason)
            if c.fit.reason
            else None,
            missing_skills=list(c.fit.missing),
            refused_before=c.fit.refused,
            current=c.current,
        )
        for c in choices
    ]


@router.post("/orders/{order_id}/redispatch", response_model=DecisionRead)
def redispatch(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, order_id: RowId
) -> DecisionRead:
    """A dispatcher asks automatic dispatch to try a waiting order again."""
    decision = dispatch_service.redispatch(
        db, subject, order_id, now=request.app.state.clock(), settings=request.app.state.settings
    )
    return decision_read(decision, locale, Viewer(subject), weighed_names(db, [decision]))


@router.get("/dispatch/queue", response_model=list[OrderListItem])
def dispatch_queue(db: DbSession, subject: ApiSubject) -> list[OrderListItem]:
    """Orders automatic dispatch could not place, oldest first (see each order for why)."""
    return [order_service.to_list_item(subject, o) for _, o in dispatch_service.queue(db, subject)]


@router.post("/recurring-orders", response_model=RecurringRead, status_code=201)
def create_recurring(
    request: Request, db: DbSession, subject: ApiSubject, body: RecurringIn
) -> RecurringRead:
    """Register a standing order; the orders it owes today and tomorrow are made at once."""
    now = request.app.state.clock()
    row = recurring.create(db, subject, body, now=now)
    _expand(request, db, row.id)
    return RecurringRead.model_validate(row)


@router.patch("/recurring-orders/{recurring_id}", response_model=RecurringRead)
def update_recurring(
    request: Request, db: DbSession, subject: ApiSubject, recurring_id: RowId, body: RecurringUpdate
) -> RecurringRead:
    """Change, pause or end a standing order (orders already made stay as they are)."""
    row = recurring.update(db, subject, recurring_id, body, now=request.app.state.clock())
    _expand(request, db, row.id)
    return RecurringRead.model_validate(row)


def _expand(request: Request, db: DbSession, recurring_id: RowId) -> None:
    """Make the orders one standing order owes now rather than at the next nightly run."""
    tasks.expand_recurring(
        db,
        now=request.app.state.clock(),
        days_ahead=request.app.state.settings.recurring_days_ahead,
        recurring_id=recurring_id,
        settings=request.app.state.settings,
    )
