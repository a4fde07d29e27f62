"""Tables of devices: homes and who lives there, devices, their identities and history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId
from yiyang.kit.clock import utcnow
from yiyang.registry.elders.models import Elder


class Home(Base):
    """A dwelling where devices are fitted; several elders may share it."""

    __tablename__ = "home"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    address: Mapped[str] = mapped_column(String(256))
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    residents: Mapped[list[HomeResident]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="HomeResident.id"
    )


class HomeResident(Base):
    """An elder living in a home (an elder lives in one home at a time)."""

    __tablename__ = "home_resident"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("home.id", ondelete="CASCADE"), index=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id", ondelete="CASCADE"), unique=True)

    elder: Mapped[Elder] = relationship(lazy="raise")


class Device(Base):
    """A device: bound to an elder (worn) or a home (fixed), with its last known state.

    `street_id`/`community_id` are copied from the elder or home it is bound to, so that data
    scope is one filter; a device in stock keeps the area of the street or community staff
    who registered it (or where it was last bound); district stock has none and is seen by
    district-wide roles only (devices/repository.py).
    """

    __tablename__ = "device"
    __table_args__ = (
        CheckConstraint("battery_pct IS NULL OR battery_pct BETWEEN 0 AND 100", name="battery"),
        Index("ix_device_scope", "street_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)  # kinds.DeviceKind
    vendor: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(64))
    protocol: Mapped[str] = mapped_column(String(24), default="house")  # protocols/<name>
    status: Mapped[str] = mapped_column(String(16), default="in_stock", index=True)
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elder.id"), index=True)
    home_id: Mapped[int | None] = mapped_column(ForeignKey("home.id"), index=True)
    street_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    location_note: Mapped[str | None] = mapped_column(String(128))  # "by the bed", "bathroom"
    # sha256 of the device's own secret (a random token); the secret itself is shown once.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    heartbeat_s: Mapped[int] = mapped_column(Integer, default=300)
    installed_at: Mapped[datetime | None] = mapped_column()
    retired_at: Mapped[datetime | None] = mapped_column()
    online: Mapped[bool] = mapped_column(default=False)
    battery_pct: Mapped[int | None] = mapped_column(Integer)
    signal_dbm: Mapped[int | None] = mapped_column(Integer)
    firmware: Mapped[str | None] = mapped_column(String(32))
    last_seen_at: Mapped[datetime | None] = mapped_column(index=True)
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    identities: Mapped[list[DeviceIdentity]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="DeviceIdentity.scheme"
    )
    elder: Mapped[Elder | None] = relationship(lazy="raise")
    home: Mapped[Home | None] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class DeviceIdentity(Base):
    """One name of a device (IMEI, serial, MAC); a name belongs to one device, ever."""

    __tablename__ = "device_identity"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(8))  # kinds.IdentityScheme
    value: Mapped[str] = mapped_column(String(64))


class DeviceHistory(Base):
    """Something done to a device: who, when, where; appended, never edited."""

    __tablename__ = "device_history"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(24))  # kinds.HistoryAction
    at: Mapped[datetime] = mapped_column()
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_name: Mapped[str] = mapped_column(String(64))
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elder.id"))
    home_id: Mapped[int | None] = mapped_column(ForeignKey("home.id"))
    place: Mapped[str | None] = mapped_column(String(256))  # the address or room at the time
    other_device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    note: Mapped[str | None] = mapped_column(Text)
