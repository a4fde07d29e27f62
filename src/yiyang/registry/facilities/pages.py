"""HTML pages for facilities: filtered list, record, create and edit forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId
from yiyang.registry.areas import service as areas_service
from yiyang.registry.facilities import service as facility_service
from yiyang.registry.facilities.schemas import (
    FacilityCreate,
    FacilityFilter,
    FacilityRead,
    FacilityUpdate,
)
from yiyang.registry.providers import service as provider_service
from yiyang.registry.providers.schemas import ProviderRef
from yiyang.registry.vocab import FacilityKind
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import (
    FormRefusal,
    form_values,
    list_page,
    optional,
    page_number,
    problems_by_field,
    put_required,
    query_filter,
    submit_form,
)
from yiyang.web.templating import render

router = APIRouter(
    prefix="/facilities", include_in_schema=False, dependencies=[Depends(get_locale)]
)
FILTER_KEYS = ("q", "kind", "street_code", "community_code", "provider_id", "active")
NUMBERS = ("beds_long_stay", "day_places", "meals_per_day")


def providers_in_scope(session: Session, subject: Subject) -> list[ProviderRef]:
    """Providers the caller may pick (empty when the role may not read providers)."""
    if not subject.can(Perm.PROVIDER_READ):
        return []
    return provider_service.provider_choices(session, subject)


@router.get("", response_class=HTMLResponse)
def facility_list(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """Facilities in scope by kind, street and provider."""
    flt, values = query_filter(FacilityFilter, request, FILTER_KEYS)
    page = facility_service.list_facilities(
        db, subject, flt, PageParams(page=page_number(request), size=20),
        now=request.app.state.clock(),
    )  # fmt: skip
    context = {
        "page": page,
        "kinds": [str(k) for k in FacilityKind],
        "choices": areas_service.area_choices(db, subject),
        "providers": providers_in_scope(db, subject),
    }
    return list_page(
        request, "/facilities", "facilities/list.html", "facilities/_results.html", values, context
    )


def _form(
    request: Request,
    db: Session,
    subject: Subject,
    values: dict[str, Any],
    facility: FacilityRead | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "facilities/form.html",
        {
            "values": values,
            "facility": facility,
            "errors": errors or {},
            "message": message,
            "kinds": [str(k) for k in FacilityKind],
            "choices": areas_service.area_choices(db, subject),
            "providers": providers_in_scope(db, subject),
        },
        status_code=status_code,
    )


def _payload(form: FormData) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    put_required(payload, form, "code", "name", "kind", "street_code", "address", "lat", "lon")
    put_required(payload, form, *NUMBERS)
    payload["community_code"] = optional(form, "community_code")
    payload["provider_id"] = optional(form, "provider_id")
    payload["phone"] = optional(form, "phone")
    payload["active"] = form.get("active") == "on"
    return payload


def _failed(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    form: FormData,
    refusal: FormRefusal,
    facility: FacilityRead | None = None,
) -> HTMLResponse:
    values = form_values(form) | {"active": form.get("active") == "on"}
    errors = problems_by_field(locale, refusal.problems)
    return _form(
        request, db, subject, values, facility, errors, refusal.message, refusal.status_code
    )


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """An empty facility form."""
    subject.require(Perm.FACILITY_WRITE)
    values = {"kind": "day_care_centre", "active": True} | {n: "0" for n in NUMBERS}
    return _form(request, db, subject, values)


@router.post("/new", response_model=None)
def create(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Register a facility, or show the form again with each problem by its field."""
    subject.require(Perm.FACILITY_WRITE)
    result = submit_form(
        db, locale, FacilityCreate, _payload(form),
        lambda data: facility_service.create_facility(
            db, subject, data, now=request.app.state.clock(),
            district_code=request.app.state.settings.district_code,
        ),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _failed(request, db, subject, locale, form, result)
    return RedirectResponse(f"/facilities/{result.id}?saved=1", status_code=303)


@router.get("/{facility_id}", response_class=HTMLResponse)
def view(request: Request, db: DbSession, subject: PageSubject, facility_id: RowId) -> HTMLResponse:
    """A facility's record."""
    facility = facility_service.read_facility(db, subject, facility_id)
    return render(request, "facilities/view.html", {"facility": facility})


@router.get("/{facility_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, db: DbSession, subject: PageSubject, facility_id: RowId
) -> HTMLResponse:
    """The edit form filled with the current record."""
    subject.require(Perm.FACILITY_WRITE)
    facility = facility_service.read_facility(db, subject, facility_id)
    values: dict[str, Any] = facility.model_dump(mode="json")
    values["street_code"] = facility.street.code
    values["community_code"] = facility.community.code if facility.community else ""
    values["provider_id"] = str(facility.provider.id) if facility.provider else ""
    return _form(request, db, subject, values, facility)


@router.post("/{facility_id}/edit", response_model=None)
def update(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    facility_id: RowId,
) -> Response:
    """Save changes to a facility; nothing is written when a field is wrong."""
    subject.require(Perm.FACILITY_WRITE)
    current = facility_service.read_facility(db, subject, facility_id)
    payload = _payload(form)
    payload.pop("code", None)
    result = submit_form(
        db, locale, FacilityUpdate, payload,
        lambda data: facility_service.update_facility(
            db, subject, facility_id, data, now=request.app.state.clock(),
            district_code=request.app.state.settings.district_code,
        ),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _failed(request, db, subject, locale, form, result, current)
    return RedirectResponse(f"/facilities/{facility_id}?saved=1", status_code=303)
