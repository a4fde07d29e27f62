"""HTML pages of dispatch: the dispatcher queue and assignment by hand from ranked candidates.

The candidate picker is one fragment: loaded by htmx into the queue and the order page, and
shown on a page of its own without JavaScript or when a submitted pick is refused.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.dispatch import picking, wording
from yiyang.dispatch import service as dispatch_service
from yiyang.errors import N_, DomainError, Invalid
from yiyang.kit.types import RowId, parse_row_id
from yiyang.orders import service as order_service
from yiyang.orders.page_helpers import helpers
from yiyang.planner.explain import SKILLS
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message, problems_by_field
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
QUEUE = "/dispatch/queue"


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _back(target: str, default: str) -> str:
    """Only same-site paths are followed after an action."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def _ctx(locale: str, **values: Any) -> dict[str, Any]:
    """Order labels plus dispatch wording: explanations, fit reasons, skill names."""
    return (
        helpers(locale)
        | {
            "explain": partial(wording.explanation, locale),
            "fit_label": partial(wording.label, locale, wording.REASONS),
            "skill_label": partial(wording.label, locale, SKILLS),
        }
        | values
    )


def _queue_page(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    failed_order: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rows = dispatch_service.queue(db, subject)
    items = [(item, order_service.to_list_item(subject, order)) for item, order in rows]
    context = _ctx(
        locale, rows=items, errors=errors or {}, message=message, failed_order=failed_order
    )
    return render(request, "dispatch/queue.html", context, status_code=status_code)


@router.get("/dispatch/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Orders automatic dispatch could not place, oldest first, with the reason."""
    return _queue_page(request, db, subject, locale)


def _picker(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    order_id: RowId,
    *,
    template: str,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    order, choices = picking.candidates(db, subject, order_id, now=_now(request))
    chosen = (values or {}).get("staff_id")
    if chosen is None:  # the planner's own pick, unless it already has the order
        chosen = next(
            (
                c.fit.staff_id
                for c in choices
                if c.fit.feasible and not (c.fit.refused or c.current)
            ),
            None,
        )
    context = _ctx(
        locale,
        order=order_service.to_list_item(subject, order),
        choices=choices,
        chosen=chosen,
        values=values or {},
        errors=errors or {},
        message=message,
        next=_back(request.query_params.get("next") or str((values or {}).get("next", "")), QUEUE),
    )
    return render(request, template, context, status_code=status_code)


@router.get("/dispatch/orders/{order_id}/picker", response_class=HTMLResponse)
def picker(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: RowId
) -> HTMLResponse:
    """The candidate picker of an order (htmx fragment for the queue and the order page)."""
    return _picker(request, db, subject, locale, order_id, template="dispatch/_picker.html")


@router.get("/dispatch/orders/{order_id}/assign", response_class=HTMLResponse)
def assign_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: RowId
) -> HTMLResponse:
    """Assign an order by hand: the ranked candidates, a reason, pin and override."""
    return _picker(request, db, subject, locale, order_id, template="dispatch/assign.html")


@router.post("/dispatch/orders/{order_id}/assign", response_model=None)
def assign(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    order_id: RowId,
) -> Response:
    """Assign (or reassign, or pin) the chosen caregiver; a reason is required."""
    staff = str(form.get("staff_id") or "").strip()
    staff_id = parse_row_id(staff)
    reason = str(form.get("reason") or "")
    pin, override = form.get("pin") == "1", form.get("override_busy") == "1"
    back = _back(str(form.get("next") or ""), QUEUE)
    try:
        if staff_id is None:
            raise Invalid(N_("Choose a caregiver."), field="staff_id")
        dispatch_service.assign(
            db,
            subject,
            order_id,
            staff_id,
            now=_now(request),
            reason=reason,
            pin=pin,
            override_busy=override,
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        db.rollback()
        values = {
            "staff_id": staff_id, "reason": reason, "pin": pin, "override_busy": override,
            "next": back,
        }  # fmt: skip
        return _picker(
            request, db, subject, locale, order_id, template="dispatch/assign.html",
            values=values, errors=problems_by_field(locale, exc.problems),
            message=error_message(locale, exc), status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(back, status_code=303)


@router.post("/dispatch/orders/{order_id}/redispatch", response_model=None)
def redispatch(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: RowId
) -> Response:
    """Ask automatic dispatch to try a queued order again (e.g. after a caregiver came back)."""
    try:
        dispatch_service.redispatch(
            db, subject, order_id, now=_now(request), settings=request.app.state.settings
        )
    except DomainError as exc:
        db.rollback()
        return _queue_page(
            request, db, subject, locale,
            errors=problems_by_field(locale, exc.problems),
            message=error_message(locale, exc), failed_order=order_id,
            status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(QUEUE, status_code=303)
