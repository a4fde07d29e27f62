"""Raise an alarm or update the open one: one open alarm per originator and type.

Every source (device signals, reading rules, passive monitoring, visit supervision) raises
through `raise_or_repeat`, so the call centre has one queue and one lifecycle. A new alarm
schedules its escalation timers (60 s → the supervisor, 180 s → every operator).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yiyang.alarms import repository
from yiyang.alarms.events import AlarmRaised, AlarmRepeated, AlarmSnapshot
from yiyang.alarms.kinds import DEFAULT_SEVERITY, AlarmStatus, AlarmType, Severity, StepAction
from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.events import bus
from yiyang.events.types import Actor
from yiyang.jobs import timers

ESCALATE_TIMER = "alarm.escalate"
ESCALATIONS: tuple[tuple[int, timedelta], ...] = (
    (1, timedelta(seconds=60)),
    (2, timedelta(seconds=180)),
)


@dataclass(frozen=True)
class Origin:
    """What an alarm is about and where, for the queue and data scope."""

    originator: str  # "elder:12", "device:7", "order:40"
    elder_id: int | None = None
    home_id: int | None = None
    device_id: int | None = None
    order_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None


def raise_or_repeat(
    session: Session,
    type_: AlarmType,
    origin: Origin,
    *,
    now: datetime,
    detail: dict[str, Any] | None = None,
    severity: Severity | None = None,
    actor: Actor | None = None,
    text: str | None = None,
) -> tuple[Alarm, bool]:
    """Store a new alarm, or count a repeat on the open one; returns (alarm, created)."""
    actor = actor or Actor.of(None)
    level = severity or DEFAULT_SEVERITY[type_]
    alarm = repository.open_alarm_for_update(session, origin.originator, str(type_))
    if alarm is None:
        alarm = _insert(session, type_, origin, now=now, level=level, detail=detail or {})
        if alarm is not None:
            add_step(session, alarm, StepAction.RAISED, now, actor, text, detail or {})
            for escalation, after in ESCALATIONS:
                timers.schedule(
                    session, ESCALATE_TIMER, alarm.id, now + after, {"level": escalation}
                )
            bus.publish(
                session,
                AlarmRaised(
                    occurred_at=now,
                    actor=actor,
                    alarm=AlarmSnapshot.of(alarm),
                    action=StepAction.RAISED,
                ),
            )
            return alarm, True
        alarm = repository.open_alarm_for_update(
            session, origin.originator, str(type_)
        )  # another process raised it
        assert alarm is not None
    alarm.repeats += 1
    alarm.last_at = max(alarm.last_at, now)
    alarm.severity = max(alarm.severity, int(level))
    alarm.cleared_at = None  # the cause is back
    if detail:
        alarm.detail = {**alarm.detail, **detail}
    add_step(session, alarm, StepAction.REPEATED, now, actor, text, detail or {})
    session.flush()
    bus.publish(
        session,
        AlarmRepeated(
            occurred_at=now, actor=actor, alarm=AlarmSnapshot.of(alarm), action=StepAction.REPEATED
        ),
    )
    return alarm, False


def _insert(
    session: Session,
    type_: AlarmType,
    origin: Origin,
    *,
    now: datetime,
    level: Severity,
    detail: dict[str, Any],
) -> Alarm | None:
    """Insert under a savepoint; None when a concurrent writer holds the open alarm."""
    alarm = Alarm(
        type=str(type_),
        severity=int(level),
        status=AlarmStatus.QUEUED,
        originator=origin.originator,
        elder_id=origin.elder_id,
        home_id=origin.home_id,
        device_id=origin.device_id,
        order_id=origin.order_id,
        street_id=origin.street_id,
        community_id=origin.community_id,
        raised_at=now,
        last_at=now,
        repeats=0,
        escalation=0,
        detail=detail,
    )
    try:
        with session.begin_nested():
            session.add(alarm)
            session.flush()
    except IntegrityError:
        return None
    return alarm


def add_step(
    session: Session,
    alarm: Alarm,
    action: StepAction,
    now: datetime,
    actor: Actor,
    text: str | None,
    data: dict[str, Any],
) -> AlarmStep:
    """Append one entry to the alarm's timeline (in the caller's transaction)."""
    step = AlarmStep(
        alarm_id=alarm.id,
        at=now,
        action=str(action),
        by_user_id=actor.user_id,
        by_name=actor.name[:64],
        by_role=actor.role,
        text=text,
        data=data,
    )
    session.add(step)
    return step
