"""Dispatch tables: every placement decision with its candidates, and the dispatcher queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow


class DispatchDecision(Base):
    """One attempt to place an order: winner, candidates weighed, why, and how it ended.

    `outcome` starts as "offered" (or "unplaceable") and becomes accepted, org_refused,
    org_timeout, caregiver_refused, caregiver_timeout, unavailable or superseded; refused and
    timed-out winners are excluded from the order's later attempts. A dispatcher's manual
    decision records whether they overrode the caregiver being busy at that time.
    """

    __tablename__ = "dispatch_decision"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column()
    attempt: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str | None] = mapped_column(String(16))
    winner_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    winner_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    travel_min: Mapped[float | None] = mapped_column()
    candidates: Mapped[list[Any]] = mapped_column(Json, default=list)
    rejected: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    unplaceable_reason: Mapped[str | None] = mapped_column(String(48))
    # planner.explain lines ({"t": template, "p": params}), put into words when shown
    explanation_lines: Mapped[list[Any]] = mapped_column(Json, default=list)
    outcome: Mapped[str] = mapped_column(String(24), default="offered")
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    busy_overridden: Mapped[bool] = mapped_column(Boolean, default=False)  # manual, knowingly


class DispatchQueueItem(Base):
    """An order automatic dispatch could not place, waiting for a dispatcher, with the reason.

    `detail` holds the decision id and the explanation lines ("explanation") to show.
    """

    __tablename__ = "dispatch_queue_item"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), index=True
    )
    reason_code: Mapped[str] = mapped_column(String(48))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[str | None] = mapped_column(String(32))


class DispatchPicture(Base):
    """One row whose token a trigger changes with every write to staff, their skills or
    facilities (migration 0016): the caregiver picture a web worker keeps is good while the
    token it was read under is the one its transaction sees (ADR 0007)."""

    __tablename__ = "dispatch_picture"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)
