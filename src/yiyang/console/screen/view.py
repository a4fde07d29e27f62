"""One viewer's cut of the district picture: the streets its scope covers, KPIs summed.

`streets` is a set of street ids (a street centre's screen) or None (the district screen).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from yiyang.console.screen import figures

Streets = set[int] | None


def _in(streets: Streets, street_id: int | None) -> bool:
    return streets is None or street_id in streets


Counted = tuple[dict[int, Counter[str]], dict[int, Counter[str]]]


def counted(
    orders: Mapping[int, Mapping[str, Any]],
    alarms: Mapping[int, Mapping[str, Any]],
    since: datetime,
    now: datetime,
) -> Counted:
    """Today's order and alarm counters per street, counted once for every viewer's cut."""
    return (
        figures.order_counters(orders.values()),
        figures.alarm_counters(alarms.values(), since, now),
    )


def kpis(
    slow: Mapping[str, Any],
    orders: Mapping[int, Mapping[str, Any]],
    alarms: Mapping[int, Mapping[str, Any]],
    streets: Streets,
    since: datetime,
    now: datetime,
) -> dict[str, Any]:
    """The KPI strip of these streets."""
    return kpis_of(slow, counted(orders, alarms, since, now), streets)


def kpis_of(slow: Mapping[str, Any], counters: Counted, streets: Streets) -> dict[str, Any]:
    """The KPI strip of these streets from the day's counters (`counted`)."""
    o = figures.summed(counters[0], streets)
    a = figures.summed(counters[1], streets)
    devices = figures.summed(slow["devices"], streets)
    places = [f for f in slow["facilities"] if _in(streets, f["street_id"])]
    spent = sum(v for s, v in slow["spent_fen"].items() if _in(streets, s))
    return {
        "placed": o["placed"], "served": o["served"], "waiting": o["waiting"],
        "unplaceable": o["unplaceable"], "moving": o["moving"],
        "on_time": figures.share(o["on_time"], o["timed"]),
        "cross": figures.share(o["cross"], o["with_centre"]),
        "alarms_today": a["today"], "alarms_open": a["open"], "alarms_flashing": a["flashing"],
        "within_60": figures.share(a["answered_60"], a["counted_60"]),
        "within_180": figures.share(a["answered_180"], a["counted_180"]),
        "responders": sum(v for s, v in slow["responders"].items() if _in(streets, s)),
        "devices": devices["installed"], "online": devices["online"],
        "low_battery": devices["low_battery"],
        "beds": sum(f["beds"] + f["day_places"] for f in places),
        "beds_used": sum(min(f["in_use"], f["beds"] + f["day_places"]) for f in places),
        "on_duty": sum(f["on_duty"] for f in places),
        "spent_fen": spent,
    }  # fmt: skip


def street_rows(slow: Mapping[str, Any], streets: Streets) -> list[dict[str, Any]]:
    """Each street of the cut: its layers, 15-minute circle and supply against demand."""
    out = []
    for s in slow["streets"]:
        if not _in(streets, s["id"]):
            continue
        circle = slow["circle"].get(s["id"], {"elders": 0, "day_care": 0, "meal": 0})
        supply = {
            n: {
                skill: {"demand": round(c["demand"], 1), "supply": round(c["supply"], 1)}
                for skill, c in table.get(s["id"], {}).items()
            }
            for n, table in slow["supply"].items()
        }
        layers = slow["layers"].get(s["id"], dict.fromkeys(figures.LAYERS, 0))
        out.append(s | {"layers": layers, "circle": circle, "supply": supply})
    return out


def shortage_rows(slow: Mapping[str, Any], streets: Streets) -> dict[str, Any]:
    """Per window and skill, the streets most short of it (names, hours short)."""
    names = {s["id"]: s["name"] for s in slow["streets"]}
    return {
        n: {
            skill: [[names.get(sid, ""), gap] for sid, gap in rows]
            for skill, rows in figures.shortages(table, streets).items()
        }
        for n, table in slow["supply"].items()
    }


def snapshot(
    slow: Mapping[str, Any],
    orders: Mapping[int, Mapping[str, Any]],
    alarms: Mapping[int, Mapping[str, Any]],
    streets: Streets,
    since: datetime,
    now: datetime,
) -> dict[str, Any]:
    """Everything a viewer's screen draws from, within its streets."""
    programme = dict(slow["programme"])
    return {
        "at": now.isoformat(),
        "today": slow["today"],
        "district": streets is None,
        "streets": street_rows(slow, streets),
        "facilities": [f for f in slow["facilities"] if _in(streets, f["street_id"])],
        "orders": [o for o in orders.values() if _in(streets, o["street_id"])],
        "alarms": [a for a in alarms.values() if _in(streets, a["street_id"])],
        "kpi": kpis(slow, orders, alarms, streets, since, now),
        "shortages": shortage_rows(slow, streets),
        "programme": programme,
    }


def delta(
    changed_orders: Sequence[Mapping[str, Any]],
    changed_alarms: Sequence[Mapping[str, Any]],
    kpi: dict[str, Any],
    streets: Streets,
    gone: list[int],
) -> dict[str, Any]:
    """What changed for a viewer (its orders and alarms), with its KPIs as they stand now."""
    orders = [o for o in changed_orders if _in(streets, o["street_id"])]
    alarms = [a for a in changed_alarms if _in(streets, a["street_id"])]
    return {"orders": orders, "alarms": alarms, "kpi": kpi, "gone": gone}
