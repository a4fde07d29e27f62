"""Facility tables: platform, street centres, day-care centres, meal points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow
from yiyang.registry.areas.models import Area
from yiyang.registry.providers.models import Provider


class Facility(Base):
    """A place services come from: platform, street centre, day-care centre, meal point."""

    __tablename__ = "facility"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
        CheckConstraint(
            "beds_long_stay >= 0 AND day_places >= 0 AND meals_per_day >= 0", name="capacity"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128), index=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    address: Mapped[str] = mapped_column(String(256))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(20))
    beds_long_stay: Mapped[int] = mapped_column(Integer, default=0)
    day_places: Mapped[int] = mapped_column(Integer, default=0)
    meals_per_day: Mapped[int] = mapped_column(Integer, default=0)
    opening_hours: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    street: Mapped[Area] = relationship(foreign_keys=[street_id], lazy="raise")
    community: Mapped[Area | None] = relationship(foreign_keys=[community_id], lazy="raise")
    provider: Mapped[Provider | None] = relationship(lazy="raise")
