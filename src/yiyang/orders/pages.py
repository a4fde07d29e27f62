"""HTML pages of orders: one-tap ordering on a phone, the call-centre form, list and detail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from yiyang.dispatch import service as dispatch_service
from yiyang.dispatch.reads import read_order
from yiyang.errors import N_, DomainError, FieldProblem, Invalid
from yiyang.kit.clock import CHINA_TZ, local_today
from yiyang.kit.pagination import PageParams
from yiyang.orders import list_pages, orderable, rules
from yiyang.orders import service as order_service
from yiyang.orders.page_helpers import FAMILY_STEPS, SETTLED_VIEW, helpers
from yiyang.orders.schemas import (
    OrderableService,
    OrderableServices,
    OrderCreate,
    OrderFilter,
    QuoteRequest,
)
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.visits import alerts as alert_service
from yiyang.visits import feedback as feedback_service
from yiyang.visits import service as visit_service
from yiyang.visits.schemas import RatingIn
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message, problems_by_field, validation_problems
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
router.include_router(list_pages.router)

# The services families ask for most, shown first as big tiles (the rest under "more").
FEATURED = (
    "meal_delivery", "bath_home", "cleaning", "medical_escort", "mobility_help",
    "proactive_visit",
)  # fmt: skip
GLYPHS = {
    "meal_delivery": "餐", "bath_home": "浴", "cleaning": "洁", "medical_escort": "医",
    "mobility_help": "行", "proactive_visit": "访", "emergency_help": "急",
    "home_personal_care": "护", "health_check": "康", "rehab_exercise": "康",
    "companionship": "陪", "counselling": "心", "shopping_errand": "购", "bill_paying": "缴",
}  # fmt: skip
# Time slots of the phone picker, local China time.
SLOTS: dict[str, tuple[time, time]] = {
    "morning": (time(8, 0), time(12, 0)),
    "afternoon": (time(14, 0), time(18, 0)),
}
SLOT_LABELS = {"morning": N_("Morning"), "afternoon": N_("Afternoon"), "at": N_("At a time")}
DAY_LABELS = {"today": N_("Today"), "tomorrow": N_("Tomorrow")}
# Statuses from which a dispatcher may assign by hand (the state machine's REASSIGN sources).
ASSIGNABLE = frozenset(s for (s, e) in rules.TRANSITIONS if e == rules.Event.REASSIGN)


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _ctx(locale: str, **values: Any) -> dict[str, Any]:
    return helpers(locale) | {"glyphs": GLYPHS} | values


# ---------------------------------------------------------------- time windows


@dataclass(frozen=True)
class WindowChoice:
    """What the picker asked for: a day and a slot (or a time), as a UTC window."""

    day: str
    slot: str
    at: str
    start: datetime | None
    end: datetime | None


def _day(now: datetime, day: str) -> date | None:
    today = local_today(now)
    if day == "today":
        return today
    if day == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(day)
    except ValueError:
        return None


def _clock_time(raw: str) -> time | None:
    try:
        return time.fromisoformat(raw.strip())
    except ValueError:
        return None


def window_choice(now: datetime, day: str, slot: str, at: str = "") -> WindowChoice:
    """Turn the picker's day and slot (or exact time) into a window; None where incomplete."""
    the_day = _day(now, day)
    start = end = None
    if the_day is not None and slot in SLOTS:
        lo, hi = SLOTS[slot]
        start = datetime.combine(the_day, lo, CHINA_TZ).astimezone(UTC)
        end = datetime.combine(the_day, hi, CHINA_TZ).astimezone(UTC)
    elif the_day is not None and slot == "at" and (t := _clock_time(at)) is not None:
        start = datetime.combine(the_day, t, CHINA_TZ).astimezone(UTC)
    return WindowChoice(day, slot, at, start, end)


def slot_open(now: datetime, day: str, slot: str) -> bool:
    """Whether a slot can still be chosen (today's morning is gone in the afternoon)."""
    choice = window_choice(now, day, slot)
    return choice.end is None or choice.end > now


# ---------------------------------------------------------------- quotes


def _quote(
    request: Request,
    db: DbSession,
    subject: Subject,
    elder_id: int,
    item_code: str,
    choice: WindowChoice,
) -> tuple[Any, dict[str, list[str]], str | None]:
    """The quote for a window, or the problems to show instead (nothing is written)."""
    locale = request.state.locale
    if choice.start is None:
        return None, {}, None
    try:
        found = order_service.quote(
            db,
            subject,
            QuoteRequest(
                elder_id=elder_id,
                item_code=item_code,
                window_start=choice.start,
                window_end=choice.end,
            ),
            now=_now(request),
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        return None, problems_by_field(locale, exc.problems), error_message(locale, exc)
    return found, {}, None


def _window_end(choice: WindowChoice, standard_minutes: int) -> datetime:
    assert choice.start is not None
    return choice.end or choice.start + timedelta(minutes=standard_minutes)


def _orderable(
    request: Request, db: DbSession, subject: Subject, elder_id: int, day: date
) -> OrderableServices:
    """What the elder may order that day (orders.orderable decides; pages only show it)."""
    return orderable.orderable_services(
        db, subject, elder_id, day, now=_now(request), settings=request.app.state.settings
    )


def _featured_first(services: list[OrderableService]) -> list[OrderableService]:
    rank = {code: n for n, code in enumerate(FEATURED)}
    return sorted(services, key=lambda s: rank.get(s.code, len(rank)))


def _picked(
    request: Request, db: DbSession, subject: Subject, day: str, code: str
) -> OrderableService:
    """The chosen service as the elder may order it on the picked day (today until picked)."""
    now = _now(request)
    on = max(_day(now, day) or local_today(now), local_today(now))
    return orderable.find(_orderable(request, db, subject, _own_elder(subject), on), code)


def _own_elder(subject: Subject) -> int:
    """The elder a family member or elder orders for."""
    subject.require(Perm.ORDER_CREATE)
    if subject.elder_id is None:
        raise Invalid(
            N_("Your account is not linked to an elder; the call centre can order for you."),
            field="elder_id",
            code="no_elder",
        )
    return subject.elder_id


# ---------------------------------------------------------------- one tap (phone)


@router.get("/m/order", response_class=HTMLResponse)
def one_tap(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """Big tiles of what this elder may order today, each with what the government pays."""
    elder_id = _own_elder(subject)
    now = _now(request)
    # Families may order but not read the elder registry: the name shows when allowed.
    elder = (
        elder_service.read_elder(db, subject, elder_id, now=now)
        if subject.can(Perm.ELDER_READ)
        else None
    )
    listing, message = None, None
    try:
        listing = _orderable(request, db, subject, elder_id, local_today(now))
    except DomainError as exc:  # the elder is no longer served
        message = error_message(locale, exc)
    services = _featured_first(listing.services) if listing else []
    return render(
        request,
        "m/order_tiles.html",
        _ctx(
            locale,
            elder=elder,
            message=message,
            allowances=listing.allowances if listing else [],
            featured=[s for s in services if s.code in FEATURED],
            more=[s for s in services if s.code not in FEATURED],
        ),
    )


def _picker(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    code: str,
    choice: WindowChoice,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = _now(request)
    elder_id = _own_elder(subject)
    item = _picked(request, db, subject, choice.day, code)
    quote, problems, problem_message = _quote(request, db, subject, elder_id, code, choice)
    slots_open = {(d, s): slot_open(now, d, s) for d in DAY_LABELS for s in SLOTS}
    context = _ctx(
        locale,
        item=item,
        choice=choice,
        quote=quote,
        errors=errors or problems,
        message=message or problem_message,
        key=uuid.uuid4().hex,
        days=DAY_LABELS,
        slots=SLOT_LABELS,
        slot_times=SLOTS,
        slots_open=slots_open,
    )
    template = (
        "m/_quote.html" if request.headers.get("hx-target") == "quote" else "m/order_when.html"
    )
    return render(request, template, context, status_code=status_code)


@router.get("/m/order/{code}", response_class=HTMLResponse)
def one_tap_when(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    code: str,
    day: str = "",
    slot: str = "",
    at: str = "",
) -> HTMLResponse:
    """Pick a day and a time slot; the quote appears as soon as both are chosen."""
    choice = window_choice(_now(request), day, slot, at)
    return _picker(request, db, subject, locale, code, choice)


@router.post("/m/order", response_model=None)
async def one_tap_confirm(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> Response:
    """Confirm: create the order once per idempotency key, dispatch it, follow it."""
    form = await request.form()
    code = str(form.get("item_code") or "")
    choice = window_choice(
        _now(request),
        str(form.get("day") or ""),
        str(form.get("slot") or ""),
        str(form.get("at") or ""),
    )
    elder_id = _own_elder(subject)
    try:
        if choice.start is None:
            raise Invalid(N_("Choose a day and a time."), field="window_start", code="no_window")
        item = _picked(request, db, subject, choice.day, code)
        data = OrderCreate(
            elder_id=elder_id,
            item_code=code,
            window_start=choice.start,
            window_end=_window_end(choice, item.standard_minutes),
            notes=str(form.get("notes") or "").strip() or None,
        )
        order = dispatch_service.submit_order(
            db,
            subject,
            data,
            now=_now(request),
            idempotency_key=str(form.get("idempotency_key") or "") or None,
            settings=request.app.state.settings,
        )
    except DomainError as exc:
        db.rollback()
        return _picker(
            request,
            db,
            subject,
            locale,
            code,
            choice,
            errors=problems_by_field(locale, exc.problems),
            message=error_message(locale, exc),
            status_code=exc.status_code,
        )
    except ValidationError as exc:
        problems = validation_problems(exc)
        return _picker(
            request, db, subject, locale, code, choice,
            errors=problems_by_field(locale, problems), status_code=422,
        )  # fmt: skip
    return RedirectResponse(f"/m/orders/{order.id}", status_code=303)


# ---------------------------------------------------------------- the family follows an order


def _family_steps(status: str) -> list[tuple[str, str, str]]:
    """(key, label, state) for the progress list: done, current or todo."""
    out = []
    current_found = False
    for key, text, reached in FAMILY_STEPS:
        if status in reached:
            out.append((key, text, "done"))
        elif not current_found:
            out.append((key, text, "current"))
            current_found = True
        else:
            out.append((key, text, "todo"))
    return out


def order_view(request: Request, db: DbSession, subject: Subject, order_id: int) -> dict[str, Any]:
    """An order with its timeline, decisions and visit, as every order page shows it."""
    now = _now(request)
    order = read_order(db, subject, order_id, locale=request.state.locale)
    visit = (
        visit_service.read_visit(db, subject, order_id, now=now)
        if subject.can(Perm.VISIT_READ)
        else None
    )
    return {"order": order, "visit": visit, "now": now}


@router.get("/m/orders", response_class=HTMLResponse)
def my_orders(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The family's recent orders."""
    page = order_service.list_orders(db, subject, OrderFilter(), PageParams(page=1, size=30))
    return render(request, "m/orders.html", _ctx(locale, page=page))


@router.get("/m/orders/{order_id}", response_class=HTMLResponse)
def follow(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: int
) -> HTMLResponse:
    """Follow one order from dispatch to the door; htmx refreshes the status every few seconds."""
    view = order_view(request, db, subject, order_id)
    context = _ctx(
        locale,
        **view,
        steps=_family_steps(view["order"].status),
        polling=view["order"].status not in SETTLED_VIEW,
        rated=bool(view["visit"] and view["visit"].rating_score),
        errors={},
    )
    if request.headers.get("hx-target") == "status":
        # htmx stops polling when it gets 286, once nothing more will change by itself.
        return render(
            request, "m/_status.html", context, status_code=200 if context["polling"] else 286
        )
    return render(request, "m/follow.html", context)


@router.post("/m/orders/{order_id}/rate", response_model=None)
async def rate(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: int
) -> Response:
    """Confirm the visit with 1–5 stars and a comment."""
    form = await request.form()
    try:
        data = RatingIn(
            score=int(str(form.get("score") or "0") or 0),
            comment=str(form.get("comment") or "").strip() or None,
        )
        feedback_service.confirm(db, subject, order_id, data, now=_now(request))
    except (ValidationError, ValueError) as exc:
        problems = validation_problems(exc) if isinstance(exc, ValidationError) else []
        problems = problems or [FieldProblem("score", "missing", N_("Choose 1 to 5 stars."))]
        return _follow_with_errors(request, db, subject, locale, order_id, problems, 422)
    except DomainError as exc:
        db.rollback()
        return _follow_with_errors(
            request, db, subject, locale, order_id, exc.problems or [
                FieldProblem("score", exc.code, exc.message, exc.params)
            ], exc.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/m/orders/{order_id}", status_code=303)


def _follow_with_errors(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    order_id: int,
    problems: list[FieldProblem],
    status_code: int,
) -> HTMLResponse:
    view = order_view(request, db, subject, order_id)
    context = _ctx(
        locale,
        **view,
        steps=_family_steps(view["order"].status),
        polling=False,
        rated=False,
        errors=problems_by_field(locale, problems),
    )
    return render(request, "m/follow.html", context, status_code=status_code)


@router.post("/m/orders/{order_id}/cancel", response_model=None)
async def family_cancel(
    request: Request, db: DbSession, subject: PageSubject, order_id: int
) -> Response:
    """Cancel an order that has not started."""
    form = await request.form()
    dispatch_service.act(
        db,
        subject,
        order_id,
        rules.Event.CANCEL,
        now=_now(request),
        reason=str(form.get("reason") or "").strip() or None,
        settings=request.app.state.settings,
    )
    return RedirectResponse(f"/m/orders/{order_id}", status_code=303)


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
    now = _now(request)
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
    try:
        return date.fromisoformat(values.get("date", ""))
    except ValueError:
        return local_today(now)


def _operator_window(values: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    try:
        day = date.fromisoformat(values.get("date", ""))
    except ValueError:
        return None, None
    lo, hi = _clock_time(values.get("start", "")), _clock_time(values.get("end", ""))
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
    now = _now(request)
    elders = []
    if values.get("q"):
        elders = elder_service.list_elders(
            db, subject, ElderFilter(q=values["q"][:64]), PageParams(page=1, size=10), now=now
        ).items
    elder = None
    if values.get("elder_id", "").isdigit():
        elder = elder_service.read_elder(db, subject, int(values["elder_id"]), now=now)
    listing, services_message = None, None
    if elder is not None:
        try:
            listing = _orderable(request, db, subject, elder.id, _operator_day(values, now))
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
        except DomainError as exc:
            quote_errors = problems_by_field(locale, exc.problems)
            quote_message = error_message(locale, exc)
    context = _ctx(
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
async def operator_confirm(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> Response:
    """Create the order on the elder's behalf (channel: phone) and dispatch it."""
    form = await request.form()
    values = {
        k: str(form.get(k) or "").strip()
        for k in ("elder_id", "item_code", "date", "start", "end", "notes", "q")
    }
    start, end = _operator_window(values)
    try:
        if not values["elder_id"].isdigit():
            raise Invalid(N_("Choose the elder first."), field="elder_id", code="no_elder")
        if start is None or end is None:
            raise Invalid(N_("Choose a day and a time."), field="window_start", code="no_window")
        data = OrderCreate(
            elder_id=int(values["elder_id"]),
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
            now=_now(request),
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


# ---------------------------------------------------------------- list and detail


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
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: int
) -> HTMLResponse:
    """One order: money, timeline, dispatch decisions, visit facts, alerts, actions."""
    return _detail(request, db, subject, locale, order_id)


def _detail(
    request: Request,
    db: DbSession,
    subject: Subject,
    locale: str,
    order_id: int,
    *,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = order_view(request, db, subject, order_id)
    alerts = (
        alert_service.order_alerts(db, subject, order_id, now=_now(request))
        if subject.can(Perm.ALERT_READ)
        else []
    )
    context = _ctx(
        locale,
        **view,
        alerts=alerts,
        actions=actions_for(subject, view["order"].status),
        can_dispatch=subject.can(Perm.ORDER_DISPATCH),
        assignable=ASSIGNABLE,
        errors=errors or {},
        message=message,
    )
    return render(request, "orders/detail.html", context, status_code=status_code)


@router.post("/orders/{order_id}/act", response_model=None)
async def order_act(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: int
) -> Response:
    """Fire one event by hand (accept, refuse, cancel, complete…) with a reason."""
    form = await request.form()
    event = str(form.get("event") or "")
    staff = str(form.get("staff_id") or "").strip()
    try:
        dispatch_service.act(
            db,
            subject,
            order_id,
            event,
            now=_now(request),
            reason=str(form.get("reason") or "").strip() or None,
            staff_id=int(staff) if staff.isdigit() else None,
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
