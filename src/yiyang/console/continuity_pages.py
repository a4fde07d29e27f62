"""Continuity of care on the elder and provider pages (registry pages cannot read visits, so
they load these fragments from the console: distinct caregivers in the last 30 days)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.kit.types import RowId
from yiyang.security.roles import Perm
from yiyang.visits import continuity
from yiyang.web.deps import DbSession, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(
    prefix="/console/continuity", include_in_schema=False, dependencies=[Depends(get_locale)]
)


@router.get("/elders/{elder_id}", response_class=HTMLResponse)
def elder(request: Request, db: DbSession, subject: PageSubject, elder_id: RowId) -> HTMLResponse:
    """How many caregivers visited this elder in 30 days (fewer is better)."""
    subject.require(Perm.VISIT_READ)
    n = continuity.for_elder(db, subject, elder_id, now=request.app.state.clock())
    return render(request, "console/_continuity_elder.html", {"n": n, "days": continuity.DAYS})


@router.get("/providers/{provider_id}", response_class=HTMLResponse)
def provider(
    request: Request, db: DbSession, subject: PageSubject, provider_id: RowId
) -> HTMLResponse:
    """The provider's elders by how many of its caregivers each saw in 30 days."""
    subject.require(Perm.VISIT_READ)
    found = continuity.for_provider(db, subject, provider_id, now=request.app.state.clock())
    return render(request, "console/_continuity_provider.html", {"c": found})
