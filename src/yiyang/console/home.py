"""The home page: each role lands on the overview that fits its work."""

from __future__ import annotations

from babel.dates import format_date
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from yiyang.console import overview
from yiyang.console.family_home import PHONE_HOMES
from yiyang.kit.localtime import local_today
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


@router.get("/", response_class=HTMLResponse, response_model=None)
def home(request: Request, db: DbSession, subject: PageSubject, locale: Locale) -> Response:
    """Render the home page of the caller's role with figures from its scope."""
    if phone_home := PHONE_HOMES.get(subject.role):  # elder, family, caregiver: their phone home
        return RedirectResponse(phone_home, status_code=303)
    now = request.app.state.clock()
    view = overview.overview_for(db, subject, now=now)
    today = format_date(local_today(now), format="full", locale=locale)
    return render(request, "home.html", {"view": view, "figures": view.figures, "today": today})
