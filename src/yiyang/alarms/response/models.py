"""The responder table: one person sent to an alarm, from the offer to their report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId, Json


class AlarmResponder(Base):
    """A community worker or caregiver sent to the elder's home for an alarm.

    `rank` is the place in the offer order (1 = the first asked). The row moves through
    sent → accepted → on_the_way → arrived → reported, or ends refused / timed_out /
    withdrawn; each move is also an AlarmStep on the alarm's timeline.
    """

    __tablename__ = "alarm_responder"
    __table_args__ = (Index("ix_alarm_responder_user_state", "user_id", "state"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))  # caregiver | community_staff
    rank: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # rules.State
    travel_mode: Mapped[str] = mapped_column(String(16))
    travel_minutes: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column()
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    accepted_at: Mapped[datetime | None] = mapped_column()
    refused_at: Mapped[datetime | None] = mapped_column()
    refused_reason: Mapped[str | None] = mapped_column(String(24))
    on_the_way_at: Mapped[datetime | None] = mapped_column()
    arrived_at: Mapped[datetime | None] = mapped_column()
    arrived_lat: Mapped[float | None] = mapped_column(Float)
    arrived_lon: Mapped[float | None] = mapped_column(Float)
    arrived_distance_m: Mapped[int | None] = mapped_column(Integer)
    arrived_reason: Mapped[str | None] = mapped_column(Text)  # outside the geofence / no fix
    reported_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class CommunityDuty(Base):
    """When one community worker is on duty to be sent to alarms: a weekly pattern
    {"mon": ["08:00", "20:00"], …} in local time (an end at or before the start runs into
    the next day). A worker without a row keeps the district's default office hours."""

    __tablename__ = "community_duty"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    pattern: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    note: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
