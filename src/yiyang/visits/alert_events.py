"""The typed events of supervision alerts: raised (or re-raised), cleared by itself,
acknowledged and resolved by a person.

Layers above visits (the alarm centre) follow them to put visit alerts in the one alarm queue.
"""

from __future__ import annotations

from typing import Any

from yiyang.events.types import DomainEvent, event_type


class VisitAlertEvent(DomainEvent):
    """Something happened to a visit's supervision alert."""

    alert_id: int
    order_id: int
    elder_id: int | None = None
    kind: str  # rules.AlertKind
    staff_id: int | None = None
    detail: dict[str, Any] = {}

    def entity_id(self) -> int | None:
        """The alert's id."""
        return self.alert_id


@event_type("visit.alert_raised", "visit_alert")
class VisitAlertRaised(VisitAlertEvent):
    """A late, no-show, geofence (or early, short) alert was raised or raised again."""


@event_type("visit.alert_cleared", "visit_alert")
class VisitAlertCleared(VisitAlertEvent):
    """The cause of an alert went away by itself (the caregiver arrived)."""


@event_type("visit.alert_acknowledged", "visit_alert")
class VisitAlertAcknowledged(VisitAlertEvent):
    """A person is on the alert (the actor is who), with a note."""

    note: str | None = None


@event_type("visit.alert_resolved", "visit_alert")
class VisitAlertResolved(VisitAlertEvent):
    """A person resolved the alert with a note saying what was done (the actor is who)."""

    note: str | None = None
