"""The big screen's figures, computed from the rows repository.py reads, per street.

Every figure is kept per street (a dict street_id -> counters) so that one district picture
serves every viewer: a district screen sums all streets, a street centre's screen its own
(`cut`). Functions here take rows and `now` and return plain values; they do not query.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from yiyang.alarms.handling import rules as alarm_rules
from yiyang.kit.geo import EARTH_RADIUS_M
from yiyang.planner.travel import StraightLineTravel
from yiyang.registry.elders.rules import risk_tier
from yiyang.registry.vocab import SpecialGroup

# An order's place on the screen's strip: placed → dispatched → on the way → checked in → done.
PHASES: Mapping[str, str] = {
    "created": "placed", "priced": "placed", "offered": "placed", "org_refused": "placed",
    "queued": "unplaceable",
    "org_accepted": "dispatched", "assigned": "dispatched", "caregiver_accepted": "dispatched",
    "caregiver_refused": "dispatched",
    "on_the_way": "on_the_way", "checked_in": "checked_in",
    "checked_out": "done", "completed": "done", "confirmed": "done", "settled": "done",
    "cancelled": "cancelled", "no_show": "no_show",
}  # fmt: skip
LIVE_PHASES = ("placed", "dispatched", "on_the_way", "checked_in", "done", "unplaceable")
LAYERS = ("all", "age80", *(f"group:{g.value}" for g in SpecialGroup), "risk:high", "risk:key")
CIRCLE_MINUTES = 15.0
CIRCLE_MODE = "walk"  # the 15-minute circle is a walk from home
DAY_CARE_KINDS = frozenset({"day_care_centre", "street_centre"})
MEAL_KINDS = frozenset({"meal_point"})


def phase(status: str) -> str:
    """Where an order of this status sits on the screen's strip."""
    return PHASES.get(status, "placed")


OLD_AGE = 80  # the "80 and over" layer; risk_tier reads an age only against it (tested)
GROUP_BITS: tuple[str, ...] = tuple(g.value for g in SpecialGroup)  # an elder's groups as bits


def born_by(today: date, years: int) -> date:
    """The latest birth date of someone `years` old or older today (age_on's rule)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February: who was born on the 28th has had the birthday
        return today.replace(year=today.year - years, day=today.day - 1)


def groups_of(mask: int) -> list[str]:
    """The group codes a GROUP_BITS mask holds."""
    return [code for i, code in enumerate(GROUP_BITS) if mask >> i & 1]


def elder_layers(
    counts: Iterable[tuple[int, bool, str, str, int | None, int, int]],
) -> dict[int, dict[str, int]]:
    """Elders per street in each choropleth layer: all, 80 and over, each of the seven
    groups, and the high and key visit-risk tiers (registry.elders.rules.risk_tier), from
    counts of elders alike: (street, 80 or over, living situation, economic status,
    capability level, GROUP_BITS mask of their groups, elders)."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(LAYERS, 0))
    for street_id, old, living, economic, capability, mask, n in counts:
        row = out[street_id]
        mine = groups_of(mask)
        row["all"] += n
        row["age80"] += n if old else 0
        for code in mine:
            row[f"group:{code}"] += n
        age = OLD_AGE if old else OLD_AGE - 1
        tier = risk_tier(age, living, mine, economic, capability)
        if tier in ("high", "key"):
            row[f"risk:{tier}"] += n
    return dict(out)


HOME_DECIMALS = 3  # about 100 m: a wall display shows where, never which door


def home_point(lat: float, lon: float) -> list[float]:
    """An elder's home as the screen may show it: [lon, lat] blurred to about 100 m."""
    return [round(lon, HOME_DECIMALS), round(lat, HOME_DECIMALS)]


def order_view(row: Mapping[str, Any], checked_in_at: datetime | None) -> dict[str, Any]:
    """One order as the map and the strip show it (no name, no address: a point and a phase)."""
    centre = (
        [round(row["centre_lon"], 5), round(row["centre_lat"], 5)]
        if row.get("centre_lat") is not None
        else None
    )
    cross = row.get("centre_street_id") is not None and row["centre_street_id"] != row["street_id"]
    on_time = None
    if checked_in_at is not None:
        on_time = checked_in_at <= row["window_end_at"]
    return {
        "id": row["id"],
        "phase": phase(row["status"]),
        "street_id": row["street_id"],
        "at": home_point(row["lat"], row["lon"]),
        "centre": centre,
        "cross": cross,
        "on_time": on_time,
        "gov_fen": int(row.get("government_fen") or 0),
    }


def order_counters(
    orders: Iterable[Mapping[str, Any]], key: str = "street_id"
) -> dict[Any, Counter[str]]:
    """Order counters per street (or per another key of the views): placed, served, waiting,
    unplaceable, on time (of those checked in), served from another street (of those with a
    serving centre), and the government purchase of those served (fen)."""
    out: dict[Any, Counter[str]] = defaultdict(Counter)
    for o in orders:
        c = out[o[key]]
        p = o["phase"]
        if p in ("cancelled",):
            c["cancelled"] += 1
            continue
        c["placed"] += 1
        c["served"] += p == "done"
        c["waiting"] += p in ("placed", "dispatched", "unplaceable")
        c["unplaceable"] += p == "unplaceable"
        c["moving"] += p in ("on_the_way", "checked_in")
        if o["on_time"] is not None:
            c["timed"] += 1
            c["on_time"] += bool(o["on_time"])
        if o["centre"] is not None:
            c["with_centre"] += 1
            c["cross"] += bool(o["cross"])
        if p == "done":
            c["gov_fen"] += o["gov_fen"]
    return dict(out)


def alarm_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """One alarm as the map shows it: a point that flashes until acknowledged."""
    at = home_point(row["lat"], row["lon"]) if row.get("lat") is not None else None
    return {
        "id": row["id"],
        "type": row["type"],
        "severity": row["severity"],
        "street_id": row["street_id"],
        "at": at,
        "raised_at": row["raised_at"],
        "acknowledged_at": row["acknowledged_at"],
        "open": row["closed_at"] is None,
        "flash": row["acknowledged_at"] is None and row["closed_at"] is None,
    }


def alarm_counters(
    alarms: Iterable[Mapping[str, Any]], since: datetime, now: datetime
) -> dict[int, Counter[str]]:
    """Alarms raised today per street and the answer-time counts within 60 s and 180 s
    (alarms.handling.rules.compliance: a fresh unanswered alarm is not yet a miss)."""
    by_street: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    out: dict[int, Counter[str]] = defaultdict(Counter)
    for a in alarms:
        street = a["street_id"] or 0
        out[street]["open"] += bool(a["open"])
        out[street]["flashing"] += bool(a["flash"])
        if a["raised_at"] >= since:
            out[street]["today"] += 1
            by_street[street].append((a["raised_at"], a["acknowledged_at"]))
    for street, pairs in by_street.items():
        for c in alarm_rules.compliance(pairs, now):
            limit = int(c.within.total_seconds())
            out[street][f"answered_{limit}"] += c.answered
            out[street][f"counted_{limit}"] += c.counted
    return dict(out)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


def summed(per_street: Mapping[int, Mapping[str, int]], streets: set[int] | None) -> Counter[str]:
    """The counters of these streets (None: every street, and alarms with no street) added."""
    total: Counter[str] = Counter()
    for street, counters in per_street.items():
        if streets is None or street in streets:
            total.update(counters)
    return total


ALL_SKILLS = "all"  # a street's own cell: each order and each caregiver counted once


@dataclass(frozen=True)
class Member:
    """A field caregiver as supply: home street, skills, and working windows per day."""

    street_id: int | None
    skills: frozenset[str]
    hours: Mapping[date, float]


def supply_demand(
    orders: Iterable[Mapping[str, Any]],
    members: Sequence[Member],
    first: date,
    last: date,
) -> dict[int, dict[str, dict[str, float]]]:
    """Per street and skill, demand hours (every order placed for its elders in these days,
    including those served from another street, the unplaceable and those escalated away,
    but not cancelled) against supply hours (its centres' caregivers' working hours).

    An order row may stand for several orders alike: `orders` of them (1 when absent) with
    `minutes` their standard minutes added. An order needing two skills is demand for each,
    a caregiver with two is supply for each; the street's `ALL_SKILLS` cell counts them once."""
    out: dict[int, dict[str, dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: {"demand": 0.0, "supply": 0.0, "orders": 0.0})
    )
    minutes: Counter[tuple[int, str]] = Counter()  # whole minutes: the same sum in any grouping
    for o in orders:
        if o.get("status") == "cancelled" or not first <= o["service_date"] <= last:
            continue
        for skill in {*(o["skills"] or ["general"]), ALL_SKILLS}:
            minutes[o["street_id"], skill] += o["minutes"]
            out[o["street_id"]][skill]["orders"] += o.get("orders", 1)
    for (street, skill), n in minutes.items():
        out[street][skill]["demand"] = n / 60.0
    for m in members:
        if m.street_id is None:
            continue
        hours = sum(h for d, h in m.hours.items() if first <= d <= last)
        for skill in m.skills | {"general", ALL_SKILLS}:
            out[m.street_id][skill]["supply"] += hours
    return {s: dict(v) for s, v in out.items()}


def shortages(
    table: Mapping[int, Mapping[str, Mapping[str, float]]], streets: set[int] | None, top: int = 5
) -> dict[str, list[tuple[int, float]]]:
    """Per skill, the streets whose demand hours exceed their supply, most short first."""
    out: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for street, skills in table.items():
        if streets is not None and street not in streets:
            continue
        for skill, cell in skills.items():
            if skill == ALL_SKILLS:
                continue
            gap = cell["demand"] - cell["supply"]
            if gap > 0.05:
                out[skill].append((street, round(gap, 1)))
    return {k: sorted(v, key=lambda x: -x[1])[:top] for k, v in sorted(out.items())}


@dataclass(frozen=True)
class Homes:
    """Elders' homes as arrays sorted by latitude (radians), for the circle's box search:
    sorted once for every kind of place measured against them."""

    street: np.ndarray
    lat: np.ndarray
    lon: np.ndarray

    @classmethod
    def of(cls, streets: Sequence[int], lats: Sequence[float], lons: Sequence[float]) -> Homes:
        """Homes from columns: each home's street, latitude and longitude (degrees)."""
        lat = np.radians(np.asarray(lats, dtype=float))
        order = np.argsort(lat, kind="stable")
        lon = np.radians(np.asarray(lons, dtype=float))
        return cls(np.asarray(streets, dtype=np.int64)[order], lat[order], lon[order])


def within_minutes(
    homes: Homes,
    places: Sequence[tuple[float, float]],
    travel: StraightLineTravel,
    *,
    minutes: float = CIRCLE_MINUTES,
    mode: str = CIRCLE_MODE,
) -> dict[int, tuple[int, int]]:
    """(elders within `minutes` of a place, elders) per street, by the planner's travel model
    (straight line x road factor at the mode's speed).

    Each place is measured by the haversine only against the homes in a box around it that
    holds every home within reach (a great circle is never shorter than its north-south
    part, nor than its east-west part at the box's widest latitude)."""
    if not len(homes.street):
        return {}
    reach_m = minutes * travel.speed_kmh.get(mode, 4.5) * 1000.0 / 60.0 / travel.road_factor
    lat, lon = homes.lat, homes.lon
    margin = 1 + 1e-9
    band = reach_m / EARTH_RADIUS_M * margin
    most = np.sin(reach_m / EARTH_RADIUS_M / 2) ** 2  # the haversine's `a` at the reach
    near = np.zeros(len(lat), dtype=bool)
    for plat, plon in places:
        p_lat, p_lon = np.radians(plat), np.radians(plon)
        lo = int(np.searchsorted(lat, p_lat - band, side="left"))
        hi = int(np.searchsorted(lat, p_lat + band, side="right"))
        widest = np.cos(min(abs(p_lat) + band, np.pi / 2))
        half = np.sqrt(most / max(widest * np.cos(p_lat), 1e-300))
        span = 2 * np.arcsin(min(1.0, half)) * margin if half < 1 else np.pi
        east = lon[lo:hi] - p_lon
        if not -np.pi <= p_lon - span <= p_lon + span <= np.pi:  # across the antimeridian
            east = (east + np.pi) % (2 * np.pi) - np.pi
        i = lo + np.flatnonzero(np.abs(east) <= span)
        a = (
            np.sin((lat[i] - p_lat) / 2) ** 2
            + np.cos(lat[i]) * np.cos(p_lat) * np.sin((lon[i] - p_lon) / 2) ** 2
        )
        near[i] |= 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1))) <= reach_m
    if minutes < travel.min_minutes:  # nobody is nearer than the model's minimum
        near[:] = False
    streets, index = np.unique(homes.street, return_inverse=True)
    elders = np.bincount(index, minlength=len(streets))
    inside = np.bincount(index, weights=near, minlength=len(streets))
    return {
        int(s): (int(c), int(n))
        for s, c, n in zip(streets.tolist(), inside.tolist(), elders.tolist(), strict=True)
    }


def days_back(today: date, n: int) -> tuple[date, date]:
    """The first and last day of the n days ending today."""
    return today - timedelta(days=n - 1), today
