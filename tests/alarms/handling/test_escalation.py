"""Escalation by durable timers: 60 s → the supervisors, 180 s → every operator and a review
ticket; an acknowledged alarm cancels them. Run by the timer runner with a fake clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

import yiyang.alarms.handling.tasks  # noqa: F401  (registers the escalation handler)
from tests.alarms.handling.conftest import NOON, operator, sos
from tests.conftest import Live
from yiyang.alarms.handling import service
from yiyang.alarms.handling.models import AlarmReview
from yiyang.alarms.kinds import StepAction
from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.alarms.raising import ESCALATE_TIMER
from yiyang.events.models import DomainEventRow
from yiyang.jobs import timer_runner, timers
from yiyang.jobs.models import Timer


def _state(live: Live, alarm_id: int) -> tuple[int, list[str], list[str]]:
    with live.factory() as s:
        alarm = s.get(Alarm, alarm_id)
        assert alarm is not None
        steps = s.scalars(
            select(AlarmStep.action).where(AlarmStep.alarm_id == alarm_id).order_by(AlarmStep.id)
        ).all()
        reviews = s.scalars(
            select(AlarmReview.reason).where(AlarmReview.alarm_id == alarm_id)
        ).all()
        return alarm.escalation, list(steps), list(reviews)


def test_nobody_answers_supervisors_at_60_s_everyone_and_a_review_at_180_s(live: Live) -> None:
    clock = live.clock
    clock.now = NOON
    with live.factory() as s, s.begin():
        alarm_id = sos(s, at=clock()).id
    clock.advance(seconds=59)
    assert timer_runner.run_due(live.factory, clock(), live.settings) == 0
    assert _state(live, alarm_id)[0] == 0
    clock.advance(seconds=1)
    assert timer_runner.run_due(live.factory, clock(), live.settings) == 1
    level, steps, reviews = _state(live, alarm_id)
    assert level == 1 and steps == ["raised", "escalated"] and reviews == []
    clock.advance(seconds=119)
    assert timer_runner.run_due(live.factory, clock(), live.settings) == 0
    clock.advance(seconds=1)
    assert timer_runner.run_due(live.factory, clock(), live.settings) == 1
    level, steps, reviews = _state(live, alarm_id)
    assert level == 2 and steps == ["raised", "escalated", "escalated"]
    assert reviews == ["not_answered_180s"]
    with live.factory() as s:
        data = s.scalars(
            select(AlarmStep.data).where(
                AlarmStep.alarm_id == alarm_id, AlarmStep.action == StepAction.ESCALATED
            )
        ).all()
        assert [(d["level"], d["to"]) for d in data] == [(1, "supervisors"), (2, "operators")]
        stepped = s.scalars(
            select(DomainEventRow.payload).where(
                DomainEventRow.entity_id == alarm_id, DomainEventRow.type == "alarm.stepped"
            )
        ).all()
        assert [p["alarm"]["escalation"] for p in stepped] == [1, 2]
        failed = s.scalars(select(Timer).where(Timer.failed_at.is_not(None))).all()
        assert failed == []


def test_an_acknowledged_alarm_does_not_escalate(live: Live) -> None:
    with live.factory() as s, s.begin():
        alarm_id = sos(s).id
        op = operator(s)
        service.acknowledge(s, op, alarm_id, now=NOON + timedelta(seconds=30))
        assert timers.pending(s, ESCALATE_TIMER, alarm_id) == []
    assert timer_runner.run_due(live.factory, NOON + timedelta(minutes=5), live.settings) == 0
    assert _state(live, alarm_id) == (0, ["raised", "acknowledged"], [])


def test_an_alarm_taken_between_the_two_levels_stops_at_the_first(live: Live) -> None:
    with live.factory() as s, s.begin():
        alarm_id = sos(s).id
    timer_runner.run_due(live.factory, NOON + timedelta(seconds=61), live.settings)
    with live.factory() as s, s.begin():
        service.acknowledge(s, operator(s), alarm_id, now=NOON + timedelta(seconds=90))
    timer_runner.run_due(live.factory, NOON + timedelta(minutes=5), live.settings)
    level, steps, reviews = _state(live, alarm_id)
    assert level == 1 and steps == ["raised", "escalated", "acknowledged"] and reviews == []


def test_a_timer_that_fires_late_for_an_acknowledged_alarm_is_a_no_op(live: Live) -> None:
    """Should a timer escape cancelling (a race with the acknowledgement), the handler still
    leaves a taken alarm alone."""
    with live.factory() as s, s.begin():
        alarm_id = sos(s).id
        alarm = s.get(Alarm, alarm_id)
        assert alarm is not None
        alarm.acknowledged_at, alarm.status = NOON + timedelta(seconds=10), "acknowledged"
    assert timer_runner.run_due(live.factory, NOON + timedelta(minutes=5), live.settings) == 2
    assert _state(live, alarm_id) == (0, ["raised"], [])
