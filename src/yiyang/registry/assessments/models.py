"""Capability assessments: one row per assessment of an elder, never edited afterwards."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId
from yiyang.registry.elders.models import Elder
from yiyang.security.models import UserAccount


class Assessment(Base):
    """An elder's capability assessment: who, when, by which standard, scores and level.

    `scores` maps each item code to its points; `adjustments` lists why the level is not the
    one the total alone gives (rules.Adjustment); `facts` keeps coma, diagnosis and the risk
    events counted. Saving one sets the elder's capability_level.
    """

    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint("level BETWEEN 0 AND 4", name="level"),
        CheckConstraint("total BETWEEN 0 AND 90", name="total"),
        Index("ix_assessment_elder_at", "elder_id", "assessed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    elder_id: Mapped[int] = mapped_column(ForeignKey("elder.id", ondelete="CASCADE"))
    assessed_at: Mapped[datetime] = mapped_column()
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    standard: Mapped[str] = mapped_column(String(32))
    scores: Mapped[dict[str, Any]] = mapped_column()
    facts: Mapped[dict[str, Any]] = mapped_column()
    total: Mapped[int] = mapped_column(Integer)
    score_level: Mapped[int] = mapped_column(Integer)
    level: Mapped[int] = mapped_column(Integer)
    adjustments: Mapped[list[str]] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(1000))

    elder: Mapped[Elder] = relationship(lazy="raise")
    assessor: Mapped[UserAccount | None] = relationship(lazy="raise")
