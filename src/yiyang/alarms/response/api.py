"""JSON routes of responders: the operator sends one; the responder answers, travels, reports."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from yiyang.alarms.response import repository, service
from yiyang.alarms.response.schemas import (
    ArriveIn,
    RefuseIn,
    ReportIn,
    ResponderCandidate,
    ResponderRead,
    SendIn,
)
from yiyang.kit.types import RowId
from yiyang.security.roles import Perm
from yiyang.web.deps import ApiSubject, DbSession, Locale, get_locale

router = APIRouter(tags=["alarms"], dependencies=[Depends(get_locale)])


@router.get("/alarms/{alarm_id}/responders", response_model=list[ResponderRead])
def list_responders(
    db: DbSession, subject: ApiSubject, locale: Locale, alarm_id: RowId
) -> list[ResponderRead]:
    """Everyone sent to the alarm, in the order asked."""
    subject.require(Perm.ALARM_READ)
    alarm = repository.get_alarm(db, subject, alarm_id)
    return [ResponderRead.of(r, locale) for r in repository.responders(db, alarm.id)]


@router.get("/alarms/{alarm_id}/responders/candidates", response_model=list[ResponderCandidate])
def candidates(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, alarm_id: RowId
) -> list[ResponderCandidate]:
    """Who could be sent now, nearest first (the operator may pick one)."""
    subject.require(Perm.ALARM_HANDLE)
    alarm = repository.get_alarm(db, subject, alarm_id)
    choice = service.choice_for(
        db, alarm, now=request.app.state.clock(), settings=request.app.state.settings
    )
    return [ResponderCandidate.of(o, locale) for o in choice.offers]


@router.post("/alarms/{alarm_id}/responders", response_model=ResponderRead, status_code=201)
def send(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    alarm_id: RowId,
    body: SendIn,
) -> ResponderRead:
    """Send the nearest person on duty (or the one picked) to the elder's home."""
    responder = service.send_responder(
        db, subject, alarm_id, now=request.app.state.clock(),
        settings=request.app.state.settings, person=body.person,
    )  # fmt: skip
    return ResponderRead.of(responder, locale)


@router.post("/alarms/{alarm_id}/respond/accept", response_model=ResponderRead)
def accept(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, alarm_id: RowId
) -> ResponderRead:
    """I will go."""
    return ResponderRead.of(
        service.accept(db, subject, alarm_id, now=request.app.state.clock()), locale
    )


@router.post("/alarms/{alarm_id}/respond/refuse", response_model=ResponderRead)
def refuse(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    alarm_id: RowId,
    body: RefuseIn,
) -> ResponderRead:
    """I cannot go (the next nearest is asked)."""
    responder = service.refuse(
        db, subject, alarm_id, body.reason, now=request.app.state.clock(),
        settings=request.app.state.settings,
    )  # fmt: skip
    return ResponderRead.of(responder, locale)


@router.post("/alarms/{alarm_id}/respond/on-the-way", response_model=ResponderRead)
def on_the_way(
    request: Request, db: DbSession, subject: ApiSubject, locale: Locale, alarm_id: RowId
) -> ResponderRead:
    """I am on my way."""
    return ResponderRead.of(
        service.on_the_way(db, subject, alarm_id, now=request.app.state.clock()), locale
    )


@router.post("/alarms/{alarm_id}/respond/arrive", response_model=ResponderRead)
def arrive(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    alarm_id: RowId,
    body: ArriveIn,
) -> ResponderRead:
    """I have arrived (with my location, or why there is none)."""
    responder = service.arrive(
        db, subject, alarm_id, lat=body.lat, lon=body.lon, reason=body.reason,
        now=request.app.state.clock(),
    )  # fmt: skip
    return ResponderRead.of(responder, locale)


@router.post("/alarms/{alarm_id}/respond/report", response_model=ResponderRead)
def report(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    alarm_id: RowId,
    body: ReportIn,
) -> ResponderRead:
    """What I found and did."""
    responder = service.report(
        db, subject, alarm_id, body.outcome, body.note, now=request.app.state.clock()
    )
    return ResponderRead.of(responder, locale)
