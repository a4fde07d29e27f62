"""Builders for the alarm-rule tests: devices in homes or worn by elders, parsed messages."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.devices.kinds import KINDS, DeviceKind, DeviceStatus
from yiyang.devices.models import Device, Home, HomeResident
from yiyang.protocols.message import DeviceMessage, MessageKind
from yiyang.protocols.vocabulary import IdentityScheme, Metric, Signal
from yiyang.registry.elders.models import Elder

_seq = itertools.count(1)


def make_home(session: Session, *elders: Elder) -> Home:
    """A home where these elders live (in the first one's community)."""
    first = elders[0]
    home = Home(
        address=first.address, street_id=first.street_id, community_id=first.community_id,
        lat=first.lat, lon=first.lon,
    )  # fmt: skip
    home.residents = [HomeResident(elder_id=e.id) for e in elders]
    session.add(home)
    session.flush()
    return home


def make_device(
    session: Session,
    kind: DeviceKind,
    *,
    elder: Elder | None = None,
    home: Home | None = None,
    installed_at: datetime,
    last_seen_at: datetime | None = None,
    online: bool = True,
) -> Device:
    """An installed device worn by an elder or fitted in a home."""
    where = elder or home
    assert where is not None
    device = Device(
        kind=str(kind), vendor="Test", model=f"M{next(_seq)}", status=DeviceStatus.INSTALLED,
        elder_id=elder.id if elder else None, home_id=home.id if home else None,
        street_id=where.street_id, community_id=where.community_id,
        heartbeat_s=KINDS[kind].heartbeat_s, installed_at=installed_at,
        online=online, last_seen_at=last_seen_at or installed_at,
    )  # fmt: skip
    session.add(device)
    session.flush()
    return device


def message(
    sent_at: datetime,
    *,
    signal: Signal | None = None,
    readings: dict[Metric, float] | None = None,
    battery_pct: int | None = None,
    kind: MessageKind | None = None,
) -> DeviceMessage:
    """A parsed message (kind from what it carries unless given)."""
    if kind is None:
        kind = (
            MessageKind.SIGNAL
            if signal
            else MessageKind.READING
            if readings
            else MessageKind.HEARTBEAT
        )
    return DeviceMessage(
        message_id=f"m{next(_seq)}", scheme=IdentityScheme.SERIAL, identity="x", kind=kind,
        sent_at=sent_at, signal=signal, readings=readings or {}, battery_pct=battery_pct,
    )  # fmt: skip
