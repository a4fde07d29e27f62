"""Every query on facilities; the one place where their data scope is applied."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, joinedload

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.registry.areas.models import Area
from yiyang.registry.facilities.models import Facility
from yiyang.registry.facilities.schemas import FacilityFilter
from yiyang.security.subject import Subject

# What a facility has room for, by the filter's word.
CAPACITY = {
    "beds": Facility.beds_long_stay,
    "day_places": Facility.day_places,
    "meals": Facility.meals_per_day,
}


def readable(subject: Subject) -> Select[tuple[Facility]]:
    """Facilities the subject may see: district-wide, its street, its community or its provider."""
    return select(Facility).where(
        subject.scope.where(
            street=Facility.street_id,
            community=Facility.community_id,
            provider=Facility.provider_id,
        )
    )


def _area_id(code: str) -> object:
    return select(Area.id).where(Area.code == code.strip()).scalar_subquery()


def filtered(subject: Subject, flt: FacilityFilter) -> Select[tuple[Facility]]:
    """The readable facilities narrowed by a filter."""
    stmt = readable(subject)
    if flt.q:
        q = flt.q.strip()
        stmt = stmt.where(
            or_(
                Facility.name.contains(q, autoescape=True),
                Facility.address.contains(q, autoescape=True),
                Facility.code == q,
            )
        )
    if flt.kind:
        stmt = stmt.where(Facility.kind == str(flt.kind))
    if flt.street_code:
        stmt = stmt.where(Facility.street_id == _area_id(flt.street_code))
    if flt.community_code:
        stmt = stmt.where(Facility.community_id == _area_id(flt.community_code))
    if flt.provider_id is not None:
        stmt = stmt.where(Facility.provider_id == flt.provider_id)
    if flt.active is not None:
        stmt = stmt.where(Facility.active == flt.active)
    capacity = CAPACITY[flt.offers] if flt.offers else None
    if capacity is not None:
        stmt = stmt.where(capacity > 0)
    if flt.min_capacity:
        stmt = stmt.where(
            capacity >= flt.min_capacity
            if capacity is not None
            else or_(*(c >= flt.min_capacity for c in CAPACITY.values()))
        )
    return stmt


def _loaded(stmt: Select[tuple[Facility]]) -> Select[tuple[Facility]]:
    return stmt.options(
        joinedload(Facility.street), joinedload(Facility.community), joinedload(Facility.provider)
    )


def search(
    session: Session, subject: Subject, flt: FacilityFilter, page: PageParams
) -> tuple[list[Facility], int]:
    """One page of matching facilities (areas and provider loaded) and the total count."""
    stmt = filtered(subject, flt)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        _loaded(stmt).order_by(Facility.code).offset(page.offset).limit(page.size)
    ).all()
    return list(rows), total


def get(session: Session, subject: Subject, facility_id: int) -> Facility:
    """One readable facility with areas and provider loaded, or NotFound."""
    facility = session.scalar(_loaded(readable(subject).where(Facility.id == facility_id)))
    if facility is None:
        raise NotFound(N_("Facility %(id)s not found."), id=facility_id)
    return facility


def by_id(session: Session, facility_id: int) -> Facility | None:
    """A facility regardless of scope (for checks made on behalf of another record)."""
    return session.get(Facility, facility_id)


def code_taken(session: Session, code: str) -> bool:
    """Whether a facility already uses this code."""
    return session.scalar(select(Facility.id).where(Facility.code == code)) is not None


@dataclass(frozen=True)
class FacilitySummary:
    """Active facilities in scope: how many of each kind, long-stay beds, the first few."""

    by_kind: list[tuple[str, int]]
    long_stay_beds: int
    first: list[tuple[int, str, str, int, int]]  # id, name, kind, long-stay beds, day places


def summary(session: Session, subject: Subject, *, first: int = 0) -> FacilitySummary:
    """Active facilities in scope counted by kind, with their beds and the first by code."""
    scoped = readable(subject).where(Facility.active.is_(True)).subquery()
    by_kind = session.execute(
        select(scoped.c.kind, func.count()).group_by(scoped.c.kind).order_by(func.count().desc())
    ).tuples()
    beds = session.scalar(select(func.coalesce(func.sum(scoped.c.beds_long_stay), 0)))
    rows = session.execute(
        select(
            scoped.c.id, scoped.c.name, scoped.c.kind, scoped.c.beds_long_stay, scoped.c.day_places
        )
        .order_by(scoped.c.code)
        .limit(first)
    ).tuples()
    return FacilitySummary(list(by_kind), int(beds or 0), list(rows) if first else [])
