"""Every query on capability assessments; their data scope is the assessed elder's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.registry.areas.models import Area
from yiyang.registry.assessments.models import Assessment
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.registry.vocab import AwayReason
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


# Why an elder is due an assessment, most pressing first: a fall since the last one, back
# from hospital since it, never assessed, or the last one older than the interval.
DUE_REASONS = ("fall", "hospital", "never", "interval")


@dataclass(frozen=True)
class DueElder:
    """An elder due an assessment, their latest one (if any), why (most pressing first) and
    when they last fell."""

    row: LastAssessed
    reasons: tuple[str, ...]
    fall_at: datetime | None


def _due(
    subject: Subject, falls: Select[tuple[int | None, datetime]], *, now: datetime,
    stale_before: datetime, street_code: str | None, community_code: str | None,
) -> tuple[Select[tuple[Elder]], dict[str, Any], Any, Any]:  # fmt: skip
    """Active elders in scope who are due, with the condition of each reason."""
    latest = _latest().subquery()
    fell = falls.subquery()
    last = latest.c.assessed_at
    back = Elder.away_until
    why: dict[str, Any] = {
        "fall": and_(fell.c.at.is_not(None), or_(last.is_(None), fell.c.at > last)),
        "hospital": and_(
            Elder.away_reason == AwayReason.HOSPITAL, back.is_not(None), back <= now,
            or_(last.is_(None), back > last),
        ),
        "never": last.is_(None),
        "interval": and_(last.is_not(None), last < stale_before),
    }  # fmt: skip
    stmt = (
        elder_repository.readable(subject)
        .outerjoin(latest, latest.c.elder_id == Elder.id)
        .outerjoin(fell, fell.c.elder_id == Elder.id)
        .where(Elder.status == "active", or_(*why.values()))
    )
    if street_code:
        stmt = stmt.where(Elder.street_id.in_(select(Area.id).where(Area.code == street_code)))
    if community_code:
        stmt = stmt.where(
            Elder.community_id.in_(select(Area.id).where(Area.code == community_code))
        )
    return stmt, why, latest, fell


def due_page(
    session: Session, subject: Subject, falls: Select[tuple[int | None, datetime]], *,
    now: datetime, stale_before: datetime, page: PageParams,
    street_code: str | None = None, community_code: str | None = None,
) -> tuple[list[DueElder], int, dict[str, int]]:  # fmt: skip
    """A page of the active elders in scope due an assessment — `falls` says when each elder
    last fell, an assessment before `stale_before` is too old — the most pressing reason
    first, then never assessed, then the oldest assessment first; with how many are due in
    all and for each reason (an elder may count under several). Filtered, counted, sorted
    and paged by the database."""
    stmt, why, latest, fell = _due(
        subject, falls, now=now, stale_before=stale_before, street_code=street_code,
        community_code=community_code,
    )  # fmt: skip
    flags = [case((cond, 1), else_=0) for cond in why.values()]
    counts = session.execute(
        stmt.with_only_columns(func.count(), *(func.coalesce(func.sum(f), 0) for f in flags))
    ).one()
    last = latest.c.assessed_at
    rank = case(*((cond, n) for n, cond in enumerate(why.values())))
    rows = session.execute(
        stmt.add_columns(last, latest.c.level, latest.c.id, fell.c.at, *flags)
        .options(joinedload(Elder.street), joinedload(Elder.community))
        .order_by(rank, last.is_not(None), last, Elder.id)
        .offset(page.offset)
        .limit(page.size)
    )
    items = [
        DueElder(
            LastAssessed(elder, at, level, assessment_id),
            tuple(code for code, on in zip(DUE_REASONS, marks, strict=True) if on),
            fall_at,
        )
        for elder, at, level, assessment_id, fall_at, *marks in rows
    ]
    total, *per_reason = counts
    return items, int(total), {c: int(n) for c, n in zip(DUE_REASONS, per_reason, strict=True)}
