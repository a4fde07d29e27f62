"""Benchmark automatic dispatch through the database as a request runs it (SQLite, PostgreSQL).

    python bench/dispatch_db.py [--elders 20000] [--orders 200] [--clients 10] [--rush 200]
                                [--database-url URL]...

Each target gets a fresh migrated database with the seeded demo district (about 470 field
caregivers). Measured: (1) reading the district's caregivers for one placement
(`dispatch.states.caregivers_for`: the kept picture of ADR 0007 and the day's visits) against
the fresh read of plain rows every order made before it and the ORM-entity read before that
(`select(Staff)` with `selectinload(Staff.skills)` and `Facility` objects), in the same run,
and building the planner's index from them (as every placement does);
(2) `submit_order` for tomorrow's orders, each committed as a request would (price, subsidy,
planner, decision, timer), p50/p99; (3) the day plan of those orders (`dispatch.day_plan.propose`);
(4) a morning rush: `--clients` threads, each with its own connection, place `--rush` orders
of one community's elders for the same hours; per placement p50/p99, and overlapping visits.
(2) and (4) compare two ways of placing, in the same run: as placement was before ADR 0004
(plan on an unlocked read, no staff lock: the baseline) and with the lock on the winner and
its re-check. (2) alternates them order by order; (4) runs the rush once each, the database
cleaned before each. On PostgreSQL the exclusion constraint refuses the baseline's races.
PostgreSQL targets run in a private scratch database.
Prints the figures, ends with one JSON line, and rewrites the "Dispatch in the database"
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, aliased, selectinload

from doc import replace_section
from seed import DEFAULT_PG, fresh_database, server_version
from yiyang.config import Settings, get_settings
from yiyang.demo import seed_demo
from yiyang.demo.day import MIX
from yiyang.dispatch import booking, day_plan, picture, states
from yiyang.dispatch.booking import DoubleBooked
from yiyang.dispatch.service import submit_order
from yiyang.errors import DomainError
from yiyang.jobs.models import Timer
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import CHINA_TZ, local_today
from yiyang.orders.models import ServiceOrder
from yiyang.orders.rules import HOLDS_CAREGIVER
from yiyang.orders.schemas import OrderCreate
from yiyang.planner.choose import choose
from yiyang.planner.index import CaregiverIndex
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import Decision, Job
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders.models import Elder
from yiyang.registry.facilities.models import Facility
from yiyang.registry.staff.models import Staff
from yiyang.security.subject import system_subject

SECTION = "## Dispatch in the database"
READS = 30
VARIANTS = ("unlocked", "locked")  # the baseline first, then the placement as it is now
RUSH_HOURS = ((9, 0), (9, 30), (10, 0))


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


def unlocked_choose(
    session: Session,
    order: ServiceOrder,
    job: Job,
    *,
    excluded_providers: frozenset[int],
    k: int,
) -> Decision:
    """The placement before ADR 0004, for the same-run baseline: plan on an unlocked read."""
    caregivers = states.caregivers_for(
        session,
        order.service_date,
        except_orders=(order.id,),
        excluded_providers=excluded_providers,
    )
    return choose(job, caregivers, StraightLineTravel(), k=k)


@contextmanager
def every_order_reads() -> Iterator[None]:
    """Read the caregivers afresh on every call, as every order did before ADR 0007."""
    real = picture.current
    picture.current = lambda session: picture.load(session, 0)
    try:
        yield
    finally:
        picture.current = real


@contextmanager
def placement(variant: str) -> Iterator[None]:
    """Place orders as `variant` says: "locked" (as the code is) or "unlocked" (before)."""
    real = booking.choose_locked
    if variant == "unlocked":
        booking.choose_locked = unlocked_choose
    try:
        yield
    finally:
        booking.choose_locked = real


def clean(engine: Engine) -> None:
    """Remove every order (and, by cascade, decisions, events, queue items) and offer timers."""
    with Session(engine) as session:
        session.execute(delete(Timer).where(Timer.kind.like("dispatch.%_offer_expiry")))
        session.execute(delete(ServiceOrder))
        session.commit()


def overlapping_pairs(engine: Engine) -> int:
    """Pairs of visits of one caregiver whose service intervals overlap."""
    a, b = aliased(ServiceOrder), aliased(ServiceOrder)
    held = [str(s) for s in HOLDS_CAREGIVER]
    with Session(engine) as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(a)
                .join(b, (a.staff_id == b.staff_id) & (a.id < b.id))
                .where(
                    a.status.in_(held),
                    b.status.in_(held),
                    a.planned_start_at < b.planned_end_at,
                    b.planned_start_at < a.planned_end_at,
                )
            )
            or 0
        )


def rush(
    engine: Engine, clients: int, count: int, now: datetime, settings: Settings
) -> dict[str, Any]:
    """`count` orders of one community's elders for the same hours, from `clients` threads."""
    with Session(engine) as session:
        community = session.scalar(
            select(Elder.community_id)
            .where(Elder.status == "active")
            .group_by(Elder.community_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        elders = session.scalars(
            select(Elder.id).where(Elder.community_id == community, Elder.status == "active")
        ).all()
    day = local_today(now) + timedelta(days=1)
    rng = random.Random(49)
    requests = []
    for n in range(count):
        hour, minute = RUSH_HOURS[n % len(RUSH_HOURS)]
        start = datetime.combine(day, datetime.min.time(), CHINA_TZ) + timedelta(
            hours=hour, minutes=minute
        )
        requests.append(
            OrderCreate(
                elder_id=rng.choice(elders),
                item_code="home_personal_care",
                window_start=start,
                window_end=start + timedelta(hours=2),
            )
        )
    subject, barrier = system_subject("bench"), threading.Barrier(clients)
    times: list[float] = []
    outcome = {"offered": 0, "queued": 0, "refused": 0, "other": 0, "errors": 0}
    guard = threading.Lock()

    def client(share: list[OrderCreate], first: int) -> None:
        barrier.wait()
        for n, data in enumerate(share):
            t0 = time.perf_counter()
            with Session(engine) as session:
                try:
                    order = submit_order(
                        session, subject, data, now=now, idempotency_key=f"rush:{first + n}",
                        settings=settings,
                    )  # fmt: skip
                    status = order.status
                    session.commit()
                    key = "offered" if status == "offered" else "queued"
                except DoubleBooked:
                    session.rollback()
                    key = "refused"
                except DomainError:
                    session.rollback()
                    key = "other"
                except OperationalError:  # SQLite's busy timeout in a rush of writers
                    session.rollback()
                    key = "errors"
            with guard:
                times.append((time.perf_counter() - t0) * 1000)
                outcome[key] += 1

    per = -(-count // clients)
    threads = [
        threading.Thread(target=client, args=(requests[i * per : (i + 1) * per], i * per))
        for i in range(clients)
    ]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - t0
    q = statistics.quantiles(times, n=100, method="inclusive")
    return {
        **outcome,
        "p50_ms": round(q[49], 1),
        "p99_ms": round(q[98], 1),
        "per_s": round(len(times) / wall, 1),
        "overlapping_pairs": overlapping_pairs(engine),
    }


def place_orders(
    engine: Engine, count: int, now: datetime, settings: Settings
) -> tuple[dict[str, list[float]], int]:
    """Tomorrow's orders one request (transaction) each, placed by the variants in turn.

    Returns the times in ms per variant and how many took. Alternating order by order gives
    both the same database and the same moments of a noisy machine.
    """
    rng = random.Random(2026)
    with Session(engine) as session:
        elders = session.scalars(select(Elder.id).where(Elder.status == "active")).all()
        items = session.scalars(select(ServiceItem.code).where(ServiceItem.code.in_(MIX))).all()
    day = local_today(now) + timedelta(days=1)
    subject, made = system_subject("bench"), 0
    times: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for n in range(count):
        variant = VARIANTS[n % len(VARIANTS)]
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
        with placement(variant), Session(engine) as session:
            try:
                submit_order(
                    session, subject, data, now=now, idempotency_key=f"bench:{n}",
                    settings=settings,
                )  # fmt: skip
                session.commit()
                made += 1
            except DomainError:
                session.rollback()
        times[variant].append((time.perf_counter() - t0) * 1000)
    return times, made


def run_target(url: str | None, args: argparse.Namespace) -> dict[str, Any]:
    """Seed one fresh database and measure reads, placements, the day plan and the rush."""
    with fresh_database(url, "scratch") as engine:
        seed_demo(engine, elders=args.elders)
        now, settings = utcnow(), get_settings()
        with Session(engine) as session:
            day = local_today(now) + timedelta(days=1)
            caregivers = states.caregivers_for(session, day)
            kept_ms = median_ms(lambda s: states.caregivers_for(s, day), session)
            with every_order_reads():
                rows_ms = median_ms(lambda s: states.caregivers_for(s, day), session)
            orm_ms = median_ms(orm_read, session)
            index_ms = median_ms(lambda s: CaregiverIndex(caregivers), session)
        serial, made = place_orders(engine, args.orders, now, settings)
        with Session(engine) as session:
            t0 = time.perf_counter()
            outcome = day_plan.propose(
                session, system_subject("bench"), day, now=now, settings=settings
            )
            plan_s = time.perf_counter() - t0
        rushes: dict[str, dict[str, Any]] = {}
        for variant in VARIANTS:
            clean(engine)
            with placement(variant):
                rushes[variant] = rush(engine, args.clients, args.rush, now, settings)
        clean(engine)
        times = serial["locked"]
        q = statistics.quantiles(times, n=100, method="inclusive")
        base = statistics.quantiles(serial["unlocked"], n=100, method="inclusive")
        result = {
            "database": "sqlite" if url is None or url.startswith("sqlite") else "postgresql",
            "version": server_version(engine),
            "caregivers": len(caregivers),
            "read_rows_ms": rows_ms,
            "read_kept_ms": kept_ms,
            "index_ms": index_ms,
            "read_orm_ms": orm_ms,
            "read_speedup": round(orm_ms / rows_ms, 1),
            "orders": args.orders,
            "placed": made,
            "submit_p50_ms": round(q[49], 1),
            "submit_p99_ms": round(q[98], 1),
            "unlocked_submit_p50_ms": round(base[49], 1),
            "unlocked_submit_p99_ms": round(base[98], 1),
            "lock_cost_p50": round(q[49] / base[49], 2),
            "clients": args.clients,
            "rush": rushes,
            "day_plan_s": round(plan_s, 2),
            "day_plan_movable": outcome.movable,
            "day_plan_travel": [outcome.travel_before_min, outcome.travel_after_min],
        }
    print(
        f"\n== {result['version']}: {result['caregivers']} field caregivers\n"
        f"  caregivers read: rows {rows_ms} ms, ORM entities {orm_ms} ms"
        f" (x{result['read_speedup']}); kept picture + visits {kept_ms} ms; index build"
        f" {index_ms} ms\n"
        f"  submit_order: {made}/{args.orders} placed; locked p50 {result['submit_p50_ms']} ms, "
        f"p99 {result['submit_p99_ms']} ms\n"
        f"  day plan: {outcome.movable} movable in {result['day_plan_s']} s, travel per visit "
        f"{outcome.travel_before_min} -> {outcome.travel_after_min} min\n"
        f"  submit_order without the staff lock (baseline): p50 "
        f"{result['unlocked_submit_p50_ms']} ms, p99 {result['unlocked_submit_p99_ms']} ms; "
        f"with it x{result['lock_cost_p50']} at p50"
    )
    for variant, r in rushes.items():
        print(
            f"  rush, {variant}: {args.clients} clients, {args.rush} orders: "
            f"{r['offered']} offered, {r['queued']} queued, {r['refused']} refused as double "
            f"booked, {r['other']} other, {r['errors']} errors; p50 {r['p50_ms']} ms, "
            f"p99 {r['p99_ms']} ms, "
            f"{r['per_s']}/s; {r['overlapping_pairs']} overlapping pairs"
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
        "those orders. Then a morning rush: `--clients` threads with their own connections place",
        "`--rush` orders of one community's elders for the same hours. Two ways of placing",
        "are compared in the same run: as before ADR 0004 (unlocked read, no staff lock: the",
        "baseline) and with the lock on the winner and its re-check; submit alternates them",
        "order by order, the rush runs once each on a cleaned database. On PostgreSQL the",
        "exclusion constraint refuses the baseline's races (refused); errors are requests",
        "that failed otherwise (SQLite's busy timeout, a deadlock).",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {platform.platform()}, Python {platform.python_version()}; measured "
        f"{local_today(utcnow()).isoformat()}.",
        "",
        "What each placement pays before the planner's choice: the caregivers' read (kept",
        "picture and the day's visits, ADR 0007; beside it the fresh read of rows every order",
        "made before, and the ORM-entity read before that) and the planner's index built from",
        "them (`CaregiverIndex`, rebuilt for every order).",
        "",
        "| database | field caregivers | read, kept picture ms | read rows ms | read ORM ms "
        "| index build ms | orders placed | submit p50 ms | submit p99 ms | day plan s "
        "| travel per visit before → after |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        before, after = r["day_plan_travel"]
        lines.append(
            f"| {r['version']} | {r['caregivers']} | {r['read_kept_ms']} | {r['read_rows_ms']} "
            f"| {r['read_orm_ms']} | {r['index_ms']} | {r['placed']}/{r['orders']} "
            f"| {r['submit_p50_ms']} "
            f"| {r['submit_p99_ms']} | {r['day_plan_s']} | {before} → {after} min |"
        )
    lines += [
        "",
        "| database | submit p50 ms, unlocked → locked | ratio | rush | offered / queued "
        "/ refused / errors | rush p50 ms | rush p99 ms | placements/s | overlapping pairs |",
        "|---|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in results:
        for variant, rush_r in r["rush"].items():
            lines.append(
                f"| {r['version']} | {r['unlocked_submit_p50_ms']} → {r['submit_p50_ms']} "
                f"| ×{r['lock_cost_p50']} | {variant}, {r['clients']} clients "
                f"| {rush_r['offered']} / {rush_r['queued']} / {rush_r['refused']} "
                f"/ {rush_r['errors']} "
                f"| {rush_r['p50_ms']} | {rush_r['p99_ms']} | {rush_r['per_s']} "
                f"| {rush_r['overlapping_pairs']} |"
            )
    replace_section(SECTION, "\n".join(lines) + "\n")


def main() -> None:
    """Run on every target and record the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elders", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rush", type=int, default=200)
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
