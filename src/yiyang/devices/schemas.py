"""Pydantic shapes of devices and homes in and out: register, bind, replace, filter, read."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from yiyang.devices.kinds import DeviceKind, DeviceStatus
from yiyang.kit.types import LongText, PlainText, RowId, SearchText
from yiyang.protocols.vocabulary import IdentityScheme


class IdentityIn(BaseModel):
    """One name of the device: IMEI (15 digits, Luhn), serial or MAC (any separators)."""

    scheme: IdentityScheme
    value: PlainText = Field(min_length=1, max_length=64)


class DeviceCreate(BaseModel):
    """A device delivered: what it is, who made it, how it talks, and its names."""

    kind: DeviceKind
    vendor: PlainText = Field(min_length=1, max_length=64)
    model: PlainText = Field(min_length=1, max_length=64)
    protocol: PlainText = Field(default="house", min_length=1, max_length=24)
    identities: list[IdentityIn] = Field(min_length=1, max_length=6)
    firmware: PlainText | None = Field(default=None, max_length=32)


class BindIn(BaseModel):
    """Bind to an elder: a worn device to the elder, a fixed one to the elder's home.

    `home_id` binds a fixed device to that home directly; `location_note` says where it is
    fitted ("by the bed"); `install` also records it as installed now.
    """

    elder_id: RowId | None = None
    home_id: RowId | None = None
    location_note: PlainText | None = Field(default=None, max_length=128)
    install: bool = True


class InstallIn(BaseModel):
    """The device is fitted (now), with where in the home."""

    location_note: PlainText | None = Field(default=None, max_length=128)


class ReplaceIn(BaseModel):
    """The device that takes this one's place (in stock, same kind), and why."""

    new_device_id: RowId
    reason: LongText | None = Field(default=None, max_length=500)


class ReasonIn(BaseModel):
    """Why (retire: required; unbind: optional)."""

    reason: LongText | None = Field(default=None, max_length=500)


class ResidentIn(BaseModel):
    """An elder who also lives in this home."""

    elder_id: RowId


class Connection(StrEnum):
    """The online filter."""

    ONLINE = "online"
    OFFLINE = "offline"


class DeviceFilter(BaseModel):
    """List filters; they narrow the caller's scope and never widen it.

    `q` matches any identity (IMEI, serial, MAC) or the device number.
    """

    model_config = ConfigDict(populate_by_name=True)

    q: SearchText | None = Field(default=None, max_length=64)
    kind: DeviceKind | None = None
    status: DeviceStatus | None = None
    street_code: PlainText | None = Field(default=None, max_length=32)
    community_code: PlainText | None = Field(default=None, max_length=32)
    connection: Connection | None = None
    low_battery: bool = False
    elder_id: RowId | None = None
    home_id: RowId | None = None


class IdentityRead(BaseModel):
    """One stored identity."""

    model_config = ConfigDict(from_attributes=True)

    scheme: str
    value: str


class HistoryRead(BaseModel):
    """One line of a device's history: what, when, by whom, where."""

    model_config = ConfigDict(from_attributes=True)

    action: str
    at: datetime
    by_name: str
    elder_id: int | None
    home_id: int | None
    place: str | None
    other_device_id: int | None
    note: str | None


class DeviceListItem(BaseModel):
    """A device in a list: what it is, where, and its last known state."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    vendor: str
    model: str
    protocol: str
    status: str
    elder_id: int | None
    home_id: int | None
    street_id: int | None
    community_id: int | None
    location_note: str | None
    online: bool
    battery_pct: int | None
    signal_dbm: int | None
    firmware: str | None
    last_seen_at: datetime | None
    installed_at: datetime | None
    identities: list[IdentityRead]


class DeviceRead(DeviceListItem):
    """A device with its history."""

    heartbeat_s: int
    retired_at: datetime | None
    created_at: datetime
    history: list[HistoryRead]


class Registered(BaseModel):
    """A new device and its secret, shown this once (only its hash is kept)."""

    device: DeviceRead
    secret: str


class ResidentRead(BaseModel):
    """Someone living in a home."""

    elder_id: int
    name: str


class HomeRead(BaseModel):
    """A home, who lives there and its devices."""

    id: int
    address: str
    street_id: int
    community_id: int
    lat: float
    lon: float
    residents: list[ResidentRead]
    device_ids: list[int]


class CountsRead(BaseModel):
    """How many devices in scope are in each state."""

    total: int
    in_stock: int
    installed: int
    retired: int
    online: int
    offline: int
    low_battery: int
