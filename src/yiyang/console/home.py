"""The home page: each role lands on its work first, then the overview that fits it."""

from __future__ import annotations

from babel.dates import format_date
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.alarms.response import repository as response_repository
from yiyang.console import overview, work_pages, work_queue
from yiyang.console.family_home import PHONE_HOMES
from yiyang.kit.localtime import local_today
from yiyang.orders.page_helpers import helpers
from yiyang.security.roles import Role
from yiyang.visits.payment.workbook import STATUS_LABELS as RUN_STATUS_LABELS
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


@router.get("/", response_class=HTMLResponse, response_model=None)
def home(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> Response:
    """Render the home page of the caller's role: its work queue, then figures from its scope.

    The auditor's home is the audit log; the call centre's is its work page.
    """
    if phone_home := PHONE_HOMES.get(subject.role):  # elder, family, caregiver: their phone home
        return RedirectResponse(phone_home, status_code=303)
    if subject.role == Role.AUDITOR:
        return RedirectResponse("/audit", status_code=303)
    if subject.role == Role.ASSESSOR:  # the assessor's work queue: elders due an assessment
        return RedirectResponse("/assessments/due", status_code=303)
    if subject.role in work_queue.DESK_ROLES:
        return work_pages.desk(request, db, subject, locale)
    now = request.app.state.clock()
    view = overview.overview_for(db, subject, now=now)
    work = (
        None
        if view.scope == "personal"
        else work_queue.work_queue(db, subject, now=now, locale=locale)
    )
    today = format_date(local_today(now), format="full", locale=locale)
    context = helpers(locale) | {"view": view, "figures": view.figures, "today": today}
    labels = {"run_status_labels": RUN_STATUS_LABELS}
    waiting = {"alarms_waiting": response_repository.waiting_count(db, subject.user_id)}
    return render(request, "home.html", context | labels | {"work": work} | waiting)
