"""Visit tables: the EVV record of each order, corrections, ratings, complaints, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
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
from yiyang.orders.models import ServiceOrder
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount


class Visit(Base):
    """What happened at the door for one order: check-in/out with position, checklist, notes."""

    __tablename__ = "visit"
    __table_args__ = (
        CheckConstraint(
            "check_out_at IS NULL OR (check_in_at IS NOT NULL AND check_out_at >= check_in_at)",
            name="times",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), unique=True
    )
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)

    check_in_at: Mapped[datetime | None] = mapped_column(index=True)
    check_in_lat: Mapped[float | None] = mapped_column(Float)
    check_in_lon: Mapped[float | None] = mapped_column(Float)
    check_in_accuracy_m: Mapped[float | None] = mapped_column(Float)
    check_in_method: Mapped[str | None] = mapped_column(String(16))
    check_in_distance_m: Mapped[float | None] = mapped_column(Float)
    check_in_flag: Mapped[str | None] = mapped_column(String(24))
    check_in_manual: Mapped[bool] = mapped_column(Boolean, default=False)

    check_out_at: Mapped[datetime | None] = mapped_column()
    check_out_lat: Mapped[float | None] = mapped_column(Float)
    check_out_lon: Mapped[float | None] = mapped_column(Float)
    check_out_accuracy_m: Mapped[float | None] = mapped_column(Float)
    check_out_method: Mapped[str | None] = mapped_column(String(16))
    check_out_distance_m: Mapped[float | None] = mapped_column(Float)
    check_out_flag: Mapped[str | None] = mapped_column(String(24))
    check_out_manual: Mapped[bool] = mapped_column(Boolean, default=False)

    duration_min: Mapped[int | None] = mapped_column(Integer)
    short_reason: Mapped[str | None] = mapped_column(String(32))
    checklist: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order: Mapped[ServiceOrder] = relationship(lazy="raise")
    staff: Mapped[Staff | None] = relationship(lazy="raise")
    corrections: Mapped[list[VisitCorrection]] = relationship(
        lazy="raise", order_by="VisitCorrection.id", cascade="all, delete-orphan"
    )


class VisitCorrection(Base):
    """A manual change of a visit time: who, when, what, before and after, and why."""

    __tablename__ = "visit_correction"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column()
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_name: Mapped[str] = mapped_column(String(64))
    by_role: Mapped[str] = mapped_column(String(32))
    field_name: Mapped[str] = mapped_column(String(32))
    before: Mapped[str | None] = mapped_column(String(64))
    after: Mapped[str | None] = mapped_column(String(64))
    reason_code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)


class VisitRating(Base):
    """The elder's or family's confirmation of a visit, with a score from 1 to 5."""

    __tablename__ = "visit_rating"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), unique=True
    )
    at: Mapped[datetime] = mapped_column()
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_role: Mapped[str] = mapped_column(String(32))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)


class Complaint(Base):
    """A complaint about a visit, from the elder, the family or the call centre."""

    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column()
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_role: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    assigned_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    assigned_provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    assigned_at: Mapped[datetime | None] = mapped_column()
    responded_at: Mapped[datetime | None] = mapped_column()
    response: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(24))


class ReturnVisit(Base):
    """A call-centre follow-up call (回访) after a visit, with the elder's satisfaction."""

    __tablename__ = "return_visit"
    __table_args__ = (
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="score"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column()
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    operator_name: Mapped[str] = mapped_column(String(64))
    reached: Mapped[bool] = mapped_column(Boolean, default=True)
    satisfaction: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str | None] = mapped_column(Text)
    result: Mapped[str | None] = mapped_column(String(16))  # visits.care_rules.CallResult


class Alert(Base):
    """A supervision alert (late, no-show, geofence) for dispatchers and the call centre.

    Acknowledged (a person has seen it), cleared (the cause went away by itself) and resolved
    (a person closed it, with a note) are separate facts. One alert per order and kind.
    """

    __tablename__ = "visit_alert"
    __table_args__ = (UniqueConstraint("order_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("service_order.id", ondelete="CASCADE"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    raised_at: Mapped[datetime] = mapped_column(index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    acknowledged_at: Mapped[datetime | None] = mapped_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledge_note: Mapped[str | None] = mapped_column(Text)
    cleared_at: Mapped[datetime | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[ServiceOrder] = relationship(lazy="raise")
    staff: Mapped[Staff | None] = relationship(lazy="raise")
    acknowledged_by: Mapped[UserAccount | None] = relationship(
        foreign_keys=[acknowledged_by_id], lazy="raise"
    )
    resolved_by: Mapped[UserAccount | None] = relationship(
        foreign_keys=[resolved_by_id], lazy="raise"
    )
