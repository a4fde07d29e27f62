"""Elder use cases: register, change, read (audited) and list (masked)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, FieldProblem, Invalid
from yiyang.kit.idcard import IdNumberFacts, age_on
from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.registry.areas import repository as area_repository
from yiyang.registry.areas.boundary import inside_district
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import lookups, rules
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.away import away_of, health_viewer
from yiyang.registry.elders.models import Elder, ElderContact, ElderGroup
from yiyang.registry.elders.schemas import (
    AreaRef,
    ContactIn,
    ElderCreate,
    ElderFilter,
    ElderListItem,
    ElderRead,
    ElderUpdate,
)
from yiyang.security.audit import service as audit
from yiyang.security.disclosure import Viewer, disclosed
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

# A search counts its matches this far: past it, "more than 1,000" (a common surname).
SEARCH_COUNT_CAP = 1000
# A list counts this far: past it, "more than 10,000" (not a count(*) of a whole district).
LIST_COUNT_CAP = 10_000
SNAPSHOT_FIELDS = (
    "id_number", "name", "sex", "birth_date", "phone", "household_registration", "address",
    "street_id", "community_id", "lat", "lon", "geofence_m", "living_situation",
    "economic_status", "capability_level", "consent_given", "consent_date", "status",
    "status_date", "notes", "mobility", "conditions", "away_until",
)  # fmt: skip


def snapshot(elder: Elder) -> dict[str, Any]:
    """The audited view of an elder: every field plus groups and contacts."""
    data = {name: getattr(elder, name) for name in SNAPSHOT_FIELDS}
    data["special_groups"] = [g.code for g in elder.groups]
    data["contacts"] = [
        {"name": c.name, "relationship": c.relationship, "phone": c.phone, "has_key": c.has_key}
        for c in elder.contacts
    ]
    return data


def _contacts(items: list[ContactIn]) -> list[rules.ContactFacts]:
    return [
        rules.ContactFacts(
            name=c.name.strip(),
            relationship=c.relationship.strip(),
            phone=rules.normalise_phone(c.phone) or "",
            has_key=c.has_key,
        )
        for c in items
    ]


def _conditions(text: str | None) -> str | None:
    """Health conditions as typed, trimmed; blank is none recorded."""
    return text.strip() or None if text is not None else None


def _community_in_scope(subject: Subject, community: Area) -> bool:
    return subject.scope.covers(street_id=community.parent_id, community_id=community.id)


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )


def _resolve_community(
    session: Session,
    subject: Subject,
    code: str,
    communities: Mapping[str, Area] | None = None,
) -> Area:
    if communities is None:
        community = area_repository.require_level(session, code, "community", "community_code")
    else:  # a bulk caller pre-loaded the communities (one query instead of one per row)
        found = communities.get(code.strip())
        if found is None:
            raise Invalid(
                N_("Unknown %(level)s code: %(value)s."),
                field="community_code",
                level="community",
                value=code,
            )
        community = found
    if not _community_in_scope(subject, community):
        raise Invalid(N_("You may only register elders in your own area."), field="community_code")
    return community


def _check_place(district_code: str, lat: float, lon: float) -> list[FieldProblem]:
    return rules.coordinates_problems(lat, lon, inside_district(district_code, lat, lon))


@dataclass(frozen=True)
class PreparedElder:
    """A new elder's values after every check: derived identity, normalised phone, contacts."""

    facts: IdNumberFacts
    phone: str | None
    contacts: list[rules.ContactFacts]
    community: Area


def prepare_new_elder(
    session: Session,
    subject: Subject,
    data: ElderCreate,
    *,
    today: date,
    district_code: str,
    communities: Mapping[str, Area] | None = None,
) -> tuple[PreparedElder | None, list[FieldProblem]]:
    """Check a new elder without writing anything (the duplicate ID check is left to callers)."""
    problems: list[FieldProblem] = []
    parsed = rules.id_number_problem(data.id_number, today)
    if isinstance(parsed, FieldProblem):
        problems.append(parsed)
    elif bad := rules.consent_date_problem(data.consent_date, parsed.birth_date, today):
        problems.append(bad)
    phone = rules.normalise_phone(data.phone)
    if bad := rules.phone_problem(phone, "phone"):
        problems.append(bad)
    problems += _check_place(district_code, data.lat, data.lon)
    contacts = _contacts(data.contacts)
    problems += rules.contacts_problems(contacts)
    community: Area | None = None
    try:
        community = _resolve_community(session, subject, data.community_code, communities)
    except Invalid as exc:
        problems += exc.problems
    if problems or not isinstance(parsed, IdNumberFacts) or community is None:
        return None, problems
    return PreparedElder(parsed, phone, contacts, community), []


def validate_new_elder(
    session: Session,
    subject: Subject,
    data: ElderCreate,
    *,
    today: date,
    district_code: str,
    communities: Mapping[str, Area] | None = None,
) -> list[FieldProblem]:
    """Every problem a new elder has, by the same rules as single creation; writes nothing."""
    return prepare_new_elder(
        session, subject, data, today=today, district_code=district_code, communities=communities
    )[1]


def create_elder(
    session: Session, subject: Subject, data: ElderCreate, *, now: datetime, district_code: str
) -> Elder:
    """Register an elder after every check; all problems are reported together."""
    subject.require(Perm.ELDER_WRITE)
    today = local_today(now)
    prepared, problems = prepare_new_elder(
        session, subject, data, today=today, district_code=district_code
    )
    _raise_if(problems)
    assert prepared is not None
    parsed, phone, contacts, community = (
        prepared.facts, prepared.phone, prepared.contacts, prepared.community,
    )  # fmt: skip
    if elder_repository.id_number_taken(session, parsed.number):
        raise Conflict(
            N_("An elder with this ID number is already registered."),
            field="id_number",
            code="duplicate_id_number",
        )
    elder = Elder(
        id_number=parsed.number,
        name=data.name.strip(),
        sex=parsed.sex,
        birth_date=parsed.birth_date,
        phone=phone,
        household_registration=data.household_registration,
        address=data.address.strip(),
        street=session.get(Area, community.parent_id),
        community=community,
        lat=data.lat,
        lon=data.lon,
        geofence_m=data.geofence_m,
        living_situation=str(data.living_situation),
        economic_status=str(data.economic_status),
        capability_level=data.capability_level,
        consent_given=data.consent_given,
        consent_date=data.consent_date or (today if data.consent_given else None),
        status="active",
        notes=data.notes,
        mobility=str(data.mobility) if data.mobility else None,
        conditions=_conditions(data.conditions),
        created_at=now,
        updated_at=now,
    )
    elder.groups = [ElderGroup(code=str(g)) for g in dict.fromkeys(data.special_groups)]
    elder.contacts = [ElderContact(priority=i + 1, **c.__dict__) for i, c in enumerate(contacts)]
    session.add(elder)
    session.flush()
    audit.record(session, subject, "create", "elder", elder.id, after=snapshot(elder), at=now)
    return elder


def update_elder(
    session: Session,
    subject: Subject,
    elder_id: int,
    data: ElderUpdate,
    *,
    now: datetime,
    district_code: str,
) -> Elder:
    """Change the fields given; the audit row keeps what changed, before and after."""
    subject.require(Perm.ELDER_WRITE)
    elder = elder_repository.get(session, subject, elder_id)
    if data.version is not None and data.version != elder.version:
        raise Conflict(
            N_("Someone else changed this record meanwhile. Reload and try again."),
            code="stale",
        )
    before = snapshot(elder)
    today = local_today(now)
    given = data.model_dump(exclude_unset=True, exclude={"version"})
    problems: list[FieldProblem] = []
    if "id_number" in given and data.id_number is not None:
        parsed = rules.id_number_problem(data.id_number, today)
        if isinstance(parsed, FieldProblem):
            problems.append(parsed)
        else:
            if elder_repository.id_number_taken(session, parsed.number, except_id=elder.id):
                raise Conflict(
                    N_("An elder with this ID number is already registered."),
                    field="id_number",
                    code="duplicate_id_number",
                )
            elder.id_number, elder.birth_date, elder.sex = (
                parsed.number, parsed.birth_date, parsed.sex,
            )  # fmt: skip
    if "phone" in given:
        phone = rules.normalise_phone(data.phone)
        if bad := rules.phone_problem(phone, "phone"):
            problems.append(bad)
        elder.phone = phone
    lat = data.lat if data.lat is not None else elder.lat
    lon = data.lon if data.lon is not None else elder.lon
    if "lat" in given or "lon" in given:
        problems += _check_place(district_code, lat, lon)
        elder.lat, elder.lon = lat, lon
    if data.community_code is not None:
        try:
            community = _resolve_community(session, subject, data.community_code)
            elder.community = community
            elder.street = session.get(Area, community.parent_id)  # type: ignore[assignment]
        except Invalid as exc:
            problems += exc.problems
    if data.contacts is not None:
        contacts = _contacts(data.contacts)
        problems += rules.contacts_problems(contacts)
        # Reuse the row of each priority: a delete and re-insert of the same (elder, priority)
        # in one flush breaks its unique constraint (SQLAlchemy inserts before it deletes).
        by_priority = {c.priority: c for c in elder.contacts}
        rows = []
        for i, c in enumerate(contacts):
            row = by_priority.get(i + 1) or ElderContact(priority=i + 1)
            row.name, row.relationship, row.phone, row.has_key = (
                c.name, c.relationship, c.phone, c.has_key,
            )  # fmt: skip
            rows.append(row)
        elder.contacts = rows
    if data.status_date is not None and (
        bad := rules.status_date_problem(data.status_date, elder.birth_date, today)
    ):
        problems.append(bad)
    if data.consent_date is not None and (
        bad := rules.consent_date_problem(data.consent_date, elder.birth_date, today)
    ):
        problems.append(bad)
    if (
        "capability_level" in given
        and given["capability_level"] != before["capability_level"]
        and elder_repository.assessed(session, elder.id)
    ):
        problems.append(
            FieldProblem("capability_level", "assessed", N_(
                "The capability level comes from the assessment on record: record a new "
                "assessment to change it."))
        )  # fmt: skip
    _raise_if(problems)
    for name in (
        "name", "household_registration", "address", "geofence_m", "living_situation",
        "economic_status", "capability_level", "consent_given", "consent_date", "status",
        "status_date", "notes",
    ):  # fmt: skip
        if name in given:
            value = given[name]
            setattr(elder, name, value.strip() if isinstance(value, str) else value)
    if "mobility" in given:
        elder.mobility = str(data.mobility) if data.mobility else None
    if "conditions" in given:
        elder.conditions = _conditions(data.conditions)
    if data.status is not None and data.status_date is None and data.status != before["status"]:
        elder.status_date = today
    if data.special_groups is not None:
        wanted = list(dict.fromkeys(str(g) for g in data.special_groups))
        elder.groups = [g for g in elder.groups if g.code in wanted] + [
            ElderGroup(code=g) for g in wanted if g not in {x.code for x in elder.groups}
        ]
    elder.updated_at = now
    session.flush()
    old, new = audit.changed_fields(before, snapshot(elder))
    if new:
        audit.record(session, subject, "update", "elder", elder.id, before=old, after=new, at=now)
    return elder


def _area_ref(area: Area) -> AreaRef:
    return AreaRef(id=area.id, code=area.code, name=area.name)


def to_read(
    elder: Elder, today: date, subject: Subject, *, away: dict[str, Any] | None = None
) -> ElderRead:
    """The full record of an elder as this subject may see it (`away` from `away_of`)."""
    age = age_on(elder.birth_date, today)
    groups = [g.code for g in elder.groups]
    values = dict(
        id=elder.id,
        id_number=elder.id_number,
        name=elder.name,
        sex=elder.sex,
        birth_date=elder.birth_date,
        age=age,
        phone=elder.phone,
        household_registration=elder.household_registration,
        address=elder.address,
        street=_area_ref(elder.street),
        community=_area_ref(elder.community),
        lat=elder.lat,
        lon=elder.lon,
        geofence_m=elder.geofence_m,
        living_situation=elder.living_situation,
        special_groups=groups,
        economic_status=elder.economic_status,
        capability_level=elder.capability_level,
        risk_tier=rules.risk_tier(
            age, elder.living_situation, groups, elder.economic_status, elder.capability_level
        ),
        consent_given=elder.consent_given,
        consent_date=elder.consent_date,
        status=elder.status,
        status_date=elder.status_date,
        notes=elder.notes,
        mobility=elder.mobility,
        conditions=elder.conditions,
        away=away,
        contacts=list(elder.contacts),
        version=elder.version,
        created_at=elder.created_at,
        updated_at=elder.updated_at,
    )
    return disclosed(ElderRead, health_viewer(subject, elder), values)


def read_elder(session: Session, subject: Subject, elder_id: int, *, now: datetime) -> ElderRead:
    """An elder's full record; every such read leaves an audit row."""
    subject.require(Perm.ELDER_READ)
    elder = elder_repository.get(session, subject, elder_id)
    audit.record(session, subject, "read_full", "elder", elder.id, at=now)
    return to_read(elder, local_today(now), subject, away=away_of(elder, now))


def to_list_item(subject: Subject, elder: Elder, today: date) -> ElderListItem:
    """An elder as shown in a list to this subject."""
    values = dict(
        id=elder.id,
        name=elder.name,
        sex=elder.sex,
        age=age_on(elder.birth_date, today),
        id_number=elder.id_number,
        phone=elder.phone,
        address=elder.address,
        street=_area_ref(elder.street),
        community=_area_ref(elder.community),
        living_situation=elder.living_situation,
        special_groups=[g.code for g in elder.groups],
        economic_status=elder.economic_status,
        status=elder.status,
    )
    return disclosed(ElderListItem, Viewer(subject), values)


def list_elders(
    session: Session,
    subject: Subject,
    flt: ElderFilter,
    page: PageParams,
    *,
    now: datetime,
    id_lookup_limit: int,
) -> Page[ElderListItem]:
    """A page of elders in scope, masked by role; an exact-ID search counts against the limit."""
    subject.require(Perm.ELDER_READ)
    today = local_today(now)
    lookups.allow(session, subject, flt.q, now=now, limit=id_lookup_limit)
    cap = SEARCH_COUNT_CAP if flt.q else LIST_COUNT_CAP
    rows, total, more = elder_repository.search(session, subject, flt, page, today, count_cap=cap)
    return Page(
        items=[to_list_item(subject, e, today) for e in rows],
        total=total,
        page=page.page,
        size=page.size,
        more=more,
    )
