"""Where the gateway hands over a stored device message: raise the alarms it calls for.

Called by the ingest pipeline inside the transaction that stored the message, after the
device was authenticated and the message deduplicated; it only writes rows. Immediate
signals raise at once; everything else goes through the rules with their stored state
(`evaluation`): thresholds, bed exit, activity for the passive sweeps, battery, reset,
back online, the service button.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.alarms import evaluation, thresholds
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.alarms.rule_states import close_book, open_book
from yiyang.config import Settings, get_settings
from yiyang.devices.models import Device
from yiyang.protocols.message import DeviceMessage, MessageKind
from yiyang.protocols.vocabulary import Signal

# Signals that are an alarm the moment they arrive.
IMMEDIATE: dict[Signal, AlarmType] = {
    Signal.SOS: AlarmType.SOS,
    Signal.FALL: AlarmType.FALL,
    Signal.SMOKE: AlarmType.SMOKE,
    Signal.GAS: AlarmType.GAS,
    Signal.WATER_LEAK: AlarmType.WATER_LEAK,
    Signal.BED_WET: AlarmType.BED_WET,
    Signal.TAMPER: AlarmType.TAMPER,
}


def origin_of(device: Device, resident_ids: list[int]) -> Origin:
    """Who a device's alarm is about: its wearer, the home's one resident, or the home."""
    if device.elder_id is not None:
        originator, elder_id = f"elder:{device.elder_id}", device.elder_id
    elif device.home_id is not None and len(resident_ids) == 1:
        originator, elder_id = f"elder:{resident_ids[0]}", resident_ids[0]
    elif device.home_id is not None:
        originator, elder_id = f"home:{device.home_id}", None
    else:
        originator, elder_id = f"device:{device.id}", None
    return Origin(
        originator=originator,
        elder_id=elder_id,
        home_id=device.home_id,
        device_id=device.id,
        street_id=device.street_id,
        community_id=device.community_id,
    )


@dataclass(frozen=True)
class Arrival:
    """A stored message to judge, from its device, with the residents of the device's home."""

    device: Device
    message: DeviceMessage
    resident_ids: list[int]


def take(
    session: Session,
    device: Device,
    message: DeviceMessage,
    *,
    resident_ids: list[int],
    now: datetime,
    settings: Settings | None = None,
) -> list[Alarm]:
    """The alarms a stored message raised or repeated (none for most messages).

    `settings` (offline grace, battery level, service button) default to the process's.
    """
    arrival = Arrival(device, message, resident_ids)
    (alarms,) = take_all(session, [arrival], now=now, settings=settings)
    return alarms


def take_all(
    session: Session, arrivals: list[Arrival], *, now: datetime, settings: Settings | None = None
) -> list[list[Alarm]]:
    """`take` for many messages, in order, with one read of their elders' thresholds, one
    lock of the rule states they read, and one write of those that changed."""
    settings = settings or get_settings()
    origins = [origin_of(a.device, a.resident_ids) for a in arrivals]
    book = open_book(session, now)
    try:
        elders = {o.elder_id for a, o in zip(arrivals, origins, strict=True) if a.message.readings}
        book.overrides = thresholds.overrides_of(session, {e for e in elders if e is not None})
        book.lock([k for a in arrivals for k in evaluation.needed_states(a.device, a.message)])
        raised = [
            _take(session, a, origin, now, settings)
            for a, origin in zip(arrivals, origins, strict=True)
        ]
        book.save()
    finally:
        close_book(session)
    return raised


def _take(
    session: Session, arrival: Arrival, origin: Origin, now: datetime, settings: Settings
) -> list[Alarm]:
    device, message = arrival.device, arrival.message
    outcome = evaluation.evaluate(
        session, device, message, origin=origin, now=now, settings=settings
    )
    if message.kind is not MessageKind.SIGNAL or message.signal not in IMMEDIATE:
        return outcome.raised
    alarm, _ = raise_or_repeat(
        session,
        IMMEDIATE[message.signal],
        origin,
        now=now,
        detail={
            "signal": str(message.signal),
            "device_kind": device.kind,
            "sent_at": message.sent_at.isoformat(),
            "message_id": message.message_id,
        },
    )
    return [*outcome.raised, alarm]
