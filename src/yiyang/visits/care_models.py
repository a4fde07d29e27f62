"""Tables of aftercare: the steps a complaint went through, and the return-visit queue."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId


class ComplaintStep(Base):
    """One step of a complaint's handling (filed, assigned, responded, closed): who and when."""

    __tablename__ = "complaint_step"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaint.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))  # care_rules.ComplaintAction
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_name: Mapped[str] = mapped_column(String(64))
    by_role: Mapped[str] = mapped_column(String(32))
    to_name: Mapped[str | None] = mapped_column(String(128))  # whom it was assigned to
    outcome: Mapped[str | None] = mapped_column(String(24))
    text: Mapped[str | None] = mapped_column(Text)


class ReturnVisitDue(Base):
    """A completed visit sampled for a call-back (回访); one row per order, ever."""

    __tablename__ = "return_visit_due"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), unique=True
    )
    sample_date: Mapped[date] = mapped_column(Date, index=True)  # the day of the visits sampled
    due_date: Mapped[date] = mapped_column(Date, index=True)  # call on (or after) this day
    sampled_at: Mapped[datetime] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column()
    last_result: Mapped[str | None] = mapped_column(String(16))
