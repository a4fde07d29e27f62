"""The responder's phone pages: what I am sent to, and one alarm with its buttons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yiyang.alarms.kinds import LABELS, AlarmType, StepAction
from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.alarms.response import repository, service
from yiyang.alarms.response.family import alarm_words
from yiyang.alarms.response.models import AlarmResponder
from yiyang.alarms.response.rules import (
    OUTCOMES,
    REFUSE_REASONS,
    ROLE_WORDS,
    STATE_WORDS,
    WAITING,
    State,
)
from yiyang.alarms.response.schemas import ArriveIn, RefuseIn, ReportIn
from yiyang.errors import N_, DomainError, FieldProblem
from yiyang.kit.types import RowId
from yiyang.orders.page_helpers import helpers
from yiyang.registry.vocab import RELATION_LABELS
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message, problems_by_field, validation_problems
from yiyang.web.i18n import translate
from yiyang.web.templating import render


def _relation(locale: str, typed: str | None) -> str:
    """A contact's relation as typed, in the reader's language when it is a known word."""
    known = RELATION_LABELS.get(typed or "")
    return translate(locale, known) if known else typed or ""


router = APIRouter(prefix="/m/alarms", include_in_schema=False, dependencies=[Depends(get_locale)])

RECENT = timedelta(hours=24)  # finished alarms stay on the list this long
FIELD_LABELS = {
    "reason": N_("Reason"),
    "lat": N_("Location"),
    "lon": N_("Location"),
    "outcome": N_("What happened"),
    "note": N_("Note"),
}


@dataclass(frozen=True)
class Contact:
    """A person to call about the elder, the key holder first."""

    name: str
    relationship: str
    phone: str
    has_key: bool


@dataclass(frozen=True)
class Card:
    """One alarm I am (or was) sent to, as the phone shows it."""

    alarm: Alarm
    responder: AlarmResponder
    title: str
    waiting: bool


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _card(session: Session, locale: str, responder: AlarmResponder, alarm: Alarm) -> Card:
    kind = repository.device_kind(session, alarm.device_id)
    waiting = responder.state in WAITING and alarm.closed_at is None
    return Card(alarm, responder, alarm_words(locale, alarm, kind), waiting)


def _words(locale: str) -> dict[str, Any]:
    return helpers(locale) | {
        "state_words": lambda s: translate(locale, STATE_WORDS[State(s)]),
        "role_words": lambda r: translate(locale, ROLE_WORDS.get(r, N_("responder"))),
        "outcome_words": lambda o: translate(locale, OUTCOMES.get(o, N_("Something else"))),
        "relationship_words": lambda r: (
            translate(locale, RELATION_LABELS[r]) if r in RELATION_LABELS else r or ""
        ),
        "refuse_reasons": {c: translate(locale, w) for c, w in REFUSE_REASONS.items()},
        "outcomes": {c: translate(locale, w) for c, w in OUTCOMES.items()},
        "field_label": lambda name: translate(locale, FIELD_LABELS.get(name, N_("This field"))),
    }


@router.get("", response_class=HTMLResponse)
def my_alarms(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The alarms I am sent to (waiting first), and those of the last day."""
    subject.require(Perm.ALARM_RESPOND)
    rows = repository.sent_to(db, subject.user_id, since=_now(request) - RECENT)
    cards = [_card(db, locale, r, a) for r, a in rows]
    cards.sort(key=lambda c: not c.waiting)
    return render(request, "alarms/response/list.html", {"cards": cards} | _words(locale))


def _notes(steps: list[AlarmStep]) -> list[AlarmStep]:
    """What people wrote on the timeline (the operator's notes), not the platform's entries."""
    return [s for s in steps if s.text and s.by_user_id is not None and s.action in _NOTED]


_NOTED = {
    str(a)
    for a in (
        StepAction.NOTE, StepAction.ACKNOWLEDGED, StepAction.RAISED, StepAction.CALLED,
        StepAction.CALL_RESULT, StepAction.RESPONDER_SENT,
    )
}  # fmt: skip


def _alarm_page(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    alarm_id: int,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
    kept: dict[str, str] | None = None,
) -> HTMLResponse:
    subject.require(Perm.ALARM_RESPOND)
    alarm = repository.get_alarm(db, subject, alarm_id)
    responder = repository.own_responder(db, subject, alarm_id)
    elder = alarm.elder
    assert elder is not None  # nobody is sent to an alarm without an elder
    contacts = sorted(
        (Contact(*c) for c in repository.contacts(db, elder.id)), key=lambda c: not c.has_key
    )
    card = _card(db, locale, responder, alarm)
    context = {
        "card": card, "elder": elder, "contacts": contacts,
        "type_words": translate(locale, LABELS.get(AlarmType(alarm.type), N_("Alarm"))),
        "notes": _notes(repository.steps(db, alarm.id)),
        "errors": errors or {}, "message": message, "kept": kept or {},
        "expected_at": (responder.on_the_way_at or _now(request))
        + timedelta(minutes=responder.travel_minutes),
    } | _words(locale)  # fmt: skip
    return render(request, "alarms/response/detail.html", context, status_code=status_code)


@router.get("/{alarm_id}", response_class=HTMLResponse)
def alarm_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, alarm_id: RowId
) -> HTMLResponse:
    """One alarm I am sent to: the elder, where, whom to call, what to do next."""
    return _alarm_page(request, db, subject, locale, alarm_id)


def _act(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    alarm_id: int,
    step: Callable[[], Response | None],
    *,
    kept: dict[str, str] | None = None,
) -> Response:
    """Run one responder action; a refusal shows the page again with the problem in words."""
    try:
        done = step()
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        db.rollback()
        return _alarm_page(
            request, db, subject, locale, alarm_id,
            errors=problems_by_field(locale, exc.problems),
            message=error_message(locale, exc), status_code=exc.status_code, kept=kept,
        )  # fmt: skip
    except ValidationError as exc:
        problems = validation_problems(exc) or [
            FieldProblem("reason", "invalid", N_("This value is not valid."))
        ]
        return _alarm_page(
            request, db, subject, locale, alarm_id,
            errors=problems_by_field(locale, problems),
            message=translate(locale, N_("Please correct the marked field.")), status_code=422,
            kept=kept,
        )  # fmt: skip
    return done or RedirectResponse(f"/m/alarms/{alarm_id}", status_code=303)


def _text(form: FormData, name: str) -> str | None:
    return str(form.get(name) or "").strip() or None


def _number(form: FormData, name: str) -> float | None:
    raw = _text(form, name)
    return float(raw) if raw is not None else None


@router.post("/{alarm_id}/accept", response_model=None)
def accept(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, alarm_id: RowId
) -> Response:
    """I will go."""

    def step() -> None:
        service.accept(db, subject, alarm_id, now=_now(request))

    return _act(request, db, subject, locale, alarm_id, step)


@router.post("/{alarm_id}/refuse", response_model=None)
def refuse(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    form: FormBody,
    alarm_id: RowId,
) -> Response:
    """I cannot go: the next nearest is asked; back to my list."""

    def step() -> Response:
        body = RefuseIn(reason=_text(form, "reason") or "")
        service.refuse(
            db, subject, alarm_id, body.reason, now=_now(request),
            settings=request.app.state.settings,
        )  # fmt: skip
        return RedirectResponse("/m/alarms", status_code=303)

    return _act(request, db, subject, locale, alarm_id, step)


@router.post("/{alarm_id}/on-the-way", response_model=None)
def on_the_way(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, alarm_id: RowId
) -> Response:
    """I am on my way."""

    def step() -> None:
        service.on_the_way(db, subject, alarm_id, now=_now(request))

    return _act(request, db, subject, locale, alarm_id, step)


@router.post("/{alarm_id}/arrive", response_model=None)
def arrive(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    form: FormBody,
    alarm_id: RowId,
) -> Response:
    """I have arrived: the phone's location (ui.js arrivalGeo), or why there is none."""

    def step() -> None:
        try:
            lat, lon = _number(form, "lat"), _number(form, "lon")
        except ValueError:
            lat = lon = None
        body = ArriveIn(lat=lat, lon=lon, reason=_text(form, "reason"))
        service.arrive(
            db, subject, alarm_id, lat=body.lat, lon=body.lon, reason=body.reason,
            now=_now(request),
        )  # fmt: skip

    # A location read outside the geofence is kept, so the reason is sent with it.
    kept = {k: v for k in ("lat", "lon") if (v := _text(form, k)) is not None}
    return _act(request, db, subject, locale, alarm_id, step, kept=kept)


@router.post("/{alarm_id}/report", response_model=None)
def report(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    form: FormBody,
    alarm_id: RowId,
) -> Response:
    """What I found and did."""

    def step() -> None:
        body = ReportIn(outcome=_text(form, "outcome") or "", note=_text(form, "note"))
        service.report(db, subject, alarm_id, body.outcome, body.note, now=_now(request))

    return _act(request, db, subject, locale, alarm_id, step)
