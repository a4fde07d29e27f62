"""Benchmark `yiyang seed`: the demo district on a fresh SQLite file and on PostgreSQL.

    python bench/seed.py [--elders 200000] [--database-url URL]... [--baseline-elders 5000]

Each target gets a fresh, migrated database and one full `seed_demo` run, timed per phase
(generate, insert per table, users, commit). As a baseline measured in the same run, a naive
ORM `session.add_all` inserts a small sample of the same elders (with their contacts and
groups) into another fresh database; the ratio compares elders per second on the insert path.
PostgreSQL targets run in a private scratch database created and dropped on the same server
(`--pg-mode reset` instead resets the given database with DROP SCHEMA public CASCADE).
Prints the machine and the figures, ends with one JSON line, and rewrites the
"Demo district seed" section of docs/benchmarks.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session

from doc import replace_section
from yiyang.db import make_engine
from yiyang.demo import generate_district, seed_demo
from yiyang.demo.loader import load_district
from yiyang.demo.records import DemoDistrict
from yiyang.kit.clock import utcnow
from yiyang.migrate import upgrade
from yiyang.registry.elders.models import Elder, ElderContact, ElderGroup

SECTION = "## Demo district seed"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ELDER_TABLES = ("insert elder", "insert elder_group", "insert elder_contact")


@contextmanager
def fresh_database(url: str | None, pg_mode: str) -> Iterator[Engine]:
    """A migrated, empty database: a temp SQLite file, or a scratch/reset PostgreSQL one."""
    if url is None or url.startswith("sqlite"):
        path = Path(tempfile.mkdtemp(prefix="yiyang-bench-")) / "seed.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    if pg_mode == "reset":
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    base = make_url(url)
    name = f"{base.database}_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(base.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_version(engine: Engine) -> str:
    """SQLite or PostgreSQL version string of a target."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return "SQLite " + str(conn.execute(text("select sqlite_version()")).scalar())
        return str(conn.execute(text("show server_version")).scalar()).join(("PostgreSQL ", ""))


def naive_orm_baseline(engine: Engine, sample: DemoDistrict) -> float:
    """Seconds to insert the sample's elders, groups and contacts with ORM add_all."""
    empty = DemoDistrict(
        **{**sample.__dict__, "elders": [], "elder_groups": [], "elder_contacts": []}
    )
    with Session(engine) as session, session.begin():
        load_district(session, empty, now=utcnow())  # areas etc. the elders point to
    groups: dict[int, list[ElderGroup]] = {}
    for g in sample.elder_groups:
        groups.setdefault(g.elder_id, []).append(ElderGroup(code=g.code))
    contacts: dict[int, list[ElderContact]] = {}
    for c in sample.elder_contacts:
        contacts.setdefault(c.elder_id, []).append(
            ElderContact(
                priority=c.priority,
                name=c.name,
                relationship=c.relationship,
                phone=c.phone,
                has_key=c.has_key,
            )
        )
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        objects = []
        for e in sample.elders:
            values = {f.name: getattr(e, f.name) for f in fields(e) if f.name != "id"}
            objects.append(
                Elder(**values, groups=groups.get(e.id, []), contacts=contacts.get(e.id, []))
            )
        session.add_all(objects)
    return time.perf_counter() - started


def run_target(url: str | None, args: argparse.Namespace, sample: DemoDistrict) -> dict[str, Any]:
    """One full seed and one baseline on a target; returns its figures."""
    timings: dict[str, float] = {}
    with fresh_database(url, args.pg_mode) as engine:
        version = server_version(engine)
        label = engine.dialect.name
        print(f"\n[{label}] {version}: seeding {args.elders:,} elders …", flush=True)
        report = seed_demo(engine, elders=args.elders, seed=args.seed, timings=timings)
    with fresh_database(url, args.pg_mode) as engine:
        baseline_s = naive_orm_baseline(engine, sample)
    elder_insert_s = sum(timings[k] for k in ELDER_TABLES)
    bulk_rate = args.elders / elder_insert_s
    baseline_rate = len(sample.elders) / baseline_s
    figures = {
        "database": label,
        "version": version,
        "elders": args.elders,
        "total_s": round(report.seconds, 2),
        "elders_per_s": round(args.elders / report.seconds),
        "phases_s": {k: round(v, 3) for k, v in timings.items()},
        "rows": report.counts,
        "elder_insert_s": round(elder_insert_s, 2),
        "bulk_elders_per_s": round(bulk_rate),
        "baseline_elders": len(sample.elders),
        "baseline_s": round(baseline_s, 2),
        "baseline_elders_per_s": round(baseline_rate),
        "speedup": round(bulk_rate / baseline_rate, 1),
    }
    for phase, seconds in timings.items():
        print(f"  {phase:<26} {seconds:8.2f} s")
    print(f"  {'total':<26} {report.seconds:8.2f} s  ({figures['elders_per_s']:,} elders/s)")
    print(
        f"  elder+group+contact insert: bulk {bulk_rate:,.0f} elders/s, naive ORM add_all "
        f"{baseline_rate:,.0f} elders/s ({len(sample.elders):,} sample) → ×{figures['speedup']}"
    )
    return figures


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite_library": sqlite3.sqlite_version,
    }


def write_doc(command: str, info: dict[str, Any], results: list[dict[str, Any]]) -> None:
    """Replace the "Demo district seed" section of docs/benchmarks.md, keeping the others."""
    lines = [
        SECTION,
        "",
        "`yiyang seed --district jinshui --elders N` generates the district in pure Python",
        "(`random.Random(seed)`, shapely for points inside the WGS-84 boundary) and bulk-writes it",
        "in one transaction: Core `insert()` executemany in 10k chunks; on PostgreSQL, psycopg 3",
        "`COPY` for elder, elder_group and elder_contact. Baseline: a naive ORM `session.add_all`",
        "of a sample of the same elders with their contacts and groups, in the same run.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['cpus']} CPUs, {info['platform']}, Python {info['python']}, "
        f"SQLAlchemy {info['sqlalchemy']}; measured {info['date']}.",
        "",
        "| database | elders | total s | elders/s | generate s | elder+contact+group insert s "
        "| bulk elders/s | naive ORM elders/s (sample) | speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['version']} | {r['elders']:,} | {r['total_s']} | {r['elders_per_s']:,} | "
            f"{r['phases_s']['generate']} | {r['elder_insert_s']} | {r['bulk_elders_per_s']:,} | "
            f"{r['baseline_elders_per_s']:,} ({r['baseline_elders']:,}) | ×{r['speedup']} |"
        )
    lines += ["", "Per phase (seconds):", ""]
    phases = list(results[0]["phases_s"]) if results else []
    lines.append("| phase | " + " | ".join(r["database"] for r in results) + " |")
    lines.append("|---|" + "---:|" * len(results))
    for phase in phases:
        cells = " | ".join(str(r["phases_s"].get(phase, "")) for r in results)
        lines.append(f"| {phase} | {cells} |")
    if results:
        rows = results[0]["rows"]
        lines += ["", "Rows written: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()) + "."]
    lines.append("")
    section = "\n".join(lines)
    replace_section(SECTION, section)


def main() -> None:
    """Run the benchmark on every target and record it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elders", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--baseline-elders", type=int, default=5_000)
    parser.add_argument(
        "--database-url",
        action="append",
        help="a PostgreSQL URL (repeatable); a fresh SQLite file is always measured first",
    )
    parser.add_argument("--pg-mode", choices=("scratch", "reset"), default="scratch")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args()
    info = machine() | {"date": datetime.now(UTC).strftime("%Y-%m-%d")}
    print(
        f"machine: {info['cpus']} CPUs · {info['platform']} · Python {info['python']} · "
        f"SQLAlchemy {info['sqlalchemy']} · SQLite library {info['sqlite_library']}"
    )
    sample = generate_district(args.baseline_elders, seed=args.seed)
    targets: list[str | None] = [] if args.no_sqlite else [None]
    targets += args.database_url or [DEFAULT_PG]
    results = [run_target(url, args, sample) for url in targets]
    info["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    command = "python bench/seed.py " + " ".join(sys.argv[1:])
    if not args.no_doc:
        write_doc(command.strip(), info, results)
    print(json.dumps({"bench": "seed", "machine": info, "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    main()
