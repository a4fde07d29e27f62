"""JSON routes for facilities: list/search, read, create, update."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import RowId
from yiyang.registry.facilities import service as facility_service
from yiyang.registry.facilities.schemas import (
    FacilityCreate,
    FacilityFilter,
    FacilityRead,
    FacilityUpdate,
)
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(prefix="/facilities", tags=["facilities"], dependencies=[Depends(get_locale)])


@router.get("", response_model=Page[FacilityRead])
def list_facilities(
    request: Request,
    db: DbSession,
    subject: ApiSubject,
    flt: Annotated[FacilityFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[FacilityRead]:
    """Facilities in scope, filtered by kind, area, provider, or a name/address search."""
    return facility_service.list_facilities(db, subject, flt, page, now=request.app.state.clock())


@router.post("", response_model=FacilityRead, status_code=201)
def create_facility(
    request: Request, db: DbSession, subject: ApiSubject, body: FacilityCreate
) -> FacilityRead:
    """Register a facility (a street administrator only in its own street)."""
    facility = facility_service.create_facility(
        db,
        subject,
        body,
        now=request.app.state.clock(),
        district_code=request.app.state.settings.district_code,
    )
    return facility_service.to_read(facility)


@router.get("/{facility_id}", response_model=FacilityRead)
def read_facility(db: DbSession, subject: ApiSubject, facility_id: RowId) -> FacilityRead:
    """One facility's record."""
    return facility_service.read_facility(db, subject, facility_id)


@router.patch("/{facility_id}", response_model=FacilityRead)
def update_facility(
    request: Request, db: DbSession, subject: ApiSubject, facility_id: RowId, body: FacilityUpdate
) -> FacilityRead:
    """Change some fields of a facility."""
    facility = facility_service.update_facility(
        db,
        subject,
        facility_id,
        body,
        now=request.app.state.clock(),
        district_code=request.app.state.settings.district_code,
    )
    return facility_service.to_read(facility)
