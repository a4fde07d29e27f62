"""Every query on capability assessments; their data scope is the assessed elder's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.registry.areas.models import Area
from yiyang.registry.assessments.models import Assessment
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.security.subject import Subject


def readable(subject: Subject) -> Select[tuple[Assessment]]:
    """Assessments of the elders the subject may see (the elder's street, community, self)."""
    return select(Assessment).where(
        Assessment.elder_id.in_(elder_repository.readable(subject).with_only_columns(Elder.id))
    )


def history(session: Session, subject: Subject, elder_id: int) -> list[Assessment]:
    """An elder's assessments in scope, newest first, with their assessors."""
    stmt = (
        readable(subject)
        .where(Assessment.elder_id == elder_id)
        .options(joinedload(Assessment.assessor))
        .order_by(Assessment.assessed_at.desc(), Assessment.id.desc())
    )
    return list(session.scalars(stmt))


def get(session: Session, subject: Subject, assessment_id: int) -> Assessment:
    """One readable assessment with its elder and assessor, or NotFound (also out of scope)."""
    found = session.scalar(
        readable(subject)
        .where(Assessment.id == assessment_id)
        .options(
            joinedload(Assessment.assessor),
            joinedload(Assessment.elder).joinedload(Elder.street),
            joinedload(Assessment.elder).joinedload(Elder.community),
        )
    )
    if found is None:
        raise NotFound(N_("Assessment %(id)s not found."), id=assessment_id)
    return found


def lock_elder(session: Session, subject: Subject, elder_id: int) -> Elder:
    """The readable elder locked for the new assessment, or NotFound (also out of scope)."""
    elder = session.scalar(
        elder_repository.readable(subject).where(Elder.id == elder_id).with_for_update()
    )
    if elder is None:
        raise NotFound(N_("Elder %(id)s not found."), id=elder_id)
    return elder


@dataclass(frozen=True)
class LastAssessed:
    """An active elder in scope with the time and level of their latest assessment (if any)."""

    elder: Elder
    assessed_at: datetime | None
    level: int | None
    assessment_id: int | None


def _latest() -> Select[tuple[int, datetime, int]]:
    newest = (
        select(
            Assessment.elder_id,
            Assessment.assessed_at,
            Assessment.id,
            Assessment.level,
            func.row_number()
            .over(
                partition_by=Assessment.elder_id,
                order_by=(Assessment.assessed_at.desc(), Assessment.id.desc()),
            )
            .label("n"),
        )
    ).subquery()
    return select(newest.c.elder_id, newest.c.assessed_at, newest.c.id, newest.c.level).where(
        newest.c.n == 1
    )


def last_assessed(
    session: Session,
    subject: Subject,
    *,
    street_code: str | None = None,
    community_code: str | None = None,
) -> list[LastAssessed]:
    """Every active elder in scope (optionally of one street or community) with their latest
    assessment, never-assessed first, then the oldest assessment first."""
    latest = _latest().subquery()
    stmt = (
        elder_repository.readable(subject)
        .add_columns(latest.c.assessed_at, latest.c.level, latest.c.id)
        .outerjoin(latest, latest.c.elder_id == Elder.id)
        .where(Elder.status == "active")
        .options(joinedload(Elder.street), joinedload(Elder.community))
    )
    if street_code:
        stmt = stmt.where(Elder.street_id.in_(select(Area.id).where(Area.code == street_code)))
    if community_code:
        stmt = stmt.where(
            Elder.community_id.in_(select(Area.id).where(Area.code == community_code))
        )
    stmt = stmt.order_by(latest.c.assessed_at.is_not(None), latest.c.assessed_at, Elder.id)
    return [LastAssessed(e, at, level, aid) for e, at, level, aid in session.execute(stmt)]


def page_of(rows: Sequence[LastAssessed], params: PageParams) -> list[LastAssessed]:
    """One page of an already ordered list."""
    start = (params.page - 1) * params.size
    return list(rows[start : start + params.size])
