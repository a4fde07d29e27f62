"""The review ticket: an alarm nobody answered in time is looked at by a supervisor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.alarms.models import Alarm
from yiyang.db import Base, BigId


class AlarmReview(Base):
    """A ticket to review how an alarm was handled (opened at the 180 s escalation)."""

    __tablename__ = "alarm_review"
    __table_args__ = (UniqueConstraint("alarm_id", "reason"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarm.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(32))  # rules.ReviewReason
    opened_at: Mapped[datetime] = mapped_column()
    reviewed_at: Mapped[datetime | None] = mapped_column(index=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    finding: Mapped[str | None] = mapped_column(Text)

    alarm: Mapped[Alarm] = relationship(lazy="raise")
