"""Take one parsed device message: authenticate the device, deduplicate, store, update state.

The gateway's service (ingest/pipeline.py calls it inside the message's transaction, then
hands the stored message to the alarms); it never commits. A message it cannot take raises
`Rejected` with the dead-letter reason, before it wrote anything.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.devices import message_repository as repo
from yiyang.devices.ingest_events import DeviceBatteryLow, DeviceCameOnline, DeviceStateEvent
from yiyang.devices.kinds import DeviceStatus
from yiyang.devices.message_models import DeviceReading
from yiyang.devices.models import Device
from yiyang.devices.rules import secret_hash
from yiyang.events import bus
from yiyang.events.types import Actor
from yiyang.protocols.message import DeviceMessage, MessageKind
from yiyang.protocols.reasons import Reason, out_of_time

GATEWAY = Actor(kind="system", name="ingest")


class Channel(StrEnum):
    """How a message reached the platform."""

    MQTT = "mqtt"
    HTTP = "http"
    WEBHOOK = "webhook"


class Status(StrEnum):
    """What became of a message that was taken."""

    STORED = "stored"
    DUPLICATE = "duplicate"  # its id was taken before: acknowledged, stored once
    SEEN = "seen"  # a heartbeat: the device's state only, no row


class Rejected(Exception):
    """A message the gateway refuses: dead-lettered with `reason`, nothing else written."""

    def __init__(self, reason: Reason, detail: str, device_id: int | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.device_id = device_id


@dataclass(frozen=True)
class Limits:
    """What the gateway accepts, from the settings."""

    skew: timedelta
    max_age: timedelta
    battery_low_pct: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        """The limits the settings give."""
        return cls(
            skew=timedelta(seconds=settings.ingest_clock_skew_seconds),
            max_age=timedelta(hours=settings.ingest_max_age_hours),
            battery_low_pct=settings.device_battery_low_pct,
        )


@dataclass(frozen=True)
class Taken:
    """A message taken: its status and the device it came from."""

    status: Status
    device: Device


def token_matches(device: Device, token: str | None) -> bool:
    """Constant-time check of a presented token against the device's stored hash."""
    if not token or not device.secret_hash:
        return False
    return hmac.compare_digest(secret_hash(token), device.secret_hash)


def find_device(session: Session, scheme: str, identity: str) -> Device:
    """The device a message names; unknown and retired devices are refused."""
    return device_of(repo.device_by_identity(session, scheme, identity), scheme, identity)


def check_token(device: Device, token: str | None) -> None:
    """Refuse a message whose device token is missing or wrong."""
    if not token_matches(device, token):
        what = "missing" if not token else "wrong"
        raise Rejected(Reason.BAD_TOKEN, f"the device token is {what}", device.id)


def _state_event(
    cls: type[DeviceStateEvent], device: Device, now: datetime, **extra: int
) -> DeviceStateEvent:
    return cls(
        occurred_at=now,
        actor=GATEWAY,
        device_id=device.id,
        kind=device.kind,
        elder_id=device.elder_id,
        home_id=device.home_id,
        street_id=device.street_id,
        community_id=device.community_id,
        **extra,
    )


def update_state(
    session: Session, device: Device, message: DeviceMessage, *, now: datetime, limits: Limits
) -> None:
    """Last seen on every message; battery, signal, firmware, place when told; events on change."""
    if not device.online and repo.set_online(session, device.id):
        bus.publish(session, _state_event(DeviceCameOnline, device, now))
    battery = message.battery_pct
    if (
        battery is not None
        and battery < limits.battery_low_pct
        and repo.set_battery_low(session, device.id, battery, limits.battery_low_pct)
    ):
        bus.publish(session, _state_event(DeviceBatteryLow, device, now, battery_pct=battery))
    repo.touch(session, device.id, _state_values(device, message, now))


def accept(
    session: Session,
    device: Device,
    message: DeviceMessage,
    *,
    channel: Channel,
    now: datetime,
    limits: Limits,
) -> Taken:
    """Check the message's time, deduplicate it, store it and its readings, update the device.

    A duplicate (its id already taken, even by another process at this moment) changes
    nothing and is acknowledged as such.
    """
    check_time(message, now, limits, device.id)
    if message.kind is MessageKind.HEARTBEAT:
        update_state(session, device, message, now=now, limits=limits)
        return Taken(Status.SEEN, device)
    stored = repo.insert_message(
        session,
        {
            "device_id": device.id,
            "message_id": message.message_id,
            "kind": str(message.kind),
            "signal": None if message.signal is None else str(message.signal),
            "sent_at": message.sent_at,
            "received_at": now,
            "channel": str(channel),
        },
    )
    if stored is None:  # taken before, or by another process at this very moment
        return Taken(Status.DUPLICATE, device)
    session.add_all(
        DeviceReading(
            device_id=device.id,
            elder_id=device.elder_id,
            metric=str(metric),
            value=value,
            measured_at=message.sent_at,
        )
        for metric, value in message.readings.items()
    )
    update_state(session, device, message, now=now, limits=limits)
    return Taken(Status.STORED, device)


def check_time(message: DeviceMessage, now: datetime, limits: Limits, device_id: int) -> None:
    """Refuse a message sent too far in the future or too long ago."""
    late = out_of_time(message.sent_at, now, skew=limits.skew, max_age=limits.max_age)
    if late is not None:
        raise Rejected(late[0], late[1], device_id)


def device_of(found: Device | None, scheme: str, identity: str) -> Device:
    """`find_device` on a device looked up with others (None when no device has it)."""
    if found is None:
        raise Rejected(Reason.UNKNOWN_DEVICE, f"no device has the identity {scheme}:{identity}")
    if found.status == DeviceStatus.RETIRED or found.retired_at is not None:
        raise Rejected(Reason.RETIRED_DEVICE, "the device was retired", found.id)
    return found


def _state_values(device: Device, message: DeviceMessage, now: datetime) -> dict[str, object]:
    values: dict[str, object] = {"last_seen_at": now}
    if message.battery_pct is not None:
        values["battery_pct"] = message.battery_pct
    if message.signal_dbm is not None:
        values["signal_dbm"] = message.signal_dbm
    if message.firmware is not None and message.firmware != device.firmware:
        values["firmware"] = message.firmware
    if message.lat is not None and message.lon is not None:
        values["last_lat"], values["last_lon"] = message.lat, message.lon
    return values


@dataclass
class SeenState:
    """What a batch's messages tell of their devices' state, written after their alarms."""

    devices: dict[int, Device] = field(default_factory=dict)
    values: dict[int, dict[str, object]] = field(default_factory=dict)
    low: dict[int, int] = field(default_factory=dict)  # battery under the low mark


def accept_many(
    session: Session,
    taken: list[tuple[Device, DeviceMessage]],
    *,
    channel: Channel,
    now: datetime,
    limits: Limits,
) -> tuple[list[Status], SeenState]:
    """`accept` for a batch of checked messages (their time too), set-based: one insert of the
    new messages (a duplicate, also within the batch, is stored once), one of their readings.
    The status of each, in order, and the devices' state to write (`write_state`)."""
    rows, seen_here = [], set()
    for device, message in taken:
        key = (device.id, message.message_id)
        if message.kind is MessageKind.HEARTBEAT or key in seen_here:
            continue
        seen_here.add(key)
        rows.append({
            "device_id": device.id, "message_id": message.message_id, "kind": str(message.kind),
            "signal": None if message.signal is None else str(message.signal),
            "sent_at": message.sent_at, "received_at": now, "channel": str(channel),
        })  # fmt: skip
    # In a stable order: two processes taking the same alarm messages lock them alike.
    rows.sort(key=lambda r: (r["device_id"], r["message_id"]))
    new = repo.insert_messages(session, rows)
    statuses: list[Status] = []
    readings: list[dict[str, object]] = []
    state = SeenState()
    for device, message in taken:
        if message.kind is MessageKind.HEARTBEAT:
            statuses.append(Status.SEEN)
        elif (device.id, message.message_id) in new:
            new.discard((device.id, message.message_id))  # a second copy is a duplicate
            statuses.append(Status.STORED)
            readings.extend(
                {"device_id": device.id, "elder_id": device.elder_id, "metric": str(metric),
                 "value": value, "measured_at": message.sent_at}
                for metric, value in message.readings.items()
            )  # fmt: skip
        else:
            statuses.append(Status.DUPLICATE)
            continue
        state.devices[device.id] = device
        state.values.setdefault(device.id, {}).update(_state_values(device, message, now))
        battery = message.battery_pct
        if battery is not None and battery < limits.battery_low_pct:
            state.low.setdefault(device.id, battery)
    repo.insert_readings(session, readings)
    return statuses, state


def write_state(session: Session, state: SeenState, *, now: datetime, limits: Limits) -> None:
    """The devices' online flag, battery and last state, with events on change. Last in
    the batch's transaction, their rows locked in id order: two processes taking messages
    of the same devices hold them for the shortest time and never deadlock on them."""
    repo.lock_devices(session, sorted(state.devices))
    offline = {i for i, d in state.devices.items() if not d.online}
    for device_id in sorted(repo.set_online_many(session, offline)):
        bus.publish(session, _state_event(DeviceCameOnline, state.devices[device_id], now))
    for device_id, battery in sorted(state.low.items()):
        if repo.set_battery_low(session, device_id, battery, limits.battery_low_pct):
            device = state.devices[device_id]
            bus.publish(session, _state_event(DeviceBatteryLow, device, now, battery_pct=battery))
    repo.touch_many(session, state.values)
