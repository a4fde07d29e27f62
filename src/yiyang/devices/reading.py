"""Reading devices and homes: the shapes the API and pages answer with, within scope."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiyang.devices import repository as repo
from yiyang.devices.models import Device, DeviceHistory, Home
from yiyang.devices.schemas import (
    CountsRead,
    DeviceFilter,
    DeviceListItem,
    DeviceRead,
    HistoryRead,
    HomeRead,
    Registered,
    ResidentRead,
)
from yiyang.kit.pagination import Page, PageParams
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


def to_list_item(device: Device) -> DeviceListItem:
    """The list shape of a device (identities loaded)."""
    return DeviceListItem.model_validate(device)


def to_read(device: Device, history: list[DeviceHistory]) -> DeviceRead:
    """The full shape of a device with its history."""
    item = to_list_item(device)
    return DeviceRead(
        **item.model_dump(),
        heartbeat_s=device.heartbeat_s,
        retired_at=device.retired_at,
        created_at=device.created_at,
        history=[HistoryRead.model_validate(h) for h in history],
    )


def read(session: Session, subject: Subject, device_id: int) -> DeviceRead:
    """One readable device with identities and history."""
    subject.require(Perm.DEVICE_READ)
    device = repo.get(session, subject, device_id)
    return to_read(device, repo.history(session, device.id))


def registered(session: Session, device: Device, secret: str) -> Registered:
    """What registering answers: the device and its secret, this once."""
    session.refresh(device, ["identities"])
    return Registered(device=to_read(device, repo.history(session, device.id)), secret=secret)


def list_devices(
    session: Session, subject: Subject, flt: DeviceFilter, page: PageParams
) -> Page[DeviceListItem]:
    """Devices in scope, filtered and paged."""
    subject.require(Perm.DEVICE_READ)
    rows, total = repo.search(session, subject, flt, page)
    return Page(items=[to_list_item(d) for d in rows], total=total, page=page.page, size=page.size)


def counts(session: Session, subject: Subject) -> CountsRead:
    """How many devices in scope are in each state."""
    subject.require(Perm.DEVICE_READ)
    return CountsRead(**repo.counts(session, subject))


def home_read(session: Session, home: Home) -> HomeRead:
    """A home with its residents and live devices."""
    devices = repo.home_device_ids(session, [home.id])[home.id]
    return HomeRead(
        id=home.id,
        address=home.address,
        street_id=home.street_id,
        community_id=home.community_id,
        lat=home.lat,
        lon=home.lon,
        residents=[ResidentRead(elder_id=r.elder_id, name=r.elder.name) for r in home.residents],
        device_ids=devices,
    )


def list_homes(session: Session, subject: Subject, page: PageParams) -> Page[HomeRead]:
    """Homes in scope with residents and device numbers."""
    subject.require(Perm.DEVICE_READ)
    rows, total = repo.search_homes(session, subject, page)
    ids = repo.home_device_ids(session, [h.id for h in rows])
    items = [
        HomeRead(
            id=h.id,
            address=h.address,
            street_id=h.street_id,
            community_id=h.community_id,
            lat=h.lat,
            lon=h.lon,
            device_ids=ids[h.id],
            residents=[ResidentRead(elder_id=r.elder_id, name=r.elder.name) for r in h.residents],
        )
        for h in rows
    ]
    return Page(items=items, total=total, page=page.page, size=page.size)
