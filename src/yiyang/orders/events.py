"""The typed events of an order's life, one per timeline event, published by `service.record`.

Each carries a snapshot of the order's ids, status and times (no names, phones or other
personal data), so subscribers and outside apps can act without reading the order first.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yiyang.events import bus, live
from yiyang.events.types import Actor, DomainEvent, event_type
from yiyang.orders.models import OrderEvent as TimelineRow
from yiyang.orders.models import ServiceOrder
from yiyang.security.subject import Subject


class OrderSnapshot(BaseModel):
    """The order as it stands right after the event."""

    id: int
    elder_id: int
    item_id: int
    status: str
    previous_status: str | None
    service_date: date
    window_start_at: datetime
    window_end_at: datetime
    planned_start_at: datetime | None
    provider_id: int | None
    staff_id: int | None
    channel: str


class OrderEvent(DomainEvent):
    """Something happened to an order (base of every order and visit event)."""

    # A timeout is caused by the offer that ran out, stored in an earlier transaction.
    FOLLOWS_STORED: ClassVar[bool] = False

    order: OrderSnapshot
    reason: str | None = None

    def entity_id(self) -> int | None:
        """The order's id."""
        return self.order.id


@event_type("order.created", "order")
class OrderCreated(OrderEvent):
    """An order was placed (by a person, an outside app or a standing order)."""


@event_type("order.priced", "order")
class OrderPriced(OrderEvent):
    """The order was priced and split between government purchase and the elder."""


@event_type("order.offered", "order")
class OrderOffered(OrderEvent):
    """Automatic dispatch offered the order to a provider."""


@event_type("order.unplaceable", "order")
class OrderUnplaceable(OrderEvent):
    """Nobody could take the order: it waits in the dispatcher queue (`reason` says why)."""


@event_type("order.provider_accepted", "order")
class ProviderAccepted(OrderEvent):
    """The provider accepted the offer."""


@event_type("order.provider_refused", "order")
class ProviderRefused(OrderEvent):
    """The provider refused the offer."""


@event_type("order.provider_timed_out", "order")
class ProviderTimedOut(OrderEvent):
    """The provider did not answer the offer in time."""

    FOLLOWS_STORED = True


@event_type("order.caregiver_assigned", "order")
class CaregiverAssigned(OrderEvent):
    """A caregiver was assigned (by the provider, a dispatcher or the day plan)."""


@event_type("order.caregiver_accepted", "order")
class CaregiverAccepted(OrderEvent):
    """The assigned caregiver accepted the visit."""


@event_type("order.caregiver_refused", "order")
class CaregiverRefused(OrderEvent):
    """The assigned caregiver refused the visit."""


@event_type("order.caregiver_timed_out", "order")
class CaregiverTimedOut(OrderEvent):
    """The assigned caregiver did not answer in time."""

    FOLLOWS_STORED = True


@event_type("order.caregiver_unavailable", "order")
class CaregiverUnavailable(OrderEvent):
    """The caregiver can no longer come (ill, delayed): the order is dispatched again."""


@event_type("visit.on_the_way", "order")
class VisitOnTheWay(OrderEvent):
    """The caregiver set off to the elder's home."""


@event_type("visit.checked_in", "order")
class VisitCheckedIn(OrderEvent):
    """The caregiver checked in at the elder's home."""


@event_type("visit.checked_out", "order")
class VisitCheckedOut(OrderEvent):
    """The caregiver checked out: the service was given."""


@event_type("visit.no_show", "order")
class VisitNoShow(OrderEvent):
    """The caregiver never came."""


@event_type("order.completed", "order")
class OrderCompleted(OrderEvent):
    """The order was completed."""


@event_type("order.confirmed", "order")
class OrderConfirmed(OrderEvent):
    """The elder or family confirmed the service."""


@event_type("order.settled", "order")
class OrderSettled(OrderEvent):
    """The order was settled with the provider."""


@event_type("order.cancelled", "order")
class OrderCancelled(OrderEvent):
    """The order was cancelled (`reason` says why)."""


# Timeline event (orders.rules.Event, plus "create") → typed event.
BY_TIMELINE: dict[str, type[OrderEvent]] = {
    "create": OrderCreated,
    "price": OrderPriced,
    "offer": OrderOffered,
    "queue": OrderUnplaceable,
    "org_accept": ProviderAccepted,
    "org_refuse": ProviderRefused,
    "org_timeout": ProviderTimedOut,
    "assign": CaregiverAssigned,
    "reassign": CaregiverAssigned,
    "caregiver_accept": CaregiverAccepted,
    "caregiver_refuse": CaregiverRefused,
    "caregiver_timeout": CaregiverTimedOut,
    "caregiver_unavailable": CaregiverUnavailable,
    "depart": VisitOnTheWay,
    "check_in": VisitCheckedIn,
    "check_out": VisitCheckedOut,
    "no_show": VisitNoShow,
    "complete": OrderCompleted,
    "confirm": OrderConfirmed,
    "settle": OrderSettled,
    "cancel": OrderCancelled,
}


def publish_timeline(
    session: Session, order: ServiceOrder, row: TimelineRow, actor: Subject | None
) -> OrderEvent:
    """Publish the typed event of a timeline row; its cause is the order's previous event in
    this transaction (an offer timeout causes the next offer, a check-out the completion)."""
    cls = BY_TIMELINE[row.event]
    cause = bus.last_event_of(session, "order", order.id)
    if cause is None and cls.FOLLOWS_STORED:
        cause = bus.latest_stored(session, "order", order.id)
    event = cls(
        occurred_at=row.at,
        actor=Actor.of(actor),
        cause_id=cause,
        reason=row.reason,
        order=OrderSnapshot(
            id=order.id,
            elder_id=order.elder_id,
            item_id=order.item_id,
            status=order.status,
            previous_status=row.from_status,
            service_date=order.service_date,
            window_start_at=order.window_start_at,
            window_end_at=order.window_end_at,
            planned_start_at=order.planned_start_at,
            provider_id=order.provider_id,
            staff_id=order.staff_id,
            channel=order.channel,
        ),
    )
    bus.publish(session, event)
    return event


def _live(event: OrderEvent) -> dict[str, Any]:
    """What open screens receive of an order event (events/live.py): its id and status only."""
    return {"order": {"id": event.order.id, "status": event.order.status}}


# Shared here, so that every process that moves an order (web, worker) tells the big screen.
live.share(OrderEvent, _live)
