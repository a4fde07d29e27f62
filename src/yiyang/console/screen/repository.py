"""Every query of the big screen: district-wide rows and counts, grouped by street.

The screen is one picture of the district kept by one aggregator (live.py), not a query per
viewer; so these reads are district-wide and the viewer's data scope is applied when the
picture is cut for a viewer (figures.cut: only the streets the scope covers).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from yiyang.alarms.models import Alarm
from yiyang.alarms.response.models import AlarmResponder
from yiyang.devices.models import Device
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.registry.areas.models import Area
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder, ElderGroup
from yiyang.registry.facilities.models import Facility
from yiyang.registry.staff.models import Staff


def streets(session: Session) -> list[tuple[int, str, str]]:
    """(id, code, name) of every street, in code order."""
    rows = session.execute(
        select(Area.id, Area.code, Area.name).where(Area.level == "street").order_by(Area.code)
    )
    return [(r[0], r[1], r[2]) for r in rows]


def street_of_code(session: Session, code: str) -> int | None:
    """The id of the street with this code, or None."""
    return session.scalar(select(Area.id).where(Area.code == code, Area.level == "street"))


def _dicts(session: Session, stmt: Select[Any], keys: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of a select of columns as dicts of `keys` (Core rows fetched at once: the
    ORM's handling of thousands of rows costs more than reading them)."""
    rows = session.connection().execute(stmt).all()
    return [dict(zip(keys, row, strict=True)) for row in rows]


def elder_layer_counts(
    session: Session, born_by: date, codes: Sequence[str]
) -> list[tuple[int, bool, str, str, int | None, int, int, float, float]]:
    """Active elders counted alike, in one pass over the register: (street, born by
    `born_by`, living situation, economic status, capability level, mask of their groups
    (bit i: `codes[i]`), elders, and the sums of their homes' lat and lon in millionths of a
    degree: what moves when a home moves, for the 15-minute circle)."""
    bit = case(*[(ElderGroup.code == c, 1 << i) for i, c in enumerate(codes)], else_=0)
    masks = (
        select(ElderGroup.elder_id, func.sum(bit).label("mask"))
        .group_by(ElderGroup.elder_id)
        .subquery()
    )
    old = Elder.birth_date <= born_by  # a boolean key: PostgreSQL then expects few groups
    mask = func.coalesce(masks.c.mask, 0)
    keys = (Elder.street_id, old, Elder.living_situation, Elder.economic_status,
            Elder.capability_level, mask)  # fmt: skip
    lat, lon = func.round(Elder.lat * 1_000_000), func.round(Elder.lon * 1_000_000)
    rows = session.execute(
        select(*keys, func.count(), func.sum(lat), func.sum(lon))
        .outerjoin(masks, masks.c.elder_id == Elder.id)
        .where(Elder.status == "active")
        .group_by(*keys)
    )  # fmt: skip
    return [
        (r[0], bool(r[1]), r[2], r[3], r[4], int(r[5]), int(r[6]), float(r[7]), float(r[8]))
        for r in rows
    ]


def elder_points(session: Session) -> tuple[list[int], list[float], list[float]]:
    """The street, lat and lon of every active elder's home as three columns, for the
    15-minute circle. PostgreSQL sends them as three arrays in one row: building 200,000 row
    objects costs more than reading them."""
    active = Elder.status == "active"
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        streets, lats, lons = conn.execute(
            select(
                func.array_agg(Elder.street_id), func.array_agg(Elder.lat),
                func.array_agg(Elder.lon),
            ).where(active)
        ).one()  # fmt: skip
        return list(streets or []), list(lats or []), list(lons or [])
    rows = conn.execute(select(Elder.street_id, Elder.lat, Elder.lon).where(active)).all()
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]


def facilities(session: Session) -> list[Facility]:
    """Every active facility (the map's points and the 15-minute circle's destinations)."""
    return list(session.scalars(select(Facility).where(Facility.active.is_(True))))


def beds_in_use(session: Session, day: date) -> dict[int, int]:
    """Long-stay and day places in use today per facility: elders with a visit there today
    (orders served at the facility: those of its caregivers that are not home visits)."""
    rows = session.execute(
        select(Staff.facility_id, func.count(func.distinct(ServiceOrder.elder_id)))
        .join(Staff, Staff.id == ServiceOrder.staff_id)
        .join(ServiceItem, ServiceItem.id == ServiceOrder.item_id)
        .where(
            ServiceOrder.service_date == day,
            ServiceItem.home_visit.is_(False),
            ServiceOrder.status.not_in(("cancelled", "no_show")),
            Staff.facility_id.is_not(None),
        )
        .group_by(Staff.facility_id)
    )
    return {r[0]: int(r[1]) for r in rows}


def orders_of(
    session: Session,
    *,
    day: date | None = None,
    ids: Iterable[int] = (),
    between: tuple[date, date] | None = None,
    streets: Collection[int] | None = None,
    provider_id: int | None = None,
) -> list[dict[str, Any]]:
    """Orders of a service day, of a run of days (or these ids) with where they are and who
    serves them: the elder's home and street, the serving caregiver's centre and its street;
    optionally only the elders of some streets, or one provider's orders."""
    centre = aliased(Facility)
    stmt = (
        select(
            ServiceOrder.id, ServiceOrder.status, ServiceOrder.window_start_at,
            ServiceOrder.window_end_at, ServiceOrder.service_date, ServiceOrder.created_at,
            ServiceOrder.government_fen, Elder.street_id, Elder.lat, Elder.lon,
            centre.street_id, centre.lat, centre.lon, ServiceItem.required_skills,
            ServiceOrder.standard_minutes, ServiceOrder.channel, ServiceOrder.provider_id,
            ServiceItem.category_id, ServiceOrder.elder_id, ServiceOrder.policy_id,
            ServiceOrder.elder_fen,
        )
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .join(ServiceItem, ServiceItem.id == ServiceOrder.item_id)
        .outerjoin(Staff, Staff.id == ServiceOrder.staff_id)
        .outerjoin(centre, centre.id == Staff.facility_id)
    )  # fmt: skip
    wanted = list(ids)
    if wanted:
        stmt = stmt.where(ServiceOrder.id.in_(wanted))
    elif day is not None:
        stmt = stmt.where(ServiceOrder.service_date == day)
    elif between is not None:
        stmt = stmt.where(
            ServiceOrder.service_date >= between[0], ServiceOrder.service_date <= between[1]
        )
    if streets is not None:
        stmt = stmt.where(Elder.street_id.in_(list(streets)))
    if provider_id is not None:
        stmt = stmt.where(ServiceOrder.provider_id == provider_id)
    keys = (
        "id", "status", "window_start_at", "window_end_at", "service_date", "created_at",
        "government_fen", "street_id", "lat", "lon", "centre_street_id", "centre_lat",
        "centre_lon", "skills", "minutes", "channel", "provider_id", "category_id",
        "elder_id", "policy_id", "elder_fen",
    )  # fmt: skip
    return _dicts(session, stmt, keys)


def checked_in_at(session: Session, order_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these orders was checked in (the on-time test), from its timeline."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(OrderEvent.order_id, func.min(OrderEvent.at))
        .where(OrderEvent.order_id.in_(order_ids), OrderEvent.to_status == "checked_in")
        .group_by(OrderEvent.order_id)
    )
    return {r[0]: r[1] for r in rows}


def checked_in_between(session: Session, first: date, last: date) -> dict[int, datetime]:
    """When each order of these service days was checked in, from its timeline."""
    rows = session.execute(
        select(OrderEvent.order_id, func.min(OrderEvent.at))
        .join(ServiceOrder, ServiceOrder.id == OrderEvent.order_id)
        .where(
            ServiceOrder.service_date >= first,
            ServiceOrder.service_date <= last,
            OrderEvent.to_status == "checked_in",
        )
        .group_by(OrderEvent.order_id)
    )
    return {r[0]: r[1] for r in rows}


def demand_of(session: Session, days: Collection[date]) -> list[dict[str, Any]]:
    """Orders of these service days that were not cancelled (demand: every order placed,
    whatever became of it), counted per day, elder's street and service: their number, their
    standard minutes added and the skills the service needs."""
    if not days:
        return []
    rows = session.execute(
        select(
            ServiceOrder.service_date, Elder.street_id, ServiceOrder.item_id, func.count(),
            func.sum(ServiceOrder.standard_minutes),
        )
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(ServiceOrder.service_date.in_(sorted(days)), ServiceOrder.status != "cancelled")
        .group_by(ServiceOrder.service_date, Elder.street_id, ServiceOrder.item_id)
    ).all()  # fmt: skip
    return demand_rows(session, rows)


def demand_rows(session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """(day, street, service, orders, minutes) rows as demand rows with the skills each
    service needs now."""
    items = {r[2] for r in rows}
    skills: dict[int, list[str]] = {}
    if items:
        wanted = select(ServiceItem.id, ServiceItem.required_skills)
        skills = {i: s for i, s in session.execute(wanted.where(ServiceItem.id.in_(items)))}
    return [
        {"service_date": d, "street_id": street, "skills": skills.get(item) or [],
         "orders": int(n), "minutes": int(minutes or 0)}
        for d, street, item, n, minutes in rows
    ]  # fmt: skip


def alarms_of(
    session: Session, *, since: datetime | None = None, ids: Iterable[int] = ()
) -> list[dict[str, Any]]:
    """Alarms raised since a time (or these ids), where they happen (the elder's home)."""
    stmt = select(
        Alarm.id, Alarm.type, Alarm.severity, Alarm.status, Alarm.street_id, Alarm.raised_at,
        Alarm.acknowledged_at, Alarm.closed_at, Elder.lat, Elder.lon,
    ).outerjoin(Elder, Elder.id == Alarm.elder_id)  # fmt: skip
    wanted = list(ids)
    if wanted:
        stmt = stmt.where(Alarm.id.in_(wanted))
    elif since is not None:
        stmt = stmt.where((Alarm.raised_at >= since) | Alarm.closed_at.is_(None))
    keys = (
        "id", "type", "severity", "status", "street_id", "raised_at", "acknowledged_at",
        "closed_at", "lat", "lon",
    )  # fmt: skip
    return _dicts(session, stmt, keys)


def programme_counts(session: Session) -> tuple[int, int, int]:
    """(devices ever fitted, orders placed online, services given) to date, district-wide."""
    fitted = session.scalar(select(func.count()).where(Device.installed_at.is_not(None)))
    online = session.scalar(select(func.count()).where(ServiceOrder.channel.in_(("app", "api"))))
    served = session.scalar(
        select(func.count()).where(
            ServiceOrder.status.in_(("checked_out", "completed", "confirmed", "settled"))
        )
    )
    return int(fitted or 0), int(online or 0), int(served or 0)


def government_spent(session: Session, first: date, last: date) -> dict[int, int]:
    """Government purchase (fen) of the orders served in these days, per elder's street."""
    rows = session.execute(
        select(Elder.street_id, func.coalesce(func.sum(ServiceOrder.government_fen), 0))
        .join(Elder, Elder.id == ServiceOrder.elder_id)
        .where(
            ServiceOrder.service_date >= first,
            ServiceOrder.service_date <= last,
            ServiceOrder.status.in_(("checked_out", "completed", "confirmed", "settled")),
        )
        .group_by(Elder.street_id)
    )
    return {r[0]: int(r[1]) for r in rows}


def responders_on_site(session: Session) -> dict[int, int]:
    """Responders standing at an open alarm now (arrived, not yet reported), per street."""
    rows = session.execute(
        select(Alarm.street_id, func.count())
        .join(AlarmResponder, AlarmResponder.alarm_id == Alarm.id)
        .where(AlarmResponder.state == "arrived", Alarm.closed_at.is_(None))
        .group_by(Alarm.street_id)
    )
    return {r[0]: int(r[1]) for r in rows if r[0] is not None}
