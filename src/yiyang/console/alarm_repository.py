"""The console's reads around an alarm: the home's devices and the elder's last visits.

The alarm itself is read through the alarms' own repository (its data scope); these reads
follow from an elder the reader already may see on that alarm.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from yiyang.devices.kinds import DeviceStatus
from yiyang.devices.message_models import DeviceReading
from yiyang.devices.models import Device, HomeResident
from yiyang.events.models import DomainEventRow
from yiyang.orders.models import ServiceOrder

LAST_VISITS = 5


def home_devices(session: Session, elder_id: int) -> list[Device]:
    """The devices worn by the elder or fitted in the elder's home, not retired; by kind."""
    homes = select(HomeResident.home_id).where(HomeResident.elder_id == elder_id)
    return list(
        session.scalars(
            select(Device)
            .where(
                or_(Device.elder_id == elder_id, Device.home_id.in_(homes)),
                Device.status != str(DeviceStatus.RETIRED),
            )
            .order_by(Device.kind, Device.id)
        )
    )


def last_visits(session: Session, elder_id: int, limit: int = LAST_VISITS) -> list[ServiceOrder]:
    """The elder's latest orders (service item and caregiver loaded), latest first."""
    return list(
        session.scalars(
            select(ServiceOrder)
            .where(ServiceOrder.elder_id == elder_id)
            .options(joinedload(ServiceOrder.item), joinedload(ServiceOrder.staff))
            .order_by(ServiceOrder.window_start_at.desc(), ServiceOrder.id.desc())
            .limit(limit)
        )
    )


def stored_event(session: Session, event_id: UUID, type_: str) -> DomainEventRow | None:
    """A stored event of a type by its id (a call record of the telephone system)."""
    return session.scalar(
        select(DomainEventRow).where(DomainEventRow.id == event_id, DomainEventRow.type == type_)
    )


READINGS_LIMIT = 2000


def recent_readings(
    session: Session, elder_id: int, device_ids: list[int], since: datetime
) -> list[tuple[str, datetime, float]]:
    """(metric, measured_at, value) of the elder's (or the home devices') readings since a
    time, oldest first."""
    who = DeviceReading.elder_id == elder_id
    if device_ids:
        who = or_(who, DeviceReading.device_id.in_(device_ids))
    rows = session.execute(
        select(DeviceReading.metric, DeviceReading.measured_at, DeviceReading.value)
        .where(who, DeviceReading.measured_at >= since)
        .order_by(DeviceReading.measured_at)
        .limit(READINGS_LIMIT)
    )
    return [(m, at, v) for m, at, v in rows]
