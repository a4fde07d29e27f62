"""HTML pages of orders: one-tap ordering on a phone, the call-centre form, list and detail."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from yiyang.dispatch import service as dispatch_service
from yiyang.errors import N_, DomainError, FieldProblem, Invalid
from yiyang.kit.clock import CHINA_TZ, local_today
from yiyang.kit.pagination import PageParams
from yiyang.orders import rules
from yiyang.orders import service as order_service
from yiyang.orders.schemas import OrderCreate, OrderFilter, QuoteRequest
from yiyang.registry import catalog_service, elder_service
from yiyang.registry.catalog_schemas import ItemFilter, ItemListItem
from yiyang.registry.common_pages import (
    area_choices,
    error_message,
    page_number,
    problems_by_field,
    validation_problems,
)
from yiyang.registry.elder_schemas import ElderFilter
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

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
PAGE_SIZE = 25
# Statuses at which a family's status page stops polling.
SETTLED_VIEW = frozenset({"completed", "confirmed", "settled", "cancelled", "no_show"})

STATUS_LABELS: dict[str, str] = {
    "created": N_("Created"),
    "priced": N_("Priced"),
    "queued": N_("Waiting for a dispatcher"),
    "offered": N_("Offered to a provider"),
    "org_accepted": N_("Accepted by the provider"),
    "org_refused": N_("Refused by the provider"),
    "assigned": N_("Caregiver assigned"),
    "caregiver_accepted": N_("Caregiver accepted"),
    "caregiver_refused": N_("Refused by the caregiver"),
    "on_the_way": N_("On the way"),
    "checked_in": N_("Service in progress"),
    "checked_out": N_("Checked out"),
    "completed": N_("Completed"),
    "confirmed": N_("Confirmed"),
    "settled": N_("Settled"),
    "cancelled": N_("Cancelled"),
    "no_show": N_("No-show"),
}
EVENT_LABELS: dict[str, str] = {
    "create": N_("Order placed"),
    "price": N_("Priced"),
    "offer": N_("Offered to a provider"),
    "queue": N_("Sent to the dispatcher queue"),
    "org_accept": N_("Provider accepted"),
    "org_refuse": N_("Provider refused"),
    "org_timeout": N_("Provider did not answer in time"),
    "assign": N_("Offered to the caregiver"),
    "caregiver_accept": N_("Caregiver accepted"),
    "caregiver_refuse": N_("Caregiver refused"),
    "caregiver_timeout": N_("Caregiver did not answer in time"),
    "caregiver_unavailable": N_("Caregiver unavailable"),
    "reassign": N_("Assigned by a dispatcher"),
    "depart": N_("Caregiver on the way"),
    "check_in": N_("Checked in"),
    "check_out": N_("Checked out"),
    "complete": N_("Completed"),
    "confirm": N_("Confirmed by the family"),
    "settle": N_("Settled"),
    "cancel": N_("Cancelled"),
    "no_show": N_("No-show"),
}
SUBSIDY_LABELS: dict[str, str] = {
    "no_policy": N_("No government-purchase policy applies"),
    "not_eligible": N_("Not eligible for government purchase"),
    "item_not_covered": N_("This service is not covered by government purchase"),
    "monthly_amount_exhausted": N_("This month's subsidy is used up"),
    "monthly_count_exhausted": N_("This month's subsidised orders are used up"),
    "weekly_count_exhausted": N_("This week's subsidised orders are used up"),
    "subsidised": N_("Paid by government purchase"),
    "partly_subsidised": N_("Partly paid: the rest of this month's subsidy"),
    "not_requested": N_("Paid in full by the elder"),
}
FLAG_LABELS: dict[str, str] = {
    "outside_geofence": N_("Outside the elder's geofence"),
    "poor_accuracy": N_("GPS accuracy too poor"),
    "no_position": N_("No GPS position"),
}
ALERT_LABELS: dict[str, str] = {
    "late": N_("Late"),
    "no_show": N_("No-show"),
    "geofence": N_("Geofence"),
}
# The family's view of progress, in order; each step is reached at the listed statuses.
FAMILY_STEPS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("placed", N_("Order placed"), frozenset(STATUS_LABELS) - {"cancelled"}),
    (
        "found",
        N_("Caregiver found"),
        frozenset({"caregiver_accepted", "on_the_way", "checked_in", "checked_out"})
        | SETTLED_VIEW - {"cancelled", "no_show"},
    ),
    (
        "way",
        N_("On the way"),
        frozenset({"on_the_way", "checked_in", "checked_out", "completed", "confirmed", "settled"}),
    ),
    (
        "in",
        N_("Service in progress"),
        frozenset({"checked_in", "checked_out", "completed", "confirmed", "settled"}),
    ),
    ("done", N_("Completed"), frozenset({"checked_out", "completed", "confirmed", "settled"})),
)


def local(value: datetime | None) -> datetime | None:
    """An aware instant in China time (SQLite hands back naive UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA_TZ)


def hm(value: datetime | None) -> str:
    """'14:05' in China time."""
    found = local(value)
    return found.strftime("%H:%M") if found else ""


def md_hm(value: datetime | None) -> str:
    """'11-24 14:05' in China time."""
    found = local(value)
    return found.strftime("%m-%d %H:%M") if found else ""


def helpers(locale: str) -> dict[str, Any]:
    """Labels and time formatting shared by the order, dispatch and visit templates."""
    from yiyang.web.i18n import translate

    def lab(table: dict[str, str], code: str | None) -> str:
        if not code:
            return ""
        source = table.get(code)
        return translate(locale, source) if source else code

    return {
        "status_label": lambda c: lab(STATUS_LABELS, c),
        "event_label": lambda c: lab(EVENT_LABELS, c),
        "subsidy_label": lambda c: lab(SUBSIDY_LABELS, c),
        "flag_label": lambda c: lab(FLAG_LABELS, c),
        "alert_label": lambda c: lab(ALERT_LABELS, c),
        "hm": hm,
        "md_hm": md_hm,
        "item_name": lambda zh, en: zh if locale == "zh_CN" else (en or zh),
        "glyphs": GLYPHS,
    }


def status_class(status: str) -> str:
    """The badge colour of a status."""
    if status in ("cancelled", "no_show", "org_refused", "caregiver_refused"):
        return "badge-danger"
    if status in ("queued",):
        return "badge-warning"
    if status in ("completed", "confirmed", "settled", "checked_out"):
        return "badge-success"
    if status in ("on_the_way", "checked_in"):
        return "badge-accent"
    return "badge-brand"


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def _ctx(locale: str, **values: Any) -> dict[str, Any]:
    return helpers(locale) | {"status_class": status_class} | values


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


def _items(db: DbSession, subject: Subject, now: datetime) -> list[ItemListItem]:
    """Home-visit items that can be ordered today, featured ones first."""
    items = catalog_service.list_items(db, subject, ItemFilter(active=True), now=now)
    items = [i for i in items if i.home_visit and i.price_fen is not None]
    rank = {code: n for n, code in enumerate(FEATURED)}
    return sorted(items, key=lambda i: (rank.get(i.code, len(rank)), i.code))


def _item(db: DbSession, subject: Subject, now: datetime, code: str) -> ItemListItem:
    for item in _items(db, subject, now):
        if item.code == code:
            return item
    raise Invalid(N_("Unknown service %(item)s."), field="item_code", item=code)


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
    """Big tiles of the services an elder can order."""
    elder_id = _own_elder(subject)
    now = _now(request)
    elder = elder_service.read_elder(db, subject, elder_id, now=now)
    items = _items(db, subject, now)
    featured = [i for i in items if i.code in FEATURED]
    more = [i for i in items if i.code not in FEATURED]
    return render(
        request,
        "m/order_tiles.html",
        _ctx(locale, elder=elder, featured=featured, more=more),
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
    item = _item(db, subject, now, code)
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
        item = _item(db, subject, _now(request), code)
        data = OrderCreate(
            elder_id=elder_id,
            item_code=code,
            window_start=choice.start,
            window_end=_window_end(choice, item.standard_minutes or 60),
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
    from yiyang.visits import service as visit_service

    now = _now(request)
    order = order_service.read_order(db, subject, order_id)
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
    template = "m/_status.html" if request.headers.get("hx-target") == "status" else "m/follow.html"
    return render(request, template, context)


@router.post("/m/orders/{order_id}/rate", response_model=None)
async def rate(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: int
) -> Response:
    """Confirm the visit with 1–5 stars and a comment."""
    from yiyang.visits import feedback_service
    from yiyang.visits.schemas import RatingIn

    form = await request.form()
    try:
        data = RatingIn(
            score=int(str(form.get("score") or "0") or 0),
            comment=str(form.get("comment") or "").strip() or None,
        )
        feedback_service.rate(db, subject, order_id, data, now=_now(request))
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
        items=_items(db, subject, now),
        quote=quote,
        errors=errors or quote_errors,
        message=message or quote_message,
        key=uuid.uuid4().hex,
    )
    target = request.headers.get("hx-target")
    if target == "elder-results":
        return render(request, "orders/_elder_results.html", context)
    if target == "op-quote":
        return render(request, "orders/_op_quote.html", context)
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


def _order_filter(request: Request) -> tuple[OrderFilter, dict[str, str]]:
    qp = request.query_params
    values: dict[str, str] = {}
    status = (qp.get("status") or "").strip()
    if status in STATUS_LABELS:
        values["status"] = status
    raw_date = (qp.get("date") or "").strip()
    try:
        day = date.fromisoformat(raw_date) if raw_date else None
    except ValueError:
        day = None
    if day:
        values["date"] = day.isoformat()
    street = (qp.get("street") or "").strip()
    if street.isdigit():
        values["street"] = street
    flt = OrderFilter.model_validate(
        {
            "status": values.get("status"),
            "date": day,
            "street_id": int(street) if street.isdigit() else None,
        }
    )
    return flt, values


@router.get("/orders", response_class=HTMLResponse)
def order_list(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Orders in the caller's scope, filtered by status, date and street."""
    flt, values = _order_filter(request)
    page = order_service.list_orders(
        db, subject, flt, PageParams(page=page_number(request), size=PAGE_SIZE)
    )
    context = _ctx(
        locale,
        page=page,
        values=values,
        statuses=list(STATUS_LABELS),
        streets=[c.street for c in area_choices(db, subject)],
        pager_url=lambda n: "/orders?" + urlencode(values | {"page": str(n)}),
    )
    if request.headers.get("hx-target") == "results":
        query = urlencode(values)
        return render(
            request,
            "orders/_results.html",
            context,
            headers={"HX-Push-Url": "/orders" + (f"?{query}" if query else "")},
        )
    return render(request, "orders/list.html", context)


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
    from yiyang.visits import alerts as alert_service

    view = order_view(request, db, subject, order_id)
    alerts = (
        alert_service.alerts_of_order(db, subject, order_id) if subject.can(Perm.ALERT_READ) else []
    )
    context = _ctx(
        locale,
        **view,
        alerts=alerts,
        actions=actions_for(subject, view["order"].status),
        can_dispatch=subject.can(Perm.ORDER_DISPATCH),
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
