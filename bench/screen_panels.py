"""The big screen's panels as the product reads them, beside the naive reads, for
bench/screen.py: each panel is the function the screen's aggregator (console/screen/live.py)
calls to build it, on a fresh session; each naive one is in bench/screen_naive.py.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

import screen_naive as naive
from yiyang.alarms.handling.rules import day_start
from yiyang.config import Settings
from yiyang.console.screen import picture, view
from yiyang.console.screen import repository as queries
from yiyang.kit.localtime import local_today

Read = Callable[[Session], Any]
TARGET_MS = 200.0


@dataclass
class Panel:
    """One panel: what the product calls, what the naive read is, and what to compare."""

    name: str
    real: Read
    naive: Read | None  # None: every naive panel before it, read for the viewer
    agree: Callable[[Any, Any], bool] = lambda a, b: rounded(a) == rounded(b)


def rounded(value: Any) -> Any:
    """Floats to 6 places, tuples as lists, keys as strings: figures compared, not types."""
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {str(k): rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(v) for v in value]
    return value


def same_facilities(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """The same facilities with the same figures, in whatever order."""
    return rounded({r["id"]: r for r in a}) == rounded({r["id"]: r for r in b})


def same_shortages(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """The same streets short of each skill, by the same hours give or take the last tenth
    (demand is added in another order: 12.25 may round either way)."""
    if a.keys() != b.keys() or any(a[w].keys() != b[w].keys() for w in a):
        return False
    for w in a:
        for skill in a[w]:
            mine = dict((name, gap) for name, gap in a[w][skill])
            theirs = dict((name, gap) for name, gap in b[w][skill])
            if mine.keys() != theirs.keys():
                return False
            if any(abs(mine[k] - theirs[k]) > 0.1 + 1e-9 for k in mine):
                return False
    return True


def panels(settings: Settings, now: datetime, kept: dict[str, Any]) -> list[Panel]:
    """Every panel the screen draws; `kept` is the aggregator's picture (for the circle's
    inputs and the per-viewer figures)."""
    today, since = local_today(now), day_start(now)
    places = picture.facility_points

    def circle(s: Session) -> Any:  # from the facilities and homes' key the picture read
        return picture.circle(s, kept["places"], kept["homes_key"])[0]

    def money(s: Session) -> Any:
        spent = queries.government_spent(s, today.replace(day=1), today)
        return picture.programme(s, settings, today), spent

    def shortages(s: Session) -> Any:
        streets = [{"id": i, "code": c, "name": n} for i, c, n in queries.streets(s)]
        return view.shortage_rows({"streets": streets, "supply": picture.supply(s, today)}, None)

    def orders(s: Session) -> Any:
        return picture.orders_today(s, today)

    def alarms(s: Session) -> Any:
        return picture.alarms_since(s, since)

    def kpis(_: Session) -> Any:  # a viewer's strip from the kept picture
        return view.kpis(kept["slow"], kept["orders"], kept["alarms"], None, since, now)

    def snapshot(_: Session) -> Any:  # a viewer's first message, as live.py encodes it
        snap = view.snapshot(kept["slow"], kept["orders"], kept["alarms"], None, since, now)
        return len(json.dumps(snap, separators=(",", ":"), default=str))

    return [
        Panel("Choropleth layers (elders per street, 11 layers)",
              lambda s: picture.layers(s, today)[0], lambda s: naive.layers(s, today)),
        Panel("Facilities (places in use, caregivers on duty)",
              lambda s: places(s, now), lambda s: naive.facilities(s, now), same_facilities),
        Panel("15-minute circle (computed)", circle, naive.circle),
        Panel("Supply against demand (7 and 30 days)",
              lambda s: picture.supply(s, today), lambda s: naive.supply(s, today)),
        Panel("Streets short of a skill", shortages, lambda s: naive.shortages(s, today),
              same_shortages),
        Panel("Devices (online, low battery)",
              lambda s: picture.devices(s, settings), lambda s: naive.devices(s, settings)),
        Panel("Money and programme totals", money, lambda s: naive.money(s, settings, today)),
        Panel("Responders on site", queries.responders_on_site, naive.responders),
        Panel("Today's orders (map dots, strip)", orders,
              lambda s: naive.orders_today(s, today)),
        Panel("Alarms (list, flashing points)", alarms,
              lambda s: naive.alarms_since(s, since)),
        Panel("KPI strip (a viewer's, from the kept picture)", kpis,
              lambda s: naive.kpis(s, settings, now, since)),
        Panel("Snapshot (a viewer's first message, JSON)", snapshot, None),
    ]  # fmt: skip


def read(engine: Engine, fn: Read) -> tuple[float, Any]:
    """Seconds of one read on a fresh session, and what it gave."""
    with Session(engine) as s:
        started = time.perf_counter()
        out = fn(s)
        seconds = time.perf_counter() - started
        s.rollback()
    return seconds, out


def kept_picture(engine: Engine, settings: Settings, now: datetime) -> dict[str, Any]:
    """The aggregator's picture (as live.py loads it) and the key of the homes."""
    with Session(engine) as s:
        slow = picture.slow(s, settings, now)
        orders = picture.orders_today(s, local_today(now))
        alarms = picture.alarms_since(s, day_start(now))
        _, homes_key = picture.layers(s, local_today(now))
        places = picture.facility_points(s, now)
    return {"slow": slow, "orders": orders, "alarms": alarms, "homes_key": homes_key,
            "places": places}  # fmt: skip


def quantiles_ms(seconds: list[float]) -> dict[str, float]:
    """Median and p95 (nearest rank) in milliseconds."""
    v = sorted(seconds)
    p95 = v[max(0, math.ceil(0.95 * len(v)) - 1)]
    return {"median_ms": round(statistics.median(v) * 1000, 1), "p95_ms": round(p95 * 1000, 1)}


def check_and_time(
    engine: Engine, settings: Settings, now: datetime, runs: int, naive_runs: int
) -> list[dict[str, Any]]:
    """First check that every panel's naive read gives the product's figures, then time
    both: `runs` warm reads of the product's (after one that warms it), `naive_runs` of the
    naive one (the check is the first)."""
    kept = kept_picture(engine, settings, now)
    checked: dict[str, float] = {}
    for p in panels(settings, now, kept):  # first: every naive read gives the same figures
        if p.naive is not None:
            _, mine = read(engine, p.real)
            checked[p.name], theirs = read(engine, p.naive)
            if not p.agree(mine, theirs):
                raise AssertionError(f"{p.name}: the naive read gives other figures")
            print(f"  checked: {p.name}", flush=True)
    out: list[dict[str, Any]] = []
    for p in panels(settings, now, kept):
        read(engine, p.real)  # warm
        real = quantiles_ms([read(engine, p.real)[0] for _ in range(runs)])
        if p.naive is None:  # a naive screen reads every panel for each viewer
            reads = [r for r in out if not r["panel"].startswith("KPI")]
            total = round(sum(r["naive"]["median_ms"] for r in reads), 1)
            slow = {"median_ms": total, "p95_ms": total}
        else:
            extra = [read(engine, p.naive)[0] for _ in range(naive_runs - 1)]
            slow = quantiles_ms([checked[p.name], *extra])
        row = {"panel": p.name, "real": real, "naive": slow, "runs": runs,
               "naive_runs": naive_runs if p.naive else 0,
               "ratio": round(slow["median_ms"] / max(real["median_ms"], 0.01), 1),
               "met": real["p95_ms"] < TARGET_MS, "same": p.naive is not None}  # fmt: skip
        print(f"  {p.name}: {json.dumps(row)}", flush=True)
        out.append(row)
    return out


def whole_picture(
    engine: Engine, settings: Settings, now: datetime, runs: int
) -> dict[str, dict[str, float]]:
    """The aggregator's whole read (slow figures, today's orders and alarms): the first of a
    process (nothing kept) and the refresh every screen_refresh_seconds (circle kept)."""
    today, since = local_today(now), day_start(now)

    def load(kept: dict[str, Any] | None) -> Read:
        def go(s: Session) -> Any:
            slow = picture.slow(s, settings, now, kept)
            return slow, picture.orders_today(s, today), picture.alarms_since(s, since)

        return go

    _, (first, _, _) = read(engine, load(None))
    cold = [read(engine, load(None))[0] for _ in range(runs)]
    refresh = [read(engine, load(first))[0] for _ in range(runs)]
    return {"first": quantiles_ms(cold), "refresh": quantiles_ms(refresh)}
