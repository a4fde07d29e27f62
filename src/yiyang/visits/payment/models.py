"""Payment tables: reviews of unpayable visits, stored verdicts, settlement runs and lines.

Reviews are appended and never edited: the newest one of a visit decides. A verdict is the
payability rules' answer for one delivered visit, rewritten whenever a fact it rests on
changes, so the exceptions queue is a query. A run moves
draft → reviewed → closed; a closed run and its lines are frozen (later corrections become
adjustment lines of a later run).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId, Json
from yiyang.registry.providers.models import Provider


class VisitReview(Base):
    """One decision about an unpayable visit: approve, reject, ask the provider, or its answer."""

    __tablename__ = "visit_review"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column()
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    by_name: Mapped[str] = mapped_column(String(64))
    by_role: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    flags: Mapped[list[Any]] = mapped_column(Json, default=list)  # the reasons it was about


class VisitVerdict(Base):
    """The payability of one delivered visit as the rules last judged it, and its standing."""

    __tablename__ = "visit_verdict"
    __table_args__ = (Index("ix_visit_verdict_queue", "state", "month", "provider_id"),)

    order_id: Mapped[int] = mapped_column(
        ForeignKey("service_order.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM of the window start, China calendar
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("provider.id"))
    payable: Mapped[bool] = mapped_column(Boolean)
    state: Mapped[str] = mapped_column(String(16))  # payable, approved, open, asked, rejected
    computed_at: Mapped[datetime] = mapped_column()
    policy: Mapped[str | None] = mapped_column(String(16))  # visit_rules.policy_key judged by


class VisitVerdictReason(Base):
    """One reason code of a verdict, at its place in the rules' order (the queue filters by it)."""

    __tablename__ = "visit_verdict_reason"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("visit_verdict.order_id", ondelete="CASCADE"), primary_key=True
    )
    reason: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)


class SettlementRun(Base):
    """A provider's month of paid visits, as a process: draft, reviewed, closed."""

    __tablename__ = "settlement_run"
    __table_args__ = (UniqueConstraint("month", "provider_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # YYYY-MM, China calendar
    provider_id: Mapped[int] = mapped_column(ForeignKey("provider.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column()
    created_by: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column()
    reviewed_at: Mapped[datetime | None] = mapped_column()
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=0)
    total_fen: Mapped[int] = mapped_column(Integer, default=0)
    government_fen: Mapped[int] = mapped_column(Integer, default=0)
    elder_fen: Mapped[int] = mapped_column(Integer, default=0)
    excluded: Mapped[int] = mapped_column(Integer, default=0)

    provider: Mapped[Provider] = relationship(lazy="raise")


class SettlementLine(Base):
    """One line of a run: a paid visit, an excluded exception, or an adjustment of a past month."""

    __tablename__ = "settlement_line"
    __table_args__ = (UniqueConstraint("run_id", "order_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("settlement_run.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int] = mapped_column(ForeignKey("service_order.id"), index=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id"))
    elder_name: Mapped[str] = mapped_column(String(64))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("area.id"), index=True)
    service_name_zh: Mapped[str] = mapped_column(String(128))
    service_name_en: Mapped[str | None] = mapped_column(String(128))
    service_date: Mapped[date] = mapped_column(Date)
    price_fen: Mapped[int] = mapped_column(Integer)
    government_fen: Mapped[int] = mapped_column(Integer)
    elder_fen: Mapped[int] = mapped_column(Integer)
    reasons: Mapped[list[Any]] = mapped_column(Json, default=list)
    for_month: Mapped[str | None] = mapped_column(String(7))  # an adjustment: the month corrected
