"""JSON routes for staff: list/search (ID numbers masked), read, create, update."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import RowId
from yiyang.registry.staff import service as staff_service
from yiyang.registry.staff.schemas import (
    StaffCreate,
    StaffFilter,
    StaffListItem,
    StaffRead,
    StaffUpdate,
)
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(prefix="/staff", tags=["staff"], dependencies=[Depends(get_locale)])


@router.get("", response_model=Page[StaffListItem])
def list_staff(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    flt: Annotated[StaffFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[StaffListItem]:
    """Staff in scope, filtered by provider, facility, role, skill, status or name/phone."""
    return staff_service.list_staff(db, subject, flt, page, now=request.app.state.clock())


@router.post("", response_model=StaffRead, status_code=201)
def create_staff(
    request: Request, db: DbSession, subject: ApiSubject, body: StaffCreate
) -> StaffRead:
    """Register a staff member (a provider administrator only for its own provider)."""
    staff = staff_service.create_staff(
        db,
        subject,
        body,
        now=request.app.state.clock(),
        district_code=request.app.state.settings.district_code,
    )
    return staff_service.to_read(subject, staff)


@router.get("/{staff_id}", response_model=StaffRead)
def read_staff(db: DbSession, subject: ApiSubject, staff_id: RowId) -> StaffRead:
    """One staff member's full record."""
    return staff_service.read_staff(db, subject, staff_id)


@router.patch("/{staff_id}", response_model=StaffRead)
def update_staff(
    request: Request, db: DbSession, subject: ApiSubject, staff_id: RowId, body: StaffUpdate
) -> StaffRead:
    """Change some fields of a staff member; lists given replace the stored ones."""
    staff = staff_service.update_staff(
        db,
        subject,
        staff_id,
        body,
        now=request.app.state.clock(),
        district_code=request.app.state.settings.district_code,
    )
    return staff_service.to_read(subject, staff)
