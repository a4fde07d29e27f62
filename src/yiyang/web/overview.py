"""Headline figures for a role's home page, counted within the caller's data scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiyang.registry import elder_repository
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


@dataclass(frozen=True)
class Figure:
    """One labelled number on a home page."""

    key: str
    value: int


def figures_for(session: Session, subject: Subject, *, now: datetime) -> list[Figure]:
    """Counts the caller may see: elders in scope by status (more as domains arrive)."""
    figures: list[Figure] = []
    if subject.can(Perm.ELDER_READ):
        scoped = elder_repository.readable(subject).subquery()
        rows = session.execute(
            select(scoped.c.status, func.count()).group_by(scoped.c.status)
        ).all()
        counts = {status: n for status, n in rows}
        figures.append(Figure("elders_active", counts.get("active", 0)))
        figures.append(Figure("elders_total", sum(counts.values())))
    return figures
