"""Queries of subsidy policy versions (district-wide reference data: no per-reader scope)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.orders.models import SubsidyPolicy


def all_versions(session: Session) -> list[SubsidyPolicy]:
    """Every version of every policy, by code then effective date."""
    stmt = select(SubsidyPolicy).order_by(SubsidyPolicy.code, SubsidyPolicy.effective_date)
    return list(session.scalars(stmt))


def versions_of(session: Session, code: str, *, lock: bool = False) -> list[SubsidyPolicy]:
    """The versions of one policy, oldest first (locked when a new one is about to be added)."""
    stmt = select(SubsidyPolicy).where(SubsidyPolicy.code == code)
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt.order_by(SubsidyPolicy.effective_date)))
