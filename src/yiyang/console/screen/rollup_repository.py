"""The queries of the big screen's tally of closed days (rollup_models.py): writing a day,
finding the days whose tally is stale, and reading the tallied days added up."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from yiyang.console.screen.repository import demand_rows
from yiyang.console.screen.rollup_models import ScreenDemand, ScreenDemandDay
from yiyang.orders.models import ServiceOrder
from yiyang.registry.elders.models import Elder


def tallied(session: Session, first: date, last: date) -> dict[date, datetime]:
    """The days of this run that have a tally, and when each was written."""
    rows = session.execute(
        select(ScreenDemandDay.service_date, ScreenDemandDay.written_at).where(
            ScreenDemandDay.service_date >= first, ScreenDemandDay.service_date <= last
        )
    )
    return {r[0]: r[1] for r in rows}


def stale(session: Session, first: date, last: date) -> set[date]:
    """Tallied days of this run with an order, or an order's elder, changed after the tally
    was written (a late status, a late order, an elder moved to another street)."""
    day = ScreenDemandDay
    in_run = (day.service_date >= first, day.service_date <= last)
    changed = select(ServiceOrder.id).where(  # one probe of the index per day
        ServiceOrder.service_date == day.service_date, ServiceOrder.updated_at > day.written_at
    )
    orders = select(day.service_date).where(*in_run, changed.exists())
    oldest = select(func.min(day.written_at)).where(*in_run).scalar_subquery()
    elders = (
        select(ServiceOrder.service_date)
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .join(day, day.service_date == ServiceOrder.service_date)
        .where(*in_run, Elder.updated_at > oldest, Elder.updated_at > day.written_at)
    )
    return set(session.scalars(orders.union(elders)))


def rolled(session: Session, days: Collection[date], as_day: date) -> list[dict[str, Any]]:
    """The tallies of these days added up per street and service, as demand rows dated
    `as_day`."""
    if not days:
        return []
    t = ScreenDemand
    rows = session.execute(
        select(t.street_id, t.item_id, func.sum(t.orders), func.sum(t.minutes))
        .where(t.service_date.in_(sorted(days)))
        .group_by(t.street_id, t.item_id)
    )
    return demand_rows(session, [(as_day, s, i, n, m) for s, i, n, m in rows])


def write(session: Session, day: date, written_at: datetime) -> None:
    """Tally this day from its orders (again, if it had a tally)."""
    session.execute(delete(ScreenDemandDay).where(ScreenDemandDay.service_date == day))
    session.execute(delete(ScreenDemand).where(ScreenDemand.service_date == day))
    session.add(ScreenDemandDay(service_date=day, written_at=written_at))
    session.flush()
    tally = (
        select(ServiceOrder.service_date, Elder.street_id, ServiceOrder.item_id, func.count(),
               func.coalesce(func.sum(ServiceOrder.standard_minutes), 0))
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(ServiceOrder.service_date == day, ServiceOrder.status != "cancelled")
        .group_by(ServiceOrder.service_date, Elder.street_id, ServiceOrder.item_id)
    )  # fmt: skip
    cols = ("service_date", "street_id", "item_id", "orders", "minutes")
    session.execute(insert(ScreenDemand).from_select(cols, tally))


def prune(session: Session, before: date) -> None:
    """Drop the tallies of days before this one (no window reaches them)."""
    session.execute(delete(ScreenDemand).where(ScreenDemand.service_date < before))
    session.execute(delete(ScreenDemandDay).where(ScreenDemandDay.service_date < before))
