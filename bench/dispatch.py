"""Benchmark automatic dispatch on the demo Jinshui district and on a ten-district city.

    python bench/dispatch.py [--seed 2026] [--scales district,city] [--no-doc]

District: `generate_district(20000, seed)`; the field staff (everyone active but managers and
cooks, about 480) work their Wednesday pattern from their home facility; about 2,000 visits
are drawn from the catalog's home-visit items (standard minutes, required skills) for elders
weighted toward high need (capability level, special groups), with morning/afternoon start
windows (meals at lunchtime), and half of them with a caregiver who served the elder before.
City: ten districts generated with seeds seed..seed+9 (each its own network of facilities,
staff and elders) laid side by side as tiles 5 x 2, ids and areas kept apart, all searched as
one district: about 4,800 field staff, 200,000 elders, 20,000 visits.

Orders are processed one by one in creation order (shuffled, not in time order): the planner
`choose` with its index, each winner committed into the caregiver's day. Baseline measured in
the same run on a fresh copy of the same day: the nearest (straight line from the home
facility) caregiver with the skill in the elder's street who is free (same feasibility check),
without escalation, continuity or load. Then the day plan re-plans the whole day with VROOM
from what the planner holds at the end (all visits movable, as the evening before).
Prints the machine and figures, ends with one JSON
line, and rewrites the "Dispatch" section of docs/benchmarks.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from doc import replace_section
from yiyang.demo.generator import generate_district
from yiyang.demo.records import DemoDistrict
from yiyang.kit.geo import haversine_m
from yiyang.kit.localtime import CHINA_TZ
from yiyang.planner.choose import TIERS, choose
from yiyang.planner.day_plan import plan_day, round_travel
from yiyang.planner.feasibility import Slot, check, with_visit
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import CaregiverState, Job, Point, TravelModel, Window

SECTION = "## Dispatch"
REBUILD_EVERY = 50  # sample the index build (the product's per-order cost) every n orders
DAY = date(2026, 3, 4)  # a Wednesday: every working pattern of the demo staff includes it
NOT_FIELD = {"manager", "cook"}
# Share of a day's visits per catalog item (home visits only). Most lunches go out in batches
# from meal points; only the individually dispatched deliveries are counted here.
MIX = {
    "meal_delivery": 12, "cleaning": 14, "home_personal_care": 12, "proactive_visit": 10,
    "health_check": 7, "bath_home": 6, "pressure_sore_care": 2, "catheter_care": 1.5,
    "tube_feeding_care": 1.5, "shopping_errand": 3, "bill_paying": 2, "medical_escort": 3,
    "mobility_help": 3, "companionship": 1.5, "counselling": 1, "rehab_exercise": 1.5,
    "emergency_help": 0.5, "adaptation_assessment": 0.5, "grab_bar_install": 0.5,
}  # fmt: skip


def _span(values: list[float], unit: str) -> str:
    """ "6.2 min" or "6.2–7.0 min": the range of one figure over the scales measured."""
    lo, hi = min(values), max(values)
    sep = "" if unit == "%" else " "
    return f"{lo:g}{sep}{unit}" if lo == hi else f"{lo:g}–{hi:g}{sep}{unit}"


def _more(ratios: list[float]) -> str:
    """How many more (or fewer) orders the ratios say, in words: "23–24% more orders than"."""
    shares = sorted(round((r - 1) * 100) for r in ratios)
    if all(s == 0 for s in shares):
        return "as many orders as"
    if all(s > 0 for s in shares) or all(s < 0 for s in shares):
        word = "more" if shares[0] > 0 else "fewer"
        lo, hi = sorted(abs(s) for s in (shares[0], shares[-1]))
        span = f"{lo}%" if lo == hi else f"{lo}–{hi}%"
        return f"{span} {word} orders than"
    return "between " + " and ".join(f"{s:+d}%" for s in (shares[0], shares[-1])) + " orders vs"


def notes(results: list[dict[str, Any]]) -> list[str]:
    """The reading of the tables, every number in it from this run's results."""
    assigned = [r["ratios"]["assigned"] for r in results]
    p99 = [r["planner"]["p99_ms"] for r in results]
    extra = [r["planner_extra"]["mean_travel_min"] for r in results]
    above = [r["planner"]["route_travel_min"] > r["baseline"]["route_travel_min"] for r in results]
    route = (
        "above the baseline's"
        if all(above)
        else "below the baseline's"
        if not any(above)
        else "above the baseline's at some scales"
    )
    moved_share = [r["day_plan_calm"]["moved"] / max(1, r["day_plan"]["moved"]) for r in results]
    saved = [
        (r["baseline"]["route_travel_min"] - r["day_plan_calm"]["route_travel_min"])
        / max(1e-9, r["baseline"]["route_travel_min"] - r["day_plan"]["route_travel_min"])
        for r in results
    ]
    rebuild = [r["planner"]["rebuild_ms"] for r in results]
    return [
        "Reading: automatic dispatch places each order in the pure planner in "
        f"{_span(p99, 'ms')} at p99 and serves {_more(assigned)} the baseline; the product "
        "also rebuilds the planner's index for every order "
        f"({_span(rebuild, 'ms')}, the column beside p99; the database reads are in "
        "bench/dispatch_db.py and bench/requests.py). One by one its rounds cross and the "
        "orders whose street is full go across the district "
        f"({_span(extra, 'min')} each), so its route travel is {route}. The day plan "
        "(`planner.day_plan`, VROOM through pyvroom) re-plans the whole day from what dispatch "
        "holds, as the product does the evening before (`/dispatch/day-plan`, or nightly): "
        "streets solved in groups linked by cross-street jobs (at most "
        f"{DAY_PLAN_GROUP['max_jobs']} jobs and {DAY_PLAN_GROUP['max_caregivers']} caregivers "
        "a group), held jobs before waiting ones, a job kept with a caregiver who served the "
        "elder before, leftovers placed by `choose`. Targets: p99 of automatic dispatch, and "
        "the day plan serving more orders than the baseline with less route travel per visit. "
        "Route travel counts every leg of every caregiver's final day (home, then visits in "
        'time order, no way back), so it includes legs changed by later insertions; "mean '
        'travel" is the trip in at assignment. Times per assignment are noisy on a shared '
        "machine: compare the planner/baseline ratio of the same run. The calmer plan (the "
        f'page\'s "keep caregivers on trips up to {CALM_KEEP_MIN:g} min") moves '
        f"{_span([round(m * 100) for m in moved_share], '%')} of the visits the full re-plan "
        f"moves, for {_span([round(x * 100) for x in saved], '%')} of its saving in route travel.",
    ]


DAY_PLAN_GROUP = {"max_jobs": 300, "max_caregivers": 100}  # plan_day's defaults
CALM_KEEP_MIN = 4.0  # the calmer day plan: held visits with trips this short keep their caregiver
LEVEL = {"nursing": 2, "rehab": 2}  # minimum skill level; 1 for everything else


@dataclass
class World:
    """Caregivers and elders of one scale, ready for the planner."""

    name: str
    caregivers: list[CaregiverState]
    elders: list[tuple[int, Point, int, int, float]]  # id, place, street, community, weight
    items: list[tuple[str, tuple[str, ...], int, float]]  # code, skills, minutes, weight
    elders_total: int


def local(hhmm: str) -> datetime:
    """A Beijing wall-clock time on DAY as aware UTC-comparable datetime."""
    h, m = hhmm.split(":")
    return datetime(DAY.year, DAY.month, DAY.day, int(h), int(m), tzinfo=CHINA_TZ)


def district_part(d: DemoDistrict, tile: int, dlat: float, dlon: float) -> World:
    """One generated district as planner inputs, shifted by (dlat, dlon), ids kept apart."""
    off = tile * 1_000_000
    fac = {f.id: f for f in d.facilities}
    skills = d.skills_by_staff()
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[DAY.weekday()]
    caregivers = []
    for s in d.staff:
        if s.status != "active" or NOT_FIELD.issuperset(s.roles):
            continue
        f = fac[s.facility_id]
        hours = s.working_pattern.get(weekday)
        shifts = (Window(local(hours[0]), local(hours[1])),) if hours else ()
        length = (shifts[0].end - shifts[0].start).total_seconds() / 60 if shifts else 0
        caregivers.append(
            CaregiverState(
                staff_id=off + s.id,
                provider_id=off + s.provider_id,
                facility_id=off + f.id,
                street_id=off + f.street_id,
                community_id=off + f.community_id if f.community_id else None,
                home=Point(f.lat + dlat, f.lon + dlon),
                travel_mode=s.travel_mode,
                skills=skills.get(s.id, {}),
                shifts=shifts,
                capacity_minutes=int(length * 0.85),  # the rest of the shift is travel
            )
        )
    need = Counter(g.elder_id for g in d.elder_groups)
    elders = [
        (
            off + e.id,
            Point(e.lat + dlat, e.lon + dlon),
            off + e.street_id,
            off + e.community_id,
            1.0 + 1.5 * (e.capability_level or 0) + 2.0 * need[e.id],
        )
        for e in d.elders
        if e.status == "active"
    ]
    items = [
        (it.code, it.required_skills, it.price_on(DAY).standard_minutes, MIX[it.code])
        for it in d.catalog.items
        if it.home_visit and it.code in MIX
    ]
    return World("district", caregivers, elders, items, len(d.elders))


def build(scale: str, seed: int) -> World:
    """The district, or ten districts side by side as one city."""
    if scale == "district":
        world = district_part(generate_district(20_000, seed), 0, 0.0, 0.0)
        world.name = "district"
        return world
    parts = []
    for i in range(10):
        d = generate_district(20_000, seed + i)
        if i == 0:
            lats = [e.lat for e in d.elders] + [f.lat for f in d.facilities]
            lons = [e.lon for e in d.elders] + [f.lon for f in d.facilities]
            height, width = max(lats) - min(lats), max(lons) - min(lons)
        parts.append(district_part(d, i, (i // 5) * height, (i % 5) * width))
    return World(
        "city",
        [c for p in parts for c in p.caregivers],
        [e for p in parts for e in p.elders],
        parts[0].items,
        sum(p.elders_total for p in parts),
    )


def make_day(world: World, visits: int, seed: int) -> list[Job]:
    """A day's orders in creation order (shuffled): service, elder, window, continuity."""
    rng = random.Random(f"dispatch-day-{seed}-{world.name}")
    chosen = rng.choices(world.elders, weights=[e[4] for e in world.elders], k=visits)
    items = rng.choices(world.items, weights=[it[3] for it in world.items], k=visits)
    by_street: dict[int, list[CaregiverState]] = {}
    for c in world.caregivers:
        by_street.setdefault(c.street_id or 0, []).append(c)
    jobs = []
    for n, ((eid, place, street, community, _), (code, skills, minutes, _)) in enumerate(
        zip(chosen, items, strict=True), start=1
    ):
        if code == "meal_delivery":
            start = local("10:30") + timedelta(minutes=rng.choice((0, 15, 30, 45, 60)))
            window = Window(start, start + timedelta(minutes=60))
        else:
            first = rng.choice(("08:00", "08:30", "09:00", "09:30", "10:00", "10:30"))
            if code != "medical_escort" and rng.random() < 0.4:
                first = rng.choice(("14:00", "14:30", "15:00", "15:30", "16:00"))
            start = local(first)
            window = Window(start, start + timedelta(minutes=rng.choice((60, 120))))
        required = {s: LEVEL.get(s, 1) for s in skills}
        previous: dict[int, int] = {}
        if rng.random() < 0.5:  # a regular client: served before by a nearby skilled caregiver
            near = sorted(
                (c for c in by_street.get(street, []) if all(s in c.skills for s in skills)),
                key=lambda c: (
                    haversine_m(c.home.lat, c.home.lon, place.lat, place.lon),
                    c.staff_id,
                ),
            )[:3]
            if near:
                previous[rng.choice(near).staff_id] = rng.randint(1, 4)
        jobs.append(Job(n, eid, place, street, community, window, minutes, required, previous))
    return jobs


@dataclass
class Run:
    """Figures of one strategy on one day."""

    times_ms: list[float]
    travel: dict[int, float]  # order id -> travel minutes of assigned visits
    tiers: Counter[str]
    unplaced: Counter[str]
    continuity_kept: int = 0
    continuity_asked: int = 0
    examined: int = 0
    route_travel: float = 0.0  # minutes per visit over the caregivers' final days
    held: dict[int, int] = field(default_factory=dict)  # order id -> staff id at the end
    rebuild_ms: list[float] = field(default_factory=list)  # index builds, sampled

    def summary(self, jobs: int) -> dict[str, Any]:
        """p50/p99/max ms, share assigned, mean travel, tiers and reasons."""
        ts = sorted(self.times_ms)
        q = statistics.quantiles(ts, n=100, method="inclusive")
        return {
            "orders": jobs,
            "assigned": len(self.travel),
            "share_assigned": round(len(self.travel) / jobs, 4),
            "mean_travel_min": round(statistics.fmean(self.travel.values()), 2),
            "route_travel_min": round(self.route_travel, 2),
            "p50_ms": round(q[49], 3),
            "p99_ms": round(q[98], 3),
            "max_ms": round(ts[-1], 3),
            "rebuild_ms": round(statistics.median(self.rebuild_ms), 2) if self.rebuild_ms else 0,
            "tiers": dict(self.tiers),
            "unplaced": dict(self.unplaced),
            "continuity_kept": round(self.continuity_kept / max(1, self.continuity_asked), 3),
            "mean_examined": round(self.examined / jobs, 1),
        }


def route_travel(index: CaregiverIndex, travel: TravelModel) -> float:
    """Mean leg per visit of every final day (home, then visits in time order), no way back.

    Unlike the trip in at assignment, it also counts the legs changed by later insertions.
    """
    total, visits = round_travel(index, travel)
    return total / max(1, visits)


def run_planner(
    world: World, jobs: list[Job], travel: StraightLineTravel, tiers: tuple[str, ...] = TIERS
) -> Run:
    """The planner: choose() with the index, committing each winner."""
    index = CaregiverIndex(world.caregivers)
    run = Run([], {}, Counter(), Counter())
    clock = time.perf_counter
    for n, job in enumerate(jobs):
        if n % REBUILD_EVERY == 0:  # what the product pays on top: the index built per order
            t0 = clock()
            CaregiverIndex(list(index))
            run.rebuild_ms.append((clock() - t0) * 1000)
        t0 = clock()
        decision = choose(job, index, travel, tiers=tiers)
        if decision.winner is not None:
            c = index.get(decision.winner.staff_id)
            index.put(with_visit(c, job, decision.winner.start))
        run.times_ms.append((clock() - t0) * 1000)
        run.examined += decision.examined
        if decision.winner is None:
            run.unplaced[decision.unplaceable_reason or "?"] += 1
            continue
        run.travel[job.order_id] = decision.winner.travel_min
        run.held[job.order_id] = decision.winner.staff_id
        run.tiers[decision.tier or "?"] += 1
        if job.previous_caregivers:
            run.continuity_asked += 1
            run.continuity_kept += decision.winner.staff_id in job.previous_caregivers
    run.route_travel = route_travel(index, travel)
    return run


def run_baseline(world: World, jobs: list[Job], travel: StraightLineTravel) -> Run:
    """Nearest free caregiver with the skill in the same street, by distance from home."""
    index = CaregiverIndex(world.caregivers)
    run = Run([], {}, Counter(), Counter())
    clock = time.perf_counter
    for n, job in enumerate(jobs):
        if n % REBUILD_EVERY == 0:  # what the product pays on top: the index built per order
            t0 = clock()
            CaregiverIndex(list(index))
            run.rebuild_ms.append((clock() - t0) * 1000)
        t0 = clock()
        here = job.location
        pool = sorted(
            (
                index.get(sid)
                for sid in index.street(job.street_id) & index.skilled(job.required_skills)
            ),
            key=lambda c: (haversine_m(c.home.lat, c.home.lon, here.lat, here.lon), c.staff_id),
        )
        winner: tuple[CaregiverState, Slot] | None = None
        for c in pool:
            run.examined += 1
            slot = check(c, job, travel)
            if isinstance(slot, Slot):
                winner = (c, slot)
                break
        if winner is not None:
            index.put(with_visit(winner[0], job, winner[1].start))
        run.times_ms.append((clock() - t0) * 1000)
        if winner is None:
            run.unplaced["none_free_in_street"] += 1
            continue
        run.travel[job.order_id] = round(winner[1].travel_min, 1)
        run.tiers["street"] += 1
        if job.previous_caregivers:
            run.continuity_asked += 1
            run.continuity_kept += winner[0].staff_id in job.previous_caregivers
    run.route_travel = route_travel(index, travel)
    return run


def run_day_plan(
    world: World, jobs: list[Job], held: dict[int, int], legs: dict[int, float], keep: float
) -> dict[str, Any]:
    """The evening before: re-plan the whole day from what one-by-one dispatch holds.

    With `keep` > 0, held visits whose trip in is at most `keep` minutes keep their caregiver.
    """
    plan = plan_day(
        world.caregivers, jobs, StraightLineTravel(), current=held, settled=legs,
        settled_within_min=keep,
    )  # fmt: skip
    placed = plan.placements
    asked = [j for j in jobs if j.previous_caregivers and j.order_id in placed]
    kept = sum(placed[j.order_id].staff_id in j.previous_caregivers for j in asked)
    moved = sum(1 for o, p in placed.items() if held.get(o) != p.staff_id)
    return {
        "orders": len(jobs),
        "assigned": len(placed),
        "share_assigned": round(len(placed) / len(jobs), 4),
        "route_travel_min": round(plan.travel_min / max(1, plan.visits), 2),
        "seconds": round(plan.seconds, 1),
        "moved": moved,
        "continuity_kept": round(kept / max(1, len(asked)), 3),
        "keep_within_min": keep,
    }


def compare(scale: str, seed: int, visits: int) -> dict[str, Any]:
    """Build one scale, make its day, run planner and baseline, and summarise both."""
    t0 = time.perf_counter()
    world = build(scale, seed)
    jobs = make_day(world, visits, seed)
    built = time.perf_counter() - t0
    travel = StraightLineTravel()
    planner = run_planner(world, jobs, travel)
    baseline = run_baseline(world, [replace(j) for j in jobs], travel)
    local_only = run_planner(world, jobs, travel, ("community", "street"))
    day_plan = run_day_plan(world, jobs, planner.held, planner.travel, 0.0)
    calm = run_day_plan(world, jobs, planner.held, planner.travel, CALM_KEEP_MIN)
    both = planner.travel.keys() & baseline.travel.keys()
    p, b = planner.summary(len(jobs)), baseline.summary(len(jobs))
    lo = local_only.summary(len(jobs))
    for summary, run in ((p, planner), (b, baseline), (lo, local_only)):
        common = run.travel.keys() & baseline.travel.keys()
        summary["travel_on_baseline_orders"] = round(
            statistics.fmean(run.travel[o] for o in common), 2
        )
    extra = planner.travel.keys() - baseline.travel.keys()
    return {
        "scale": scale,
        "caregivers": len(world.caregivers),
        "elders": world.elders_total,
        "visits": len(jobs),
        "build_s": round(built, 1),
        "planner": p,
        "baseline": b,
        "no_escalation": lo,
        "day_plan": day_plan,
        "day_plan_calm": calm,
        "both_assigned": len(both),
        "planner_extra": {
            "orders": len(extra),
            "mean_travel_min": round(statistics.fmean(planner.travel[o] for o in extra), 2),
        },
        "travel_on_both": {
            "planner": round(statistics.fmean(planner.travel[o] for o in both), 2),
            "baseline": round(statistics.fmean(baseline.travel[o] for o in both), 2),
        },
        "ratios": {
            "assigned": round(p["assigned"] / max(1, b["assigned"]), 3),
            "mean_travel": round(p["mean_travel_min"] / b["mean_travel_min"], 3),
            "p99_ms": round(p["p99_ms"] / b["p99_ms"], 2),
            "day_plan_assigned": round(day_plan["assigned"] / max(1, b["assigned"]), 3),
            "day_plan_route_travel": round(day_plan["route_travel_min"] / b["route_travel_min"], 3),
        },
    }


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": datetime.now(CHINA_TZ).date().isoformat(),
    }


def report(r: dict[str, Any]) -> None:
    """Human-readable figures of one scale."""
    print(f"\n== {r['scale']}: {r['caregivers']:,} caregivers, {r['elders']:,} elders, "
          f"{r['visits']:,} visits (built in {r['build_s']} s)")  # fmt: skip
    for name in ("planner", "baseline", "no_escalation"):
        s = r[name]
        print(
            f"  {name:13} assigned {s['assigned']:>6,}/{s['orders']:,} ({s['share_assigned']:.1%})"
            f"  travel {s['mean_travel_min']:5.2f} min (route {s['route_travel_min']:5.2f})"
            f" on baseline's {s['travel_on_baseline_orders']:5.2f}  p50 {s['p50_ms']:.3f} ms"
            f"  p99 {s['p99_ms']:.3f} ms  max {s['max_ms']:.1f} ms"
            f"  continuity kept {s['continuity_kept']:.0%}  examined {s['mean_examined']}"
        )
        print(f"           tiers {s['tiers']}  unplaced {s['unplaced']}")
    for name in ("day_plan", "day_plan_calm"):
        d = r[name]
        print(f"  {name:13} assigned {d['assigned']:>6,}/{d['orders']:,}"
              f" ({d['share_assigned']:.1%})"
              f"  route travel {d['route_travel_min']:5.2f} min  in {d['seconds']} s"
              f"  moved {d['moved']:,}  continuity kept {d['continuity_kept']:.0%}")  # fmt: skip
    t, x = r["travel_on_both"], r["planner_extra"]
    print(f"  the planner's {x['orders']:,} orders the baseline left unserved: "
          f"travel {x['mean_travel_min']} min")  # fmt: skip
    print(f"  on the {r['both_assigned']:,} orders both assigned: travel {t['planner']} vs "
          f"{t['baseline']} min; ratios planner/baseline {r['ratios']}")  # fmt: skip


def write_doc(command: str, info: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """Replace the "Dispatch" section of docs/benchmarks.md, keeping the others."""
    lines = [
        SECTION,
        "",
        "`bench/dispatch.py` processes a day's orders one by one in creation order with the pure",
        "planner (`yiyang.planner.choose`: community, then street, then district; ranked by",
        "travel, load and continuity; a grid/area/skill index), committing each winner. Baseline",
        "in the same run: nearest caregiver (straight line from the home facility) with the skill",
        "in the elder's street who is free, with no escalation, continuity or load. Time is per",
        "automatic assignment (choose + commit). Travel: straight line x 1.3 at the caregiver's",
        "mode speed. The city is ten generated districts (seeds 2026-2035) side by side, searched",
        "as one district. Details of the day are in the script's docstring.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['cpu']} ({info['cpus']} CPUs), {info['platform']}, "
        f"Python {info['python']}; measured {info['date']}.",
        "",
        "| scale | caregivers / elders / visits | strategy | assigned | mean travel min "
        "| travel on orders the baseline served | route travel min | p50 ms | p99 ms "
        "| index rebuild ms per order (product) | continuity kept | tiers |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        for name in ("planner", "baseline", "no_escalation"):
            s = r[name]
            tiers = ", ".join(f"{k} {v:,}" for k, v in sorted(s["tiers"].items()))
            lines.append(
                f"| {r['scale']} | {r['caregivers']:,} / {r['elders']:,} / {r['visits']:,} "
                f"| {name} | {s['share_assigned']:.1%} | {s['mean_travel_min']} "
                f"| {s['travel_on_baseline_orders']} | {s['route_travel_min']} | {s['p50_ms']} "
                f"| {s['p99_ms']} | {s['rebuild_ms'] or '—'} | {s['continuity_kept']:.0%} "
                f"| {tiers} |"
            )
    lines += [
        "",
        "Day plan (the whole day re-planned from what automatic dispatch holds):",
        "",
        "| scale | keep caregivers on trips up to | assigned | route travel min "
        "| vs baseline route | seconds | moved | continuity kept |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for d in (r["day_plan"], r["day_plan_calm"]):
            keep = f"{d['keep_within_min']:g} min" if d["keep_within_min"] else "(re-plan all)"
            ratio = round(d["route_travel_min"] / r["baseline"]["route_travel_min"], 3)
            lines.append(
                f"| {r['scale']} | {keep} | {d['share_assigned']:.1%} "
                f"| {d['route_travel_min']} | ×{ratio} | {d['seconds']} | {d['moved']:,} "
                f"| {d['continuity_kept']:.0%} |"
            )
    lines += ["", "Planner / baseline ratios and travel on orders both strategies assigned:", ""]
    for r in results:
        t, x = r["travel_on_both"], r["planner_extra"]
        lines.append(
            f"- {r['scale']}: assigned ×{r['ratios']['assigned']}, mean travel "
            f"×{r['ratios']['mean_travel']}; on the {r['both_assigned']:,} orders both assigned "
            f"{t['planner']} vs {t['baseline']} min; the {x['orders']:,} orders only the planner "
            f"served {x['mean_travel_min']} min; unplaced by the planner: "
            f"{r['planner']['unplaced'] or 'none'}."
        )
    lines += ["", *notes(results)]
    section = "\n".join(lines) + "\n"
    replace_section(SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--scales", default="district,city")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args()
    info = machine()
    print(f"machine: {info}")
    visits = {"district": 2_000, "city": 20_000}
    results = [compare(s, args.seed, visits[s]) for s in args.scales.split(",")]
    for r in results:
        report(r)
    targets = {"district": 50.0, "city": 200.0}
    ok = all(
        r["planner"]["p99_ms"] <= targets[r["scale"]]
        and r["day_plan"]["assigned"] > r["baseline"]["assigned"]
        and r["day_plan"]["route_travel_min"] < r["baseline"]["route_travel_min"]
        for r in results
    )
    print(f"targets met: {ok}")
    if not args.no_doc:
        write_doc(" ".join(["python bench/dispatch.py", *sys.argv[1:]]), info, results)
    print(json.dumps({"bench": "dispatch", "machine": info, "results": results, "targets_met": ok}))


if __name__ == "__main__":
    main()
