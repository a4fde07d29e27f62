"""Visit alerts become alarms: a late, no-show or geofence alert raises (or repeats) the alarm
of its order, so the call centre has one queue; a cleared alert clears it (a person still
closes it). Resolving the alarm resolves the alert (service.resolve / close)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiyang.alarms import repository
from yiyang.alarms.handling import service
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.events.bus import BUS
from yiyang.visits.alert_events import VisitAlertCleared, VisitAlertRaised
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
