"""What the gateway tells about a device's state: only real changes, never every message."""

from __future__ import annotations

from yiyang.events.types import DomainEvent, event_type


class DeviceStateEvent(DomainEvent):
    """A device's state changed (base)."""

    device_id: int
    kind: str
    elder_id: int | None
    home_id: int | None
    street_id: int | None
    community_id: int | None

    def entity_id(self) -> int | None:
        """The device's id."""
        return self.device_id


@event_type("device.came_online", "device")
class DeviceCameOnline(DeviceStateEvent):
    """A device that was offline (or never seen) sent a message."""


@event_type("device.battery_low", "device")
class DeviceBatteryLow(DeviceStateEvent):
    """A device's battery fell under the low mark (told once until it is charged again)."""

    battery_pct: int
