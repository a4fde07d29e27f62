"""Every query on device availability: the counts per street now, the hourly samples kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from yiyang.devices.availability_models import DeviceAvailability
from yiyang.devices.models import Device


def counts_by_street(session: Session, low_battery_pct: int) -> dict[int, tuple[int, int, int]]:
    """(installed, online, low battery) devices per street, as they stand now."""
    rows = session.execute(
        select(
            Device.street_id,
            func.count(),
            func.count().filter(Device.online.is_(True)),
            func.count().filter(Device.battery_pct < low_battery_pct),
        )
        .where(Device.status == "installed", Device.street_id.is_not(None))
        .group_by(Device.street_id)
    )
    return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}


def keep_sample(session: Session, hour: datetime, counts: dict[int, tuple[int, int, int]]) -> None:
    """Store the hour's counts; an hour already sampled (a timer run twice) stays as it was."""
    if not counts:
        return
    rows = [
        {"sampled_at": hour, "street_id": sid, "installed": a, "online": b, "low_battery": c}
        for sid, (a, b, c) in sorted(counts.items())
    ]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(DeviceAvailability).values(rows).on_conflict_do_nothing())


def over_period(
    session: Session, since: datetime, until: datetime
) -> dict[int, tuple[int, int, int]]:
    """Per street: (hours sampled, device-hours installed, device-hours online) from
    `since` up to `until`."""
    rows = session.execute(
        select(
            DeviceAvailability.street_id,
            func.count(),
            func.sum(DeviceAvailability.installed),
            func.sum(DeviceAvailability.online),
        )
        .where(DeviceAvailability.sampled_at >= since, DeviceAvailability.sampled_at < until)
        .group_by(DeviceAvailability.street_id)
    )
    return {r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows}
