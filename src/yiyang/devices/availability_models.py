"""Hourly counts of each street's installed devices, how many were online and how many low on
battery: the record a period's device availability is reported from (the devices themselves
only know how they stand now)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base


class DeviceAvailability(Base):
    """One street's devices at one hour."""

    __tablename__ = "device_availability"

    sampled_at: Mapped[datetime] = mapped_column(primary_key=True)  # the hour, UTC
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    installed: Mapped[int] = mapped_column(Integer)
    online: Mapped[int] = mapped_column(Integer)
    low_battery: Mapped[int] = mapped_column(Integer)
