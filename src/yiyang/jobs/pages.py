"""The "My jobs" pages: one's jobs with state, progress, result and cancel; one job alone."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict
from yiyang.jobs import service
from yiyang.jobs.schemas import JobRead, is_active, job_read
from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.types import RowId
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]

STATE_LABELS = {
    "queued": N_("Waiting for a worker"),
    "running": N_("Running"),
    "done": N_("Done"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
STATE_BADGES = {
    "queued": "badge-brand",
    "running": "badge-accent",
    "done": "badge-success",
    "failed": "badge-danger",
    "cancelled": "",
}


def local_hm(value: datetime | None) -> str:
    """A time as month-day hour:minute in China time ("" when there is none)."""
    return value.astimezone(CHINA_TZ).strftime("%m-%d %H:%M") if value else ""


def file_size(count: int) -> str:
    """A byte count as KB or MB."""
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f} MB"
    return f"{max(1, round(count / 1024))} KB"


def job_helpers(locale: str) -> dict[str, Any]:
    """What the job card template needs besides the job (every page that shows one)."""
    return {
        "local_hm": local_hm,
        "file_size": file_size,
        "state_label": lambda state: translate(locale, STATE_LABELS[state]),
        "state_badge": STATE_BADGES.get,
        "job_active": is_active,
    }


def job_view(db: Session, subject: Subject, job_id: RowId, locale: str, now: datetime) -> JobRead:
    """One of the caller's jobs as the pages show it."""
    return job_read(service.read(db, subject, job_id), locale, now)


@router.get("/jobs", response_class=HTMLResponse)
def my_jobs(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> HTMLResponse:
    """Your jobs, newest first; the list refreshes itself while one is waiting or running."""
    now = request.app.state.clock()
    jobs = [job_read(j, locale, now) for j in service.mine(db, subject)]
    return render(
        request,
        "jobs/list.html",
        job_helpers(locale) | {"jobs": jobs, "polling": any(is_active(j) for j in jobs)},
    )


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def one_job(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, job_id: JobId
) -> HTMLResponse:
    """One job; the page refreshes itself until the job has ended."""
    job = job_view(db, subject, job_id, locale, request.app.state.clock())
    return render(request, "jobs/view.html", job_helpers(locale) | {"job": job})


def _back(value: object, job_id: RowId) -> str:
    """Where to go after cancelling: a local page named by the form, else the job's page."""
    target = str(value or "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"/jobs/{job_id}"


@router.post("/jobs/{job_id}/cancel")
def cancel_job(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, job_id: JobId
) -> RedirectResponse:
    """Ask a job to stop, then show the page it was cancelled from."""
    with contextlib.suppress(Conflict):  # it ended meanwhile: the page shows how
        service.cancel(db, subject, job_id, now=request.app.state.clock())
    return RedirectResponse(_back(form.get("next"), job_id), status_code=303)
