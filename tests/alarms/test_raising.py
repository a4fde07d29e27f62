"""One open alarm per originator and type: a repeat updates it, a closed one starts anew."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree
from yiyang.alarms.kinds import AlarmStatus, AlarmType, Severity, StepAction
from yiyang.alarms.models import AlarmStep
from yiyang.alarms.raising import ESCALATE_TIMER, Origin, raise_or_repeat
from yiyang.events.models import DomainEventRow
from yiyang.jobs import timers

NOON = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def _origin(session: Session) -> Origin:
    tree = make_tree(session)
    elder = make_elder(session, tree.comm_a1)
    return Origin(
        originator=f"elder:{elder.id}",
        elder_id=elder.id,
        street_id=elder.street_id,
        community_id=elder.community_id,
    )


def test_a_pull_cord_pulled_twice_is_one_alarm_with_a_repeat(db: Session) -> None:
    origin = _origin(db)
    first, created = raise_or_repeat(db, AlarmType.SOS, origin, now=NOON)
    again, created_again = raise_or_repeat(
        db, AlarmType.SOS, origin, now=NOON + timedelta(seconds=20)
    )
    assert created and not created_again
    assert again.id == first.id
    assert again.repeats == 1 and again.last_at == NOON + timedelta(seconds=20)
    assert again.status == AlarmStatus.QUEUED and again.severity == Severity.CRITICAL
    steps = db.scalars(select(AlarmStep.action).where(AlarmStep.alarm_id == first.id)).all()
    assert steps == [StepAction.RAISED, StepAction.REPEATED]
    types = db.scalars(
        select(DomainEventRow.type).where(DomainEventRow.entity_id == first.id)
    ).all()
    assert types == ["alarm.raised", "alarm.repeated"]


def test_a_new_alarm_schedules_escalation_at_60_and_180_seconds(db: Session) -> None:
    alarm, _ = raise_or_repeat(db, AlarmType.FALL, _origin(db), now=NOON)
    due = [(t.due_at, t.payload["level"]) for t in timers.pending(db, ESCALATE_TIMER, alarm.id)]
    assert due == [(NOON + timedelta(seconds=60), 1), (NOON + timedelta(seconds=180), 2)]


def test_after_the_alarm_is_closed_the_next_pull_opens_a_new_one(db: Session) -> None:
    origin = _origin(db)
    first, _ = raise_or_repeat(db, AlarmType.SOS, origin, now=NOON)
    first.closed_at = NOON + timedelta(minutes=5)
    first.status = AlarmStatus.CLOSED
    db.flush()
    second, created = raise_or_repeat(db, AlarmType.SOS, origin, now=NOON + timedelta(hours=1))
    assert created and second.id != first.id


def test_other_types_of_the_same_elder_are_separate_alarms(db: Session) -> None:
    origin = _origin(db)
    sos, _ = raise_or_repeat(db, AlarmType.SOS, origin, now=NOON)
    fall, created = raise_or_repeat(db, AlarmType.FALL, origin, now=NOON)
    assert created and fall.id != sos.id
