"""Every query on elders; the one place where their data scope is applied."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    RowMapping,
    Select,
    Table,
    column,
    delete,
    exists,
    false,
    func,
    insert,
    select,
    table,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload, selectinload

from yiyang.db import Base, will_write
from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import rules
from yiyang.registry.elders.models import Elder, ElderContact, ElderGroup, ElderIdLookup
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.disclosure import Kind, Viewer, may_see
from yiyang.security.models import UserAccount
from yiyang.security.subject import Subject

MOBILE_DIGITS = 11  # a mainland mobile number


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


def matching(subject: Subject, q: str) -> ColumnElement[bool]:
    """What a search text finds, each kind of text by the column (and index) it can hit.

    Digits are never a name: a full ID number is the unique index's exact match, four or
    more other digits part of a phone number (its trigram index on PostgreSQL), only for
    those who see phones in full (for others it would reveal the masked digits one guess
    at a time). Anything else is part of a name (trigram index for three characters or
    more; one or two characters are a short scan in id order under a capped count).
    """
    q = q.strip()
    digits = rules.normalise_phone(q) or ""
    if (number := rules.id_lookup(q)) is not None:
        return Elder.id_number == number
    if digits.isascii() and digits.isdigit():
        if len(digits) >= 4 and may_see(Viewer(subject), Kind.ELDER_PHONE):
            if len(digits) == MOBILE_DIGITS and digits[0] == "1":  # a whole mobile: exact
                return Elder.phone == digits
            return Elder.phone.contains(digits, autoescape=True)
        return false()
    return Elder.name.contains(q, autoescape=True)


def filtered(subject: Subject, flt: ElderFilter, today: date) -> Select[tuple[Elder]]:
    """The readable elders narrowed by a filter."""
    stmt = readable(subject)
    if flt.q and flt.q.strip():
        stmt = stmt.where(matching(subject, flt.q))
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


def count_upto(
    session: Session, subject: Subject, flt: ElderFilter, today: date, cap: int
) -> tuple[int, bool]:
    """How many readable elders match, counted no further than `cap` (and whether more do):
    a search for a common surname stops counting instead of reading every match."""
    stmt = filtered(subject, flt, today).with_only_columns(Elder.id).order_by(None).limit(cap + 1)
    n = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return min(n, cap), n > cap


def search(
    session: Session,
    subject: Subject,
    flt: ElderFilter,
    page: PageParams,
    today: date,
    *,
    count_cap: int | None = None,
) -> tuple[list[Elder], int, bool]:
    """One page of matching elders (with areas and groups loaded), the count, and whether
    more match than counted (a search counts up to `count_cap`).

    Sorted by registration, or by street and community first (namesakes side by side, each
    with where they live).
    """
    if count_cap is None:
        total, more = count(session, subject, flt, today), False
    else:
        total, more = count_upto(session, subject, flt, today, count_cap)
    order: list[InstrumentedAttribute[Any]] = [Elder.id]
    if flt.sort == "community":
        order = [Elder.street_id, Elder.community_id, Elder.name, Elder.id]
    rows = session.scalars(
        filtered(subject, flt, today)
        .options(joinedload(Elder.street), joinedload(Elder.community), selectinload(Elder.groups))
        .order_by(*order)
        .offset(page.offset)
        .limit(page.size)
    ).all()
    return list(rows), total, more


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


@dataclass(frozen=True)
class ElderSummary:
    """Counts of the readable elders for a home page (active ones unless said otherwise)."""

    by_status: dict[str, int]
    in_groups: int
    alone_or_empty_nest: int
    by_area: list[tuple[str, int]]
    by_group: list[tuple[str, int]]
    by_living: list[tuple[str, int]]


def summary(session: Session, subject: Subject, *, by_community: bool) -> ElderSummary:
    """Elders in scope counted by status, group, living situation and street (or community)."""
    scoped = readable(subject).subquery()
    active = select(scoped.c.id).where(scoped.c.status == "active")
    counted = session.execute(select(scoped.c.status, func.count()).group_by(scoped.c.status))
    by_status = {status: n for status, n in counted.tuples()}
    in_groups = session.scalar(
        select(func.count(func.distinct(ElderGroup.elder_id))).where(
            ElderGroup.elder_id.in_(active)
        )
    )
    alone = session.scalar(
        select(func.count()).where(
            scoped.c.status == "active", scoped.c.living_situation.in_(("alone", "empty_nest"))
        )
    )
    area_col = scoped.c.community_id if by_community else scoped.c.street_id
    by_area = session.execute(
        select(Area.name, func.count())
        .select_from(scoped)
        .join(Area, Area.id == area_col)
        .where(scoped.c.status == "active")
        .group_by(Area.name, Area.code)
        .order_by(Area.code)
    ).tuples()
    by_group = session.execute(
        select(ElderGroup.code, func.count())
        .where(ElderGroup.elder_id.in_(active))
        .group_by(ElderGroup.code)
        .order_by(func.count().desc())
    ).tuples()
    by_living = session.execute(
        select(scoped.c.living_situation, func.count())
        .where(scoped.c.status == "active")
        .group_by(scoped.c.living_situation)
        .order_by(func.count().desc())
    ).tuples()
    return ElderSummary(
        by_status=by_status,
        in_groups=in_groups or 0,
        alone_or_empty_nest=alone or 0,
        by_area=list(by_area),
        by_group=list(by_group),
        by_living=list(by_living),
    )


def first_contact_phone(session: Session, elder_id: int) -> str | None:
    """The phone of the elder's first emergency contact (by priority), if any."""
    stmt = (
        select(ElderContact.phone)
        .where(ElderContact.elder_id == elder_id)
        .order_by(ElderContact.priority)
        .limit(1)
    )
    return session.scalar(stmt)


def recent_lookups(session: Session, user_id: int, since: datetime) -> dict[str, datetime]:
    """The ID numbers (hashed) a user searched for after `since` and when, their account row
    locked first so that web workers count one search at a time."""
    will_write(session)  # SQLite: a GET search takes the write lock before it counts
    session.execute(select(UserAccount.id).where(UserAccount.id == user_id).with_for_update())
    stmt = select(ElderIdLookup.number_hash, ElderIdLookup.at).where(
        ElderIdLookup.user_id == user_id, ElderIdLookup.at > since
    )
    return dict(session.execute(stmt).tuples().all())


def add_lookup(
    session: Session, user_id: int, number_hash: str, at: datetime, since: datetime
) -> None:
    """Count one searched ID number; the user's rows older than `since` are dropped."""
    session.execute(
        delete(ElderIdLookup).where(ElderIdLookup.user_id == user_id, ElderIdLookup.at <= since)
    )
    session.add(ElderIdLookup(user_id=user_id, number_hash=number_hash, at=at))


def id_with_number(session: Session, subject: Subject, number: str) -> int | None:
    """The readable elder with this ID number, if any."""
    return session.scalar(
        readable(subject).with_only_columns(Elder.id).where(Elder.id_number == number)
    )


def names(session: Session, subject: Subject, ids: set[int]) -> dict[int, str]:
    """The names of the readable elders among `ids` (lists that mention elders by id)."""
    if not ids:
        return {}
    stmt = readable(subject).with_only_columns(Elder.id, Elder.name).where(Elder.id.in_(ids))
    return {row.id: row.name for row in session.execute(stmt)}


def followed(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Name and community of the elders a family account follows (ids from its own links)."""
    if not ids:
        return {}
    stmt = (
        select(Elder.id, Elder.name, Area.name.label("community"))
        .join(Area, Area.id == Elder.community_id)
        .where(Elder.id.in_(list(ids)))
    )
    return {row.id: (row.name, row.community) for row in session.execute(stmt)}


def communities_by_code(session: Session) -> dict[str, Area]:
    """Every community by its code, so that a bulk import resolves its rows in one query."""
    return {a.code: a for a in session.scalars(select(Area).where(Area.level == "community"))}


def registered_id_numbers(session: Session, numbers: Sequence[str]) -> set[str]:
    """Those of `numbers` already registered anywhere in the district (chunked IN queries)."""
    found: set[str] = set()
    for start in range(0, len(numbers), 900):
        chunk = numbers[start : start + 900]
        found.update(session.scalars(select(Elder.id_number).where(Elder.id_number.in_(chunk))))
    return found


def insert_elders(session: Session, values: list[dict[str, Any]], chunk: int) -> list[int]:
    """Bulk-insert elder rows `chunk` at a time; their new ids in the order of `values`."""
    elder_table = cast(Table, Elder.__table__)
    ids: list[int] = []
    for start in range(0, len(values), chunk):
        result = session.execute(
            insert(elder_table).returning(elder_table.c.id, sort_by_parameter_order=True),
            values[start : start + chunk],
        )
        ids.extend(result.scalars().all())
    return ids


def insert_rows(
    session: Session, model: type[Base], params: list[dict[str, Any]], chunk: int
) -> None:
    """Bulk-insert plain rows of a table (an import's groups, contacts, audit rows)."""
    table = cast(Table, model.__table__)
    for start in range(0, len(params), chunk):
        session.execute(insert(table), params[start : start + chunk])


def area_codes(session: Session) -> dict[int, str]:
    """Every area's code by id, for exports that name communities by code."""
    return dict(session.execute(select(Area.id, Area.code)).tuples().all())


def export_chunks(
    session: Session, subject: Subject, flt: ElderFilter, today: date, chunk: int
) -> Iterator[Sequence[RowMapping]]:
    """The matching elders' columns (no version), `chunk` rows at a time by id ranges, so
    that an export's memory stays flat."""
    base = filtered(subject, flt, today)
    cols = [c for c in Elder.__table__.c if c.key != "version"]
    last = 0
    while True:
        rows = (
            session.execute(
                base.with_only_columns(*cols).where(Elder.id > last).order_by(Elder.id).limit(chunk)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        last = rows[-1]["id"]
        yield rows


def group_codes(session: Session, elder_ids: list[int]) -> dict[int, list[str]]:
    """The special-group codes of these elders, in code order."""
    groups: dict[int, list[str]] = {}
    for elder_id, code in session.execute(
        select(ElderGroup.elder_id, ElderGroup.code)
        .where(ElderGroup.elder_id.in_(elder_ids))
        .order_by(ElderGroup.elder_id, ElderGroup.code)
    ):
        groups.setdefault(elder_id, []).append(code)
    return groups


def contacts_of(session: Session, elder_ids: list[int]) -> dict[int, list[Row[Any]]]:
    """The emergency contacts of these elders as plain rows, in priority order."""
    contacts: dict[int, list[Row[Any]]] = {}
    for contact in session.execute(
        select(
            ElderContact.elder_id, ElderContact.name, ElderContact.relationship,
            ElderContact.phone, ElderContact.has_key,
        )
        .where(ElderContact.elder_id.in_(elder_ids))
        .order_by(ElderContact.elder_id, ElderContact.priority)
    ):  # fmt: skip
        contacts.setdefault(contact.elder_id, []).append(contact)
    return contacts


# The assessments package reads elders, so elders name its table without importing it.
_ASSESSMENT = table("assessment", column("elder_id"), column("id"))


def assessed(session: Session, elder_id: int) -> bool:
    """Whether a capability assessment of the elder is on record (it then sets the level)."""
    stmt = select(_ASSESSMENT.c.id).where(_ASSESSMENT.c.elder_id == elder_id).limit(1)
    return session.scalar(stmt) is not None
