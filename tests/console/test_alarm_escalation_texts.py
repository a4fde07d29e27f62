"""An alarm nobody took is texted off-screen: at 60 s to every supervisor on duty, at 180 s
to every operator as well (and the supervisors again: a review ticket is opened). Through the
outbox, once per person and escalation, never to a disabled account or one without a phone."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

import yiyang.alarms.handling.tasks
import yiyang.console.alarm_notifications  # noqa: F401  (subscribes the texts)
from tests.alarms.handling.conftest import NOON, sos
from tests.builders import make_user
from tests.conftest import Live
from yiyang.events.models import OutboxMessage
from yiyang.jobs import timer_runner
from yiyang.security.roles import Role


def _staff(s: Session) -> None:
    for role, phone, active in (
        (Role.SUPERVISOR, "13900000001", True),
        (Role.SUPERVISOR, "13900000002", True),
        (Role.SUPERVISOR, "13900000003", False),  # disabled: told nothing
        (Role.SUPERVISOR, None, True),  # no phone: nothing to send to
        (Role.OPERATOR, "13800000001", True),
        (Role.OPERATOR, "13800000002", True),
        (Role.CAREGIVER, "13700000001", True),  # not the call centre
    ):
        user, _ = make_user(s, role)
        user.phone, user.active = phone, active


def _texts(live: Live, alarm_id: int) -> list[tuple[str, str]]:
    with live.factory() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "sms").order_by(OutboxMessage.id)
        ).all()
        return [
            (r.destination, r.payload["text"])
            for r in rows
            if r.payload.get("alarm_id") == alarm_id and r.payload.get("escalation")
        ]


def test_supervisors_are_texted_at_60_s_and_every_operator_at_180_s(live: Live) -> None:
    clock = live.clock
    clock.now = NOON
    with live.factory() as s, s.begin():
        _staff(s)
        alarm_id = sos(s, at=clock()).id
    clock.advance(seconds=59)
    timer_runner.run_due(live.factory, clock(), live.settings)
    assert _texts(live, alarm_id) == []
    clock.advance(seconds=1)
    timer_runner.run_due(live.factory, clock(), live.settings)
    first = _texts(live, alarm_id)
    assert [phone for phone, _ in first] == ["13900000001", "13900000002"]
    assert all("60" in t and "王秀英" in t and "紧急呼叫" in t for _, t in first)
    clock.advance(seconds=120)
    timer_runner.run_due(live.factory, clock(), live.settings)
    second = _texts(live, alarm_id)[len(first) :]
    assert sorted(p for p, _ in second) == [
        "13800000001", "13800000002", "13900000001", "13900000002",
    ]  # fmt: skip
    assert all("3" in text for _, text in second)
    timer_runner.run_due(live.factory, clock(), live.settings)  # nothing more is due
    assert len(_texts(live, alarm_id)) == 6


def test_an_alarm_acknowledged_in_time_texts_nobody(live: Live) -> None:
    from tests.alarms.handling.conftest import operator
    from yiyang.alarms.handling import service

    clock = live.clock
    clock.now = NOON
    with live.factory() as s, s.begin():
        _staff(s)
        alarm_id = sos(s, at=clock()).id
        clock.advance(seconds=20)
        service.acknowledge(s, operator(s), alarm_id, now=clock())
    clock.advance(seconds=300)
    timer_runner.run_due(live.factory, clock(), live.settings)
    assert _texts(live, alarm_id) == []
