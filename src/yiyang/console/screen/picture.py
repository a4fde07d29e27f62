"""The district picture the big screen shows: read once for every viewer, cut per viewer.

`slow(...)` is what changes by the minute or the day (elders per street, facilities, who is
on duty, devices, money, supply against demand, the 15-minute circle); `orders_today` and
`alarms_today` are the live part the aggregator (live.py) then keeps up to date from events.
`cut(...)` gives one viewer the streets its data scope covers, with the KPIs summed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.console.screen import figures, rollup
from yiyang.console.screen import programme as programme_figures
from yiyang.console.screen import repository as queries
from yiyang.devices import availability_repository
from yiyang.dispatch import picture as field_staff
from yiyang.kit.localtime import local_today
from yiyang.planner.travel import StraightLineTravel

Picture = dict[str, Any]
WINDOWS = (7, 30)  # supply against demand over the last 7 and 30 days


def _members(session: Session, first: date, last: date) -> list[figures.Member]:
    """The field caregivers with their working hours on each day. A working pattern is
    weekly and China keeps no summer time, so each weekday's hours are read once (seven
    days decoded, not thirty, and the dispatch picture's kept days are left alone)."""
    kept = field_staff.current(session)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    week = {d.weekday(): kept.shifts(d) for d in days[-7:]}
    out = []
    for m in kept.members:
        by_weekday = {
            k: sum((w.end - w.start).total_seconds() for w in shifts.get(m.staff_id, ())) / 3600.0
            for k, shifts in week.items()
        }
        hours = {d: by_weekday[d.weekday()] for d in days}
        out.append(figures.Member(m.street_id, frozenset(m.skills), hours))
    return out


def on_duty(session: Session, now: datetime) -> dict[int, int]:
    """Field caregivers whose working window holds `now`, per home facility."""
    kept = field_staff.current(session)
    out: Counter[int] = Counter()
    for day in (local_today(now) - timedelta(days=1), local_today(now)):
        for staff_id, windows in kept.shifts(day).items():
            if any(w.start <= now < w.end for w in windows):
                out[kept.by_id[staff_id].facility_id] += 1
    return dict(out)


def layers(session: Session, today: date) -> tuple[dict[int, dict[str, int]], Any]:
    """The choropleth's layers per street, and a key of where the elders live (it moves when
    an elder's home moves, comes or goes): one pass over the register."""
    counts = queries.elder_layer_counts(
        session, figures.born_by(today, figures.OLD_AGE), figures.GROUP_BITS
    )
    homes: dict[int, list[float]] = {}
    for street_id, *_, n, lat_e6, lon_e6 in counts:
        key = homes.setdefault(street_id, [0, 0.0, 0.0])
        key[0] += n
        key[1] += lat_e6
        key[2] += lon_e6
    return figures.elder_layers(c[:7] for c in counts), sorted((s, *v) for s, v in homes.items())


def facility_points(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Every active facility as the map shows it, with its places in use today and its
    caregivers on duty now."""
    in_use = queries.beds_in_use(session, local_today(now))
    duty = on_duty(session, now)
    return [
        {
            "id": f.id,
            "name": f.name,
            "kind": f.kind,
            "street_id": f.street_id,
            "at": [round(f.lon, 5), round(f.lat, 5)],
            "lat": f.lat,
            "lon": f.lon,
            "beds": f.beds_long_stay,
            "day_places": f.day_places,
            "meals": f.meals_per_day,
            "in_use": in_use.get(f.id, 0),
            "on_duty": duty.get(f.id, 0),
        }
        for f in queries.facilities(session)
    ]


def circle(
    session: Session,
    places: list[dict[str, Any]],
    homes_key: Any,
    kept: Picture | None = None,
) -> tuple[dict[int, dict[str, int]], Any]:
    """The 15-minute circle per street and its key; read again only when a home or a
    facility moved since the `kept` picture (reading every home is the screen's costliest
    read)."""
    day_care = [(f["lat"], f["lon"]) for f in places if f["kind"] in figures.DAY_CARE_KINDS]
    meals = [
        (f["lat"], f["lon"]) for f in places if f["kind"] in figures.MEAL_KINDS or f["meals"] > 0
    ]
    key = (homes_key, day_care, meals)
    if kept is not None and kept.get("circle_key") == key:
        return kept["circle"], key
    homes = figures.Homes.of(*queries.elder_points(session))
    travel = StraightLineTravel()
    near_day = figures.within_minutes(homes, day_care, travel)
    near_meal = figures.within_minutes(homes, meals, travel)
    return {
        s: {"elders": n, "day_care": near, "meal": near_meal.get(s, (0, n))[0]}
        for s, (near, n) in near_day.items()
    }, key


def supply(session: Session, today: date) -> dict[str, Any]:
    """Supply against demand per street and skill over each window (7 and 30 days): the
    closed days from their tally, today from its orders."""
    starts = [figures.days_back(today, n)[0] for n in WINDOWS]
    demand = rollup.demand(session, today, starts)
    members = _members(session, min(starts), today)
    return {
        str(n): figures.supply_demand(demand, members, *figures.days_back(today, n))
        for n in WINDOWS
    }


def programme(session: Session, settings: Settings, today: date) -> dict[str, int]:
    """The programme's totals to date (budget and investment as the district set them)."""
    fitted, online_orders, services = queries.programme_counts(session)
    figures_set = programme_figures.current(session, settings, today)
    given_fitted = figures_set[programme_figures.Key.FITTED]
    return {
        "budget_fen": figures_set[programme_figures.Key.BUDGET] or 0,
        "investment_fen": figures_set[programme_figures.Key.INVESTMENT] or 0,
        "devices_fitted": fitted if given_fitted is None else given_fitted,
        "online_orders": online_orders,
        "services": services,
    }


def devices(session: Session, settings: Settings) -> dict[int, dict[str, int]]:
    """Devices installed, online and low on battery per street."""
    per = availability_repository.counts_by_street(session, settings.alarm_low_battery_pct)
    return {s: {"installed": a, "online": b, "low_battery": c} for s, (a, b, c) in per.items()}


def slow(
    session: Session, settings: Settings, now: datetime, kept: Picture | None = None
) -> Picture:
    """Everything but today's orders and alarms, district-wide, keyed by street id; the
    15-minute circle of the `kept` picture is kept while no home or facility moved."""
    today = local_today(now)
    by_street, homes_key = layers(session, today)
    places = facility_points(session, now)
    near, circle_key = circle(session, places, homes_key, kept)
    return {
        "today": today.isoformat(),
        "streets": [{"id": i, "code": c, "name": n} for i, c, n in queries.streets(session)],
        "layers": by_street,
        "facilities": [{k: v for k, v in f.items() if k not in ("lat", "lon")} for f in places],
        "circle": near,
        "circle_key": circle_key,
        "supply": supply(session, today),
        "devices": devices(session, settings),
        "responders": queries.responders_on_site(session),
        "spent_fen": queries.government_spent(session, today.replace(day=1), today),
        "programme": programme(session, settings, today),
    }


def orders_today(session: Session, today: date) -> dict[int, dict[str, Any]]:
    """Today's orders as the screen shows them, by id (check-ins read by the day, not by
    a list of thousands of ids)."""
    rows = queries.orders_of(session, day=today)
    return order_views(rows, queries.checked_in_between(session, today, today))


def order_views(
    rows: list[dict[str, Any]], checked: dict[int, datetime]
) -> dict[int, dict[str, Any]]:
    """Rows of orders as screen views (with their check-in time, for on time)."""
    return {r["id"]: figures.order_view(r, checked.get(r["id"])) for r in rows}


def orders_by_id(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """These orders as screen views, with the service date each falls on."""
    rows = queries.orders_of(session, ids=ids)
    views = order_views(rows, queries.checked_in_at(session, ids))
    for r in rows:
        views[r["id"]]["service_date"] = r["service_date"].isoformat()
    return views


def alarms_since(session: Session, since: datetime) -> dict[int, dict[str, Any]]:
    """Alarms raised since the start of the day, and any still open, by id."""
    return {r["id"]: figures.alarm_view(r) for r in queries.alarms_of(session, since=since)}


def alarms_by_id(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """These alarms as screen views."""
    return {r["id"]: figures.alarm_view(r) for r in queries.alarms_of(session, ids=ids)}
