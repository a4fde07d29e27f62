"""Registry tables: areas, providers, facilities, staff, elders and the service catalog."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow


class Area(Base):
    """A node of the district → street → community tree, with its GB/T 2260-style code."""

    __tablename__ = "area"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)

    parent: Mapped[Area | None] = relationship(remote_side=[id], lazy="raise")


class Provider(Base):
    """A professional service organisation operating facilities (公建民营)."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    contact_name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class Staff(Base):
    """A person working for a provider: caregiver, nurse, bathing aide, manager…"""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    id_number: Mapped[str | None] = mapped_column(String(18), unique=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), index=True)
    roles: Mapped[list[str]] = mapped_column(Json, default=list)
    travel_mode: Mapped[str] = mapped_column(String(16), default="ebike")
    working_pattern: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    hired_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    provider: Mapped[Provider] = relationship(lazy="raise")
    facility: Mapped[Facility | None] = relationship(lazy="raise")
    skills: Mapped[list[StaffSkill]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="StaffSkill.skill"
    )
    certificates: Mapped[list[StaffCertificate]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="StaffCertificate.id"
    )


class StaffSkill(Base):
    """A skill a staff member holds, at a level from 1 (trainee) to 5 (expert)."""

    __tablename__ = "staff_skill"
    __table_args__ = (
        UniqueConstraint("staff_id", "skill"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    skill: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[int] = mapped_column(Integer, default=1)


class StaffCertificate(Base):
    """A qualification certificate (e.g. 养老护理员 level III) with its validity."""

    __tablename__ = "staff_certificate"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(64))
    issued_date: Mapped[date | None] = mapped_column(Date)
    expires_date: Mapped[date | None] = mapped_column(Date)


class Elder(Base):
    """An elder registered with the platform; identity and health data are sensitive."""

    __tablename__ = "elder"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
        CheckConstraint("geofence_m BETWEEN 50 AND 500", name="geofence"),
        CheckConstraint(
            "capability_level IS NULL OR capability_level BETWEEN 0 AND 4", name="capability"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date, index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    household_registration: Mapped[str | None] = mapped_column(String(256))
    address: Mapped[str] = mapped_column(String(256))
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("area.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    geofence_m: Mapped[int] = mapped_column(Integer, default=150)
    living_situation: Mapped[str] = mapped_column(String(32), index=True)
    economic_status: Mapped[str] = mapped_column(String(32), default="none", index=True)
    capability_level: Mapped[int | None] = mapped_column(Integer)
    consent_given: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    status_date: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    street: Mapped[Area] = relationship(foreign_keys=[street_id], lazy="raise")
    community: Mapped[Area] = relationship(foreign_keys=[community_id], lazy="raise")
    groups: Mapped[list[ElderGroup]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ElderGroup.code"
    )
    contacts: Mapped[list[ElderContact]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="ElderContact.priority"
    )

    __mapper_args__ = {"version_id_col": version}


class ElderGroup(Base):
    """Membership of an elder in one of the seven special-difficulty groups."""

    __tablename__ = "elder_group"
    __table_args__ = (UniqueConstraint("elder_id", "code"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), index=True)


class ElderContact(Base):
    """An emergency contact, in priority order, and whether they hold a key to the home."""

    __tablename__ = "elder_contact"
    __table_args__ = (UniqueConstraint("elder_id", "priority"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id", ondelete="CASCADE"), index=True)
    priority: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    relationship: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(20), index=True)
    has_key: Mapped[bool] = mapped_column(Boolean, default=False)


class ServiceCategory(Base):
    """A GB/T 43153-2023 service category (生活照料, 基础照护, …)."""

    __tablename__ = "service_category"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    sort: Mapped[int] = mapped_column(Integer, default=0)


class ServiceItem(Base):
    """A service that can be ordered, with its skills and whether government may buy it."""

    __tablename__ = "service_item"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_category.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16), default="visit")
    required_skills: Mapped[list[str]] = mapped_column(Json, default=list)
    government_purchasable: Mapped[bool] = mapped_column(Boolean, default=False)
    home_visit: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    category: Mapped[ServiceCategory] = relationship(lazy="raise")
    prices: Mapped[list[ServicePrice]] = relationship(
        lazy="raise", order_by="ServicePrice.effective_date"
    )


class ServicePrice(Base):
    """The district-wide price and standard duration of an item from an effective date on."""

    __tablename__ = "service_price"
    __table_args__ = (
        UniqueConstraint("item_id", "effective_date"),
        CheckConstraint("price_fen >= 0", name="price"),
        CheckConstraint("standard_minutes > 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    effective_date: Mapped[date] = mapped_column(Date)
    price_fen: Mapped[int] = mapped_column(Integer)
    standard_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
