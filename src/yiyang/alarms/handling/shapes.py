"""The JSON shapes of an alarm: a queue row (with the elder's risk and the waiting time) and
the detail with its timeline and review tickets."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from yiyang.alarms import repository
from yiyang.alarms.handling import repository as review_queries
from yiyang.alarms.handling import rules
from yiyang.alarms.handling.schemas import AlarmDetail, AlarmRead, ReviewRead, StepRead
from yiyang.alarms.models import Alarm
from yiyang.kit.localtime import local_today
from yiyang.registry.vocab import LivingSituation


def risk_of(alarm: Alarm, today: date) -> int:
    """The elder's risk score (rules.risk) for an alarm whose elder is loaded."""
    elder = alarm.elder
    if elder is None:
        return 0
    facts = rules.RiskFacts(
        living_alone=elder.living_situation == LivingSituation.ALONE,
        birth_date=elder.birth_date,
        capability_level=elder.capability_level,
    )
    return rules.risk(facts, today)


def to_read(alarm: Alarm, *, now: datetime) -> AlarmRead:
    """A queue row (elder loaded)."""
    ended = alarm.acknowledged_at or now
    return AlarmRead(
        id=alarm.id,
        type=alarm.type,
        severity=alarm.severity,
        status=alarm.status,
        elder_id=alarm.elder_id,
        elder_name=alarm.elder.name if alarm.elder is not None else None,
        device_id=alarm.device_id,
        order_id=alarm.order_id,
        street_id=alarm.street_id,
        community_id=alarm.community_id,
        raised_at=alarm.raised_at,
        last_at=alarm.last_at,
        repeats=alarm.repeats,
        escalation=alarm.escalation,
        risk=risk_of(alarm, local_today(now)),
        waiting_seconds=max(0, int((ended - alarm.raised_at).total_seconds())),
        acknowledged_at=alarm.acknowledged_at,
        acknowledged_by_id=alarm.acknowledged_by_id,
        cleared_at=alarm.cleared_at,
        resolved_at=alarm.resolved_at,
        closed_at=alarm.closed_at,
        disposition=alarm.disposition,
        allowed=[str(a) for a in rules.allowed(alarm.status)],
    )


def to_detail(session: Session, alarm: Alarm, *, now: datetime) -> AlarmDetail:
    """The alarm with its timeline and review tickets (as loaded by `get`)."""
    return AlarmDetail(
        **to_read(alarm, now=now).model_dump(),
        acknowledged_by=(
            repository.user_name(session, alarm.acknowledged_by_id)
            if alarm.acknowledged_by_id
            else None
        ),
        steps=[StepRead.model_validate(s) for s in alarm.steps],
        reviews=[
            ReviewRead.model_validate(r) for r in review_queries.reviews_of(session, alarm.id)
        ],
    )
