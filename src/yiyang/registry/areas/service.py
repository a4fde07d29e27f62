"""Area use cases: list the tree by level or parent, read one area with its children."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from yiyang.registry.areas import repository as area_repository
from yiyang.registry.areas.models import Area
from yiyang.registry.areas.schemas import AreaDetail, AreaFilter, AreaOut
from yiyang.security.roles import Perm
from yiyang.security.scope import Binding
from yiyang.security.subject import Subject

LEVELS = ("street", "community")


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


@dataclass(frozen=True, slots=True)
class AreaChoice:
    """An area as a form offers it: id, code and name."""

    id: int
    code: str
    name: str


@dataclass
class StreetChoice:
    """A street with the communities the caller may pick in it."""

    street: AreaChoice
    communities: list[AreaChoice]


def area_choices(session: Session, subject: Subject) -> list[StreetChoice]:
    """Streets and communities within the caller's scope, for filters and selectors."""
    scope = subject.scope
    if not (scope.district_wide or scope.binding in (Binding.STREET, Binding.COMMUNITY)):
        return []
    streets: list[AreaChoice] = []
    # Every street and community in one query (not one per street: every list page shows these).
    by_street: dict[int | None, list[AreaChoice]] = {}
    for id_, code, name, level, parent_id in area_repository.names(session, LEVELS):
        if level == "street":
            streets.append(AreaChoice(id_, code, name))
        elif scope.covers(street_id=parent_id, community_id=id_):
            by_street.setdefault(parent_id, []).append(AreaChoice(id_, code, name))
    return [
        StreetChoice(street, by_street.get(street.id, []))
        for street in streets
        if street.id in by_street or scope.covers(street_id=street.id)
    ]


def streets(session: Session) -> list[AreaChoice]:
    """Every street of the district, by code."""
    return [AreaChoice(i, c, n) for i, c, n, _, _ in area_repository.names(session, ("street",))]


# The area filters of list pages: which level each names and how long its code is.
AREA_FILTERS = {"street_code": ("street", 9), "community_code": ("community", 12)}


def drop_unknown_areas(session: Session, values: dict[str, str]) -> list[str]:
    """Remove street and community filter codes that name no such area; the keys removed.

    A known area outside the caller's scope stays (it finds nothing); anything else never
    reaches a query or a page.
    """
    dropped = []
    for key, (level, length) in AREA_FILTERS.items():
        code = values.get(key)
        if code is None:
            continue
        well_formed = code.isascii() and code.isdigit() and len(code) == length
        area = area_repository.by_code(session, code) if well_formed else None
        if area is None or area.level != level:
            del values[key]
            dropped.append(key)
    return dropped
