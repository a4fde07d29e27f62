"""Queries on the area tree; areas are reference data readable by every role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.errors import N_, Invalid
from yiyang.registry.models import Area


def by_code(session: Session, code: str) -> Area | None:
    """The area with this code, if any."""
    return session.scalar(select(Area).where(Area.code == code.strip()))


def require_level(session: Session, code: str, level: str, field: str) -> Area:
    """Resolve a code to an area of the given level, or name the field at fault."""
    area = by_code(session, code)
    if area is None or area.level != level:
        raise Invalid(
            N_("Unknown %(level)s code: %(value)s."), field=field, level=level, value=code
        )
    return area


def children(session: Session, parent_id: int | None, level: str) -> list[Area]:
    """The areas of a level under a parent (all of that level when parent is None)."""
    stmt = select(Area).where(Area.level == level).order_by(Area.code)
    if parent_id is not None:
        stmt = stmt.where(Area.parent_id == parent_id)
    return list(session.scalars(stmt))
