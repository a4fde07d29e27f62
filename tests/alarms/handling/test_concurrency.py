"""Two operators take the same alarm at the same moment, each on a connection of their own:
one gets it, the other is told who did (409), and the alarm holds one acknowledgement."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from tests.alarms.handling.conftest import NOON, operator, sos
from tests.conftest import Live
from yiyang.alarms.handling import service
from yiyang.alarms.kinds import StepAction
from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.errors import Conflict
from yiyang.security.subject import Subject

AT = NOON + timedelta(seconds=12)


def test_the_second_of_two_simultaneous_acknowledgements_is_refused(live: Live) -> None:
    with live.factory() as s, s.begin():
        alarm_id = sos(s).id
        first, second = operator(s), operator(s)
    outcome: dict[str, object] = {}

    def take(who: Subject) -> None:
        with live.factory() as s:
            try:
                service.acknowledge(s, who, alarm_id, now=AT)
                s.commit()
                outcome["second"] = "took it"
            except Conflict as exc:
                s.rollback()
                outcome["second"] = exc

    with live.factory() as s:
        service.acknowledge(s, first, alarm_id, now=AT)  # holds the row lock until commit
        other = threading.Thread(target=take, args=(second,))
        other.start()
        time.sleep(0.3)
        assert other.is_alive(), "the second operator should wait for the first one's lock"
        s.commit()
    other.join(timeout=10)
    refused = outcome["second"]
    assert isinstance(refused, Conflict) and refused.code == "acknowledged_by_another"
    assert refused.status_code == 409 and first.display_name in str(refused)
    with live.factory() as s:
        alarm = s.get(Alarm, alarm_id)
        assert alarm is not None and alarm.acknowledged_by_id == first.user_id
        acks = s.scalars(
            select(AlarmStep).where(
                AlarmStep.alarm_id == alarm_id, AlarmStep.action == StepAction.ACKNOWLEDGED
            )
        ).all()
        assert len(acks) == 1


def test_many_operators_at_once_exactly_one_wins(live: Live) -> None:
    with live.factory() as s, s.begin():
        alarm_id = sos(s).id
        people = [operator(s) for _ in range(4)]
    start = threading.Barrier(len(people))
    results: list[str] = []

    def take(who: Subject) -> None:
        start.wait()
        with live.factory() as s:
            try:
                service.acknowledge(s, who, alarm_id, now=AT)
                s.commit()
                results.append("won")
            except Conflict:
                s.rollback()
                results.append("409")

    threads = [threading.Thread(target=take, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sorted(results) == ["409", "409", "409", "won"]
