"""Every query on staff; the one place where their data scope is applied."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Select, String, cast, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff, StaffSkill
from yiyang.registry.staff.schemas import StaffFilter
from yiyang.security.disclosure import Kind, Viewer, may_see
from yiyang.security.subject import Subject


def readable(subject: Subject) -> Select[tuple[Staff]]:
    """Staff the subject may see.

    District-wide roles: all; provider admin: its provider's staff; street admin: staff whose
    home facility lies in its street; caregiver: only itself; anyone else (community staff,
    elders, families): nobody.
    """
    return select(Staff).where(
        subject.scope.where(
            provider=Staff.provider_id,
            street=lambda street_id: Staff.facility_id.in_(
                select(Facility.id).where(Facility.street_id == street_id)
            ),
            staff=Staff.id,
        )
    )


def filtered(subject: Subject, flt: StaffFilter) -> Select[tuple[Staff]]:
    """The readable staff narrowed by a filter."""
    stmt = readable(subject)
    if flt.q:
        q = flt.q.strip()
        conditions = [Staff.name.contains(q, autoescape=True), Staff.code == q]
        digits = q.replace(" ", "").replace("-", "")
        # Only readers who see phones in full may find staff by part of one (no guessing).
        phone_search = len(digits) >= 4 and digits.isascii() and digits.isdigit()
        if phone_search and may_see(Viewer(subject), Kind.STAFF_PHONE):
            conditions.append(Staff.phone.contains(digits, autoescape=True))
        stmt = stmt.where(or_(*conditions))
    if flt.provider_id is not None:
        stmt = stmt.where(Staff.provider_id == flt.provider_id)
    if flt.facility_id is not None:
        stmt = stmt.where(Staff.facility_id == flt.facility_id)
    if flt.role:
        # roles is a JSON list; its text form holds each code in double quotes on both databases
        stmt = stmt.where(cast(Staff.roles, String).contains(f'"{flt.role}"', autoescape=True))
    if flt.skill:
        stmt = stmt.where(
            exists().where(StaffSkill.staff_id == Staff.id, StaffSkill.skill == str(flt.skill))
        )
    if flt.status:
        stmt = stmt.where(Staff.status == str(flt.status))
    return stmt


def _loaded(stmt: Select[tuple[Staff]], *, full: bool) -> Select[tuple[Staff]]:
    stmt = stmt.options(
        joinedload(Staff.provider), joinedload(Staff.facility), selectinload(Staff.skills)
    )
    return stmt.options(selectinload(Staff.certificates)) if full else stmt


def search(
    session: Session, subject: Subject, flt: StaffFilter, page: PageParams
) -> tuple[list[Staff], int]:
    """One page of matching staff (provider, facility and skills loaded) and the total count."""
    stmt = filtered(subject, flt)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        _loaded(stmt, full=False).order_by(Staff.code).offset(page.offset).limit(page.size)
    ).all()
    return list(rows), total


def get(session: Session, subject: Subject, staff_id: int) -> Staff:
    """One readable staff member with everything loaded, or NotFound."""
    staff = session.scalar(_loaded(readable(subject).where(Staff.id == staff_id), full=True))
    if staff is None:
        raise NotFound(N_("Staff member %(id)s not found."), id=staff_id)
    return staff


def id_with_code(session: Session, code: str) -> int | None:
    """The staff member with this code (district-wide: codes are unique), if any."""
    return session.scalar(select(Staff.id).where(Staff.code == code))


def code_taken(session: Session, code: str) -> bool:
    """Whether a staff member already uses this code."""
    return id_with_code(session, code) is not None


def id_number_taken(session: Session, id_number: str, except_id: int | None = None) -> bool:
    """Whether another staff member already has this ID number (across the district)."""
    stmt = select(Staff.id).where(Staff.id_number == id_number)
    if except_id is not None:
        stmt = stmt.where(Staff.id != except_id)
    return session.scalar(stmt) is not None


@dataclass(frozen=True)
class StaffSummary:
    """Staff in scope by status, and active staff by role (one person may hold several)."""

    by_status: dict[str, int]
    by_role: list[tuple[str, int]]


def summary(session: Session, subject: Subject) -> StaffSummary:
    """Staff in scope counted by status, and the roles of those at work."""
    scoped = readable(subject).subquery()
    counted = session.execute(select(scoped.c.status, func.count()).group_by(scoped.c.status))
    by_status = {status: n for status, n in counted.tuples()}
    roles: dict[str, int] = {}
    for staff_roles in session.scalars(select(scoped.c.roles).where(scoped.c.status == "active")):
        for role in staff_roles or []:
            roles[role] = roles.get(role, 0) + 1
    return StaffSummary(by_status, sorted(roles.items(), key=lambda item: -item[1]))


def name_and_workplace(session: Session, staff_id: int) -> tuple[str, str | None, str] | None:
    """A staff member's name, home facility's name (if any) and provider's name."""
    stmt = (
        select(Staff.name, Facility.name, Provider.name)
        .join(Provider, Provider.id == Staff.provider_id)
        .outerjoin(Facility, Facility.id == Staff.facility_id)
        .where(Staff.id == staff_id)
    )
    row = session.execute(stmt).tuples().first()
    return (row[0], row[1], row[2]) if row else None


def names(session: Session, staff_ids: Collection[int]) -> dict[int, str]:
    """The names of these staff members (for dispatch records, which store only ids)."""
    if not staff_ids:
        return {}
    rows = session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids)))
    return dict(rows.tuples().all())
