"""The capacity what-if page and its JSON route: a scenario runs as a job, the page shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from yiyang.dispatch import whatif, whatif_repository
from yiyang.dispatch.plan_pages import _job_id
from yiyang.errors import N_, DomainError, NotFound
from yiyang.jobs import service as jobs
from yiyang.jobs.api import accepted
from yiyang.jobs.pages import job_helpers, job_view
from yiyang.jobs.schemas import JobRead, is_active
from yiyang.planner import replay as rp
from yiyang.registry.vocab import Skill
from yiyang.security.subject import Subject
from yiyang.web.deps import ApiSubject, DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
api_router = APIRouter(tags=["dispatch"], dependencies=[Depends(get_locale)])
PATH = "/planning/what-if"
KIND_LABELS = {
    rp.MOVE: N_("Move caregivers from another street"),
    rp.ADD: N_("Add caregivers"),
    rp.HOURS: N_("Change a day-care centre's opening hours"),
}
FIELDS = ("kind", "street", "skill", "count", "from_street", "centre", "opens", "closes")


def _chart(data: dict[str, Any]) -> dict[str, Any]:
    """The chart's figures: orders served inside their street, per street, before and after."""
    rows = data["streets"]
    return {
        "names": [r["name"] for r in rows],
        "before": [r["before"]["in_street"] for r in rows],
        "after": [r["after"]["in_street"] for r in rows],
    }


def _page(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    *,
    values: dict[str, str],
    job: JobRead | None = None,
    message: str | None = None,
    field: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    streets = whatif_repository.readable_streets(db, subject)
    centres = [
        f
        for f in whatif_repository.centres(db, [s.id for s in streets])
        if f.kind == whatif_repository.DAY_CARE
    ]
    data = job.data if job is not None and job.state == "done" and job.data else None
    return render(
        request,
        "dispatch/what_if.html",
        job_helpers(locale)
        | {
            "streets": streets,
            "street_names": {s.id: s.name for s in whatif_repository.all_streets(db).values()},
            "centres": centres,
            "skills": list(Skill),
            "kinds": KIND_LABELS,
            "values": values,
            "job": job,
            "polling": job is not None and is_active(job),
            "data": data,
            "chart": _chart(data) if data else None,
            "message": message,
            "field": field,
            "max_count": whatif.MAX_COUNT,
            "weeks": whatif.WEEKS,
        },
        status_code=status,
    )


@router.get(PATH, response_class=HTMLResponse)
def show(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, job: str | None = None
) -> HTMLResponse:
    """The scenario form; with `job`, that replay: its progress, then the comparison."""
    whatif.require_planner(subject)
    values = {"kind": rp.ADD, "count": "2", "opens": "08:00", "closes": "20:00"}
    shown = None
    if (job_id := _job_id(job)) is not None:
        shown = job_view(db, subject, job_id, locale, request.app.state.clock())
        if shown.kind != whatif.KIND:
            raise NotFound(N_("Job %(id)s not found."), id=job_id)
        values = _values_of(db, jobs.read(db, subject, job_id).params)
    return _page(request, db, subject, locale, values=values, job=shown)


def _values_of(db: Session, p: dict[str, Any]) -> dict[str, str]:
    """The form filled in again with the scenario a job replays (its parameters)."""
    codes = {a.id: a.code for a in whatif_repository.all_streets(db).values()}
    return {
        "kind": p.get("kind", rp.ADD),
        "street": codes.get(p.get("street_id") or 0, ""),
        "skill": p.get("skill") or "",
        "count": str(p.get("count") or ""),
        "from_street": codes.get(p.get("from_street_id") or 0, ""),
        "centre": str(p.get("centre_id") or ""),
        "opens": p.get("opens") or "08:00",
        "closes": p.get("closes") or "20:00",
    }


@router.post(PATH, response_class=HTMLResponse)
def start(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Queue the replay and follow it on this page; bad input is shown on the form (422)."""
    whatif.require_planner(subject)
    values = {k: str(form.get(k) or "") for k in FIELDS}
    try:
        job = whatif.submit(db, subject, values, now=request.app.state.clock(), locale=locale)
    except DomainError as exc:
        if exc.status_code == 403:
            raise
        db.rollback()
        return _page(
            request, db, subject, locale, values=values, message=error_message(locale, exc),
            field=exc.field, status=exc.status_code,
        )  # fmt: skip
    return RedirectResponse(job.link or PATH, status_code=303)


class WhatIfIn(BaseModel):
    """A capacity scenario: what to change, where, which skill, how many (or which hours)."""

    kind: str = Field(description="move | add | hours")
    street: str = Field(max_length=32, description="Code of the street the change is for")
    skill: str = Field(default="", max_length=32, description="Skill of the caregivers")
    count: int = Field(default=0, description=f"Caregivers to move or add, 1 to {whatif.MAX_COUNT}")
    from_street: str = Field(default="", max_length=32, description="Street a move takes from")
    centre: str = Field(default="", max_length=20, description="Day-care centre id (hours)")
    opens: str = Field(default="", max_length=5, description="HH:MM, local time (hours)")
    closes: str = Field(default="", max_length=5, description="HH:MM, local time (hours)")


@api_router.post(
    PATH,
    response_model=JobRead,
    status_code=202,
    responses={403: {"description": "Only district and street administrators plan capacity"}},
)
def what_if_api(
    request: Request,
    response: Response,
    db: DbSession,
    subject: ApiSubject,
    locale: Locale,
    body: WhatIfIn,
) -> JobRead:
    """Replay the last four weeks of orders with the change, as a job (GET /api/v1/jobs/{id})."""
    now: datetime = request.app.state.clock()
    values = body.model_dump() | {"count": str(body.count)}
    job = whatif.submit(db, subject, values, now=now, locale=locale)
    return accepted(request, response, job, locale)
