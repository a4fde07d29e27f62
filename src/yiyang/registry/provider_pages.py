"""HTML pages for providers: searchable list and record with its facilities and staff."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId
from yiyang.registry.facilities import service as facility_service
from yiyang.registry.facilities.schemas import FacilityFilter
from yiyang.registry.providers import service as provider_service
from yiyang.registry.providers.schemas import ProviderFilter
from yiyang.registry.staff import service as staff_service
from yiyang.registry.staff.schemas import StaffFilter
from yiyang.security.roles import Perm
from yiyang.web.deps import DbSession, PageSubject, get_locale
from yiyang.web.forms import list_page, page_number, query_filter
from yiyang.web.templating import render

router = APIRouter(prefix="/providers", include_in_schema=False, dependencies=[Depends(get_locale)])


@router.get("", response_class=HTMLResponse)
def provider_list(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """Providers in scope, searched by name, code or credit code."""
    flt, values = query_filter(ProviderFilter, request, ("q", "active"))
    page = provider_service.list_providers(
        db, subject, flt, PageParams(page=page_number(request), size=20),
        now=request.app.state.clock(),
    )  # fmt: skip
    return list_page(
        request, "/providers", "providers/list.html", "providers/_results.html", values,
        {"page": page},
    )  # fmt: skip


@router.get("/{provider_id}", response_class=HTMLResponse)
def view(request: Request, db: DbSession, subject: PageSubject, provider_id: RowId) -> HTMLResponse:
    """A provider with the facilities and staff the caller may see."""
    now = request.app.state.clock()
    provider = provider_service.read_provider(db, subject, provider_id)
    first = PageParams(page=1, size=50)
    facilities = (
        facility_service.list_facilities(
            db, subject, FacilityFilter(provider_id=provider_id), first, now=now
        )
        if subject.can(Perm.FACILITY_READ)
        else None
    )
    staff = (
        staff_service.list_staff(db, subject, StaffFilter(provider_id=provider_id), first, now=now)
        if subject.can(Perm.STAFF_READ)
        else None
    )
    return render(
        request,
        "providers/view.html",
        {"provider": provider, "facilities": facilities, "staff": staff},
    )
