"""The typed event of a complaint's handling (the family hears of it through the outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.events import bus
from yiyang.events.types import Actor, DomainEvent, event_type
from yiyang.security.subject import Subject


@event_type("complaint.stepped", "complaint")
class ComplaintStepped(DomainEvent):
    """A complaint was assigned, answered or closed (`action`, and the outcome when closed)."""

    complaint_id: int
    order_id: int
    elder_id: int
    action: str
    status: str
    outcome: str | None = None

    def entity_id(self) -> int | None:
        """The complaint's id."""
        return self.complaint_id


def publish(
    session: Session,
    subject: Subject,
    *,
    complaint_id: int,
    order_id: int,
    elder_id: int,
    action: str,
    status: str,
    outcome: str | None,
    at: datetime,
) -> ComplaintStepped:
    """Store the event in the caller's transaction and run its subscribers."""
    event = ComplaintStepped(
        occurred_at=at,
        actor=Actor.of(subject),
        complaint_id=complaint_id,
        order_id=order_id,
        elder_id=elder_id,
        action=action,
        status=status,
        outcome=outcome,
    )
    bus.publish(session, event)
    return event
