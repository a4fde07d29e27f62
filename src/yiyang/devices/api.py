"""JSON routes for devices and homes: list, read, register, bind, install, replace, retire."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from yiyang.devices import reading, service
from yiyang.devices import repository as repo
from yiyang.devices.schemas import (
    BindIn,
    CountsRead,
    DeviceCreate,
    DeviceFilter,
    DeviceListItem,
    DeviceRead,
    HomeRead,
    InstallIn,
    ReasonIn,
    Registered,
    ReplaceIn,
    ResidentIn,
)
from yiyang.kit.pagination import Page, PageParams
from yiyang.kit.types import RowId
from yiyang.security.roles import Perm
from yiyang.web.deps import ApiSubject, DbSession, get_locale

router = APIRouter(tags=["devices"], dependencies=[Depends(get_locale)])


def _read(db: DbSession, subject: ApiSubject, device_id: int) -> DeviceRead:
    return reading.read(db, subject, device_id)


@router.get("/devices", response_model=Page[DeviceListItem])
def list_devices(
    db: DbSession,
    subject: ApiSubject,
    flt: Annotated[DeviceFilter, Depends()],
    page: Annotated[PageParams, Depends()],
) -> Page[DeviceListItem]:
    """Devices in scope, by kind, status, area, online/offline, low battery or identity."""
    return reading.list_devices(db, subject, flt, page)


@router.get("/devices/counts", response_model=CountsRead)
def device_counts(db: DbSession, subject: ApiSubject) -> CountsRead:
    """How many devices in scope are in stock, installed, retired, online, offline, low."""
    return reading.counts(db, subject)


@router.get("/devices/{device_id}", response_model=DeviceRead)
def get_device(db: DbSession, subject: ApiSubject, device_id: RowId) -> DeviceRead:
    """One device with its identities and history."""
    return _read(db, subject, device_id)


@router.post("/devices", response_model=Registered, status_code=201)
def register_device(
    request: Request, db: DbSession, subject: ApiSubject, body: DeviceCreate
) -> Registered:
    """Register a delivered device; the answer carries its secret, shown this once."""
    device, secret = service.register(db, subject, body, now=request.app.state.clock())
    return reading.registered(db, device, secret)


@router.post("/devices/{device_id}/bind", response_model=DeviceRead)
def bind_device(
    request: Request, db: DbSession, subject: ApiSubject, device_id: RowId, body: BindIn
) -> DeviceRead:
    """Bind to an elder (worn kinds) or to the elder's or a given home (fixed kinds)."""
    service.bind(db, subject, device_id, body, now=request.app.state.clock())
    return _read(db, subject, device_id)


@router.post("/devices/{device_id}/install", response_model=DeviceRead)
def install_device(
    request: Request, db: DbSession, subject: ApiSubject, device_id: RowId, body: InstallIn
) -> DeviceRead:
    """Record a bound device as fitted now, with where in the home."""
    service.install(db, subject, device_id, body, now=request.app.state.clock())
    return _read(db, subject, device_id)


@router.post("/devices/{device_id}/unbind", response_model=DeviceRead)
def unbind_device(
    request: Request, db: DbSession, subject: ApiSubject, device_id: RowId, body: ReasonIn
) -> DeviceRead:
    """Take the device off its elder or home, back to stock."""
    service.unbind(db, subject, device_id, body, now=request.app.state.clock())
    return _read(db, subject, device_id)


@router.post("/devices/{device_id}/replace", response_model=DeviceRead)
def replace_device(
    request: Request, db: DbSession, subject: ApiSubject, device_id: RowId, body: ReplaceIn
) -> DeviceRead:
    """The new device takes this one's binding; this one is retired. Answers the new one."""
    new = service.replace(db, subject, device_id, body, now=request.app.state.clock())
    return _read(db, subject, new.id)


@router.post("/devices/{device_id}/retire", response_model=DeviceRead)
def retire_device(
    request: Request, db: DbSession, subject: ApiSubject, device_id: RowId, body: ReasonIn
) -> DeviceRead:
    """Retire the device for good; the reason is required."""
    service.retire(db, subject, device_id, body, now=request.app.state.clock())
    return _read(db, subject, device_id)


@router.post("/devices/{device_id}/rotate-credential", response_model=Registered)
def rotate_credential(
    request: Request, db: DbSession, subject: ApiSubject, device_id: RowId
) -> Registered:
    """A new secret for the device (the old one stops working), shown this once."""
    secret = service.rotate_credential(db, subject, device_id, now=request.app.state.clock())
    return Registered(device=_read(db, subject, device_id), secret=secret)


@router.get("/homes", response_model=Page[HomeRead])
def list_homes(
    db: DbSession, subject: ApiSubject, page: Annotated[PageParams, Depends()]
) -> Page[HomeRead]:
    """Homes in scope with their residents and devices."""
    return reading.list_homes(db, subject, page)


@router.get("/homes/{home_id}", response_model=HomeRead)
def get_home(db: DbSession, subject: ApiSubject, home_id: RowId) -> HomeRead:
    """One home with its residents and devices."""
    subject.require(Perm.DEVICE_READ)
    return reading.home_read(db, repo.get_home(db, subject, home_id))


@router.post("/homes/{home_id}/residents", response_model=HomeRead)
def add_resident(
    request: Request, db: DbSession, subject: ApiSubject, home_id: RowId, body: ResidentIn
) -> HomeRead:
    """Another elder lives in this home (several elders may share one)."""
    home = service.add_resident(db, subject, home_id, body.elder_id, now=request.app.state.clock())
    return reading.home_read(db, home)
