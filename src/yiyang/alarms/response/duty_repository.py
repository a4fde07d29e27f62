"""Every query of the duty roster: the community workers a subject may set, and their hours."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from yiyang.alarms.response.models import CommunityDuty
from yiyang.errors import N_, NotFound
from yiyang.registry.areas.models import Area
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.subject import Subject


@dataclass(frozen=True)
class RosterRow:
    """A community worker as the roster lists them: where they serve and their own hours."""

    user_id: int
    name: str
    community: str
    street: str
    duty: CommunityDuty | None


def _workers(subject: Subject) -> Select[Any]:
    """Active community workers inside the subject's area, with their community and street."""
    street = aliased(Area)
    return (
        select(UserAccount.id, UserAccount.display_name, Area.name, street.name)
        .join(Area, Area.id == UserAccount.area_id)
        .outerjoin(street, street.id == Area.parent_id)
        .where(
            UserAccount.role == str(Role.COMMUNITY_STAFF),
            UserAccount.active.is_(True),
            subject.scope.where(street=Area.parent_id, community=Area.id),
        )
    )


def roster(subject: Subject, session: Session, street_id: int | None = None) -> list[RosterRow]:
    """The community workers the subject may see, by street and community, with their hours."""
    stmt = _workers(subject).order_by(Area.parent_id, Area.name, UserAccount.display_name)
    if street_id is not None:
        stmt = stmt.where(Area.parent_id == street_id)
    rows = session.execute(stmt).all()
    duties = patterns(session, [r[0] for r in rows])
    return [RosterRow(u, n or "", c, s or "", duties.get(u)) for u, n, c, s in rows]


def worker(subject: Subject, session: Session, user_id: int) -> RosterRow:
    """One community worker in the subject's area (404 outside it), their duty row locked."""
    row = session.execute(_workers(subject).where(UserAccount.id == user_id)).first()
    if row is None:
        raise NotFound(N_("No such community worker in your area."))
    duty = session.scalar(
        select(CommunityDuty).where(CommunityDuty.user_id == user_id).with_for_update()
    )
    return RosterRow(row[0], row[1] or "", row[2], row[3] or "", duty)


def patterns(session: Session, user_ids: Collection[int]) -> dict[int, CommunityDuty]:
    """The duty rows of these workers (those without one keep the default hours)."""
    if not user_ids:
        return {}
    stmt = select(CommunityDuty).where(CommunityDuty.user_id.in_(list(user_ids)))
    return {d.user_id: d for d in session.scalars(stmt)}
