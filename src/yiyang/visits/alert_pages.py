"""The alert screen of the call centre and dispatchers, and the navigation badge.

Operators keep it open all day: htmx reloads the results every 15 s with the same filters
(and pauses while someone is writing a note); acknowledging and resolving post a form and
come back to the same filtered list.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yiyang.errors import N_
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId, parse_page
from yiyang.orders.page_helpers import helpers
from yiyang.registry.areas import service as areas_service
from yiyang.registry.areas.service import AreaChoice
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import alerts
from yiyang.visits.schemas import AlertFilter, AlertNote
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import problems_by_field, refused, same_page
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

FILTER_KEYS = (
    "kind", "status", "street_code", "elder", "order_id", "caregiver", "older_than_min", "sort",
)  # fmt: skip
PAGE_SIZE = 50
REFRESH_SECONDS = 15
AGE_CHOICES = (15, 30, 60, 120)
STATUS_LABELS: dict[str, str] = {
    "open": N_("Open"),
    "acknowledged": N_("Acknowledged"),
    "resolved": N_("Resolved"),
    "all": N_("All"),
}


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _filter_from(params: Mapping[str, str]) -> tuple[AlertFilter, dict[str, str], int]:
    """Filters and page from a query string; a value the schema refuses is dropped, never 422."""
    values: dict[str, str] = {}
    for key in FILTER_KEYS:
        raw = (params.get(key) or "").strip()
        try:
            if raw:
                AlertFilter.model_validate({key: raw})
                values[key] = raw
        except ValidationError:
            continue
    page = params.get("page", "1")
    return AlertFilter.model_validate(values), values, parse_page(page)


def _streets(db: Session, subject: Subject) -> list[AreaChoice]:
    """Streets to filter by: those of the caller's area, else (provider, district) all of them."""
    mine = [c.street for c in areas_service.area_choices(db, subject)]
    return mine or areas_service.streets(db)


def _screen(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    params: Mapping[str, str],
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    failed: int | None = None,
    note: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    now = _now(request)
    flt, values, number = _filter_from(params)
    page = alerts.open_alerts(
        db, subject, flt, PageParams(page=max(1, number), size=PAGE_SIZE), now=now
    )
    query = urlencode(values | ({"page": str(page.page)} if page.page > 1 else {}))
    here = "/alerts" + (f"?{query}" if query else "")
    context = helpers(locale) | {
        "page": page,
        "values": values,
        "here": here,
        "pager_url": lambda n: "/alerts?" + urlencode(values | {"page": str(n)}),
        "streets": _streets(db, subject),
        "age_choices": AGE_CHOICES,
        "status_labels": STATUS_LABELS,
        "open_count": alerts.open_count(db, subject),
        "can_act": subject.can(Perm.ALERT_ACK),
        "refresh_s": REFRESH_SECONDS,
        "now": now,
        "errors": errors or {},
        "message": message,
        "failed": failed,
        "note": note,
    }
    if request.headers.get("hx-target") == "results":
        # A filter change goes into the address bar; the 15-second refresh does not.
        push = {"HX-Push-Url": here} if request.headers.get("hx-trigger") != "results" else None
        return render(request, "alerts/_results.html", context, headers=push)
    return render(request, "alerts/list.html", context, status_code=status_code)


@router.get("/alerts", response_class=HTMLResponse)
def alert_screen(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Alerts in scope, most urgent first, with filters; refreshes itself every 15 s."""
    return _screen(request, db, subject, locale, request.query_params)


@router.get("/alerts/badge", response_class=HTMLResponse)
def badge(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """The navigation badge: alerts in scope nobody has acknowledged yet (nothing when none)."""
    return render(request, "alerts/_badge.html", {"open_count": alerts.open_count(db, subject)})


def _act(
    request: Request,
    db: Session,
    subject: Subject,
    form: FormData,
    locale: str,
    alert_id: RowId,
    act: Callable[..., object],
) -> Response:
    """Acknowledge or resolve; a refusal shows the screen again with the note kept."""
    back = same_page(str(form.get("next") or ""), "/alerts")
    note = str(form.get("note") or "")
    failure = refused(
        locale, lambda: act(db, subject, alert_id, AlertNote(note=note), now=_now(request))
    )
    if failure is None:
        return RedirectResponse(back, status_code=303)
    problems, status, message = failure
    db.rollback()
    return _screen(
        request, db, subject, locale, dict(parse_qsl(urlsplit(back).query)),
        errors=problems_by_field(locale, problems), message=message, failed=alert_id,
        note=note, status_code=status,
    )  # fmt: skip


@router.post("/alerts/{alert_id}/acknowledge", response_model=None)
def acknowledge(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    alert_id: RowId,
) -> Response:
    """A person is on it, with a note."""
    return _act(request, db, subject, form, locale, alert_id, alerts.acknowledge)


@router.post("/alerts/{alert_id}/resolve", response_model=None)
def resolve(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    alert_id: RowId,
) -> Response:
    """Close the alert with a note saying what was done."""
    return _act(request, db, subject, form, locale, alert_id, alerts.resolve)
