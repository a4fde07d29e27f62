"""The home page: each role lands on the overview that fits its work."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.web import overview
from yiyang.web.deps import DbSession, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


@router.get("/", response_class=HTMLResponse)
def home(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """Render the home page of the caller's role with figures from its scope."""
    figures = overview.figures_for(db, subject, now=request.app.state.clock())
    return render(request, "home.html", {"figures": figures})
