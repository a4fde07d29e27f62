"""Continuity of care (distinct caregivers per elder in 30 days) for an elder and a provider."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import care_repository, rules
from yiyang.visits import service as visit_service

DAYS = 30
BANDS = ("1", "2", "3", "4+")


class ProviderContinuity(BaseModel):
    """Across the elders a provider visited in the window: how many caregivers each saw."""

    days: int
    elders: int
    average: float | None
    distribution: dict[str, int]  # "1", "2", "3", "4+" → elders


def distribution(per_elder: dict[int, int]) -> ProviderContinuity:
    """The average and the bands of a per-elder count (pure)."""
    counts = Counter(min(n, 4) for n in per_elder.values() if n > 0)
    bands = {b: counts.get(i + 1, 0) for i, b in enumerate(BANDS)}
    total = sum(per_elder.values())
    elders = len(per_elder)
    return ProviderContinuity(
        days=DAYS,
        elders=elders,
        average=round(total / elders, 2) if elders else None,
        distribution=bands,
    )


def for_elder(session: Session, subject: Subject, elder_id: int, *, now: datetime) -> int:
    """Distinct caregivers who visited the elder in the last 30 days (404 outside scope)."""
    return visit_service.continuity(session, subject, elder_id, now=now, days=DAYS)


def for_provider(
    session: Session, subject: Subject, provider_id: int, *, now: datetime
) -> ProviderContinuity:
    """The provider's continuity over its elders of the last 30 days (its visits only)."""
    subject.require(Perm.VISIT_READ)
    rows = care_repository.provider_caregivers_since(
        session, subject, provider_id, now - timedelta(days=DAYS)
    )
    return distribution(rules.continuity(rows, now, DAYS))
