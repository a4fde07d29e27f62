"""Benchmark the bureau's report: a district month at 200,000 elders, beside a naive baseline.

    python bench/report.py [--elders 200000] [--per-day 2000] [--alarms 3000]
                           [--database-url URL] [--no-doc]

A private PostgreSQL database (created and dropped on the server) gets the seeded demo
district and last month's history written in bulk: `--per-day` orders a day (items by the
catalog, elders at random, caregivers of the item's providers; 86% served, 5% cancelled, 4%
no-show, 5% nobody available), their check-in events and visits (5% checked in early, 5%
short), a complaint on 1% and a return visit on 10% of the served, and `--alarms` alarms
(answered after 5–240 s, a responder sent to one in five). Timed: the report of that month
for the district and for one street (console/reports/report.build, every section), each
twice (the second run warm), then issuing the district month and opening the issued
version. Baseline in the same run: the headline order figures of the
district month the naive way, loading every order as an ORM object with its elder, its
caregiver's centre and its timeline, and counting in Python. Prints the machine and the
figures, ends with one JSON line, and rewrites the "Bureau report" section of
docs/benchmarks.md (other sections are kept) unless --no-doc.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, joinedload, selectinload

from doc import replace_section
from elder_io import machine
from history import month_options, write_month
from seed import DEFAULT_PG, fresh_database, server_version
from yiyang.config import Settings
from yiyang.console.reports import issued
from yiyang.console.reports import report as reports
from yiyang.console.reports import repository as report_repository
from yiyang.console.reports.model import Report
from yiyang.console.reports.period import Period
from yiyang.demo import seed_demo
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.orders.models import ServiceOrder
from yiyang.registry.areas.models import Area
from yiyang.registry.facilities.models import Facility
from yiyang.security.models import UserAccount
from yiyang.security.service import subject_for
from yiyang.security.subject import Subject

SECTION = "## Bureau report"
SETTINGS = Settings(secret_key="bench")


def last_month(today: date) -> Period:
    """The calendar month before today's."""
    last = today.replace(day=1) - timedelta(days=1)
    return Period(last.replace(day=1), last)


def naive_headline(engine: Engine, period: Period) -> dict[str, int]:
    """Orders, served, on time and from another street counted over ORM objects in Python."""
    with Session(engine) as s:
        orders = (
            s.scalars(
                select(ServiceOrder)
                .where(
                    ServiceOrder.service_date >= period.first,
                    ServiceOrder.service_date <= period.last,
                )
                .options(
                    joinedload(ServiceOrder.elder),
                    joinedload(ServiceOrder.staff),
                    selectinload(ServiceOrder.events),
                )
            )
            .unique()
            .all()
        )
        facilities = {f.id: f.street_id for f in s.scalars(select(Facility))}
        c: Counter[str] = Counter()
        for o in orders:
            if o.status == "cancelled":
                continue
            c["placed"] += 1
            c["served"] += o.status in ("checked_out", "completed", "confirmed", "settled")
            ins = [e.at for e in o.events if e.to_status == "checked_in"]
            if ins:
                c["timed"] += 1
                c["on_time"] += min(ins) <= o.window_end_at
            if o.staff is not None and o.staff.facility_id is not None:
                c["with_centre"] += 1
                c["cross"] += facilities[o.staff.facility_id] != o.elder.street_id
        return dict(c)


def issue_month(session: Session, subject: Subject, period: Period) -> None:
    """Issue the district month (both languages built, as the page does)."""
    month = period.first.strftime("%Y-%m")
    issued.issue(
        session, subject, month=month, key=issued.scope_key(None, None), seen_version=0,
        reason="", now=utcnow(),
        build=lambda locale: reports.build(session, subject, reports.Scope(None), period,
                                           now=utcnow(), settings=SETTINGS, locale=locale),
    )  # fmt: skip


def read_issued(session: Session, period: Period) -> Report:
    """The issued district month as a reader opens it: the newest version, read back."""
    month = period.first.strftime("%Y-%m")
    row = report_repository.latest_issue(session, month, issued.scope_key(None, None))
    assert row is not None
    return issued.issued_in(row, "zh_CN")


def timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def run(url: str, elders: int, per_day: int, alarms: int, seed: int) -> dict[str, Any]:
    with fresh_database(url, "scratch") as engine:
        seed_s, _ = timed(lambda: seed_demo(engine, elders=elders))
        period = last_month(local_today(utcnow()))
        write_s, rows = timed(lambda: write_month(engine, period, per_day, alarms, seed))
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        version = server_version(engine)
        with Session(engine) as s:
            admin = s.scalars(select(UserAccount).where(UserAccount.username == "admin")).one()
            street = s.scalars(select(Area).where(Area.code == "410105011")).one()
            subject = subject_for(admin)
            scopes = {"district": reports.Scope(None),
                      "street": reports.Scope({street.id}, street.name)}  # fmt: skip
            out: dict[str, Any] = {}
            for name, scope in scopes.items():
                for attempt in ("cold", "warm"):
                    seconds, built = timed(lambda scope=scope: reports.build(
                        s, subject, scope, period, now=utcnow(), settings=SETTINGS,
                        locale="zh_CN"))  # fmt: skip
                    out[f"{name}_{attempt}_s"] = round(seconds, 2)
                    s.rollback()
                figures = {f.key: f.value for f in built.figures}
                out[f"{name}_orders"] = figures["placed"]
            district = reports.build(s, subject, scopes["district"], period, now=utcnow(),
                                     settings=SETTINGS, locale="zh_CN")  # fmt: skip
            mine = {f.key: f.value for f in district.figures}
            issue_s, _ = timed(lambda: issue_month(s, subject, period))
            out["issue_s"] = round(issue_s, 2)
            s.commit()
            read_s, kept = timed(lambda: read_issued(s, period))
            out["issued_read_s"] = round(read_s, 4)
            out["issued_equals_report"] = {f.key: f.value for f in kept.figures} == mine
        naive_s, naive = timed(lambda: naive_headline(engine, period))
    same = naive["placed"] == mine["placed"] and naive["served"] == mine["served"]
    return {
        "server": version, "elders": elders, "period": f"{period.first}..{period.last}",
        "rows": rows, "seed_s": round(seed_s, 1), "write_s": round(write_s, 1), **out,
        "naive_headline_s": round(naive_s, 2),
        "naive_over_report": round(naive_s / out["district_warm_s"], 2),
        "naive_equals_report": same, "orders": rows.get("service_order", 0),
        "on_time": mine["on_time"], "completion": mine["completion"],
    }  # fmt: skip


def write_doc(command: str, info: dict[str, Any], r: dict[str, Any]) -> None:
    rows = ", ".join(f"{k} {v:,}" for k, v in sorted(r["rows"].items()))
    section = f"""{SECTION}

Command: `{command}`

Machine: {info}. Server: {r["server"]}. {r["elders"]:,} elders; the month {r["period"]}
written in bulk ({rows}) in {r["write_s"]} s after a {r["seed_s"]} s seed.

| Report | Orders | First run (s) | Second run (s) |
|---|---:|---:|---:|
| District, every section | {r["district_orders"]:,} | {r["district_cold_s"]} | \
{r["district_warm_s"]} |
| One street (北林路街道) | {r["street_orders"]:,} | {r["street_cold_s"]} | {r["street_warm_s"]} |

Baseline in the same run: the district month's headline order figures alone (orders, served,
on time, served from another street) by loading every order as an ORM object with its elder,
caregiver and timeline and counting in Python: {r["naive_headline_s"]} s, ×{r["naive_over_report"]}
the whole report's second run; its counts equal the report's: {r["naive_equals_report"]}.

Issued month: issuing the district month (built in both languages) took {r["issue_s"]:.2f} s;
opening the issued version (read back, not computed) {r["issued_read_s"] * 1000:.1f} ms,
×{r["district_warm_s"] / r["issued_read_s"]:.0f} faster than computing it; its figures equal
the computed report's: {r["issued_equals_report"]}.
"""
    replace_section(SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    month_options(parser)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args()
    info = machine()
    print(f"machine: {info}")
    r = run(args.database_url, args.elders, args.per_day, args.alarms, args.seed)
    for key, value in r.items():
        print(f"{key}: {value}")
    if not args.no_doc:
        write_doc(" ".join(["python bench/report.py", *sys.argv[1:]]), info, r)
    print(json.dumps({"bench": "report", "machine": info, "result": r}, default=str))


if __name__ == "__main__":
    main()
