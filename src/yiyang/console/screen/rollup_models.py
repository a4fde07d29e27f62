"""The big screen's tally of closed days: demand per day, elder's street and service, written
once a day is over (rollup.py), so the 7- and 30-day supply against demand reads today only."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base


class ScreenDemandDay(Base):
    """A closed day that was tallied, and when (a change to its orders or their elders after
    `written_at` means its tally is stale and the day is read from the orders instead)."""

    __tablename__ = "screen_demand_day"

    service_date: Mapped[date] = mapped_column(Date, primary_key=True)
    written_at: Mapped[datetime] = mapped_column()


class ScreenDemand(Base):
    """The orders of one closed day, elder's street and service that were not cancelled."""

    __tablename__ = "screen_demand"

    service_date: Mapped[date] = mapped_column(
        ForeignKey("screen_demand_day.service_date", ondelete="CASCADE"), primary_key=True
    )
    street_id: Mapped[int] = mapped_column(ForeignKey("area.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("service_item.id"), primary_key=True)
    orders: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
