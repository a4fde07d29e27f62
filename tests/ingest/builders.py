"""Devices as the gateway tests need them: installed, with an identity and a known token."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from yiyang.devices.models import Device, DeviceIdentity
from yiyang.devices.rules import secret_hash
from yiyang.protocols.message import DeviceMessage, MessageKind
from yiyang.protocols.vocabulary import IdentityScheme
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder

_seq = itertools.count(1)
TOKEN = "device-token-0001"


def make_device(
    session: Session,
    community: Area,
    *,
    elder: Elder | None = None,
    kind: str = "pull_cord",
    protocol: str = "house",
    scheme: str = "imei",
    identity: str | None = None,
    token: str | None = TOKEN,
    status: str = "installed",
) -> Device:
    """An installed device bound to an elder (or to no one), with one identity."""
    n = next(_seq)
    device = Device(
        kind=kind, vendor="颐康", model="PC-1", protocol=protocol, status=status,
        elder_id=None if elder is None else elder.id, street_id=community.parent_id,
        community_id=community.id, secret_hash=None if token is None else secret_hash(token),
        installed_at=datetime(2026, 11, 1, tzinfo=UTC),
        retired_at=datetime(2026, 11, 20, tzinfo=UTC) if status == "retired" else None,
    )  # fmt: skip
    device.identities = [DeviceIdentity(scheme=scheme, value=identity or f"86000000{n:07d}")]
    session.add(device)
    session.flush()
    return device


def message_of(
    device: Device,
    at: datetime,
    *,
    message_id: str = "m-1",
    kind: MessageKind = MessageKind.HEARTBEAT,
    **fields: object,
) -> DeviceMessage:
    """A message from the device's first identity."""
    ident = device.identities[0]
    return DeviceMessage(
        message_id=message_id, scheme=IdentityScheme(ident.scheme), identity=ident.value,
        kind=kind, sent_at=at, token=TOKEN, **fields,  # type: ignore[arg-type]
    )  # fmt: skip
