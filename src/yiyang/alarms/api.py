"""JSON routes of the alarm centre: the queue, one alarm with its timeline, the actions, and
the supervisor's figures. 404 outside the scope, 409 for a conflict with the alarm's state or
its holder, 422 naming the field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from yiyang.alarms import figures as alarm_figures
from yiyang.alarms.handling import service, shapes
from yiyang.alarms.handling.schemas import (
    AlarmDetail,
    AlarmRead,
    Call120,
    CallLog,
    CallRequest,
    CloseIn,
    Figures,
    NoteIn,
    QueueFilter,
    ResolveIn,
    ReviewIn,
)
from yiyang.alarms.models import Alarm
from yiyang.kit.types import RowId
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(prefix="/alarms", tags=["alarms"], dependencies=[Depends(get_locale)])


def _detail(request: Request, db: DbSession, alarm: Alarm) -> AlarmDetail:
    return shapes.to_detail(db, alarm, now=request.app.state.clock())


@router.get("", response_model=list[AlarmRead])
def queue(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    flt: Annotated[QueueFilter, Depends()],
) -> list[AlarmRead]:
    """The queue in the caller's scope: by severity, risk and waiting time (see `view`)."""
    return service.queue(db, subject, flt, now=request.app.state.clock())


@router.get("/figures", response_model=Figures)
def figures(request: Request, db: DbSession, subject: ApiSubject) -> Figures:
    """Queue depth, today's answer times against the targets, operators' load, open reviews."""
    return alarm_figures.figures(db, subject, now=request.app.state.clock())


@router.get("/{alarm_id}", response_model=AlarmDetail)
def read(request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId) -> AlarmDetail:
    """One alarm with its whole timeline and review tickets."""
    return _detail(request, db, service.get(db, subject, alarm_id))


@router.post("/{alarm_id}/acknowledge", response_model=AlarmDetail)
def acknowledge(
    request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId
) -> AlarmDetail:
    """Take the alarm (409 when another operator took it first)."""
    now = request.app.state.clock()
    return _detail(request, db, service.acknowledge(db, subject, alarm_id, now=now))


@router.post("/{alarm_id}/calls", response_model=AlarmDetail)
def call(
    request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId, body: CallRequest
) -> AlarmDetail:
    """Call the elder or a contact through the voice port, or log a call made by hand."""
    now = request.app.state.clock()
    return _detail(request, db, service.call(db, subject, alarm_id, body, now=now))


@router.post("/{alarm_id}/call-results", response_model=AlarmDetail)
def log_call(
    request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId, body: CallLog
) -> AlarmDetail:
    """The result of an earlier call (answered, no answer, busy, wrong number)."""
    now = request.app.state.clock()
    return _detail(request, db, service.log_call(db, subject, alarm_id, body, now=now))


@router.post("/{alarm_id}/call-120", response_model=AlarmDetail)
def call_120(
    request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId, body: Call120
) -> AlarmDetail:
    """120 was called (logged on the timeline)."""
    now = request.app.state.clock()
    return _detail(request, db, service.call_120(db, subject, alarm_id, body, now=now))


@router.post("/{alarm_id}/notes", response_model=AlarmDetail)
def add_note(
    request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId, body: NoteIn
) -> AlarmDetail:
    """A note on the timeline."""
    now = request.app.state.clock()
    return _detail(request, db, service.add_note(db, subject, alarm_id, body, now=now))


@router.post("/{alarm_id}/resolve", response_model=AlarmDetail)
def resolve(
    request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId, body: ResolveIn
) -> AlarmDetail:
    """The situation is handled; the alarm waits for its disposition."""
    now = request.app.state.clock()
    return _detail(request, db, service.resolve(db, subject, alarm_id, body, now=now))


@router.post("/{alarm_id}/close", response_model=AlarmDetail)
def close(
    request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId, body: CloseIn
) -> AlarmDetail:
    """Close with a disposition code (422 without one, or "other" without a note)."""
    now = request.app.state.clock()
    return _detail(request, db, service.close(db, subject, alarm_id, body, now=now))


@router.post("/{alarm_id}/review", response_model=AlarmDetail)
def review(
    request: Request, db: DbSession, subject: ApiSubject, alarm_id: RowId, body: ReviewIn
) -> AlarmDetail:
    """A supervisor's finding on a closed alarm (closes its review tickets)."""
    now = request.app.state.clock()
    return _detail(request, db, service.review(db, subject, alarm_id, body, now=now))
