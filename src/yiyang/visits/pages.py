"""The caregiver's phone pages: the day's visits, answer an offer, travel, check in and out."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from yiyang.errors import N_, DomainError, FieldProblem
from yiyang.kit.geo import haversine_m
from yiyang.kit.types import RowId
from yiyang.orders.page_helpers import REFUSE_REASONS, SHORT_REASON_LABELS, helpers
from yiyang.security.subject import Subject
from yiyang.visits import service as visit_service
from yiyang.visits.schemas import (
    CheckIn,
    ChecklistIn,
    CheckOut,
    NoteIn,
    OfferAnswer,
    Position,
    VisitItem,
)
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message, problems_by_field, validation_problems
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(prefix="/m/visits", include_in_schema=False, dependencies=[Depends(get_locale)])

# The words for each form field a caregiver's action may refuse (never the field's code).
FIELD_LABELS = {
    "short_reason": N_("Why the visit was short"),
    "note": N_("Note"),
    "text": N_("Note"),
    "qr_code": N_("Code printed on the elder's card"),
    "position": N_("Position"),
    "position.lat": N_("Position"),
    "position.lon": N_("Position"),
    "position.accuracy_m": N_("GPS accuracy"),
    "reason": N_("Reason"),
    "items": N_("Checklist"),
    "order_id": N_("Visit"),
    "method": N_("Check-in method"),
}
COMPASS = (
    N_("north"), N_("north-east"), N_("east"), N_("south-east"),
    N_("south"), N_("south-west"), N_("west"), N_("north-west"),
)  # fmt: skip


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial compass bearing in degrees from the first point to the second."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    x = math.sin(dl) * math.cos(p2)
    y = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return (math.degrees(math.atan2(x, y)) + 360) % 360


def nav_hint(locale: str, previous: VisitItem | None, visit: VisitItem) -> str:
    """'1.2 km north-east of the previous visit', or a note that this is the first stop."""
    if previous is None:
        return translate(locale, N_("First visit of the day"))
    metres = haversine_m(previous.lat, previous.lon, visit.lat, visit.lon)
    if metres < 50:
        return translate(locale, N_("Same place as the previous visit"))
    direction = translate(
        locale,
        COMPASS[
            int((bearing_deg(previous.lat, previous.lon, visit.lat, visit.lon) + 22.5) // 45) % 8
        ],
    )
    distance = f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"
    return translate(
        locale,
        N_("%(distance)s %(direction)s of the previous visit"),
        {"distance": distance, "direction": direction},
    )


def field_label(locale: str, name: str) -> str:
    """The translated label of a form field; a field without one is called 'this field'."""
    return translate(locale, FIELD_LABELS.get(name, N_("This field")))


def visit_context(locale: str, **values: Any) -> dict[str, Any]:
    """What the caregiver's pages render with: labels, reasons, field names in words."""
    return (
        helpers(locale)
        | {
            "refuse_reasons": REFUSE_REASONS,
            "short_reasons": SHORT_REASON_LABELS,
            "field_label": lambda name: field_label(locale, name),
        }
        | values
    )


def _headline(locale: str, problems: list[FieldProblem]) -> str:
    """'Please correct: Why the visit was short.' naming each field in words."""
    names = ", ".join(dict.fromkeys(field_label(locale, p.field) for p in problems))
    return translate(locale, N_("Please correct: %(fields)s."), {"fields": names})


@router.get("", response_model=None)
def my_day(_subject: PageSubject, day: str = "today") -> Response:
    """The day's visits moved to the caregiver's route page (console/caregiver_day.py)."""
    return RedirectResponse(
        "/m/today?day=tomorrow" if day == "tomorrow" else "/m/today", status_code=303
    )


def _visit_page(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    order_id: RowId,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
    qr_open: bool = False,
) -> HTMLResponse:
    policy = visit_service.policy_from(request.app.state.settings)
    visit = visit_service.read_visit(db, subject, order_id, now=_now(request), policy=policy)
    context = visit_context(
        locale, visit=visit, errors=errors or {}, message=message, qr_open=qr_open
    )
    return render(request, "m/visit.html", context, status_code=status_code)


@router.get("/{order_id}", response_class=HTMLResponse)
def visit_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: RowId
) -> HTMLResponse:
    """One visit: who, where, what to do, and the next step's button."""
    return _visit_page(request, db, subject, locale, order_id)


def _position(form: FormData) -> Position | None:
    """The fix geo.js put in the form, or None when the phone gave none."""
    lat, lon = str(form.get("lat") or "").strip(), str(form.get("lon") or "").strip()
    if not lat or not lon:
        return None
    accuracy = str(form.get("accuracy_m") or "").strip()
    return Position(
        lat=float(lat), lon=float(lon), accuracy_m=float(accuracy) if accuracy else None
    )


def _method(form: FormData) -> str:
    """The card form says so; a code typed into any form also means the QR path."""
    asked = form.get("method") == "qr" or bool(str(form.get("qr_code") or "").strip())
    return "qr" if asked else "gps"


def _outcome(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    order_id: RowId,
    step: Callable[[], Response | None],
    *,
    qr: bool = False,
) -> Response:
    """Run one caregiver action; on a refusal show the visit page with the problems.

    A refused check with the elder's card keeps the card form open (`qr`).
    """
    try:
        done = step()
    except DomainError as exc:
        db.rollback()
        several = len(exc.problems) > 1 or "fields" in exc.params
        return _visit_page(
            request, db, subject, locale, order_id,
            errors=problems_by_field(locale, exc.problems),
            message=_headline(locale, exc.problems) if several else error_message(locale, exc),
            status_code=exc.status_code, qr_open=qr,
        )  # fmt: skip
    except (ValidationError, ValueError) as exc:
        problems = validation_problems(exc) if isinstance(exc, ValidationError) else []
        problems = problems or [FieldProblem("position", "invalid", N_("This value is not valid."))]
        return _visit_page(
            request, db, subject, locale, order_id,
            errors=problems_by_field(locale, problems),
            message=_headline(locale, problems), status_code=422, qr_open=qr,
        )  # fmt: skip
    return done or RedirectResponse(f"/m/visits/{order_id}", status_code=303)


def _text(form: FormData, name: str) -> str | None:
    return str(form.get(name) or "").strip() or None


@router.post("/{order_id}/answer", response_model=None)
def answer(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    form: FormBody,
    order_id: RowId,
) -> Response:
    """Accept the offered visit, or refuse it with a reason (it is dispatched again)."""
    accept = form.get("accept") == "1"

    def step() -> Response | None:
        visit_service.answer_offer(
            db,
            subject,
            order_id,
            OfferAnswer(accept=accept, reason=_text(form, "reason")),
            now=_now(request),
            settings=request.app.state.settings,
        )
        return None if accept else RedirectResponse("/m/visits", status_code=303)

    return _outcome(request, db, subject, locale, order_id, step)


@router.post("/{order_id}/depart", response_model=None)
def depart(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: RowId
) -> Response:
    """On the way."""

    def step() -> None:
        visit_service.depart(db, subject, order_id, now=_now(request))

    return _outcome(request, db, subject, locale, order_id, step)


@router.post("/{order_id}/check-in", response_model=None)
def check_in(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    form: FormBody,
    order_id: RowId,
) -> Response:
    """Check in with the phone's position (or the QR card); outside the geofence is flagged."""
    state = request.app.state

    def step() -> None:
        data = CheckIn(
            method=_method(form), position=_position(form), qr_code=_text(form, "qr_code")
        )
        visit_service.check_in(
            db,
            subject,
            order_id,
            data,
            now=_now(request),
            secret_key=state.secret_key,
            policy=visit_service.policy_from(state.settings),
        )

    return _outcome(request, db, subject, locale, order_id, step, qr=_method(form) == "qr")


@router.post("/{order_id}/check-out", response_model=None)
def check_out(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    form: FormBody,
    order_id: RowId,
) -> Response:
    """Check out; a short visit needs a reason."""
    state = request.app.state

    def step() -> None:
        data = CheckOut(
            method=_method(form),
            position=_position(form),
            qr_code=_text(form, "qr_code"),
            short_reason=_text(form, "short_reason"),
            note=_text(form, "note"),
        )
        visit_service.check_out(
            db,
            subject,
            order_id,
            data,
            now=_now(request),
            secret_key=state.secret_key,
            policy=visit_service.policy_from(state.settings),
        )

    return _outcome(request, db, subject, locale, order_id, step, qr=_method(form) == "qr")


@router.post("/{order_id}/checklist", response_model=None)
def checklist(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    form: FormBody,
    order_id: RowId,
) -> Response:
    """Save the ticks of the service's checklist."""
    names = [str(n) for n in form.getlist("item_names")]
    ticked = {str(v) for v in form.getlist("done")}

    def step() -> None:
        items = ChecklistIn(items={n: n in ticked for n in names})
        visit_service.save_checklist(db, subject, order_id, items, now=_now(request))

    return _outcome(request, db, subject, locale, order_id, step)


@router.post("/{order_id}/note", response_model=None)
def note(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    form: FormBody,
    order_id: RowId,
) -> Response:
    """Add a note to the visit."""

    def step() -> None:
        visit_service.add_note(
            db, subject, order_id, NoteIn(text=str(form.get("text") or "")), now=_now(request)
        )

    return _outcome(request, db, subject, locale, order_id, step)
