"""Tables of alarms: the alarm (one active per originator and type) and its timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId, Json
from yiyang.devices.models import Device
from yiyang.registry.elders.models import Elder


class Alarm(Base):
    """An alarm about an elder, a home, a device or a visit, from raised to closed.

    `originator` names what it is about (`elder:12`, `device:7`, `order:40`): at most one
    alarm per originator and type is open (not closed) at a time; a repeat updates it.
    Acknowledged (a person took it) and cleared (the cause went away) are separate facts.
    """

    __tablename__ = "alarm"
    __table_args__ = (
        Index(
            "uq_alarm_open",
            "originator",
            "type",
            unique=True,
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
        Index("ix_alarm_queue", "status", "severity", "raised_at"),
        Index("ix_alarm_scope", "street_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    type: Mapped[str] = mapped_column(String(24), index=True)  # kinds.AlarmType
    severity: Mapped[int] = mapped_column(Integer)  # kinds.Severity
    status: Mapped[str] = mapped_column(String(16), default="queued")  # kinds.AlarmStatus
    originator: Mapped[str] = mapped_column(String(32))
    elder_id: Mapped[int | None] = mapped_column(ForeignKey("elder.id"), index=True)
    home_id: Mapped[int | None] = mapped_column(ForeignKey("home.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("service_order.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"))
    raised_at: Mapped[datetime] = mapped_column(index=True)
    last_at: Mapped[datetime] = mapped_column()  # the latest repeat
    repeats: Mapped[int] = mapped_column(Integer, default=0)
    escalation: Mapped[int] = mapped_column(Integer, default=0)  # 0, 1 supervisor, 2 everyone
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    cleared_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    disposition: Mapped[str | None] = mapped_column(String(24))
    version: Mapped[int] = mapped_column(Integer, default=1)

    elder: Mapped[Elder | None] = relationship(lazy="raise")
    device: Mapped[Device | None] = relationship(lazy="raise")
    steps: Mapped[list[AlarmStep]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="AlarmStep.id"
    )

    __mapper_args__ = {"version_id_col": version}


class AlarmStep(Base):
    """One entry of an alarm's timeline: who (or what), when, what and why; never edited."""

    __tablename__ = "alarm_step"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(24))  # kinds.StepAction
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_name: Mapped[str] = mapped_column(String(64))
    by_role: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
