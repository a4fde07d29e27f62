"""Use cases of the duty roster: set or clear when a community worker may be sent to alarms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.alarms.response import duty_repository
from yiyang.alarms.response.duty_repository import RosterRow
from yiyang.alarms.response.models import CommunityDuty
from yiyang.errors import N_, FieldProblem, Invalid
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

ENTITY = "community_duty"


def roster(session: Session, subject: Subject, street_id: int | None = None) -> list[RosterRow]:
    """The community workers in the subject's area with their hours (403 without the right)."""
    subject.require(Perm.ALARM_ROSTER)
    return duty_repository.roster(subject, session, street_id)


def worker(session: Session, subject: Subject, user_id: int) -> RosterRow:
    """One community worker of the subject's area, to show or edit their hours."""
    subject.require(Perm.ALARM_ROSTER)
    return duty_repository.worker(subject, session, user_id)


def set_hours(
    session: Session,
    subject: Subject,
    user_id: int,
    pattern: dict[str, list[str]],
    note: str | None,
    problems: list[FieldProblem],
    *,
    now: datetime,
) -> CommunityDuty:
    """Store a worker's own weekly hours (all problems refused together, nothing written)."""
    row = worker(session, subject, user_id)
    if problems:
        raise Invalid(N_("Some duty hours are not right: see each day."), problems=problems)
    duty = row.duty or CommunityDuty(user_id=user_id)
    before = {"pattern": dict(duty.pattern or {}), "note": duty.note} if row.duty else None
    duty.pattern, duty.note = pattern, note or None
    duty.updated_at, duty.updated_by_id = now, subject.user_id
    session.add(duty)
    audit.record(
        session, subject, "set_duty_hours", ENTITY, user_id, at=now,
        before=before, after={"pattern": pattern, "note": duty.note},
    )  # fmt: skip
    return duty


def clear_hours(session: Session, subject: Subject, user_id: int, *, now: datetime) -> None:
    """Back to the district's default office hours for this worker."""
    row = worker(session, subject, user_id)
    if row.duty is None:
        return
    before = {"pattern": dict(row.duty.pattern or {}), "note": row.duty.note}
    session.delete(row.duty)
    audit.record(session, subject, "clear_duty_hours", ENTITY, user_id, at=now, before=before)
