"""Queries of the capacity what-if: past orders as planner rows, streets and their centres."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from yiyang.orders.models import ServiceOrder
from yiyang.orders.rules import Status
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.security.subject import Subject

# Facilities moved or added caregivers may be based at, the street centre first.
HOME_KINDS = ("street_centre", "day_care_centre")
DAY_CARE = "day_care_centre"


def past_orders(session: Session, first: date, last: date) -> list[Row[Any]]:
    """Every order of the district serviced between the two local days (cancelled ones left
    out), with what the planner needs of its elder and item, in id order."""
    return list(
        session.execute(
            select(
                ServiceOrder.id,
                ServiceOrder.elder_id,
                ServiceOrder.service_date,
                ServiceOrder.window_start_at,
                ServiceOrder.window_end_at,
                ServiceOrder.standard_minutes,
                ServiceOrder.created_at,
                Elder.lat,
                Elder.lon,
                Elder.street_id,
                Elder.community_id,
                ServiceItem.required_skills,
            )
            .join(Elder, Elder.id == ServiceOrder.elder_id)
            .join(ServiceItem, ServiceItem.id == ServiceOrder.item_id)
            .where(
                ServiceOrder.service_date >= first,
                ServiceOrder.service_date <= last,
                ServiceOrder.status != Status.CANCELLED,
            )
            .order_by(ServiceOrder.id)
        )
    )


def readable_streets(session: Session, subject: Subject) -> list[Area]:
    """The streets the subject may plan for: every street for the district, else their own."""
    stmt = select(Area).where(Area.level == "street").order_by(Area.code)
    if not subject.district_wide:
        stmt = stmt.where(Area.id == (subject.street_id or 0))
    return list(session.scalars(stmt))


def all_streets(session: Session) -> dict[int, Area]:
    """Every street of the district by id (the replay's table names them)."""
    return {a.id: a for a in session.scalars(select(Area).where(Area.level == "street"))}


def centres(session: Session, street_ids: list[int]) -> list[Facility]:
    """Active street and day-care centres of these streets, street centres first, by code."""
    rows = session.scalars(
        select(Facility)
        .where(
            Facility.street_id.in_(street_ids),
            Facility.kind.in_(HOME_KINDS),
            Facility.active.is_(True),
        )
        .order_by(Facility.kind.desc(), Facility.code)
    )
    return list(rows)
