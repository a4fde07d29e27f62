"""HTML pages for staff: filtered list, record, create and edit forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from yiyang.kit.pagination import PageParams
from yiyang.kit.types import RowId
from yiyang.registry.facilities import service as facility_service
from yiyang.registry.facilities.pages import providers_in_scope
from yiyang.registry.facilities.schemas import FacilityFilter, FacilityRead
from yiyang.registry.staff import service as staff_service
from yiyang.registry.staff.schemas import StaffCreate, StaffFilter, StaffRead, StaffUpdate
from yiyang.registry.vocab import Sex, Skill, StaffRole, StaffStatus, TravelMode
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

router = APIRouter(prefix="/staff", include_in_schema=False, dependencies=[Depends(get_locale)])
FILTER_KEYS = ("q", "provider_id", "facility_id", "role", "skill", "status")


def _vocab() -> dict[str, list[str]]:
    return {
        "roles": [str(v) for v in StaffRole],
        "skills": [str(v) for v in Skill],
        "status": [str(v) for v in StaffStatus],
        "travel": [str(v) for v in TravelMode],
        "sex": [str(v) for v in Sex],
    }


def _facilities(session: Session, subject: Subject, request: Request) -> list[FacilityRead]:
    if not subject.can(Perm.FACILITY_READ):
        return []
    page = facility_service.list_facilities(
        session, subject, FacilityFilter(), PageParams(page=1, size=500),
        now=request.app.state.clock(),
    )  # fmt: skip
    return page.items


@router.get("", response_class=HTMLResponse)
def staff_list(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """Staff in scope by provider, role, skill and status."""
    flt, values = query_filter(StaffFilter, request, FILTER_KEYS)
    now = request.app.state.clock()
    page = staff_service.list_staff(
        db, subject, flt, PageParams(page=page_number(request), size=20), now=now
    )
    context = {
        "page": page,
        "vocab": _vocab(),
        "providers": providers_in_scope(db, subject),
    }
    return list_page(request, "/staff", "staff/list.html", "staff/_results.html", values, context)


def _form(
    request: Request,
    db: Session,
    subject: Subject,
    values: dict[str, Any],
    staff: StaffRead | None = None,
    errors: dict[str, list[str]] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    roles = values.get("roles") or []
    values["roles"] = [roles] if isinstance(roles, str) else roles
    return render(
        request,
        "staff/form.html",
        {
            "values": values,
            "staff": staff,
            "errors": errors or {},
            "message": message,
            "vocab": _vocab(),
            "providers": providers_in_scope(db, subject),
            "facilities": _facilities(db, subject, request),
        },
        status_code=status_code,
    )


def _payload(form: FormData, *, editing: bool) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    put_required(payload, form, "code", "name", "phone", "provider_id", "travel_mode", "status")
    for name in ("sex", "id_number", "facility_id", "hired_date"):
        payload[name] = optional(form, name)
    roles = [r for r in form.getlist("roles") if isinstance(r, str)]
    if roles or not editing:
        payload["roles"] = roles
    payload["skills"] = [
        {"skill": str(s), "level": level}
        for s in Skill
        if (level := optional(form, f"skill.{s}")) and level != "0"
    ]
    return payload


def _failed(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    form: FormData,
    refusal: FormRefusal,
    staff: StaffRead | None = None,
) -> HTMLResponse:
    values = form_values(form)
    values["roles"] = [r for r in form.getlist("roles") if isinstance(r, str)]
    values["skills"] = {str(s): optional(form, f"skill.{s}") or "0" for s in Skill}
    errors = problems_by_field(locale, refusal.problems)
    return _form(request, db, subject, values, staff, errors, refusal.message, refusal.status_code)


@router.get("/new", response_class=HTMLResponse)
def new_form(request: Request, db: DbSession, subject: PageSubject) -> HTMLResponse:
    """An empty staff form."""
    subject.require(Perm.STAFF_WRITE)
    values: dict[str, Any] = {"travel_mode": "ebike", "status": "active", "roles": ["caregiver"]}
    if subject.provider_id is not None:
        values["provider_id"] = str(subject.provider_id)
    return _form(request, db, subject, values | {"skills": {}})


@router.post("/new", response_model=None)
def create(
    request: Request, db: DbSession, subject: PageSubject, form: FormBody, locale: Locale
) -> Response:
    """Register a staff member, or show the form again with each problem by its field."""
    subject.require(Perm.STAFF_WRITE)
    result = submit_form(
        db, locale, StaffCreate, _payload(form, editing=False),
        lambda data: staff_service.create_staff(
            db, subject, data, now=request.app.state.clock(),
            district_code=request.app.state.settings.district_code,
        ),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _failed(request, db, subject, locale, form, result)
    return RedirectResponse(f"/staff/{result.id}?saved=1", status_code=303)


@router.get("/{staff_id}", response_class=HTMLResponse)
def view(request: Request, db: DbSession, subject: PageSubject, staff_id: RowId) -> HTMLResponse:
    """A staff member's record."""
    staff = staff_service.read_staff(db, subject, staff_id)
    return render(request, "staff/view.html", {"staff": staff})


@router.get("/{staff_id}/edit", response_class=HTMLResponse)
def edit_form(
    request: Request, db: DbSession, subject: PageSubject, staff_id: RowId
) -> HTMLResponse:
    """The edit form filled with the current record."""
    subject.require(Perm.STAFF_WRITE)
    staff = staff_service.read_staff(db, subject, staff_id)
    values: dict[str, Any] = staff.model_dump(mode="json")
    values["provider_id"] = str(staff.provider.id)
    values["facility_id"] = str(staff.facility.id) if staff.facility else ""
    values["skills"] = {s.skill: str(s.level) for s in staff.skills}
    return _form(request, db, subject, values, staff)


@router.post("/{staff_id}/edit", response_model=None)
def update(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    form: FormBody,
    locale: Locale,
    staff_id: RowId,
) -> Response:
    """Save changes to a staff member; nothing is written when a field is wrong."""
    subject.require(Perm.STAFF_WRITE)
    current = staff_service.read_staff(db, subject, staff_id)
    payload = _payload(form, editing=True)
    payload.pop("code", None)
    result = submit_form(
        db, locale, StaffUpdate, payload,
        lambda data: staff_service.update_staff(
            db, subject, staff_id, data, now=request.app.state.clock(),
            district_code=request.app.state.settings.district_code,
        ),
    )  # fmt: skip
    if isinstance(result, FormRefusal):
        return _failed(request, db, subject, locale, form, result, current)
    return RedirectResponse(f"/staff/{staff_id}?saved=1", status_code=303)
