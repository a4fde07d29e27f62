"""Queries on the area tree; areas are reference data readable by every role."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from yiyang.errors import N_, Invalid, NotFound
from yiyang.registry.areas.models import Area
from yiyang.security.subject import Subject


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


def names(session: Session, levels: tuple[str, ...]) -> list[tuple[int, str, str, str, int | None]]:
    """Id, code, name, level and parent id of every area of these levels, by code, as plain
    tuples (every list page's area filter: no ORM objects for some 200 areas)."""
    stmt = select(Area.id, Area.code, Area.name, Area.level, Area.parent_id)
    return list(session.execute(stmt.where(Area.level.in_(levels)).order_by(Area.code)).tuples())


_Parent = aliased(Area)


def readable(subject: Subject) -> Select[Any]:
    """Every area with its parent's code: the tree is public reference data for any login."""
    return select(Area, _Parent.code).outerjoin(_Parent, Area.parent_id == _Parent.id)


def search(
    session: Session, subject: Subject, level: str | None, parent_code: str | None
) -> list[tuple[Area, str | None]]:
    """Areas of a level and/or under a parent, ordered by code, each with its parent's code."""
    stmt = readable(subject)
    if level:
        stmt = stmt.where(Area.level == level)
    if parent_code:
        stmt = stmt.where(_Parent.code == parent_code.strip())
    return [(row[0], row[1]) for row in session.execute(stmt.order_by(Area.code))]


def get(session: Session, subject: Subject, code: str) -> tuple[Area, str | None]:
    """One area with its parent's code, or NotFound."""
    row = session.execute(readable(subject).where(Area.code == code.strip())).first()
    if row is None:
        raise NotFound(N_("Area %(value)s not found."), value=code)
    return row[0], row[1]


def by_ids(session: Session, ids: set[int]) -> dict[int, Area]:
    """Areas by id, for showing references next to records."""
    if not ids:
        return {}
    return {a.id: a for a in session.scalars(select(Area).where(Area.id.in_(ids)))}
