"""The day plan page: preview tomorrow's re-planned rounds, then apply them in one step."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.dispatch import day_plan
from yiyang.errors import N_, DomainError, Invalid
from yiyang.kit.localtime import local_today
from yiyang.orders.models import ServiceOrder
from yiyang.orders.page_helpers import helpers
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.staff.models import Staff
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
PATH = "/dispatch/day-plan"
KEEP_CHOICES = ("0", "4", "6", "8")  # minutes of trip in that keep a visit's caregiver


def _day(value: str | None, now: datetime) -> date:
    """The day asked for, tomorrow when none; a malformed date names the field."""
    if not value:
        return local_today(now) + timedelta(days=1)
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise Invalid(N_("Enter the day as YYYY-MM-DD."), field="day") from exc


def _rows(db: Session, outcome: day_plan.Outcome) -> list[dict[str, Any]]:
    """The moves with the order's elder and service and both caregivers' names."""
    ids = [m.order_id for m in outcome.moves]
    orders = {
        o.id: (o, name, zh, en)
        for o, name, zh, en in db.execute(
            select(ServiceOrder, Elder.name, ServiceItem.name_zh, ServiceItem.name_en)
            .join(Elder, Elder.id == ServiceOrder.elder_id)
            .join(ServiceItem, ServiceItem.id == ServiceOrder.item_id)
            .where(ServiceOrder.id.in_(ids))
        ).tuples()
    }
    staff_ids = {m.to_staff_id for m in outcome.moves} | {
        m.from_staff_id for m in outcome.moves if m.from_staff_id
    }
    names = {
        i: n for i, n in db.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids)))
    }
    return [
        {
            "move": m,
            "elder": orders[m.order_id][1],
            "item_zh": orders[m.order_id][2],
            "item_en": orders[m.order_id][3],
            "from_name": names.get(m.from_staff_id) if m.from_staff_id else None,
            "to_name": names.get(m.to_staff_id, f"#{m.to_staff_id}"),
        }
        for m in outcome.moves
    ]


def _keep(value: str | None) -> float:
    """The "keep short trips" choice in minutes (0: re-plan everything)."""
    try:
        return float(value or 0)
    except ValueError as exc:
        raise Invalid(N_("Choose how short a trip keeps its caregiver."), field="keep") from exc


def _page(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    *,
    day_text: str | None,
    keep_text: str | None,
    run: str | None,
) -> HTMLResponse:
    subject.require(Perm.ORDER_DISPATCH)
    now: datetime = request.app.state.clock()
    settings = request.app.state.settings
    outcome, message, status = None, None, 200
    day = local_today(now) + timedelta(days=1)
    try:
        day, keep = _day(day_text, now), _keep(keep_text)
        if run == "apply":
            outcome = day_plan.apply(db, subject, day, now=now, settings=settings, keep_within=keep)
            db.commit()
        elif run == "preview":
            outcome = day_plan.propose(
                db, subject, day, now=now, settings=settings, keep_within=keep
            )
    except DomainError as exc:
        db.rollback()
        message, status = error_message(locale, exc), exc.status_code
    return render(
        request,
        "dispatch/day_plan.html",
        helpers(locale)
        | {
            "day": day_text or day.isoformat(),
            "keep": keep_text or "0",
            "keep_choices": KEEP_CHOICES,
            "outcome": outcome,
            "rows": _rows(db, outcome) if outcome else [],
            "message": message,
            "freeze": settings.dispatch_day_plan_freeze_minutes,
            "nightly": settings.dispatch_day_plan_at,
        },
        status_code=status,
    )


@router.get(PATH, response_class=HTMLResponse)
def show(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    day: str | None = None,
    keep: str | None = None,
    preview: str | None = None,
) -> HTMLResponse:
    """The form, and with `preview` what re-planning that day would change."""
    run = "preview" if preview else None
    return _page(request, db, subject, locale, day_text=day, keep_text=keep, run=run)


@router.post(PATH, response_class=HTMLResponse)
def apply(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> HTMLResponse:
    """Re-plan the day and reassign the moved orders (all or nothing)."""
    return _page(
        request, db, subject, locale,
        day_text=str(form.get("day") or ""), keep_text=str(form.get("keep") or ""), run="apply",
    )  # fmt: skip
