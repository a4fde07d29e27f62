"""Elder tables: elders with their special groups and emergency contacts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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
from yiyang.registry.areas.models import Area


class Elder(Base):
    """An elder registered with the platform; identity and health data are sensitive."""

    __tablename__ = "elder"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
        CheckConstraint("geofence_m BETWEEN 50 AND 500", name="geofence"),
        CheckConstraint(
            "capability_level IS NULL OR capability_level BETWEEN 0 AND 4", name="capability"
        ),
        # A street's or a community's list in registration order, straight from the index.
        Index("ix_elder_street_id_id", "street_id", "id"),
        Index("ix_elder_community_id_id", "community_id", "id"),
        Index("ix_elder_updated_at", "updated_at"),  # elders changed since a screen tally
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date, index=True)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    household_registration: Mapped[str | None] = mapped_column(String(256))
    address: Mapped[str] = mapped_column(String(256))
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("area.id"))
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
    # What a caregiver or responder must know before entering: sensitive health data.
    mobility: Mapped[str | None] = mapped_column(String(16))  # vocab.Mobility
    conditions: Mapped[str | None] = mapped_column(Text)
    away_until: Mapped[datetime | None] = mapped_column()  # away from home: no inactivity alarms
    away_reason: Mapped[str | None] = mapped_column(String(24))  # vocab.AwayReason
    away_note: Mapped[str | None] = mapped_column(String(500))
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


class ElderIdLookup(Base):
    """One ID number a user searched for, counted to limit such searches per user and hour."""

    __tablename__ = "elder_id_lookup"
    __table_args__ = (Index("ix_elder_id_lookup_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column()
    number_hash: Mapped[str] = mapped_column(String(64))  # SHA-256: the same number again
