"""Catalog tables: categories, items and their dated price versions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from yiyang.db import Base, BigId, Json
from yiyang.kit.clock import utcnow


class ServiceCategory(Base):
    """A GB/T 43153-2023 service category (生活照料, 基础照护, …)."""

    __tablename__ = "service_category"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    sort: Mapped[int] = mapped_column(Integer, default=0)


class ServiceItem(Base):
    """A service that can be ordered, with its skills and whether government may buy it."""

    __tablename__ = "service_item"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("service_category.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16), default="visit")
    required_skills: Mapped[list[str]] = mapped_column(Json, default=list)
    government_purchasable: Mapped[bool] = mapped_column(Boolean, default=False)
    home_visit: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    category: Mapped[ServiceCategory] = relationship(lazy="raise")
    prices: Mapped[list[ServicePrice]] = relationship(
        lazy="raise", order_by="ServicePrice.effective_date"
    )


class ServicePrice(Base):
    """The district-wide price and standard duration of an item from an effective date on."""

    __tablename__ = "service_price"
    __table_args__ = (
        UniqueConstraint("item_id", "effective_date"),
        CheckConstraint("price_fen >= 0", name="price"),
        CheckConstraint("standard_minutes > 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), index=True)
    effective_date: Mapped[date] = mapped_column(Date)
    price_fen: Mapped[int] = mapped_column(Integer)
    standard_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
