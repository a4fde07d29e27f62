"""An elder's stay away from home: mark it until a time with why, end it early, show it.

No inactivity alarm is raised while `elder.away_until` lies ahead (the alarm rules read it).
The reason and note are health data: masked like mobility and conditions (security.disclosure).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, Invalid
from yiyang.kit.localtime import CHINA_TZ
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders import rules
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import AwayIn, AwayState
from yiyang.security.audit import service as audit
from yiyang.security.disclosure import Relation, Viewer, disclosed
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

AWAY, BACK = "elder.away", "elder.back"  # audit actions of a stay away from home


def health_viewer(subject: Subject, elder: Elder) -> Viewer:
    """The reader of an elder's record: the elder's own (self) see their health data."""
    own = subject.elder_id is not None and subject.elder_id == elder.id
    return Viewer(subject).also(Relation.SELF) if own else Viewer(subject)


def away_of(elder: Elder, now: datetime) -> dict[str, Any] | None:
    """The elder's stay away from home if it lasts beyond now: until when, and why."""
    if not rules.is_away(elder.away_until, now):
        return None
    return {"until": elder.away_until, "reason": elder.away_reason, "note": elder.away_note}


def away_state(session: Session, subject: Subject, elder: Elder, *, now: datetime) -> AwayState:
    """The elder's stay away as this subject may see it."""
    values = {"elder_id": elder.id, "away": away_of(elder, now)}
    return disclosed(AwayState, health_viewer(subject, elder), values)


def own_away_state(session: Session, subject: Subject, *, now: datetime) -> AwayState | None:
    """The stay away of the subject's own elder (elder and family), or None for others."""
    if subject.elder_id is None:
        return None
    elder = elder_repository.get(session, subject, subject.elder_id)
    return away_state(session, subject, elder, now=now)


def away_elder(session: Session, subject: Subject, elder_id: int) -> Elder:
    """An elder whose stay away the subject may mark or end (else refused, or not found)."""
    subject.require(Perm.ELDER_AWAY)
    return elder_repository.get(session, subject, elder_id)


def mark_away(
    session: Session, subject: Subject, elder_id: int, data: AwayIn, *, now: datetime
) -> Elder:
    """Mark the elder away from home until a time (no inactivity alarms meanwhile), audited;
    marking again replaces the end time and reason."""
    elder = away_elder(session, subject, elder_id)
    if elder.status != "active":
        raise Conflict(
            N_("Only an active elder can be marked away from home."), code="elder_not_active"
        )
    until = data.until if data.until.tzinfo else data.until.replace(tzinfo=CHINA_TZ)
    if problem := rules.away_until_problem(until, now):
        raise Invalid(problem.message, field="until", problems=[problem], **problem.params)
    before = elder.away_until if rules.is_away(elder.away_until, now) else None
    elder.away_until = until.astimezone(UTC)
    elder.away_reason, elder.away_note = str(data.reason), data.note
    elder.updated_at = now
    session.flush()
    after = {
        "away_until": elder.away_until,
        "away_reason": str(data.reason),
        "away_note": data.note,
    }
    audit.record(
        session, subject, AWAY, "elder", elder.id,
        before={"away_until": before}, after=after, at=now,
    )  # fmt: skip
    return elder


def end_away(session: Session, subject: Subject, elder_id: int, *, now: datetime) -> Elder:
    """The elder is back home before the time given (inactivity alarms again); audited.
    Ending a stay that is already over changes nothing and writes no row."""
    elder = away_elder(session, subject, elder_id)
    if not rules.is_away(elder.away_until, now):
        return elder
    before = elder.away_until
    elder.away_until = elder.away_reason = elder.away_note = None
    elder.updated_at = now
    session.flush()
    audit.record(
        session, subject, BACK, "elder", elder.id,
        before={"away_until": before}, after={"away_until": None}, at=now,
    )  # fmt: skip
    return elder
