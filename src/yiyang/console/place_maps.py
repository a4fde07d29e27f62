"""What the maps of the console's pages show, as data for static/maps.js (never code).

An elder's home with its geofence, an order's elder, serving centre and the caregiver's
route for the day. Each map shows only what its page may: the route holds the visits the
reader may read (orders.day_repository starts from the orders' `readable`), and the centre
and route only once the page discloses who serves the order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_
from yiyang.kit.localtime import local_text
from yiyang.orders import day_repository
from yiyang.orders import repository as order_repository
from yiyang.orders.schemas import OrderRead
from yiyang.orders.subsidy_words import policy_name
from yiyang.registry.elders.models import Elder
from yiyang.security.subject import Subject
from yiyang.visits.schemas import VisitRead
from yiyang.web.i18n import translate

FENCE = N_("Geofence: %(metres)s m around the home")
ROUTE = N_("%(name)s's visits that day")
KINDS = {
    "home": N_("The elder's home"),
    "centre": N_("Serving centre"),
    "checkin": N_("Where the caregiver checked in"),
}


def fence(elder: Elder, locale: str) -> dict[str, Any]:
    """The elder's geofence: the ring a check-in must fall inside."""
    return {
        "lat": elder.lat,
        "lon": elder.lon,
        "m": elder.geofence_m,
        "label": translate(locale, FENCE, {"metres": elder.geofence_m}),
    }


def home_map(elder: Elder | None, locale: str) -> dict[str, Any] | None:
    """An elder's home and geofence (the `elder-home` component), None without an elder."""
    if elder is None:
        return None
    ring = fence(elder, locale)
    return {
        "name": elder.name,
        "lat": elder.lat,
        "lon": elder.lon,
        "label": elder.name,
        "fence_m": ring["m"],
        "fence_label": ring["label"],
    }


def order_map(
    db: Session, subject: Subject, shown: OrderRead, visit: VisitRead | None, locale: str
) -> dict[str, Any]:
    """An order's `places` map: the elder's home and geofence, where the check-in was made;
    once the page names who serves it, the caregiver's centre and their route that day
    (only the visits the reader may see)."""
    row = order_repository.get(db, subject, shown.id)
    elder = row.elder
    places: list[dict[str, Any]] = [
        {"lat": elder.lat, "lon": elder.lon, "kind": "home", "label": elder.name}
    ]
    data: dict[str, Any] = {
        "kinds": {k: translate(locale, v) for k, v in KINDS.items()},
        "places": places,
        "fence": fence(elder, locale),
    }
    if visit is not None and visit.check_in.lat is not None and visit.check_in.lon is not None:
        places.append(
            {
                "lat": visit.check_in.lat,
                "lon": visit.check_in.lon,
                "kind": "checkin",
                "label": local_text(visit.check_in.at, "%H:%M"),
            }
        )
    if shown.staff_id is None or row.staff is None:
        return data
    centre = row.staff.facility
    if centre is not None:
        places.append(
            {"lat": centre.lat, "lon": centre.lon, "kind": "centre", "label": centre.name}
        )
    visits = day_repository.caregiver_route(db, subject, shown.staff_id, shown.service_date)
    stops = [
        {
            "lat": o.elder.lat,
            "lon": o.elder.lon,
            "label": " ".join(
                x
                for x in (
                    local_text(o.planned_start_at or o.window_start_at, "%H:%M"),
                    policy_name(locale, o.item.name_zh, o.item.name_en),
                    o.elder.name if o.id == shown.id else "",
                )
                if x
            ),
        }
        for o in visits
    ]
    if len(stops) > 1:
        name = translate(locale, ROUTE, {"name": shown.staff_name or ""})
        data["route"] = {"name": name, "stops": stops}
    return data
