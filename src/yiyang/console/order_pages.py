"""Call-centre and dispatcher pages of one order: ordering for an elder, the detail, actions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from yiyang.console import place_maps
from yiyang.console.booking import (
    clock_time,
    now_of,
    order_view,
    orderable_for,
    page_context,
)
from yiyang.dispatch import service as dispatch_service
from yiyang.errors import N_, DomainError, Invalid
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId, parse_row_id, parse_sane_date
from yiyang.orders import rules, subsidy_words
from yiyang.orders import service as order_service
from yiyang.orders.schemas import (
    OrderCreate,
    QuoteRequest,
)
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.visits import alerts as alert_service
from yiyang.visits import complaints
from yiyang.visits.complaint_pages import words as complaint_words
from yiyang.visits.payment.rules import REASON_LABELS
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message, problems_by_field, validation_problems
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
# Statuses from which a dispatcher may assign by hand (the state machine's REASSIGN sources).
ASSIGNABLE = frozenset(s for (s, e) in rules.TRANSITIONS if e == rules.Event.REASSIGN)


# ---------------------------------------------------------------- call centre: order for an elder


@router.get("/orders/new", response_class=HTMLResponse)
def operator_form(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    q: str = "",
    elder_id: int | None = None,
    item_code: str = "",
    date_: str = "",
    start: str = "",
    end: str = "",
) -> HTMLResponse:
    """Find the elder, pick a service and a window, see the quote, confirm."""
    subject.require(Perm.ORDER_CREATE)
    now = now_of(request)
    qp = request.query_params
    values = {
        "q": q,
        "elder_id": str(elder_id or ""),
        "item_code": item_code,
        "date": qp.get("date", "") or (local_today(now) + timedelta(days=1)).isoformat(),
        "start": start or "09:00",
        "end": end or "11:00",
    }
    return _operator_page(request, db, subject, locale, values)


def _operator_day(values: dict[str, str], now: datetime) -> date:
    """The day the operator picked; today until a valid one is picked (prices, quotas)."""
    return parse_sane_date(values.get("date")) or local_today(now)


def _operator_window(values: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    if (day := parse_sane_date(values.get("date"))) is None:
        return None, None
    lo, hi = clock_time(values.get("start", "")), clock_time(values.get("end", ""))
    if lo is None or hi is None:
        return None, None
    start = datetime.combine(day, lo, CHINA_TZ).astimezone(UTC)
    return start, datetime.combine(day, hi, CHINA_TZ).astimezone(UTC)


def _operator_page(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    values: dict[str, str],
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = now_of(request)
    elders = []
    if values.get("q"):
        elders = elder_service.list_elders(
            db,
            subject,
            ElderFilter(q=values["q"][:64]),
            PageParams(page=1, size=10),
            now=now,
            id_lookup_limit=request.app.state.settings.elder_id_lookups_per_hour,
        ).items
    elder = None
    if (chosen := parse_row_id(values.get("elder_id"))) is not None:
        elder = elder_service.read_elder(db, subject, chosen, now=now)
    listing, services_message = None, None
    if elder is not None:
        try:
            listing = orderable_for(request, db, subject, elder.id, _operator_day(values, now))
        except DomainError as exc:  # no longer served, or a day that cannot be ordered
            services_message = error_message(locale, exc)
    quote = None
    quote_errors: dict[str, list[str]] = {}
    quote_message = None
    start, end = _operator_window(values)
    if elder is not None and values.get("item_code") and start is not None:
        try:
            quote = order_service.quote(
                db,
                subject,
                QuoteRequest(
                    elder_id=elder.id,
                    item_code=values["item_code"],
                    window_start=start,
                    window_end=end,
                ),
                now=now,
                settings=request.app.state.settings,
            )
            quote = subsidy_words.worded(quote, locale)
        except DomainError as exc:
            quote_errors = problems_by_field(locale, exc.problems)
            quote_message = error_message(locale, exc)
    context = page_context(
        locale,
        values=values,
        elders=elders,
        elder=elder,
        listing=listing,
        services_message=services_message,
        quote=quote,
        errors=errors or quote_errors,
        message=message or quote_message,
        key=uuid.uuid4().hex,
    )
    if request.headers.get("hx-target") == "elder-results":
        return render(request, "orders/_elder_results.html", context)
    return render(request, "orders/new.html", context, status_code=status_code)


@router.post("/orders/new", response_model=None)
def operator_confirm(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Create the order on the elder's behalf (channel: phone) and dispatch it."""
    values = {
        k: str(form.get(k) or "").strip()
        for k in ("elder_id", "item_code", "date", "start", "end", "notes", "q")
    }
    start, end = _operator_window(values)
    try:
        elder_id = parse_row_id(values["elder_id"])
        if elder_id is None:
            raise Invalid(N_("Choose the elder first."), field="elder_id", code="no_elder")
        if start is None or end is None:
            raise Invalid(N_("Choose a day and a time."), field="window_start", code="no_window")
        data = OrderCreate(
            elder_id=elder_id,
            item_code=values["item_code"],
            window_start=start,
            window_end=end,
            channel=rules.Channel.PHONE,
            notes=values["notes"] or None,
        )
        order = dispatch_service.submit_order(
            db,
            subject,
            data,
            now=now_of(request),
            idempotency_key=str(form.get("idempotency_key") or "") or None,
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        db.rollback()
        return _operator_page(
            request, db, subject, locale, values,
            errors=problems_by_field(locale, exc.problems),
            message=error_message(locale, exc), status_code=exc.status_code,
        )  # fmt: skip
    except ValidationError as exc:
        return _operator_page(
            request, db, subject, locale, values,
            errors=problems_by_field(locale, validation_problems(exc)), status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/orders/{order.id}", status_code=303)


def actions_for(subject: Subject, status: str) -> list[str]:
    """The events the caller may fire by hand on an order in this status (buttons)."""
    hidden = {"check_in", "check_out", "depart", "caregiver_accept", "caregiver_refuse"}
    return [
        str(e)
        for e in rules.allowed_events(status)
        if rules.may_fire(str(subject.role), e)
        and str(e) not in hidden
        and subject.role != Role.CAREGIVER
    ]


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_detail(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: RowId
) -> HTMLResponse:
    """One order: money, timeline, dispatch decisions, visit facts, alerts, actions."""
    return _detail(request, db, subject, locale, order_id)


def _detail(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    order_id: RowId,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = order_view(request, db, subject, order_id)
    alerts = (
        alert_service.order_alerts(db, subject, order_id, now=now_of(request))
        if subject.can(Perm.ALERT_READ)
        else []
    )
    context = page_context(
        locale,
        **view,
        **complaint_words(locale),
        complaints=(
            complaints.order_complaints(db, subject, order_id)
            if subject.can(Perm.COMPLAINT_READ)
            else []
        ),
        alerts=alerts,
        visit_flag_words=[
            translate(locale, REASON_LABELS[f])
            for f in (view["visit"].flags if view["visit"] else [])
            if f in REASON_LABELS
        ],
        actions=actions_for(subject, view["order"].status),
        order_map=place_maps.order_map(db, subject, view["order"], view["visit"], locale),
        can_dispatch=subject.can(Perm.ORDER_DISPATCH),
        assignable=ASSIGNABLE,
        errors=errors or {},
        message=message,
    )
    return render(request, "orders/detail.html", context, status_code=status_code)


@router.post("/orders/{order_id}/act", response_model=None)
def order_act(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    order_id: RowId,
) -> Response:
    """Fire one event by hand (accept, refuse, cancel, complete…) with a reason."""
    event = str(form.get("event") or "")
    staff = str(form.get("staff_id") or "").strip()
    try:
        dispatch_service.act(
            db,
            subject,
            order_id,
            event,
            now=now_of(request),
            reason=str(form.get("reason") or "").strip() or None,
            staff_id=parse_row_id(staff),
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        db.rollback()
        return _detail(
            request, db, subject, locale, order_id,
            errors=problems_by_field(locale, exc.problems),
            message=error_message(locale, exc), status_code=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/orders/{order_id}", status_code=303)
