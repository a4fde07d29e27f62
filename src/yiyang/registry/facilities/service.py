"""Facility use cases: list/search, read, create and change (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, FieldProblem, Invalid, NotFound
from yiyang.kit.pagination import Page, PageParams
from yiyang.registry.areas import repository as area_repository
from yiyang.registry.areas.boundary import inside_district
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import rules as elder_rules
from yiyang.registry.elders.schemas import AreaRef
from yiyang.registry.facilities import repository as facility_repository
from yiyang.registry.facilities import rules
from yiyang.registry.facilities.models import Facility
from yiyang.registry.facilities.schemas import (
    FacilityCreate,
    FacilityFilter,
    FacilityRead,
    FacilityUpdate,
)
from yiyang.registry.providers import repository as provider_repository
from yiyang.registry.providers.models import Provider
from yiyang.registry.providers.schemas import ProviderRef
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

SNAPSHOT_FIELDS = (
    "code", "name", "kind", "street_id", "community_id", "provider_id", "address", "lat", "lon",
    "phone", "beds_long_stay", "day_places", "meals_per_day", "opening_hours", "active",
)  # fmt: skip
_PLAIN_FIELDS = ("name", "address", "beds_long_stay", "day_places", "meals_per_day", "active")


def snapshot(facility: Facility) -> dict[str, Any]:
    """The audited view of a facility."""
    data = {name: getattr(facility, name) for name in SNAPSHOT_FIELDS}
    data["opening_hours"] = dict(facility.opening_hours or {})
    return data


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )


def _street(
    session: Session, subject: Subject, code: str, problems: list[FieldProblem]
) -> Area | None:
    """Resolve the street; a street admin may only place facilities in its own street."""
    try:
        street = area_repository.require_level(session, code, "street", "street_code")
    except Invalid as exc:
        problems += exc.problems
        return None
    if not subject.scope.covers(street_id=street.id):
        problems.append(
            FieldProblem(
                "street_code",
                "out_of_scope",
                N_("You may only manage facilities in your own street."),
            )
        )
        return None
    return street


def _community(
    session: Session, street: Area | None, code: str | None, problems: list[FieldProblem]
) -> Area | None:
    if not code:
        return None
    try:
        community = area_repository.require_level(session, code, "community", "community_code")
    except Invalid as exc:
        problems += exc.problems
        return None
    if street is not None and (bad := rules.community_problem(street.id, community.parent_id)):
        problems.append(bad)
    return community


def _provider(
    session: Session, subject: Subject, provider_id: int | None, problems: list[FieldProblem]
) -> Provider | None:
    if provider_id is None:
        return None
    try:
        return provider_repository.get(session, subject, provider_id)
    except NotFound:
        problems.append(
            FieldProblem(
                "provider_id", "unknown", N_("Unknown provider %(id)s."), {"id": provider_id}
            )
        )
        return None


def _place_problems(district_code: str, lat: float, lon: float) -> list[FieldProblem]:
    return elder_rules.coordinates_problems(lat, lon, inside_district(district_code, lat, lon))


def create_facility(
    session: Session, subject: Subject, data: FacilityCreate, *, now: datetime, district_code: str
) -> Facility:
    """Register a facility after every check; all problems are reported together."""
    subject.require(Perm.FACILITY_WRITE)
    problems: list[FieldProblem] = []
    street = _street(session, subject, data.street_code, problems)
    community = _community(session, street, data.community_code, problems)
    provider = _provider(session, subject, data.provider_id, problems)
    problems += _place_problems(district_code, data.lat, data.lon)
    phone = elder_rules.normalise_phone(data.phone)
    if bad := elder_rules.phone_problem(phone, "phone"):
        problems.append(bad)
    hours, bad_hours = rules.weekly_hours_problems(data.opening_hours, "opening_hours")
    problems += bad_hours
    _raise_if(problems)
    assert street is not None
    code = data.code.strip()
    if facility_repository.code_taken(session, code):
        raise Conflict(
            N_("Another facility already uses the code %(value)s."),
            field="code",
            code="duplicate_code",
            value=code,
        )
    facility = Facility(
        code=code,
        name=data.name.strip(),
        kind=str(data.kind),
        street=street,
        community=community,
        provider=provider,
        address=data.address.strip(),
        lat=data.lat,
        lon=data.lon,
        phone=phone,
        beds_long_stay=data.beds_long_stay,
        day_places=data.day_places,
        meals_per_day=data.meals_per_day,
        opening_hours=hours,
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    session.add(facility)
    session.flush()
    audit.record(
        session, subject, "create", "facility", facility.id, after=snapshot(facility), at=now
    )
    return facility


def update_facility(
    session: Session,
    subject: Subject,
    facility_id: int,
    data: FacilityUpdate,
    *,
    now: datetime,
    district_code: str,
) -> Facility:
    """Change the fields given; the audit row keeps what changed, before and after."""
    subject.require(Perm.FACILITY_WRITE)
    facility = facility_repository.get(session, subject, facility_id)
    before = snapshot(facility)
    given = data.model_dump(exclude_unset=True)
    problems: list[FieldProblem] = []
    street: Area | None = facility.street
    if data.street_code is not None:
        street = _street(session, subject, data.street_code, problems)
    community: Area | None = facility.community
    if "community_code" in given:
        community = _community(session, street, data.community_code, problems)
    elif (
        street is not None
        and community is not None
        and (bad := rules.community_problem(street.id, community.parent_id))
    ):
        problems.append(bad)
    provider = facility.provider
    if "provider_id" in given:
        provider = _provider(session, subject, data.provider_id, problems)
    lat = data.lat if data.lat is not None else facility.lat
    lon = data.lon if data.lon is not None else facility.lon
    if data.lat is not None or data.lon is not None:
        problems += _place_problems(district_code, lat, lon)
    phone = facility.phone
    if "phone" in given:
        phone = elder_rules.normalise_phone(data.phone)
        if bad := elder_rules.phone_problem(phone, "phone"):
            problems.append(bad)
    hours = facility.opening_hours
    if data.opening_hours is not None:
        hours, bad_hours = rules.weekly_hours_problems(data.opening_hours, "opening_hours")
        problems += bad_hours
    _raise_if(problems)
    assert street is not None
    facility.street, facility.community, facility.provider = street, community, provider
    facility.lat, facility.lon, facility.phone, facility.opening_hours = lat, lon, phone, hours
    if data.kind is not None:
        facility.kind = str(data.kind)
    for name in _PLAIN_FIELDS:
        if given.get(name) is not None:
            value = given[name]
            setattr(facility, name, value.strip() if isinstance(value, str) else value)
    facility.updated_at = now
    session.flush()
    old, new = audit.changed_fields(before, snapshot(facility))
    if new:
        audit.record(
            session, subject, "update", "facility", facility.id, before=old, after=new, at=now
        )
    return facility


def _area_ref(area: Area | None) -> AreaRef | None:
    return AreaRef(id=area.id, code=area.code, name=area.name) if area is not None else None


def to_read(facility: Facility) -> FacilityRead:
    """The record shape of a facility (street, community and provider must be loaded)."""
    street = _area_ref(facility.street)
    assert street is not None
    provider = facility.provider
    return FacilityRead(
        id=facility.id,
        code=facility.code,
        name=facility.name,
        kind=facility.kind,
        street=street,
        community=_area_ref(facility.community),
        provider=ProviderRef(id=provider.id, code=provider.code, name=provider.name)
        if provider is not None
        else None,
        address=facility.address,
        lat=facility.lat,
        lon=facility.lon,
        phone=facility.phone,
        beds_long_stay=facility.beds_long_stay,
        day_places=facility.day_places,
        meals_per_day=facility.meals_per_day,
        opening_hours=dict(facility.opening_hours or {}),
        active=facility.active,
        created_at=facility.created_at,
        updated_at=facility.updated_at,
    )


def read_facility(session: Session, subject: Subject, facility_id: int) -> FacilityRead:
    """One facility in scope, or NotFound."""
    subject.require(Perm.FACILITY_READ)
    return to_read(facility_repository.get(session, subject, facility_id))


def list_facilities(
    session: Session, subject: Subject, flt: FacilityFilter, page: PageParams, *, now: datetime
) -> Page[FacilityRead]:
    """A page of facilities in scope with the filters applied."""
    subject.require(Perm.FACILITY_READ)
    rows, total = facility_repository.search(session, subject, flt, page)
    return Page(items=[to_read(f) for f in rows], total=total, page=page.page, size=page.size)
