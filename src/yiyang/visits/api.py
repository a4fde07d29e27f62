"""JSON routes of visits: the caregiver's day and actions, corrections, ratings, alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import RowId, SaneDate
from yiyang.visits import alerts, cards, feedback, service
from yiyang.visits.schemas import (
    AlertFilter,
    AlertNote,
    AlertRead,
    CardCode,
    CheckIn,
    ChecklistIn,
    CheckOut,
    ComplaintIn,
    ComplaintRead,
    CorrectionIn,
    NoteIn,
    OfferAnswer,
    OfferResult,
    RatingIn,
    RatingRead,
    ReturnVisitIn,
    ReturnVisitRead,
    VisitItem,
    VisitRead,
)
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(tags=["visits"], dependencies=[Depends(get_locale)])


def _visit(request: Request, db: DbSession, subject: ApiSubject, order_id: RowId) -> VisitRead:
    state = request.app.state
    return service.read_visit(
        db, subject, order_id, now=state.clock(), policy=service.policy_from(state.settings)
    )


@router.get("/visits/mine", response_model=list[VisitItem])
def my_visits(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    day: Annotated[SaneDate | None, Query(alias="date")] = None,
) -> list[VisitItem]:
    """The caregiver's visits of a day (today by default), in time order."""
    now = request.app.state.clock()
    return service.my_day(db, subject, day or local_today(now), now=now)


@router.get("/visits/alerts", response_model=Page[AlertRead])
def list_alerts(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    flt: Annotated[AlertFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[AlertRead]:
    """Alerts in scope, most urgent first; by default those nobody has resolved yet."""
    return alerts.open_alerts(db, subject, flt, page, now=request.app.state.clock())


@router.post("/visits/alerts/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge_alert(
    request: Request, db: DbSession, subject: ApiSubject, alert_id: RowId, body: AlertNote
) -> AlertRead:
    """A person is on it: the note says what they are doing (who and when are recorded)."""
    return alerts.acknowledge(db, subject, alert_id, body, now=request.app.state.clock())


@router.post("/visits/alerts/{alert_id}/resolve", response_model=AlertRead)
def resolve_alert(
    request: Request, db: DbSession, subject: ApiSubject, alert_id: RowId, body: AlertNote
) -> AlertRead:
    """Close an alert with a note saying what was done."""
    return alerts.resolve(db, subject, alert_id, body, now=request.app.state.clock())


@router.get("/orders/{order_id}/alerts", response_model=list[AlertRead])
def order_alerts(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId
) -> list[AlertRead]:
    """Every alert of one order, newest first."""
    return alerts.order_alerts(db, subject, order_id, now=request.app.state.clock())


@router.get("/visits/complaints", response_model=list[ComplaintRead])
def list_complaints(db: DbSession, subject: ApiSubject) -> list[ComplaintRead]:
    """Complaints in scope, newest first."""
    return feedback.list_complaints(db, subject)


@router.get("/visits/card-code/{elder_id}", response_model=CardCode)
def card_code(request: Request, db: DbSession, subject: ApiSubject, elder_id: RowId) -> CardCode:
    """The signed code to print as a QR on an elder's card (check-in fallback)."""
    state = request.app.state
    card = cards.card_of(db, subject, elder_id, secret_key=state.secret_key, now=state.clock())
    return CardCode(elder_id=card.elder_id, code=card.code)


@router.get("/visits/{order_id}", response_model=VisitRead)
def read_visit(request: Request, db: DbSession, subject: ApiSubject, order_id: RowId) -> VisitRead:
    """One visit: both checks, checklist, notes, corrections and rating."""
    return _visit(request, db, subject, order_id)


@router.post("/visits/{order_id}/answer", response_model=OfferResult)
def answer_offer(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: OfferAnswer
) -> OfferResult:
    """The caregiver accepts or refuses an offered visit (a refused one leaves their list)."""
    state = request.app.state
    order = service.answer_offer(
        db, subject, order_id, body, now=state.clock(), settings=state.settings
    )
    return OfferResult(
        order_id=order_id, accepted=body.accept, status=order.status if body.accept else None
    )


@router.post("/visits/{order_id}/depart", response_model=VisitRead)
def depart(request: Request, db: DbSession, subject: ApiSubject, order_id: RowId) -> VisitRead:
    """The caregiver is on the way."""
    service.depart(db, subject, order_id, now=request.app.state.clock())
    return _visit(request, db, subject, order_id)


@router.post("/visits/{order_id}/check-in", response_model=VisitRead)
def check_in(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: CheckIn
) -> VisitRead:
    """Arrival with time, GPS and accuracy, or the elder card's QR code."""
    state = request.app.state
    service.check_in(
        db, subject, order_id, body, now=state.clock(), secret_key=state.secret_key,
        policy=service.policy_from(state.settings),
    )  # fmt: skip
    return _visit(request, db, subject, order_id)


@router.post("/visits/{order_id}/check-out", response_model=VisitRead)
def check_out(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: CheckOut
) -> VisitRead:
    """Departure; a short visit needs a reason; the order is completed."""
    state = request.app.state
    service.check_out(
        db, subject, order_id, body, now=state.clock(), secret_key=state.secret_key,
        policy=service.policy_from(state.settings),
    )  # fmt: skip
    return _visit(request, db, subject, order_id)


@router.post("/visits/{order_id}/checklist", response_model=VisitRead)
def checklist(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: ChecklistIn
) -> VisitRead:
    """Mark checklist items done or not done."""
    service.save_checklist(db, subject, order_id, body, now=request.app.state.clock())
    return _visit(request, db, subject, order_id)


@router.post("/visits/{order_id}/notes", response_model=VisitRead)
def notes(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: NoteIn
) -> VisitRead:
    """Append a note to the visit."""
    service.add_note(db, subject, order_id, body, now=request.app.state.clock())
    return _visit(request, db, subject, order_id)


@router.post("/visits/{order_id}/corrections", response_model=VisitRead)
def correct(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: CorrectionIn
) -> VisitRead:
    """Correct a visit time by hand, with a reason code (recorded and marked manual)."""
    feedback.correct(
        db, subject, order_id, body, now=request.app.state.clock(),
        policy=service.policy_from(request.app.state.settings),
    )  # fmt: skip
    return _visit(request, db, subject, order_id)


@router.post("/orders/{order_id}/confirm", response_model=RatingRead, status_code=201)
def confirm(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: RatingIn
) -> RatingRead:
    """The elder or family confirms the visit and rates it."""
    return feedback.confirm(
        db, subject, order_id, body, now=request.app.state.clock(),
        policy=service.policy_from(request.app.state.settings),
    )  # fmt: skip


@router.post("/orders/{order_id}/complaints", response_model=ComplaintRead, status_code=201)
def complain(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: ComplaintIn
) -> ComplaintRead:
    """File a complaint about an order."""
    return feedback.file_complaint(
        db, subject, order_id, body, now=request.app.state.clock(),
        policy=service.policy_from(request.app.state.settings),
    )  # fmt: skip


@router.post("/orders/{order_id}/return-visits", response_model=ReturnVisitRead, status_code=201)
def return_visit(
    request: Request, db: DbSession, subject: ApiSubject, order_id: RowId, body: ReturnVisitIn
) -> ReturnVisitRead:
    """Record a call-centre follow-up call (回访)."""
    return feedback.record_return_visit(db, subject, order_id, body, now=request.app.state.clock())


@router.get("/orders/{order_id}/return-visits", response_model=list[ReturnVisitRead])
def return_visits(db: DbSession, subject: ApiSubject, order_id: RowId) -> list[ReturnVisitRead]:
    """Follow-up calls of an order."""
    return feedback.list_return_visits(db, subject, order_id)
