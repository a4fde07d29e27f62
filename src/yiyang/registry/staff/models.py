"""Staff tables: people of providers, with their skills and certificates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider


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
