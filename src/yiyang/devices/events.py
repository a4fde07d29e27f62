"""The typed events of a device's life, published by `devices.service` in its transaction.

Each carries a snapshot of the device's ids, kind, status and binding (no identities, names
or other personal data), so subscribers such as the alarm rules can follow bindings.
"""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy.orm import Session

from yiyang.devices.models import Device
from yiyang.events import bus
from yiyang.events.types import Actor, DomainEvent, event_type
from yiyang.security.subject import Subject


class DeviceSnapshot(BaseModel):
    """The device as it stands right after the event."""

    id: int
    kind: str
    status: str
    elder_id: int | None
    home_id: int | None
    street_id: int | None
    community_id: int | None


class DeviceEvent(DomainEvent):
    """Something happened to a device (base of every device event)."""

    device: DeviceSnapshot
    reason: str | None = None

    def entity_id(self) -> int | None:
        """The device's id."""
        return self.device.id


@event_type("device.registered", "device")
class DeviceRegistered(DeviceEvent):
    """A delivered device was registered (in stock)."""


@event_type("device.bound", "device")
class DeviceBound(DeviceEvent):
    """The device was bound to an elder or a home, or unbound (`elder_id`/`home_id` None)."""


@event_type("device.replaced", "device")
class DeviceReplaced(DeviceEvent):
    """The device was replaced; `replacement_id` took its binding."""

    replacement_id: int


@event_type("device.retired", "device")
class DeviceRetired(DeviceEvent):
    """The device was retired (`reason` says why)."""


def snapshot(device: Device) -> DeviceSnapshot:
    """The event snapshot of a device."""
    return DeviceSnapshot(
        id=device.id,
        kind=device.kind,
        status=device.status,
        elder_id=device.elder_id,
        home_id=device.home_id,
        street_id=device.street_id,
        community_id=device.community_id,
    )


def publish(session: Session, event: DeviceEvent) -> None:
    """Store and publish a device event (delivered to listeners after commit)."""
    bus.publish(session, event)


def actor(subject: Subject) -> Actor:
    """The event actor of a subject."""
    return Actor.of(subject)
