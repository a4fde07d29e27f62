"""Handling an alarm through the service: each step on the timeline, an event and an audit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alarms.handling.conftest import NOON, operator, sos
from yiyang.alarms.handling import service
from yiyang.alarms.handling.schemas import CallLog, CallRequest, CloseIn, NoteIn, ResolveIn
from yiyang.alarms.kinds import AlarmStatus, StepAction
from yiyang.alarms.raising import ESCALATE_TIMER
from yiyang.errors import Conflict, Invalid
from yiyang.events.models import DomainEventRow, OutboxMessage
from yiyang.jobs import timers
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role

T = NOON + timedelta(seconds=25)


def test_acknowledge_call_resolve_close_leaves_a_full_timeline(db: Session) -> None:
    alarm = sos(db)
    op = operator(db)
    got = service.acknowledge(db, op, alarm.id, now=T)
    assert got.status == AlarmStatus.ACKNOWLEDGED and got.acknowledged_by_id == op.user_id
    assert timers.pending(db, ESCALATE_TIMER, alarm.id) == []
    son = service.call_list(db, op, alarm.id)[0]
    assert son.has_key and son.target == "contact"
    got = service.call(
        db, op, alarm.id, CallRequest(target="contact", contact_id=son.contact_id), now=T
    )
    assert got.status == AlarmStatus.RESPONDING
    voice = db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "voice")).one()
    assert voice.destination == son.phone and voice.payload["alarm_id"] == alarm.id
    called = got.steps[-1]
    got = service.log_call(
        db, op, alarm.id, CallLog(call_step_id=called.id, result="answered"), now=T
    )
    got = service.add_note(db, op, alarm.id, NoteIn(text="儿子十分钟到"), now=T)
    got = service.resolve(db, op, alarm.id, ResolveIn(note="儿子到了"), now=T)
    assert got.status == AlarmStatus.RESOLVED
    got = service.close(db, op, alarm.id, CloseIn(disposition="family_attended"), now=T)
    assert got.status == AlarmStatus.CLOSED and got.disposition == "family_attended"
    assert got.closed_by_id == op.user_id and got.closed_at == T
    assert [s.action for s in got.steps] == [
        StepAction.RAISED, StepAction.ACKNOWLEDGED, StepAction.CALLED, StepAction.CALL_RESULT,
        StepAction.NOTE, StepAction.RESOLVED, StepAction.CLOSED,
    ]  # fmt: skip
    assert all(s.by_user_id == op.user_id for s in got.steps[1:])
    events = db.scalars(
        select(DomainEventRow.type).where(DomainEventRow.entity_id == alarm.id)
    ).all()
    assert events.count("alarm.stepped") == 6
    audits = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity == "alarm", AuditEvent.entity_id == alarm.id
        )
    ).all()
    assert audits == ["acknowledge", "call", "log_call", "note", "resolve", "close"]


def test_a_second_operator_cannot_take_an_alarm_already_taken(db: Session) -> None:
    alarm = sos(db)
    first, second = operator(db), operator(db)
    service.acknowledge(db, first, alarm.id, now=T)
    again = service.acknowledge(db, first, alarm.id, now=T + timedelta(seconds=5))
    assert again.acknowledged_at == T  # one's own again: nothing changes
    with pytest.raises(Conflict) as err:
        service.acknowledge(db, second, alarm.id, now=T)
    assert err.value.status_code == 409 and err.value.code == "acknowledged_by_another"
    with pytest.raises(Conflict) as held:
        service.resolve(db, second, alarm.id, ResolveIn(), now=T)
    assert held.value.code == "held_by_another"
    boss = operator(db, Role.SUPERVISOR)
    assert service.resolve(db, boss, alarm.id, ResolveIn(), now=T).status == AlarmStatus.RESOLVED


def test_nobody_closes_an_alarm_no_person_took(db: Session) -> None:
    alarm = sos(db)
    op = operator(db)
    service.clear(db, alarm, now=T)
    with pytest.raises(Conflict) as err:
        service.close(db, op, alarm.id, CloseIn(disposition="false_alarm"), now=T)
    assert err.value.status_code == 409
    assert service.get(db, op, alarm.id).status == AlarmStatus.QUEUED


def test_closing_needs_a_disposition_and_other_needs_a_note(db: Session) -> None:
    alarm = sos(db)
    op = operator(db)
    service.acknowledge(db, op, alarm.id, now=T)
    with pytest.raises(Invalid) as missing:
        service.close(db, op, alarm.id, CloseIn(), now=T)
    assert missing.value.field == "disposition"
    with pytest.raises(Invalid) as other:
        service.close(db, op, alarm.id, CloseIn(disposition="other", note="  "), now=T)
    assert other.value.field == "note"
    done = service.close(db, op, alarm.id, CloseIn(disposition="other", note="邻居帮忙"), now=T)
    assert done.status == AlarmStatus.CLOSED and done.resolved_at == T


def test_a_hand_logged_call_keeps_its_result(db: Session) -> None:
    alarm = sos(db)
    op = operator(db)
    service.acknowledge(db, op, alarm.id, now=T)
    got = service.call(db, op, alarm.id, CallRequest(target="elder", result="no_answer"), now=T)
    assert got.steps[-1].data["via"] == "hand" and got.steps[-1].data["result"] == "no_answer"
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.channel == "voice")).all() == []
    with pytest.raises(Invalid) as err:
        service.call(db, op, alarm.id, CallRequest(target="contact", contact_id=999999), now=T)
    assert err.value.field == "contact_id"
