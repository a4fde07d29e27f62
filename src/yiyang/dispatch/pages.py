"""HTML pages of dispatch: the dispatcher queue and manual assignment with a reason."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.dispatch import service as dispatch_service
from yiyang.errors import N_, DomainError, Invalid
from yiyang.orders import service as order_service
from yiyang.orders.page_helpers import helpers
from yiyang.registry.common_pages import error_message, problems_by_field
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _back(target: str, default: str) -> str:
    """Only same-site paths are followed after an action."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


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
    items = [(item, order_service.to_list_item(order)) for item, order in rows]
    context = helpers(locale) | {
        "rows": items,
        "errors": errors or {},
        "message": message,
        "failed_order": failed_order,
    }
    return render(request, "dispatch/queue.html", context, status_code=status_code)


@router.get("/dispatch/queue", response_class=HTMLResponse)
def queue_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Orders automatic dispatch could not place, oldest first, with the reason."""
    return _queue_page(request, db, subject, locale)


@router.post("/dispatch/orders/{order_id}/assign", response_model=None)
async def assign(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: int
) -> Response:
    """Assign (or reassign, or pin) a caregiver by hand; a reason is required."""
    form = await request.form()
    staff = str(form.get("staff_id") or "").strip()
    back = _back(str(form.get("next") or ""), "/dispatch/queue")
    try:
        if not staff.isdigit():
            raise Invalid(N_("Enter the caregiver's staff number."), field="staff_id")
        dispatch_service.assign(
            db,
            subject,
            order_id,
            int(staff),
            now=_now(request),
            reason=str(form.get("reason") or ""),
            pin=form.get("pin") == "1",
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        db.rollback()
        return _queue_page(
            request, db, subject, locale,
            errors=problems_by_field(locale, exc.problems),
            message=error_message(locale, exc), failed_order=order_id,
            status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(back, status_code=303)


@router.post("/dispatch/orders/{order_id}/redispatch", response_model=None)
async def redispatch(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: int
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
    return RedirectResponse("/dispatch/queue", status_code=303)
