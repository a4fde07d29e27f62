"""Area use cases: list the tree by level or parent, read one area with its children."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiyang.registry.areas import repository as area_repository
from yiyang.registry.areas.models import Area
from yiyang.registry.areas.schemas import AreaDetail, AreaFilter, AreaOut
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


def _out(area: Area, parent_code: str | None) -> AreaOut:
    return AreaOut(
        id=area.id, code=area.code, name=area.name, level=area.level, parent_code=parent_code
    )


def list_areas(session: Session, subject: Subject, flt: AreaFilter) -> list[AreaOut]:
    """Areas of a level and/or under a parent; the tree is small, so no paging."""
    subject.require(Perm.AREA_READ)
    level = str(flt.level) if flt.level else None
    rows = area_repository.search(session, subject, level, flt.parent_code)
    return [_out(area, parent) for area, parent in rows]


def read_area(session: Session, subject: Subject, code: str) -> AreaDetail:
    """One area and its direct children, or NotFound."""
    subject.require(Perm.AREA_READ)
    area, parent = area_repository.get(session, subject, code)
    kids = area_repository.search(session, subject, None, area.code)
    return AreaDetail(**_out(area, parent).model_dump(), children=[_out(a, p) for a, p in kids])
