"""Every query on elders; the one place where their data scope is applied."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder, ElderGroup
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.subject import Subject


def readable(subject: Subject) -> Select[tuple[Elder]]:
    """Elders the subject may see: district-wide, their street, their community, or themselves."""
    return select(Elder).where(
        subject.scope.where(street=Elder.street_id, community=Elder.community_id, elder=Elder.id)
    )


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def filtered(subject: Subject, flt: ElderFilter, today: date) -> Select[tuple[Elder]]:
    """The readable elders narrowed by a filter."""
    stmt = readable(subject)
    if flt.q:
        q = flt.q.strip()
        digits = q.replace(" ", "").upper()
        conditions = [Elder.name.contains(q, autoescape=True)]
        if len(digits) >= 4 and (digits.isdigit() or digits[:-1].isdigit()):
            conditions.append(Elder.id_number == digits)
            conditions.append(Elder.phone.contains(digits, autoescape=True))
        stmt = stmt.where(or_(*conditions))
    if flt.street_code:
        stmt = stmt.where(
            Elder.street_id == select(Area.id).where(Area.code == flt.street_code).scalar_subquery()
        )
    if flt.community_code:
        stmt = stmt.where(
            Elder.community_id
            == select(Area.id).where(Area.code == flt.community_code).scalar_subquery()
        )
    if flt.living_situation:
        stmt = stmt.where(Elder.living_situation == flt.living_situation)
    if flt.economic_status:
        stmt = stmt.where(Elder.economic_status == flt.economic_status)
    if flt.status:
        stmt = stmt.where(Elder.status == flt.status)
    if flt.special_group:
        stmt = stmt.where(
            exists().where(ElderGroup.elder_id == Elder.id, ElderGroup.code == flt.special_group)
        )
    if flt.age_min is not None:
        stmt = stmt.where(Elder.birth_date <= _years_ago(today, flt.age_min))
    if flt.age_max is not None:
        stmt = stmt.where(Elder.birth_date > _years_ago(today, flt.age_max + 1))
    return stmt


def count(session: Session, subject: Subject, flt: ElderFilter, today: date) -> int:
    """How many readable elders match a filter."""
    stmt = filtered(subject, flt, today)
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def search(
    session: Session, subject: Subject, flt: ElderFilter, page: PageParams, today: date
) -> tuple[list[Elder], int]:
    """One page of matching elders (with areas and groups loaded) and the total count."""
    total = count(session, subject, flt, today)
    stmt = filtered(subject, flt, today)
    rows = session.scalars(
        stmt.options(
            joinedload(Elder.street), joinedload(Elder.community), selectinload(Elder.groups)
        )
        .order_by(Elder.id)
        .offset(page.offset)
        .limit(page.size)
    ).all()
    return list(rows), total


def iterate(
    session: Session, subject: Subject, flt: ElderFilter, today: date, chunk: int = 2000
) -> list[Elder]:
    """Every matching elder with areas, groups and contacts loaded (exports)."""
    stmt = filtered(subject, flt, today).options(
        joinedload(Elder.street),
        joinedload(Elder.community),
        selectinload(Elder.groups),
        selectinload(Elder.contacts),
    )
    return list(session.scalars(stmt.order_by(Elder.id).execution_options(yield_per=chunk)))


def get(session: Session, subject: Subject, elder_id: int) -> Elder:
    """One readable elder with everything loaded, or NotFound (also when out of scope)."""
    elder = session.scalar(
        readable(subject)
        .where(Elder.id == elder_id)
        .options(
            joinedload(Elder.street),
            joinedload(Elder.community),
            selectinload(Elder.groups),
            selectinload(Elder.contacts),
        )
    )
    if elder is None:
        raise NotFound(N_("Elder %(id)s not found."), id=elder_id)
    return elder


def id_number_taken(session: Session, id_number: str, except_id: int | None = None) -> bool:
    """Whether another elder already has this ID number (checked across the whole district)."""
    stmt = select(Elder.id).where(Elder.id_number == id_number)
    if except_id is not None:
        stmt = stmt.where(Elder.id != except_id)
    return session.scalar(stmt) is not None
