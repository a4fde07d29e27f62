"""The typed events of an alarm's life: raised, repeated, and every later step.

Each carries a snapshot of the alarm's ids, type, status and flags (no names or health
data), so the console, the family page and the big screen can follow without reading it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from yiyang.alarms.models import Alarm
from yiyang.events import live
from yiyang.events.types import DomainEvent, event_type


class AlarmSnapshot(BaseModel):
    """The alarm as it stands right after the event."""

    id: int
    type: str
    severity: int
    status: str
    elder_id: int | None
    device_id: int | None
    order_id: int | None
    street_id: int | None
    community_id: int | None
    raised_at: datetime
    acknowledged: bool
    cleared: bool
    escalation: int
    repeats: int

    @classmethod
    def of(cls, alarm: Alarm) -> AlarmSnapshot:
        """The snapshot of a loaded alarm."""
        return cls(
            id=alarm.id,
            type=alarm.type,
            severity=alarm.severity,
            status=alarm.status,
            elder_id=alarm.elder_id,
            device_id=alarm.device_id,
            order_id=alarm.order_id,
            street_id=alarm.street_id,
            community_id=alarm.community_id,
            raised_at=alarm.raised_at,
            acknowledged=alarm.acknowledged_at is not None,
            cleared=alarm.cleared_at is not None,
            escalation=alarm.escalation,
            repeats=alarm.repeats,
        )


class AlarmEvent(DomainEvent):
    """Something happened to an alarm (base of every alarm event)."""

    alarm: AlarmSnapshot
    action: str  # kinds.StepAction

    def entity_id(self) -> int | None:
        """The alarm's id."""
        return self.alarm.id


@event_type("alarm.raised", "alarm")
class AlarmRaised(AlarmEvent):
    """A new alarm was stored and queued for the call centre."""


@event_type("alarm.repeated", "alarm")
class AlarmRepeated(AlarmEvent):
    """The cause of an open alarm happened again; the alarm was updated, not duplicated."""


@event_type("alarm.stepped", "alarm")
class AlarmStepped(AlarmEvent):
    """A person or the platform did something to an alarm (acknowledged, called, closed …)."""


def _live(event: AlarmEvent) -> dict[str, Any]:
    """What the open consoles receive of an alarm event (events/live.py): its snapshot."""
    return {"alarm": event.alarm.model_dump(mode="json"), "action": event.action}


# Shared here, so that every process that raises or steps an alarm (web, worker, ingest)
# notifies the consoles, not only the web process that serves them.
live.share(AlarmEvent, _live)
