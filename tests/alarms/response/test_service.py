"""Sending a responder with a fake clock: nearest first, refused or lapsed → the next one,
arrival inside or outside the geofence, the report; each move on the timeline and audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alarms.response.world import World, make_world
from tests.conftest import FakeClock
from yiyang.alarms.kinds import AlarmStatus, StepAction
from yiyang.alarms.models import AlarmStep
from yiyang.alarms.response import repository, service
from yiyang.alarms.response.models import AlarmResponder
from yiyang.config import Settings
from yiyang.errors import Conflict, Forbidden, Invalid, NotFound
from yiyang.events.models import DomainEventRow
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.timer_runner import HANDLERS
from yiyang.registry.staff.models import Staff
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount
from yiyang.security.service import subject_for
from yiyang.security.subject import Subject


@pytest.fixture
def world(db: Session, clock: FakeClock) -> World:
    return make_world(db, clock())


def as_(user: UserAccount) -> Subject:
    return subject_for(user)


def actions(db: Session, alarm_id: int) -> list[str]:
    return list(
        db.scalars(
            select(AlarmStep.action).where(AlarmStep.alarm_id == alarm_id).order_by(AlarmStep.id)
        )
    )


def send(db: Session, world: World, clock: FakeClock, settings: Settings) -> AlarmResponder:
    return service.send_responder(
        db, world.operator, world.alarm.id, now=clock(), settings=settings
    )


def test_the_nearest_caregiver_on_duty_is_sent_and_the_alarm_is_responding(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    sent = send(db, world, clock, settings)
    assert sent.user_id == world.near.id and sent.name == "刘芳" and sent.rank == 1
    assert sent.state == "sent" and sent.travel_minutes == 3 and sent.travel_mode == "ebike"
    assert world.alarm.status == AlarmStatus.RESPONDING
    assert StepAction.RESPONDER_SENT in actions(db, world.alarm.id)
    due = [t.due_at for t in timers.pending(db, service.ACCEPT_TIMER, sent.id)]
    assert due == [clock() + timedelta(minutes=settings.alarm_responder_accept_minutes)]
    audited = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "alarm")).all()
    assert "send_responder" in audited
    types = db.scalars(
        select(DomainEventRow.type).where(DomainEventRow.entity_id == world.alarm.id)
    ).all()
    assert types[-1] == "alarm.stepped"
    with pytest.raises(Conflict):  # one responder at a time
        send(db, world, clock, settings)


def test_a_refusal_asks_the_next_nearest_at_once(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    send(db, world, clock, settings)
    clock.advance(seconds=40)
    service.refuse(
        db, as_(world.near), world.alarm.id, "with_elder", now=clock(), settings=settings
    )
    rows = repository.responders(db, world.alarm.id)
    assert [(r.name, r.state) for r in rows] == [("刘芳", "refused"), ("李明", "sent")]
    assert rows[0].refused_reason == "with_elder" and rows[1].rank == 2
    assert actions(db, world.alarm.id)[-2:] == [
        StepAction.RESPONDER_REFUSED, StepAction.RESPONDER_SENT,
    ]  # fmt: skip
    assert timers.pending(db, service.ACCEPT_TIMER, rows[0].id) == []


def test_not_accepting_in_time_passes_the_alarm_to_the_next_then_says_nobody_is_left(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    first = send(db, world, clock, settings)
    for _ in range(3):  # near caregiver, community worker, far caregiver
        clock.advance(minutes=settings.alarm_responder_accept_minutes)
        (timer,) = [t for t in timers.pending(db, service.ACCEPT_TIMER) if t.due_at <= clock()]
        HANDLERS[timer.kind](TimerContext(session=db, now=clock(), settings=settings), timer)
        timer.fired_at = clock()
    rows = repository.responders(db, world.alarm.id)
    assert [r.state for r in rows] == ["timed_out"] * 3
    assert [r.user_id for r in rows] == [first.user_id, world.worker.id, world.far.id]
    assert actions(db, world.alarm.id)[-2:] == [StepAction.RESPONDER_TIMED_OUT, StepAction.NOTE]
    with pytest.raises(Conflict):
        send(db, world, clock, settings)


def test_a_late_timer_after_acceptance_changes_nothing(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    sent = send(db, world, clock, settings)
    service.accept(db, as_(world.near), world.alarm.id, now=clock())
    service.expire(db, sent.id, now=clock() + timedelta(minutes=5), settings=settings)
    assert sent.state == "accepted" and len(repository.responders(db, world.alarm.id)) == 1


def test_arriving_outside_the_geofence_needs_a_reason_and_is_kept(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    send(db, world, clock, settings)
    me = as_(world.near)
    service.on_the_way(db, me, world.alarm.id, now=clock())
    clock.advance(minutes=6)
    with pytest.raises(Invalid) as refused:
        service.arrive(db, me, world.alarm.id, lat=34.8100, lon=113.6720, reason=None, now=clock())
    assert refused.value.field == "reason"
    done = service.arrive(
        db, me, world.alarm.id, lat=34.8100, lon=113.6720, reason="at the neighbour's",
        now=clock(),
    )  # fmt: skip
    assert done.state == "arrived" and done.arrived_distance_m is not None
    assert done.arrived_distance_m > 1000 and done.arrived_reason == "at the neighbour's"


def test_the_whole_way_inside_the_geofence_and_the_report(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    send(db, world, clock, settings)
    me = as_(world.near)
    service.accept(db, me, world.alarm.id, now=clock())
    service.on_the_way(db, me, world.alarm.id, now=clock())
    lat, lon = world.elder.lat + 0.0003, world.elder.lon
    got = service.arrive(db, me, world.alarm.id, lat=lat, lon=lon, reason=None, now=clock())
    assert got.arrived_distance_m is not None and got.arrived_distance_m < 150
    assert got.arrived_reason is None
    with pytest.raises(Invalid):
        service.report(db, me, world.alarm.id, "other", "  ", now=clock())
    got = service.report(db, me, world.alarm.id, "family_attended", "Son came", now=clock())
    assert (got.state, got.outcome, got.note) == ("reported", "family_attended", "Son came")
    with pytest.raises(Conflict):
        service.report(db, me, world.alarm.id, "elder_fine", None, now=clock())


def test_only_the_person_sent_may_answer_and_only_operators_send(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    send(db, world, clock, settings)
    with pytest.raises(NotFound):
        service.accept(db, as_(world.far), world.alarm.id, now=clock())
    with pytest.raises(NotFound):  # the worker sees the community's alarm but was not sent
        service.accept(db, as_(world.worker), world.alarm.id, now=clock())
    with pytest.raises(Forbidden):
        service.send_responder(db, as_(world.near), world.alarm.id, now=clock(), settings=settings)
    with pytest.raises(Forbidden):
        service.accept(db, as_(world.family), world.alarm.id, now=clock())


def test_a_closed_alarm_takes_no_more_steps(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    send(db, world, clock, settings)
    world.alarm.closed_at = clock()
    world.alarm.status = AlarmStatus.CLOSED
    db.flush()
    with pytest.raises(Conflict):
        service.accept(db, as_(world.near), world.alarm.id, now=clock())


def test_a_caregiver_on_a_night_shift_that_began_yesterday_is_on_duty_after_midnight(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    """03:00 on Tuesday: Monday's 20:00–08:00 shift is running; Tuesday's has not begun."""
    clock.now = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 03:00 Tuesday in Zhengzhou
    world = make_world(db, clock())
    nights = {d: ["20:00", "08:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    for user in (world.near, world.far):
        db.get_one(Staff, user.staff_id).working_pattern = nights
    db.flush()
    sent = send(db, world, clock, settings)
    assert sent.user_id == world.near.id and sent.name == "刘芳"
