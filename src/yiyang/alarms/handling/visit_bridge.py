"""Visit alerts become alarms: a late, no-show or geofence alert raises (or repeats) the alarm
of its order, so the call centre has one queue; a cleared alert clears it (a person still
closes it). Resolving the alarm resolves the alert (service.resolve / close). On the alerts
page, acknowledging the alert takes its alarm (if nobody had: no escalation), and resolving it
settles the alarm: the person who resolved it handled it, so the alarm is taken (if nobody
had), resolved with their note and closed ("other", the note says what was done), each step
under their name, and its escalation timers are cancelled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.alarms import repository
from yiyang.alarms.handling import service
from yiyang.alarms.handling.rules import Disposition
from yiyang.alarms.kinds import AlarmStatus, AlarmType, StepAction
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import ESCALATE_TIMER, Origin, raise_or_repeat
from yiyang.events.bus import BUS
from yiyang.events.types import Actor
from yiyang.jobs import timers
from yiyang.visits.alert_events import (
    VisitAlertAcknowledged,
    VisitAlertCleared,
    VisitAlertEvent,
    VisitAlertRaised,
    VisitAlertResolved,
)
from yiyang.visits.rules import AlertKind

ALARM_OF: dict[str, AlarmType] = {
    AlertKind.LATE: AlarmType.VISIT_LATE,
    AlertKind.NO_SHOW: AlarmType.VISIT_NO_SHOW,
    AlertKind.GEOFENCE: AlarmType.VISIT_GEOFENCE,
}


def originator(order_id: int) -> str:
    """What a visit alarm is about: the order."""
    return f"order:{order_id}"


@BUS.subscribe(VisitAlertRaised)
def alarm_for_alert(session: Session, event: VisitAlertRaised) -> None:
    """Raise the order's alarm of the alert's kind (early and short visits are no alarms)."""
    alarm_type = ALARM_OF.get(event.kind)
    if alarm_type is None:
        return
    areas = repository.elder_areas(session, event.elder_id) if event.elder_id else None
    raise_or_repeat(
        session,
        alarm_type,
        Origin(
            originator=originator(event.order_id),
            elder_id=event.elder_id,
            order_id=event.order_id,
            street_id=areas[0] if areas else None,
            community_id=areas[1] if areas else None,
        ),
        now=event.occurred_at,
        detail={**event.detail, "alert_id": event.alert_id},
        actor=event.actor,
    )


@BUS.subscribe(VisitAlertCleared)
def clear_for_alert(session: Session, event: VisitAlertCleared) -> None:
    """The caregiver arrived: the open alarm of that kind is marked cleared (not closed)."""
    alarm_type = ALARM_OF.get(event.kind)
    if alarm_type is None:
        return
    alarm = repository.open_alarm_for_update(session, originator(event.order_id), alarm_type)
    if alarm is not None:
        service.clear(session, alarm, now=event.occurred_at, actor=event.actor)


def _alarm_of(session: Session, event: VisitAlertEvent) -> Alarm | None:
    """The open alarm this alert raised (locked), or None (no alarm kind, none open, or the
    open one belongs to another alert of the order)."""
    alarm_type = ALARM_OF.get(event.kind)
    if alarm_type is None:
        return None
    alarm = repository.open_alarm_for_update(session, originator(event.order_id), alarm_type)
    if alarm is None or alarm.detail.get("alert_id") not in (None, event.alert_id):
        return None
    return alarm


@BUS.subscribe(VisitAlertAcknowledged)
def take_for_alert(session: Session, event: VisitAlertAcknowledged) -> None:
    """A person acknowledged the alert: its alarm, if nobody took it, is taken by them (no
    escalation to every operator); it stays open until the alert or the alarm is resolved."""
    alarm = _alarm_of(session, event)
    if alarm is not None and alarm.acknowledged_at is None:
        take(session, alarm, event.actor, event.note, event.occurred_at)


@BUS.subscribe(VisitAlertResolved)
def settle_for_alert(session: Session, event: VisitAlertResolved) -> None:
    """A person resolved the alert on the alerts page: its alarm is settled the same way. An
    alarm already resolved in the call centre (which resolved the alert) is left alone."""
    alarm = _alarm_of(session, event)
    if alarm is not None and alarm.resolved_at is None:
        settle(session, alarm, event.actor, event.note, event.occurred_at)


def take(session: Session, alarm: Alarm, actor: Actor, note: str | None, now: datetime) -> None:
    """The alarm acknowledged by `actor`; its escalation timers cancelled."""
    alarm.acknowledged_at, alarm.acknowledged_by_id = now, actor.user_id
    alarm.status = AlarmStatus.ACKNOWLEDGED
    timers.cancel(session, ESCALATE_TIMER, alarm.id, now=now)
    service.record_step(session, alarm, StepAction.ACKNOWLEDGED, now=now, actor=actor, text=note)


def settle(session: Session, alarm: Alarm, actor: Actor, note: str | None, now: datetime) -> None:
    """Take (if nobody had), resolve and close the alarm as handled by `actor`."""
    if alarm.acknowledged_at is None:
        take(session, alarm, actor, None, now)
    alarm.status, alarm.resolved_at = AlarmStatus.RESOLVED, now
    service.record_step(session, alarm, StepAction.RESOLVED, now=now, actor=actor, text=note)
    alarm.status, alarm.disposition = AlarmStatus.CLOSED, str(Disposition.OTHER)
    alarm.closed_at, alarm.closed_by_id = now, actor.user_id
    timers.cancel(session, ESCALATE_TIMER, alarm.id, now=now)
    service.record_step(
        session, alarm, StepAction.CLOSED, now=now, actor=actor, text=note,
        data={"disposition": alarm.disposition, "via": "visit_alert"},
    )  # fmt: skip
