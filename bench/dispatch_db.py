"""Benchmark automatic dispatch through the database as a request runs it (SQLite, PostgreSQL).

    python bench/dispatch_db.py [--elders 20000] [--orders 200] [--database-url URL]...

Each target gets a fresh migrated database with the seeded demo district (about 470 field
caregivers). Measured: (1) reading the district's caregivers for one placement
(`dispatch.states.caregivers_for`, plain rows) against the ORM-entity read it replaced
(`select(Staff)` with `selectinload(Staff.skills)` and `Facility` objects), in the same run;
(2) `submit_order` for tomorrow's orders, each committed as a request would (price, subsidy,
planner, decision, timer), p50/p99; (3) the day plan of those orders (`dispatch.day_plan.propose`).
PostgreSQL targets run in a private scratch database. Prints the figures, ends with one JSON
line, and rewrites the "Dispatch in the database" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from doc import replace_section
from seed import DEFAULT_PG, fresh_database, server_version
from yiyang.demo import seed_demo
from yiyang.demo.day import MIX
from yiyang.dispatch import day_plan, states
from yiyang.dispatch.service import submit_order
from yiyang.errors import DomainError
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.registry.staff.models import Staff
from yiyang.security.subject import system_subject

SECTION = "## Dispatch in the database"
READS = 30


def orm_read(session: Session) -> int:
    """The replaced read: every active staff member as an entity with skills and facility."""
    staff = session.scalars(
        select(Staff)
        .where(Staff.status == "active", Staff.facility_id.is_not(None))
        .options(selectinload(Staff.skills))
    ).all()
    facilities = {
        f.id: f
        for f in session.scalars(
            select(Facility).where(Facility.id.in_({s.facility_id for s in staff}))
        )
    }
    return sum(1 for s in staff if s.facility_id in facilities and s.skills is not None)


def median_ms(run: Any, session: Session) -> float:
    """Median of READS timed calls, each on an empty identity map as in a fresh request."""
    times = []
    for _ in range(READS):
        session.expunge_all()
        t0 = time.perf_counter()
        run(session)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 2)


def place_orders(engine: Engine, count: int, now: datetime) -> tuple[list[float], int]:
    """Tomorrow's orders one request (transaction) each; returns times in ms and how many took."""
    rng = random.Random(2026)
    with Session(engine) as session:
        elders = session.scalars(select(Elder.id).where(Elder.status == "active")).all()
        items = session.scalars(select(ServiceItem.code).where(ServiceItem.code.in_(MIX))).all()
    day = local_today(now) + timedelta(days=1)
    subject, times, made = system_subject("bench"), [], 0
    for n in range(count):
        start = datetime.combine(day, datetime.min.time(), CHINA_TZ) + timedelta(
            hours=rng.choice((8, 9, 10, 14, 15)), minutes=rng.choice((0, 30))
        )
        data = OrderCreate(
            elder_id=rng.choice(elders),
            item_code=rng.choice(items),
            window_start=start,
            window_end=start + timedelta(hours=2),
        )
        t0 = time.perf_counter()
        with Session(engine) as session:
            try:
                submit_order(session, subject, data, now=now, idempotency_key=f"bench:{n}")
                session.commit()
                made += 1
            except DomainError:
                session.rollback()
        times.append((time.perf_counter() - t0) * 1000)
    return times, made


def run_target(url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    """Seed one fresh database and measure reads, placements and the day plan."""
    with fresh_database(url, "scratch") as engine:
        seed_demo(engine, elders=args.elders)
        now = utcnow()
        with Session(engine) as session:
            day = local_today(now) + timedelta(days=1)
            caregivers = states.caregivers_for(session, day)
            rows_ms = median_ms(lambda s: states.caregivers_for(s, day), session)
            orm_ms = median_ms(orm_read, session)
        times, made = place_orders(engine, args.orders, now)
        with Session(engine) as session:
            t0 = time.perf_counter()
            outcome = day_plan.propose(session, system_subject("bench"), day, now=now)
            plan_s = time.perf_counter() - t0
        q = statistics.quantiles(times, n=100, method="inclusive")
        result = {
            "database": "sqlite" if url is None or url.startswith("sqlite") else "postgresql",
            "version": server_version(engine),
            "caregivers": len(caregivers),
            "read_rows_ms": rows_ms,
            "read_orm_ms": orm_ms,
            "read_speedup": round(orm_ms / rows_ms, 1),
            "orders": len(times),
            "placed": made,
            "submit_p50_ms": round(q[49], 1),
            "submit_p99_ms": round(q[98], 1),
            "day_plan_s": round(plan_s, 2),
            "day_plan_movable": outcome.movable,
            "day_plan_travel": [outcome.travel_before_min, outcome.travel_after_min],
        }
    print(
        f"\n== {result['version']}: {result['caregivers']} field caregivers\n"
        f"  caregivers read: rows {rows_ms} ms, ORM entities {orm_ms} ms"
        f" (x{result['read_speedup']})\n"
        f"  submit_order: {made}/{len(times)} placed, p50 {result['submit_p50_ms']} ms, "
        f"p99 {result['submit_p99_ms']} ms\n"
        f"  day plan: {outcome.movable} movable in {result['day_plan_s']} s, travel per visit "
        f"{outcome.travel_before_min} -> {outcome.travel_after_min} min"
    )
    return result


def write_doc(command: str, results: list[dict[str, Any]]) -> None:
    """Replace this benchmark's section of docs/benchmarks.md."""
    lines = [
        SECTION,
        "",
        "`bench/dispatch_db.py`: automatic dispatch as a request runs it, on the seeded demo",
        "district. The caregivers' read for one placement (plain rows) against the ORM-entity",
        "read it replaced, median of 30 on a fresh identity map; `submit_order` per order",
        "committed one by one (price, subsidy, planner, decision, offer timer); the day plan of",
        "those orders.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}; measured "
        f"{local_today(utcnow()).isoformat()}.",
        "",
        "| database | field caregivers | read rows ms | read ORM ms | speed-up | orders placed "
        "| submit p50 ms | submit p99 ms | day plan s | travel per visit before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        before, after = r["day_plan_travel"]
        lines.append(
            f"| {r['version']} | {r['caregivers']} | {r['read_rows_ms']} | {r['read_orm_ms']} "
            f"| ×{r['read_speedup']} | {r['placed']}/{r['orders']} | {r['submit_p50_ms']} "
            f"| {r['submit_p99_ms']} | {r['day_plan_s']} | {before} → {after} min |"
        )
    replace_section(SECTION, "\n".join(lines) + "\n")


def main() -> None:
    """Run on every target and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elders", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--database-url", action="append", dest="urls")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    urls = args.urls or [None, DEFAULT_PG]
    results = [run_target(url, args) for url in urls]
    if not args.no_doc:
        write_doc(" ".join(["python bench/dispatch_db.py", *sys.argv[1:]]), results)
    print(json.dumps({"bench": "dispatch_db", "results": results}))


if __name__ == "__main__":
    main()
