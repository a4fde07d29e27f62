"""The family's and the elder's phone pages: one-tap ordering, following, rating, cancelling."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from yiyang.console.booking import (
    DAY_LABELS,
    DAYS_AHEAD,
    FEATURED,
    SLOT_LABELS,
    SLOTS,
    WindowChoice,
    choice_problems,
    featured_first,
    now_of,
    order_view,
    orderable_for,
    own_elder,
    page_context,
    picked_service,
    quote_for,
    resolve_day,
    slot_open,
    window_choice,
    window_end,
)
from yiyang.console.family_words import family_status, when_words
from yiyang.dispatch import service as dispatch_service
from yiyang.errors import N_, DomainError, FieldProblem, Invalid
from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId
from yiyang.orders import rules
from yiyang.orders import service as order_service
from yiyang.orders.page_helpers import FAMILY_STEPS, SETTLED_VIEW
from yiyang.orders.schemas import (
    OrderCreate,
    OrderFilter,
)
from yiyang.registry.elders import service as elder_service
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import feedback as feedback_service
from yiyang.visits.policy import policy_from
from yiyang.visits.schemas import RatingIn
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message, problems_by_field, validation_problems
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


# ---------------------------------------------------------------- one tap (phone)


@router.get("/m/order", response_class=HTMLResponse)
def one_tap(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """Big tiles of what this elder may order today, each with what the government pays."""
    elder_id = own_elder(subject)
    now = now_of(request)
    # Families may order but not read the elder registry: the name shows when allowed.
    elder = (
        elder_service.read_elder(db, subject, elder_id, now=now)
        if subject.can(Perm.ELDER_READ)
        else None
    )
    listing, message = None, None
    try:
        listing = orderable_for(request, db, subject, elder_id, local_today(now))
    except DomainError as exc:  # the elder is no longer served
        message = error_message(locale, exc)
    services = featured_first(listing.services) if listing else []
    return render(
        request,
        "m/order_tiles.html",
        page_context(
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
    now = now_of(request)
    elder_id = own_elder(subject)
    item = picked_service(request, db, subject, choice.day, code)
    quote, problems, problem_message = quote_for(request, db, subject, elder_id, code, choice)
    if picked := choice_problems(now, choice):
        problems = problems_by_field(locale, picked)
        problem_message = problem_message or " ".join(
            t for texts in problems.values() for t in texts
        )
    today = local_today(now)
    slots_open = {(d, s): slot_open(now, d, s) for d in DAY_LABELS for s in SLOTS}
    context = page_context(
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
        first_day=today.isoformat(),
        last_day=(today + timedelta(days=DAYS_AHEAD)).isoformat(),
        other_day=choice.day not in ("", *DAY_LABELS),
        days_ahead=DAYS_AHEAD,
        when=lambda at: when_words(locale, at, now),
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
    on: str = "",
) -> HTMLResponse:
    """Pick a day (up to two weeks ahead) and a slot or a time; then the quote appears."""
    choice = window_choice(now_of(request), resolve_day(day, on), slot, at)
    return _picker(request, db, subject, locale, code, choice)


@router.post("/m/order", response_model=None)
def one_tap_confirm(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Confirm: create the order once per idempotency key, dispatch it, follow it."""
    code = str(form.get("item_code") or "")
    choice = window_choice(
        now_of(request),
        resolve_day(str(form.get("day") or ""), str(form.get("on") or "")),
        str(form.get("slot") or ""),
        str(form.get("at") or ""),
    )
    elder_id = own_elder(subject)
    try:
        if picked := choice_problems(now_of(request), choice):
            raise Invalid(N_("Please correct the day or the time."), problems=picked)
        if choice.start is None:
            raise Invalid(N_("Choose a day and a time."), field="window_start", code="no_window")
        item = picked_service(request, db, subject, choice.day, code)
        data = OrderCreate(
            elder_id=elder_id,
            item_code=code,
            window_start=choice.start,
            window_end=window_end(choice, item.standard_minutes),
            notes=str(form.get("notes") or "").strip() or None,
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


@router.get("/m/orders", response_class=HTMLResponse)
def my_orders(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The family's recent orders."""
    page = order_service.list_orders(db, subject, OrderFilter(), PageParams(page=1, size=30))
    now = now_of(request)
    words = {o.id: family_status(locale, o, now) for o in page.items}
    return render(request, "m/orders.html", page_context(locale, page=page, words=words))


@router.get("/m/orders/{order_id}", response_class=HTMLResponse)
def follow(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, order_id: RowId
) -> HTMLResponse:
    """Follow one order from dispatch to the door; htmx refreshes the status every few seconds."""
    view = order_view(request, db, subject, order_id)
    rated = bool(view["visit"] and view["visit"].rating_score)
    context = page_context(
        locale,
        **view,
        steps=_family_steps(view["order"].status),
        polling=view["order"].status not in SETTLED_VIEW,
        rated=rated,
        words=family_status(locale, view["order"], view["now"], rated=rated),
        errors={},
    )
    if request.headers.get("hx-target") == "status":
        # htmx stops polling when it gets 286, once nothing more will change by itself.
        return render(
            request, "m/_status.html", context, status_code=200 if context["polling"] else 286
        )
    return render(request, "m/follow.html", context)


@router.post("/m/orders/{order_id}/rate", response_model=None)
def rate(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    order_id: RowId,
) -> Response:
    """Confirm the visit with 1–5 stars and a comment."""
    try:
        data = RatingIn(
            score=int(str(form.get("score") or "0") or 0),
            comment=str(form.get("comment") or "").strip() or None,
        )
        feedback_service.confirm(
            db, subject, order_id, data, now=now_of(request),
            policy=policy_from(request.app.state.settings),
        )  # fmt: skip
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
    order_id: RowId,
    problems: list[FieldProblem],
    status_code: int,
) -> HTMLResponse:
    view = order_view(request, db, subject, order_id)
    context = page_context(
        locale,
        **view,
        steps=_family_steps(view["order"].status),
        polling=False,
        rated=False,
        words=family_status(locale, view["order"], view["now"]),
        errors=problems_by_field(locale, problems),
    )
    return render(request, "m/follow.html", context, status_code=status_code)


@router.post("/m/orders/{order_id}/cancel", response_model=None)
def family_cancel(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, order_id: RowId
) -> Response:
    """Cancel an order that has not started."""
    dispatch_service.act(
        db,
        subject,
        order_id,
        rules.Event.CANCEL,
        now=now_of(request),
        reason=str(form.get("reason") or "").strip() or None,
        settings=request.app.state.settings,
    )
    return RedirectResponse(f"/m/orders/{order_id}", status_code=303)
