"""Staff use cases: list (ID numbers masked), read, create and change (audited)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, FieldProblem, Invalid, NotFound
from yiyang.kit.idcard import IdNumberFacts
from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.registry.elders import rules as elder_rules
from yiyang.registry.facilities import repository as facility_repository
from yiyang.registry.facilities.models import Facility
from yiyang.registry.facilities.rules import weekly_hours_problems
from yiyang.registry.facilities.schemas import FacilityRef
from yiyang.registry.providers import repository as provider_repository
from yiyang.registry.providers.models import Provider
from yiyang.registry.providers.schemas import ProviderRef
from yiyang.registry.staff import repository as staff_repository
from yiyang.registry.staff import rules
from yiyang.registry.staff.models import Staff, StaffCertificate, StaffSkill
from yiyang.registry.staff.schemas import (
    CertificateIn,
    CertificateOut,
    SkillIn,
    SkillOut,
    StaffCreate,
    StaffFilter,
    StaffListItem,
    StaffRead,
    StaffUpdate,
)
from yiyang.security.audit import service as audit
from yiyang.security.disclosure import Relation, Viewer, disclosed
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

SNAPSHOT_FIELDS = (
    "code", "name", "sex", "phone", "id_number", "provider_id", "facility_id", "roles",
    "travel_mode", "working_pattern", "status", "hired_date",
)  # fmt: skip


def snapshot(staff: Staff) -> dict[str, Any]:
    """The audited view of a staff member, skills and certificates included."""
    data = {name: getattr(staff, name) for name in SNAPSHOT_FIELDS}
    data["roles"] = list(staff.roles or [])
    data["working_pattern"] = dict(staff.working_pattern or {})
    data["skills"] = {s.skill: s.level for s in staff.skills}
    data["certificates"] = [
        {"kind": c.kind, "number": c.number, "issued": c.issued_date, "expires": c.expires_date}
        for c in staff.certificates
    ]
    return data


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )


def _duplicate_id() -> Conflict:
    return Conflict(
        N_("A staff member with this ID number is already registered."),
        field="id_number",
        code="duplicate_id_number",
    )


def _provider(
    session: Session, subject: Subject, provider_id: int, problems: list[FieldProblem]
) -> Provider | None:
    """The provider, looked up within the caller's scope (a provider admin sees only its own)."""
    try:
        return provider_repository.get(session, subject, provider_id)
    except NotFound:
        problems.append(
            FieldProblem(
                "provider_id", "unknown", N_("Unknown provider %(id)s."), {"id": provider_id}
            )
        )
        return None


def _facility(
    session: Session,
    provider: Provider | None,
    facility_id: int | None,
    problems: list[FieldProblem],
) -> Facility | None:
    """The home facility, which must be run by the staff member's provider."""
    if facility_id is None:
        return None
    facility = facility_repository.by_id(session, facility_id)
    if facility is None or (provider is not None and facility.provider_id != provider.id):
        problems.append(
            FieldProblem(
                "facility_id",
                "other_provider",
                N_("The home facility must be one run by the staff member's provider."),
            )
        )
        return None
    return facility


def _parse_id(raw: str | None, today: date, problems: list[FieldProblem]) -> IdNumberFacts | None:
    """The facts of an ID number when one is given and valid (else a problem is noted)."""
    if raw is None or not raw.strip():
        return None
    parsed = rules.staff_id_problem(raw, today)
    if isinstance(parsed, FieldProblem):
        problems.append(parsed)
        return None
    return parsed


def _phone(raw: str | None, problems: list[FieldProblem]) -> str | None:
    phone = elder_rules.normalise_phone(raw)
    if phone is None:
        problems.append(FieldProblem("phone", "required", N_("A phone number is required.")))
    elif bad := elder_rules.phone_problem(phone, "phone"):
        problems.append(bad)
    return phone


def _skills_certs(
    skills: list[SkillIn] | None,
    certificates: list[CertificateIn] | None,
    today: date,
    problems: list[FieldProblem],
) -> None:
    if skills is not None:
        problems += rules.skills_problems([str(s.skill) for s in skills])
    if certificates is not None:
        problems += rules.certificates_problems(
            [(c.issued_date, c.expires_date) for c in certificates], today
        )


def _certificate_rows(items: list[CertificateIn]) -> list[StaffCertificate]:
    return [
        StaffCertificate(
            kind=c.kind.strip(),
            number=(c.number or "").strip() or None,
            issued_date=c.issued_date,
            expires_date=c.expires_date,
        )
        for c in items
    ]


def create_staff(
    session: Session, subject: Subject, data: StaffCreate, *, now: datetime, district_code: str
) -> Staff:
    """Register a staff member after every check; all problems are reported together."""
    subject.require(Perm.STAFF_WRITE)
    today = local_today(now)
    problems: list[FieldProblem] = []
    provider = _provider(session, subject, data.provider_id, problems)
    facility = _facility(session, provider, data.facility_id, problems)
    id_problems = len(problems)
    facts = _parse_id(data.id_number, today, problems)
    sex = str(data.sex) if data.sex is not None else None
    if len(problems) == id_problems and (bad := rules.sex_problem(sex, facts)):
        problems.append(bad)
    phone = _phone(data.phone, problems)
    pattern, bad_pattern = weekly_hours_problems(data.working_pattern, "working_pattern")
    problems += bad_pattern
    _skills_certs(data.skills, data.certificates, today, problems)
    _raise_if(problems)
    assert provider is not None and phone is not None
    code = data.code.strip()
    if staff_repository.code_taken(session, code):
        raise Conflict(
            N_("Another staff member already uses the code %(value)s."),
            field="code",
            code="duplicate_code",
            value=code,
        )
    if facts is not None and staff_repository.id_number_taken(session, facts.number):
        raise _duplicate_id()
    staff = Staff(
        code=code,
        name=data.name.strip(),
        sex=facts.sex if facts else str(data.sex),
        phone=phone,
        id_number=facts.number if facts else None,
        provider=provider,
        facility=facility,
        roles=list(dict.fromkeys(str(r) for r in data.roles)),
        travel_mode=str(data.travel_mode),
        working_pattern=pattern,
        status=str(data.status),
        hired_date=data.hired_date,
        created_at=now,
        updated_at=now,
    )
    staff.skills = [StaffSkill(skill=str(s.skill), level=s.level) for s in data.skills]
    staff.certificates = _certificate_rows(data.certificates)
    session.add(staff)
    session.flush()
    audit.record(session, subject, "create", "staff", staff.id, after=snapshot(staff), at=now)
    return staff


def _apply_skills(staff: Staff, wanted: list[SkillIn]) -> None:
    """Update levels in place, drop skills no longer held, add new ones (keeps row ids)."""
    levels = {str(s.skill): s.level for s in wanted}
    kept = [s for s in staff.skills if s.skill in levels]
    for row in kept:
        row.level = levels[row.skill]
    held = {s.skill for s in kept}
    staff.skills = kept + [StaffSkill(skill=k, level=v) for k, v in levels.items() if k not in held]


def update_staff(
    session: Session,
    subject: Subject,
    staff_id: int,
    data: StaffUpdate,
    *,
    now: datetime,
    district_code: str,
) -> Staff:
    """Change the fields given; the audit row keeps what changed, before and after."""
    subject.require(Perm.STAFF_WRITE)
    staff = staff_repository.get(session, subject, staff_id)
    before = snapshot(staff)
    today = local_today(now)
    given = data.model_dump(exclude_unset=True)
    problems: list[FieldProblem] = []
    provider: Provider | None = staff.provider
    if data.provider_id is not None and data.provider_id != staff.provider_id:
        provider = _provider(session, subject, data.provider_id, problems)
    facility = staff.facility
    if "facility_id" in given:
        facility = _facility(session, provider, data.facility_id, problems)
    elif facility is not None and provider is not None and facility.provider_id != provider.id:
        problems.append(
            FieldProblem(
                "facility_id",
                "other_provider",
                N_("The home facility must be one run by the staff member's provider."),
            )
        )
    id_raw = given.get("id_number", staff.id_number)
    facts = _parse_id(id_raw, today, problems)
    sex = str(data.sex) if data.sex is not None else None
    if facts is not None and (bad := rules.sex_problem(sex, facts)):
        problems.append(bad)
    phone: str | None = staff.phone
    if "phone" in given:
        phone = _phone(data.phone, problems)
    pattern = staff.working_pattern
    if data.working_pattern is not None:
        pattern, bad_pattern = weekly_hours_problems(data.working_pattern, "working_pattern")
        problems += bad_pattern
    _skills_certs(data.skills, data.certificates, today, problems)
    _raise_if(problems)
    assert provider is not None and phone is not None
    if facts is not None and staff_repository.id_number_taken(
        session, facts.number, except_id=staff.id
    ):
        raise _duplicate_id()
    staff.provider, staff.facility, staff.phone, staff.working_pattern = (
        provider, facility, phone, pattern,
    )  # fmt: skip
    staff.id_number = facts.number if facts else None
    if facts is not None:
        staff.sex = facts.sex
    elif sex is not None:
        staff.sex = sex
    if data.name is not None:
        staff.name = data.name.strip()
    if data.roles is not None:
        staff.roles = list(dict.fromkeys(str(r) for r in data.roles))
    for name in ("travel_mode", "status"):
        if given.get(name) is not None:
            setattr(staff, name, str(given[name]))
    if "hired_date" in given:
        staff.hired_date = data.hired_date
    if data.skills is not None:
        _apply_skills(staff, data.skills)
    if data.certificates is not None:
        staff.certificates = _certificate_rows(data.certificates)
    staff.updated_at = now
    session.flush()
    old, new = audit.changed_fields(before, snapshot(staff))
    if new:
        audit.record(session, subject, "update", "staff", staff.id, before=old, after=new, at=now)
    return staff


def _refs(staff: Staff) -> tuple[ProviderRef, FacilityRef | None]:
    p, f = staff.provider, staff.facility
    facility = FacilityRef(id=f.id, code=f.code, name=f.name, street_id=f.street_id) if f else None
    return ProviderRef(id=p.id, code=p.code, name=p.name), facility


def _viewer(subject: Subject, staff: Staff) -> Viewer:
    return Viewer(subject).also(Relation.SELF) if subject.staff_id == staff.id else Viewer(subject)


def _values(staff: Staff) -> dict[str, Any]:
    provider, facility = _refs(staff)
    return dict(
        id=staff.id,
        code=staff.code,
        name=staff.name,
        sex=staff.sex,
        phone=staff.phone,
        id_number=staff.id_number,
        provider=provider,
        facility=facility,
        roles=list(staff.roles or []),
        travel_mode=staff.travel_mode,
        status=staff.status,
        skills=[SkillOut.model_validate(s) for s in staff.skills],
    )


def to_list_item(subject: Subject, staff: Staff) -> StaffListItem:
    """A staff member as shown in lists to this subject."""
    return disclosed(StaffListItem, _viewer(subject, staff), _values(staff))


def to_read(subject: Subject, staff: Staff) -> StaffRead:
    """The full record as this subject may see it."""
    values = _values(staff) | dict(
        working_pattern=dict(staff.working_pattern or {}),
        hired_date=staff.hired_date,
        certificates=[CertificateOut.model_validate(c) for c in staff.certificates],
        created_at=staff.created_at,
        updated_at=staff.updated_at,
    )
    return disclosed(StaffRead, _viewer(subject, staff), values)


def _require_read(subject: Subject) -> None:
    """Staff readers, plus caregivers, who may see their own record (readable() scopes it)."""
    if subject.role == Role.CAREGIVER and subject.staff_id is not None:
        return
    subject.require(Perm.STAFF_READ)


def read_staff(session: Session, subject: Subject, staff_id: int) -> StaffRead:
    """One staff member in scope, or NotFound."""
    _require_read(subject)
    return to_read(subject, staff_repository.get(session, subject, staff_id))


def list_staff(
    session: Session, subject: Subject, flt: StaffFilter, page: PageParams, *, now: datetime
) -> Page[StaffListItem]:
    """A page of staff in scope with the filters applied, masked for the subject."""
    _require_read(subject)
    rows, total = staff_repository.search(session, subject, flt, page)
    items = [to_list_item(subject, s) for s in rows]
    return Page(items=items, total=total, page=page.page, size=page.size)
