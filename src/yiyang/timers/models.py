"""The timer table: one row per thing that must happen at a time (offer expiry, late check…)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow


class Timer(Base):
    """A due action; `fired_at`/`cancelled_at`/`failed_at` mark how it ended."""

    __tablename__ = "timer"
    __table_args__ = (
        Index("ix_timer_pending", "due_at", postgresql_where="fired_at IS NULL"),
        Index("ix_timer_ref", "kind", "ref_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    ref_id: Mapped[int] = mapped_column(BigId)
    due_at: Mapped[datetime] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fired_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    failed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
