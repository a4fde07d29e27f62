"""JSON routes for the area tree (read-only reference data)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from yiyang.kit.types import Code
from yiyang.registry.areas import service as area_service
from yiyang.registry.areas.schemas import AreaDetail, AreaFilter, AreaOut
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(prefix="/areas", tags=["areas"], dependencies=[Depends(get_locale)])


@router.get("", response_model=list[AreaOut])
def list_areas(
    db: DbSession, subject: ApiSubject, flt: Annotated[AreaFilter, Depends()]
) -> list[AreaOut]:
    """Areas filtered by level (district, street, community) and/or parent code."""
    return area_service.list_areas(db, subject, flt)


@router.get("/{code}", response_model=AreaDetail)
def read_area(db: DbSession, subject: ApiSubject, code: Code) -> AreaDetail:
    """One area with its direct children."""
    return area_service.read_area(db, subject, code)
