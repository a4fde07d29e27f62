"""The day plan page: a preview or an apply runs as a job; the page follows it to the result."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from yiyang.dispatch import day_plan, plan_jobs, repository
from yiyang.errors import N_, DomainError, Invalid, NotFound
from yiyang.jobs.pages import job_helpers, job_view
from yiyang.jobs.schemas import JobRead, is_active
from yiyang.kit.localtime import local_today
from yiyang.kit.types import parse_sane_date
from yiyang.orders.page_helpers import helpers, hm
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
PATH = "/dispatch/day-plan"
KEEP_CHOICES = ("0", "4", "6", "8")  # minutes of trip in that keep a visit's caregiver
MAX_ID = 2**63 - 1
MAP_ROUNDS = 40  # caregivers drawn on the map (the table lists every move)


def _day(value: str | None, now: datetime) -> date:
    """The day asked for, tomorrow when none; a malformed date names the field."""
    if not value:
        return local_today(now) + timedelta(days=1)
    if (day := parse_sane_date(value)) is None:
        raise Invalid(N_("Enter the day as YYYY-MM-DD."), field="day")
    return day


def _keep(value: str | None) -> float:
    """The "keep short trips" choice in minutes (0: re-plan everything)."""
    try:
        return float(value or 0)
    except ValueError as exc:
        raise Invalid(N_("Choose how short a trip keeps its caregiver."), field="keep") from exc


def _cap(value: str | None) -> int | None:
    """The "at most this many changes of caregiver" number (empty: no limit)."""
    if not (value or "").strip():
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise Invalid(
            N_("Enter how many changes of caregiver to allow as a whole number."), field="cap"
        )
    return int(text)


def _job_id(value: str | None) -> int | None:
    """The job named in the address, if any; anything but an id is "not found"."""
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_ID:
        raise NotFound(N_("Job %(id)s not found."), id=value)
    return int(value)


def _rows(db: Session, outcome: day_plan.Outcome) -> list[dict[str, Any]]:
    """The moves with the order's elder and service and both caregivers' names."""
    ids = [m.order_id for m in outcome.moves]
    orders = repository.orders_with_names(db, ids)
    staff_ids = {m.to_staff_id for m in outcome.moves} | {
        m.from_staff_id for m in outcome.moves if m.from_staff_id
    }
    names = repository.staff_names(db, staff_ids)
    return [
        {
            "move": m,
            "elder": orders[m.order_id][1],
            "item_zh": orders[m.order_id][2],
            "item_en": orders[m.order_id][3],
            "from_name": names.get(m.from_staff_id) if m.from_staff_id else None,
            "to_name": names.get(m.to_staff_id, "—"),
        }
        for m in outcome.moves
        if m.order_id in orders  # an order deleted since the plan was made
    ]


def _rounds(db: Session, outcome: day_plan.Outcome, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The map's data: each caregiver who gets a moved visit, from their centre, in time order."""
    moves = sorted((r for r in rows if r["move"].reassigned), key=lambda r: r["move"].to_start)
    points = repository.elder_points(db, [r["move"].order_id for r in moves])
    centres = repository.staff_centres(db, {r["move"].to_staff_id for r in moves})
    rounds: dict[int, dict[str, Any]] = {}
    for r in moves:
        staff_id, order_id = r["move"].to_staff_id, r["move"].order_id
        if order_id not in points:
            continue
        if staff_id not in rounds:
            start = centres.get(staff_id)
            first = [{"lat": start.lat, "lon": start.lon, "label": start.name}] if start else []
            rounds[staff_id] = {"name": r["to_name"], "stops": first}
        lat, lon = points[order_id]
        label = f"{hm(r['move'].to_start)} {r['elder']}"
        rounds[staff_id]["stops"].append({"lat": lat, "lon": lon, "label": label})
    return {"rounds": list(rounds.values())[:MAP_ROUNDS]}


def _page(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    *,
    day_text: str | None,
    keep_text: str | None,
    cap_text: str | None = None,
    job: JobRead | None = None,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    now: datetime = request.app.state.clock()
    settings = request.app.state.settings
    outcome, rows = None, []
    if job is not None and job.state == "done" and job.data:
        outcome = plan_jobs.outcome_of(job.data)
        day_text, keep_text = outcome.day.isoformat(), f"{job.data['keep']:g}"
        cap_text = "" if job.data.get("cap") is None else str(job.data["cap"])
        rows = _rows(db, outcome)
    return render(
        request,
        "dispatch/day_plan.html",
        helpers(locale)
        | job_helpers(locale)
        | {
            "day": day_text or (local_today(now) + timedelta(days=1)).isoformat(),
            "keep": keep_text or "0",
            "keep_choices": KEEP_CHOICES,
            "cap": cap_text or "",
            "job": job,
            "polling": job is not None and is_active(job),
            "outcome": outcome,
            "rows": rows,
            "rounds": _rounds(db, outcome, rows) if outcome else {"rounds": []},
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
    job: str | None = None,
) -> HTMLResponse:
    """The form; with `job`, that preview or apply: its progress, then what it changes."""
    subject.require(Perm.ORDER_DISPATCH)
    job_id = _job_id(job)
    shown = None
    if job_id is not None:
        shown = job_view(db, subject, job_id, locale, request.app.state.clock())
        if shown.kind not in plan_jobs.KINDS:
            raise NotFound(N_("Job %(id)s not found."), id=job_id)
        day, keep = None, None
    return _page(request, db, subject, locale, day_text=day, keep_text=keep, job=shown)


def _submit(
    request: Request, db: Session, subject: Subject, form: Any, locale: str, *, apply: bool
) -> Response:
    """Queue the plan and follow it on this page; bad input is shown on the form."""
    subject.require(Perm.ORDER_DISPATCH)
    now: datetime = request.app.state.clock()
    day_text, keep_text = str(form.get("day") or ""), str(form.get("keep") or "")
    cap_text = str(form.get("cap") or "")
    try:
        day, keep, cap = _day(day_text, now), _keep(keep_text), _cap(cap_text)
        job = plan_jobs.submit(
            db, subject, day, keep, apply=apply, now=now,
            settings=request.app.state.settings, locale=locale, max_changes=cap,
        )  # fmt: skip
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        db.rollback()
        return _page(
            request, db, subject, locale, day_text=day_text, keep_text=keep_text,
            cap_text=cap_text, message=error_message(locale, exc), status=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(job.link or PATH, status_code=303)


@router.post(f"{PATH}/preview", response_class=HTMLResponse)
def preview(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Start a preview of re-planning the day (nothing changes)."""
    return _submit(request, db, subject, form, locale, apply=False)


@router.post(PATH, response_class=HTMLResponse)
def apply(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Start re-planning the day and reassigning the moved orders (all or nothing)."""
    return _submit(request, db, subject, form, locale, apply=True)
