"""Order tables: service orders, their timeline, subsidy policies and recurring orders."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff


class SubsidyPolicy(Base):
    """One version of a government-purchase policy, in force from `effective_date`.

    Versions of the same policy share `code`. `eligibility` is a list of clauses; an elder is
    eligible when any clause matches, and a clause matches when all its conditions hold
    (keys: special_groups, economic_statuses, living_situations — any-of lists; min_age;
    min_capability_level). `item_codes` empty means every government-purchasable item.
    """

    __tablename__ = "subsidy_policy"
    __table_args__ = (
        UniqueConstraint("code", "effective_date"),
        CheckConstraint("share_percent BETWEEN 0 AND 100", name="share"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(48), index=True)
    name: Mapped[str] = mapped_column(String(128))  # Chinese, the district's own wording
    name_en: Mapped[str | None] = mapped_column(String(128))
    effective_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    eligibility: Mapped[list[Any]] = mapped_column(Json, default=list)
    item_codes: Mapped[list[str]] = mapped_column(Json, default=list)
    share_percent: Mapped[int] = mapped_column(Integer, default=100)
    per_order_cap_fen: Mapped[int | None] = mapped_column(Integer)
    monthly_quota_fen: Mapped[int | None] = mapped_column(Integer)
    monthly_quota_count: Mapped[int | None] = mapped_column(Integer)
    weekly_quota_count: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A retired version ends the policy from its effective date (history stays as it was).
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecurringOrder(Base):
    """A standing order (e.g. lunch Monday to Friday) expanded into orders by a daily timer."""

    __tablename__ = "recurring_order"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    weekdays: Mapped[list[Any]] = mapped_column(Json, default=list)  # 0=Monday … 6=Sunday
    start_time: Mapped[time] = mapped_column(Time)  # local China time
    end_time: Mapped[time] = mapped_column(Time)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    last_expanded_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    elder: Mapped[Elder] = relationship(lazy="raise")
    item: Mapped[ServiceItem] = relationship(lazy="raise")


class ServiceOrder(Base):
    """An order for one service at one time window, with the price and split it was made at.

    `status` is the lifecycle of DOMAIN.md §6; the organisation step (provider_id,
    provider_status) and the caregiver step (staff_id, caregiver_status) are kept apart.
    """

    __tablename__ = "service_order"
    __table_args__ = (
        UniqueConstraint("created_by_id", "idempotency_key"),
        UniqueConstraint("recurring_id", "service_date"),
        # the screen's tally of a closed day is stale once one of its orders changed after it
        Index("ix_service_order_date_updated", "service_date", "updated_at"),
        CheckConstraint("window_end_at > window_start_at", name="window"),
        CheckConstraint(
            "price_fen >= 0 AND government_fen >= 0 AND elder_fen >= 0"
            " AND government_fen + elder_fen = price_fen",
            name="money",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    window_start_at: Mapped[datetime] = mapped_column(index=True)
    window_end_at: Mapped[datetime] = mapped_column()
    service_date: Mapped[date] = mapped_column(Date, index=True)  # local date of the window
    status: Mapped[str] = mapped_column(String(24), index=True)
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"), index=True)
    provider_status: Mapped[str | None] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    caregiver_status: Mapped[str | None] = mapped_column(String(16))
    planned_start_at: Mapped[datetime | None] = mapped_column()  # from the dispatch decision
    # planned_start_at + standard_minutes, stored so that PostgreSQL can refuse overlapping
    # visits of one caregiver (ADR 0004); set only with dispatch.booking.set_planned_start.
    planned_end_at: Mapped[datetime | None] = mapped_column()
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    dispatch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    price_id: Mapped[int] = mapped_column(ForeignKey("service_price.id"))
    price_fen: Mapped[int] = mapped_column(Integer)
    standard_minutes: Mapped[int] = mapped_column(Integer)
    government_fen: Mapped[int] = mapped_column(Integer, default=0)
    elder_fen: Mapped[int] = mapped_column(Integer, default=0)
    government_purchase: Mapped[bool] = mapped_column(Boolean, default=False)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("subsidy_policy.id"), index=True)
    subsidy_reason: Mapped[str | None] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(80))
    # SHA-256 of the normalised body first sent with the key: another body under it is refused.
    idempotency_hash: Mapped[str | None] = mapped_column(String(64))
    recurring_id: Mapped[int | None] = mapped_column(ForeignKey("recurring_order.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    elder: Mapped[Elder] = relationship(lazy="raise")
    item: Mapped[ServiceItem] = relationship(lazy="raise")
    provider: Mapped[Provider | None] = relationship(lazy="raise")
    staff: Mapped[Staff | None] = relationship(lazy="raise")
    policy: Mapped[SubsidyPolicy | None] = relationship(lazy="raise")
    events: Mapped[list[OrderEvent]] = relationship(
        lazy="raise", order_by="OrderEvent.id", back_populates="order"
    )


class OrderEvent(Base):
    """One row of an order's timeline: who moved it, when, from what to what and why."""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column()
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    actor_role: Mapped[str] = mapped_column(String(32))  # a role, or "system"
    actor_name: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    order: Mapped[ServiceOrder] = relationship(lazy="raise", back_populates="events")
