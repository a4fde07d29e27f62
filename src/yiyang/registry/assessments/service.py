"""Capability assessment use cases: record one (it sets the elder's level), read history."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, Invalid
from yiyang.registry.assessments import repository, rules
from yiyang.registry.assessments.models import Assessment
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

NOTE_MAX = 1000
MAX_RISK_COUNT = 99


@dataclass(frozen=True)
class AssessmentIn:
    """What the assessor entered: item scores (as posted), the facts and a note."""

    scores: Mapping[str, object]
    coma: bool = False
    mental_disorder: bool = False
    risk_events: Mapping[str, int] | None = None
    note: str | None = None


def record(
    session: Session, subject: Subject, elder_id: int, data: AssessmentIn, *, now: datetime
) -> Assessment:
    """Score an assessment, store it and set the elder's capability level; both audited.

    The elder must be in the assessor's scope (else NotFound); a bad score is Invalid naming
    its item and nothing is written.
    """
    subject.require(Perm.ASSESSMENT_WRITE)
    elder = repository.lock_elder(session, subject, elder_id)
    note = (data.note or "").strip() or None
    if note is not None and len(note) > NOTE_MAX:
        raise Invalid(N_("At most %(limit)s characters."), field="note", limit=NOTE_MAX)
    risks = {k: v for k, v in (data.risk_events or {}).items() if v}
    for code, count in risks.items():
        if count > MAX_RISK_COUNT:
            raise Invalid(N_("Must be at most %(limit)s."), field=f"risk_{code}",
                          limit=MAX_RISK_COUNT)  # fmt: skip
    result = rules.assess(
        data.scores,
        rules.Facts(coma=data.coma, mental_disorder=data.mental_disorder, risk_events=risks),
    )
    row = Assessment(
        elder_id=elder.id,
        assessed_at=now,
        assessor_id=subject.user_id,
        standard=rules.STANDARD,
        scores=result.scores,
        facts={"coma": data.coma, "mental_disorder": data.mental_disorder, "risk_events": risks},
        total=result.total,
        score_level=result.score_level,
        level=result.level,
        adjustments=[str(a) for a in result.adjustments],
        note=note,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, subject, "create", "assessment", row.id,
        after={"elder_id": elder.id, "standard": row.standard, "total": row.total,
               "level": row.level, "adjustments": row.adjustments},
        at=now,
    )  # fmt: skip
    if elder.capability_level != result.level:
        before = {"capability_level": elder.capability_level}
        elder.capability_level = result.level
        audit.record(
            session, subject, "update", "elder", elder.id, before=before,
            after={"capability_level": result.level}, detail=f"assessment {row.id}", at=now,
        )  # fmt: skip
    session.flush()
    return row


def history(session: Session, subject: Subject, elder_id: int) -> list[Assessment]:
    """An elder's assessments, newest first, for those who may read them (else empty)."""
    if not subject.can(Perm.ASSESSMENT_READ):
        return []
    return repository.history(session, subject, elder_id)


def get(session: Session, subject: Subject, assessment_id: int, *, now: datetime) -> Assessment:
    """One assessment with its item scores; reading it is audited like other health data."""
    subject.require(Perm.ASSESSMENT_READ)
    row = repository.get(session, subject, assessment_id)
    audit.record(session, subject, "read_full", "assessment", row.id, at=now)
    return row
