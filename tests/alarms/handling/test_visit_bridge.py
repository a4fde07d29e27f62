"""Visit alerts become alarms of the one queue; resolving the alarm resolves the alert."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

import yiyang.alarms.handling.visit_bridge  # noqa: F401  (subscribes to the visit alerts)
from tests.conftest import FakeClock
from tests.visits.scene import POLICY, SECRET, gps, home, make_scene, metres_north
from yiyang.alarms.handling import service
from yiyang.alarms.handling.schemas import CloseIn, ResolveIn
from yiyang.alarms.kinds import AlarmStatus, AlarmType, Severity, StepAction
from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.alarms.raising import ESCALATE_TIMER
from yiyang.jobs import timers
from yiyang.visits import alerts
from yiyang.visits import service as visit_service
from yiyang.visits.models import Alert
from yiyang.visits.schemas import AlertNote


def _alarms(db: Session, order_id: int) -> list[Alarm]:
    return list(
        db.scalars(select(Alarm).where(Alarm.originator == f"order:{order_id}").order_by(Alarm.id))
    )


def _steps(db: Session, alarm_id: int) -> list[AlarmStep]:
    return list(
        db.scalars(select(AlarmStep).where(AlarmStep.alarm_id == alarm_id).order_by(AlarmStep.id))
    )


def test_a_late_alert_is_an_alarm_and_arriving_clears_it(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    order, elder = scene.order, scene.d.elder
    alert = alerts.raise_alert(db, order, "late", now=clock.now, detail={"minutes_late": 15})
    [alarm] = _alarms(db, order.id)
    assert alarm.type == AlarmType.VISIT_LATE and alarm.severity == Severity.WARNING
    assert (alarm.elder_id, alarm.order_id) == (elder.id, order.id)
    assert (alarm.street_id, alarm.community_id) == (elder.street_id, elder.community_id)
    assert alarm.detail["alert_id"] == alert.id and alarm.detail["minutes_late"] == 15
    clock.advance(minutes=5)
    alerts.raise_alert(db, order, "late", now=clock.now, detail={"minutes_late": 20})
    [again] = _alarms(db, order.id)
    assert again.id == alarm.id and again.repeats == 1 and again.detail["minutes_late"] == 20
    # the caregiver arrives: the alert clears, the alarm is cleared but waits for a person
    clock.now = order.planned_start_at or order.window_start_at
    visit_service.check_in(
        db, scene.carer, order.id, gps(home(scene)), now=clock.now, secret_key=SECRET,
        policy=POLICY,
    )  # fmt: skip
    db.refresh(alarm)
    assert alarm.cleared_at == clock.now and alarm.status == AlarmStatus.QUEUED
    op = scene.operator
    service.acknowledge(db, op, alarm.id, now=clock.now)
    closed = service.close(db, op, alarm.id, CloseIn(disposition="self_cleared"), now=clock.now)
    assert [s.action for s in closed.steps][-3:] == [
        StepAction.CLEARED, StepAction.ACKNOWLEDGED, StepAction.CLOSED,
    ]  # fmt: skip


def test_a_check_in_away_from_home_raises_a_geofence_alarm(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    clock.now = (scene.order.planned_start_at or scene.order.window_start_at) + timedelta(minutes=1)
    visit_service.check_in(
        db, scene.carer, scene.order.id, gps(metres_north(home(scene), 900)), now=clock.now,
        secret_key=SECRET, policy=POLICY,
    )  # fmt: skip
    assert [a.type for a in _alarms(db, scene.order.id)] == [AlarmType.VISIT_GEOFENCE]


def test_resolving_the_alarm_resolves_the_visit_alert(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    alert = alerts.raise_alert(db, scene.order, "no_show", now=clock.now, detail={})
    [alarm] = _alarms(db, scene.order.id)
    assert alarm.type == AlarmType.VISIT_NO_SHOW
    op = scene.operator
    service.acknowledge(db, op, alarm.id, now=clock.now)
    service.resolve(db, op, alarm.id, ResolveIn(note="已改派赵敏"), now=clock.now)
    db.refresh(alert)
    assert alert.resolved_at == clock.now and alert.resolved_by_id == op.user_id
    assert alert.resolution_note == "已改派赵敏"
    # closing after that leaves the alert as it was
    service.close(db, op, alarm.id, CloseIn(disposition="resolved_by_phone"), now=clock.now)
    assert db.get(Alert, alert.id) is alert and alert.resolution_note == "已改派赵敏"


def test_closing_without_resolving_resolves_the_alert_with_the_reason(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    alert = alerts.raise_alert(db, scene.order, "late", now=clock.now, detail={})
    [alarm] = _alarms(db, scene.order.id)
    service.acknowledge(db, scene.operator, alarm.id, now=clock.now)
    service.close(
        db, scene.operator, alarm.id, CloseIn(disposition="resolved_by_phone"), now=clock.now
    )
    db.refresh(alert)
    assert alert.resolved_at == clock.now and alert.resolution_note


def test_early_and_short_visits_are_no_alarms(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    alerts.raise_alert(db, scene.order, "early", now=clock.now, detail={})
    alerts.raise_alert(db, scene.order, "short", now=clock.now, detail={})
    assert _alarms(db, scene.order.id) == []


def test_resolving_the_alert_on_the_alerts_page_closes_its_alarm(
    db: Session, clock: FakeClock
) -> None:
    """The person who resolved the alert handled the alarm: taken by them, resolved with their
    note and closed, on the timeline under their name; the escalation timers are cancelled."""
    scene = make_scene(db, clock)
    alert = alerts.raise_alert(db, scene.order, "no_show", now=clock.now, detail={})
    [alarm] = _alarms(db, scene.order.id)
    assert timers.pending(db, ESCALATE_TIMER, alarm.id)
    clock.advance(minutes=2)
    pa = scene.provider_admin  # may resolve alerts, not handle alarms
    alerts.resolve(db, pa, alert.id, AlertNote(note="已改派赵敏上门"), now=clock.now)
    db.refresh(alarm)
    assert alarm.status == AlarmStatus.CLOSED and alarm.closed_at == clock.now
    assert alarm.acknowledged_at == alarm.resolved_at == clock.now
    assert (alarm.acknowledged_by_id, alarm.closed_by_id) == (pa.user_id, pa.user_id)
    assert alarm.disposition == "other"
    steps = [(s.action, s.by_name, s.text) for s in _steps(db, alarm.id)][-3:]
    assert [a for a, _, _ in steps] == [
        StepAction.ACKNOWLEDGED, StepAction.RESOLVED, StepAction.CLOSED,
    ]  # fmt: skip
    assert {n for _, n, _ in steps} == {pa.display_name}
    assert steps[1][2] == "已改派赵敏上门"
    assert timers.pending(db, ESCALATE_TIMER, alarm.id) == []
    # the alert raised again later is a new alarm, the closed one stays closed
    clock.advance(minutes=30)
    alerts.raise_alert(db, scene.order, "no_show", now=clock.now, detail={})
    assert [a.status for a in _alarms(db, scene.order.id)] == [
        AlarmStatus.CLOSED, AlarmStatus.QUEUED,
    ]  # fmt: skip


def test_an_alert_resolved_while_the_operator_handles_its_alarm_closes_it_as_theirs(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    alert = alerts.raise_alert(db, scene.order, "late", now=clock.now, detail={})
    [alarm] = _alarms(db, scene.order.id)
    op = scene.operator
    service.acknowledge(db, op, alarm.id, now=clock.now)
    clock.advance(minutes=1)
    alerts.resolve(db, scene.provider_admin, alert.id, AlertNote(note="护理员已到"), now=clock.now)
    db.refresh(alarm)
    assert alarm.status == AlarmStatus.CLOSED and alarm.acknowledged_by_id == op.user_id
    assert [s.action for s in _steps(db, alarm.id)][-2:] == [StepAction.RESOLVED, StepAction.CLOSED]


def test_acknowledging_the_alert_takes_its_alarm_and_stops_the_escalation(
    db: Session, clock: FakeClock
) -> None:
    """Somebody is on it: the alarm is taken under their name, not escalated to every
    operator, and stays open until the alert (or the alarm) is resolved."""
    scene = make_scene(db, clock)
    alert = alerts.raise_alert(db, scene.order, "late", now=clock.now, detail={})
    [alarm] = _alarms(db, scene.order.id)
    clock.advance(seconds=40)
    pa = scene.provider_admin
    alerts.acknowledge(db, pa, alert.id, AlertNote(note="正在联系护理员"), now=clock.now)
    db.refresh(alarm)
    assert alarm.status == AlarmStatus.ACKNOWLEDGED and alarm.acknowledged_at == clock.now
    assert alarm.acknowledged_by_id == pa.user_id and alarm.closed_at is None
    assert timers.pending(db, ESCALATE_TIMER, alarm.id) == []
    step = _steps(db, alarm.id)[-1]
    assert (step.action, step.by_name, step.text) == (
        StepAction.ACKNOWLEDGED, pa.display_name, "正在联系护理员",
    )  # fmt: skip


def test_acknowledging_the_alert_leaves_an_alarm_an_operator_took_alone(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    alert = alerts.raise_alert(db, scene.order, "late", now=clock.now, detail={})
    [alarm] = _alarms(db, scene.order.id)
    service.acknowledge(db, scene.operator, alarm.id, now=clock.now)
    steps = len(_steps(db, alarm.id))
    clock.advance(minutes=1)
    alerts.acknowledge(db, scene.provider_admin, alert.id, AlertNote(note="已知悉"), now=clock.now)
    db.refresh(alarm)
    assert alarm.acknowledged_by_id == scene.operator.user_id
    assert len(_steps(db, alarm.id)) == steps
