"""The big screen's panels the naive way, for bench/screen.py: ORM objects loaded with their
relations and counted in Python, one panel at a time, with the product's own pure rules
(risk tiers, working patterns, order and alarm views, supply against demand). What the
product did before it counted in SQL, and what a screen that queried on every request would
do. bench/screen.py checks that each gives the product's figures before it times them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from yiyang.alarms.models import Alarm
from yiyang.alarms.response.models import AlarmResponder
from yiyang.config import Settings
from yiyang.console.screen import figures, view
from yiyang.devices.models import Device
from yiyang.dispatch.picture import FIELD_ROLES, shifts_for
from yiyang.kit.geo import EARTH_RADIUS_M
from yiyang.kit.idcard import age_on
from yiyang.kit.localtime import local_today
from yiyang.orders.models import ServiceOrder
from yiyang.planner.travel import StraightLineTravel
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.rules import risk_tier
from yiyang.registry.facilities.models import Facility
from yiyang.registry.staff.models import Staff

SERVED = ("checked_out", "completed", "confirmed", "settled")
WINDOWS = (7, 30)


def _elders(s: Session, groups: bool = False) -> list[Elder]:
    stmt = select(Elder).where(Elder.status == "active")
    if groups:
        stmt = stmt.options(selectinload(Elder.groups))
    return list(s.scalars(stmt))


def layers(s: Session, today: date) -> dict[int, dict[str, int]]:
    """Every active elder with their groups; age, groups and risk tier counted per street."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(figures.LAYERS, 0))
    for e in _elders(s, groups=True):
        row = out[e.street_id]
        age = age_on(e.birth_date, today)
        codes = [g.code for g in e.groups]
        row["all"] += 1
        row["age80"] += age >= figures.OLD_AGE
        for code in set(codes):
            if f"group:{code}" in row:
                row[f"group:{code}"] += 1
        tier = risk_tier(age, e.living_situation, codes, e.economic_status, e.capability_level)
        if tier in ("high", "key"):
            row[f"risk:{tier}"] += 1
    return dict(out)


def _field_staff(s: Session) -> list[Staff]:
    """Active field caregivers at an active facility (as dispatch's picture keeps them)."""
    staff = s.scalars(
        select(Staff)
        .where(Staff.status == "active", Staff.facility_id.is_not(None))
        .options(joinedload(Staff.facility), selectinload(Staff.skills))
    ).unique()
    return [
        st
        for st in staff
        if FIELD_ROLES & set(st.roles or ()) and st.facility is not None and st.facility.active
    ]


def facilities(s: Session, now: datetime) -> list[dict[str, Any]]:
    """Facilities, today's orders with caregiver and service, every caregiver's pattern."""
    today = local_today(now)
    orders = s.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.service_date == today)
        .options(joinedload(ServiceOrder.staff), joinedload(ServiceOrder.item))
    ).unique()
    elders_at: dict[int, set[int]] = defaultdict(set)
    for o in orders:
        if o.status in ("cancelled", "no_show") or o.item.home_visit:
            continue
        if o.staff is not None and o.staff.facility_id is not None:
            elders_at[o.staff.facility_id].add(o.elder_id)
    duty: Counter[int] = Counter()
    for st in _field_staff(s):
        for day in (today - timedelta(days=1), today):
            windows = shifts_for(st.working_pattern or {}, day)
            if any(w.start <= now < w.end for w in windows):
                assert st.facility_id is not None
                duty[st.facility_id] += 1
    return [
        {
            "id": f.id, "name": f.name, "kind": f.kind, "street_id": f.street_id,
            "at": [round(f.lon, 5), round(f.lat, 5)], "lat": f.lat, "lon": f.lon,
            "beds": f.beds_long_stay, "day_places": f.day_places, "meals": f.meals_per_day,
            "in_use": len(elders_at.get(f.id, ())), "on_duty": duty.get(f.id, 0),
        }
        for f in s.scalars(select(Facility).where(Facility.active.is_(True)))
    ]  # fmt: skip


def _near(
    homes: list[Elder], places: list[tuple[float, float]], reach_m: float
) -> dict[int, tuple[int, int]]:
    """Every home against every place (haversine in numpy), counted per street."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    lat = np.radians([e.lat for e in homes])
    lon = np.radians([e.lon for e in homes])
    near = np.zeros(len(homes), dtype=bool)
    for plat, plon in places:
        p_lat, p_lon = np.radians(plat), np.radians(plon)
        a = (
            np.sin((lat - p_lat) / 2) ** 2
            + np.cos(lat) * np.cos(p_lat) * np.sin((lon - p_lon) / 2) ** 2
        )
        near |= 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1))) <= reach_m
    for e, ok in zip(homes, near.tolist(), strict=True):
        counts[e.street_id][1] += 1
        counts[e.street_id][0] += ok
    return {k: (v[0], v[1]) for k, v in counts.items()}


def circle(s: Session) -> dict[int, dict[str, int]]:
    """Every active elder's home against every day-care centre and every meal point."""
    travel = StraightLineTravel()
    minutes, mode = figures.CIRCLE_MINUTES, figures.CIRCLE_MODE
    reach_m = minutes * travel.speed_kmh.get(mode, 4.5) * 1000.0 / 60.0 / travel.road_factor
    places = list(s.scalars(select(Facility).where(Facility.active.is_(True))))
    day_care = [(f.lat, f.lon) for f in places if f.kind in figures.DAY_CARE_KINDS]
    meals = [(f.lat, f.lon) for f in places if f.kind in figures.MEAL_KINDS or f.meals_per_day > 0]
    homes = _elders(s)
    near_day, near_meal = _near(homes, day_care, reach_m), _near(homes, meals, reach_m)
    return {
        k: {"elders": n, "day_care": c, "meal": near_meal.get(k, (0, n))[0]}
        for k, (c, n) in near_day.items()
    }


def supply(s: Session, today: date) -> dict[str, Any]:
    """Every order of the 30 days with its elder and service, every caregiver's pattern for
    every day."""
    first = today - timedelta(days=max(WINDOWS) - 1)
    orders = s.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.service_date >= first, ServiceOrder.service_date <= today)
        .options(joinedload(ServiceOrder.elder), joinedload(ServiceOrder.item))
    ).unique()
    rows = [
        {"service_date": o.service_date, "status": o.status, "street_id": o.elder.street_id,
         "skills": o.item.required_skills, "minutes": o.standard_minutes}
        for o in orders
    ]  # fmt: skip
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    members = []
    for st in _field_staff(s):
        assert st.facility is not None
        hours = {
            d: sum((w.end - w.start).total_seconds() for w in shifts_for(st.working_pattern, d))
            / 3600.0
            for d in days
        }
        skills = frozenset(k.skill for k in st.skills)
        members.append(figures.Member(st.facility.street_id, skills, hours))
    return {
        str(n): figures.supply_demand(rows, members, *figures.days_back(today, n)) for n in WINDOWS
    }


def streets(s: Session) -> list[dict[str, Any]]:
    """The streets as the picture lists them."""
    areas = s.scalars(select(Area).where(Area.level == "street").order_by(Area.code))
    return [{"id": a.id, "code": a.code, "name": a.name} for a in areas]


def shortages(s: Session, today: date) -> dict[str, Any]:
    """Streets short of each skill, from the naive supply."""
    return view.shortage_rows({"streets": streets(s), "supply": supply(s, today)}, None)


def devices(s: Session, settings: Settings) -> dict[int, dict[str, int]]:
    """Every installed device, counted per street."""
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for d in s.scalars(select(Device).where(Device.status == "installed")):
        if d.street_id is None:
            continue
        c = out[d.street_id]
        c["installed"] += 1
        c["online"] += bool(d.online)
        c["low_battery"] += d.battery_pct is not None and d.battery_pct < (
            settings.alarm_low_battery_pct
        )
    return {k: {"installed": v["installed"], "online": v["online"],
                "low_battery": v["low_battery"]} for k, v in out.items()}  # fmt: skip


def money(s: Session, settings: Settings, today: date) -> tuple[dict[str, int], dict[int, int]]:
    """Every device and every order ever, then this month's orders with their elders."""
    fitted = sum(d.installed_at is not None for d in s.scalars(select(Device)))
    online = served = 0
    for o in s.scalars(select(ServiceOrder)):
        online += o.channel in ("app", "api")
        served += o.status in SERVED
    spent: Counter[int] = Counter()
    month = s.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.service_date >= today.replace(day=1),
               ServiceOrder.service_date <= today)
        .options(joinedload(ServiceOrder.elder))
    ).unique()  # fmt: skip
    for o in month:
        if o.status in SERVED:
            spent[o.elder.street_id] += o.government_fen
    programme = {
        "budget_fen": settings.screen_budget_month_yuan * 100,
        "investment_fen": settings.screen_investment_yuan * 100,
        "devices_fitted": fitted if settings.screen_devices_fitted is None
        else settings.screen_devices_fitted,
        "online_orders": online, "services": served,
    }  # fmt: skip
    return programme, dict(spent)


def responders(s: Session) -> dict[int, int]:
    """Every open alarm, and every responder of theirs."""
    open_alarms = {a.id: a for a in s.scalars(select(Alarm).where(Alarm.closed_at.is_(None)))}
    out: Counter[int] = Counter()
    for r in s.scalars(select(AlarmResponder).where(AlarmResponder.state == "arrived")):
        alarm = open_alarms.get(r.alarm_id)
        if alarm is not None and alarm.street_id is not None:
            out[alarm.street_id] += 1
    return dict(out)


def orders_today(s: Session, today: date) -> dict[int, dict[str, Any]]:
    """Today's orders with their elder, caregiver, centre and timeline."""
    orders = s.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.service_date == today)
        .options(
            joinedload(ServiceOrder.elder),
            joinedload(ServiceOrder.staff).joinedload(Staff.facility),
            selectinload(ServiceOrder.events),
        )
    ).unique()
    out = {}
    for o in orders:
        centre = o.staff.facility if o.staff is not None else None
        row = {
            "id": o.id, "status": o.status, "window_end_at": o.window_end_at,
            "street_id": o.elder.street_id, "lat": o.elder.lat, "lon": o.elder.lon,
            "centre_street_id": centre.street_id if centre else None,
            "centre_lat": centre.lat if centre else None,
            "centre_lon": centre.lon if centre else None, "government_fen": o.government_fen,
        }  # fmt: skip
        ins = [e.at for e in o.events if e.to_status == "checked_in"]
        out[o.id] = figures.order_view(row, min(ins) if ins else None)
    return out


def alarms_since(s: Session, since: datetime) -> dict[int, dict[str, Any]]:
    """Alarms of today and every open one, with their elder."""
    alarms = s.scalars(
        select(Alarm)
        .where(or_(Alarm.raised_at >= since, Alarm.closed_at.is_(None)))
        .options(joinedload(Alarm.elder))
    ).unique()
    out = {}
    for a in alarms:
        row = {
            "id": a.id, "type": a.type, "severity": a.severity, "status": a.status,
            "street_id": a.street_id, "raised_at": a.raised_at,
            "acknowledged_at": a.acknowledged_at, "closed_at": a.closed_at,
            "lat": a.elder.lat if a.elder else None, "lon": a.elder.lon if a.elder else None,
        }  # fmt: skip
        out[a.id] = figures.alarm_view(row)
    return out


def kpis(s: Session, settings: Settings, now: datetime, since: datetime) -> dict[str, Any]:
    """The KPI strip from the rows it counts: today's orders and alarms, devices, facilities,
    responders and this month's money, each read for the strip."""
    today = local_today(now)
    _, spent = money(s, settings, today)
    slow = {"devices": devices(s, settings), "facilities": facilities(s, now),
            "responders": responders(s), "spent_fen": spent}  # fmt: skip
    return view.kpis(slow, orders_today(s, today), alarms_since(s, since), None, since, now)


def picture(s: Session, settings: Settings, now: datetime, since: datetime) -> dict[str, Any]:
    """Every panel read the naive way (what a screen would cost per request without a kept
    picture)."""
    today = local_today(now)
    programme, spent = money(s, settings, today)
    sup = supply(s, today)
    places = facilities(s, now)
    return {
        "today": today.isoformat(), "streets": streets(s), "layers": layers(s, today),
        "facilities": [{k: v for k, v in f.items() if k not in ("lat", "lon")} for f in places],
        "circle": circle(s), "supply": sup, "devices": devices(s, settings),
        "responders": responders(s), "spent_fen": spent, "programme": programme,
        "orders": orders_today(s, today), "alarms": alarms_since(s, since),
    }  # fmt: skip
