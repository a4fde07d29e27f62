"""Where the gateway hands over a stored device message: raise the alarms it calls for.

Called by the ingest pipeline inside the transaction that stored the message, after the
device was authenticated and the message deduplicated; it only writes rows. Immediate
signals raise at once; everything else goes through the rules with their stored state
(`evaluation`): thresholds, bed exit, activity for the passive sweeps, battery, reset,
back online, the service button.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.alarms import evaluation
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import Origin, raise_or_repeat
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
    origin = origin_of(device, resident_ids)
    outcome = evaluation.evaluate(
        session, device, message, origin=origin, now=now, settings=settings or get_settings()
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
