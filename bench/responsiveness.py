"""Benchmark: ordinary requests stay fast while a day plan and a large export run as jobs.

    python bench/responsiveness.py [--elders 200000] [--orders 2000] [--database-url URL]
                                   [--clients 8] [--idle-seconds 30] [--keep-db] [--no-doc]

A private PostgreSQL database (created and dropped on the given server) gets the seeded demo
district and tomorrow's orders placed by automatic dispatch. Then `yiyang serve --workers 2`
and `yiyang worker` (two job threads) start as subprocesses against it. Eight client threads
send ordinary page and API requests (elder list page, order list page, elder and order API
lists) one after another with a short pause, first on an idle server, then while a district
day plan (preview) and an export of every elder (.xlsx) run as jobs, then idle again. The
figure is the ratio of p95 under load to p95 idle, measured in the same run (target: within
2x). Prints the machine and the figures, ends with one JSON line, and rewrites the
"Responsiveness while jobs run" section of docs/benchmarks.md (not with --no-doc).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, make_url, select, text

from doc import replace_section
from elder_io import machine
from seed import DEFAULT_PG, fresh_database, server_version
from yiyang.config import get_settings
from yiyang.db import make_engine, make_session_factory
from yiyang.demo import DEMO_PASSWORD, seed_demo
from yiyang.demo.day import seed_orders
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.migrate import upgrade
from yiyang.orders.models import ServiceOrder
from yiyang.orders.seed import seed_policies
from yiyang.registry.elders.models import Elder

SECTION = "## Responsiveness while jobs run"
BIN = Path(sys.executable).parent
PATHS = (  # (kind, path): ordinary requests a district office makes all day
    ("page", "/elders?living_situation=alone"),
    ("page", "/orders"),
    ("api", "/api/v1/elders?size=20&page={n}"),
    ("api", "/api/v1/orders?size=20"),
)
THINK = 0.05  # seconds a client waits between two requests


@dataclass
class Sample:
    """Latencies of one phase, in milliseconds, by kind of request."""

    page: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    errors: int = 0
    load: float = 0.0  # the machine's 1-minute load average at the end of the phase

    def all(self) -> list[float]:
        return self.page + self.api


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of values, 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def processes(url: str, port: int, folder: Path) -> Iterator[str]:
    """`yiyang serve --workers 2` and `yiyang worker` against the database, stopped after."""
    env = os.environ | {
        "YIYANG_DATABASE_URL": url,
        "YIYANG_SECRET_KEY": secrets.token_hex(32),
        "YIYANG_INSTANCE_DIR": str(folder),
        "YIYANG_WORKER_JOB_THREADS": "2",
    }
    logs = [(folder / "serve.log").open("w"), (folder / "worker.log").open("w")]
    serve = subprocess.Popen(
        [str(BIN / "yiyang"), "serve", "--workers", "2", "--port", str(port), "--no-with-worker"],
        env=env, stdout=logs[0], stderr=subprocess.STDOUT,
    )  # fmt: skip
    worker = subprocess.Popen(
        [str(BIN / "yiyang"), "worker", "--interval", "0.5"],
        env=env, stdout=logs[1], stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"serve did not start; see {folder / 'serve.log'}")
        yield base
    finally:
        for proc in (serve, worker):
            proc.terminate()
        for proc in (serve, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for log in logs:
            log.close()


def seed(engine: Engine, elders: int, orders: int) -> tuple[str, str, int]:
    """The demo district and tomorrow's orders; returns a district admin's login, orders made."""
    report = seed_demo(engine, elders=elders)
    now = utcnow()
    with make_session_factory(engine)() as session:
        seed_policies(session, local_today(now))
        session.commit()
        made = seed_orders(session, now=now, settings=get_settings(), count=orders)
        session.commit()
    user, password = next((u, p) for u, p, role in report.logins if role == "district_admin")
    return user, password, made


def logged_in(base: str, user: str, password: str) -> tuple[httpx.Cookies, str]:
    """A page session cookie and an API token of the same person."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=120) as c:
        login = c.post("/login", data={"username": user, "password": password})
        if login.status_code != 303:
            raise RuntimeError(f"login failed: {login.status_code}")
        cookies = c.cookies
        token = c.post("/api/v1/auth/token", json={"username": user, "password": password})
        token.raise_for_status()
    return cookies, token.json()["access_token"]


def load(
    base: str, cookies: httpx.Cookies, token: str, clients: int, phase: dict[str, Sample | None]
) -> list[threading.Thread]:
    """Client threads sending requests into `phase["now"]` until it is None."""

    def client(n: int) -> None:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as c:
            i = n
            while (sample := phase["now"]) is not None:
                kind, path = PATHS[i % len(PATHS)]
                headers = {"Authorization": f"Bearer {token}"} if kind == "api" else {}
                started = time.perf_counter()
                try:
                    resp = c.get(path.format(n=1 + i % 50), headers=headers)
                    ok = resp.status_code == 200
                except httpx.HTTPError:
                    ok = False
                ms = (time.perf_counter() - started) * 1000
                if phase["now"] is sample:  # a request across a phase change counts nowhere
                    if ok:
                        getattr(sample, kind).append(ms)
                    else:
                        sample.errors += 1
                i += 1
                time.sleep(THINK)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    return threads


def run_jobs(base: str, token: str, day: date) -> tuple[dict[str, float], dict[str, Any]]:
    """Start the day plan and the export; wait until both ended; seconds and final states."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        plan = c.post("/api/v1/dispatch/day-plan", json={"day": day.isoformat()})
        export = c.post("/api/v1/elders/export", params={"format": "xlsx"})
        plan.raise_for_status()
        export.raise_for_status()
        started = time.perf_counter()
        waiting = {"day plan": plan.json()["id"], "export": export.json()["id"]}
        seconds: dict[str, float] = {}
        ended: dict[str, Any] = {}
        while len(seconds) < len(waiting):
            time.sleep(1)
            for name, job_id in waiting.items():
                if name in seconds:
                    continue
                job = c.get(f"/api/v1/jobs/{job_id}").json()
                if job["state"] not in ("queued", "running"):
                    seconds[name] = round(time.perf_counter() - started, 1)
                    ended[name] = {"state": job["state"], "summary": job["summary"],
                                   "bytes": (job["file"] or {}).get("bytes")}  # fmt: skip
    return seconds, ended


def figures(sample: Sample, seconds: float) -> dict[str, Any]:
    values = sample.all()
    return {
        "requests": len(values),
        "errors": sample.errors,
        "per_s": round(len(values) / seconds, 1) if seconds else 0,
        "p50_ms": pct(values, 50),
        "p95_ms": pct(values, 95),
        "page_p95_ms": pct(sample.page, 95),
        "api_p95_ms": pct(sample.api, 95),
        "mean_ms": round(statistics.fmean(values), 1) if values else 0,
        "load": round(sample.load, 1),
    }


@contextmanager
def database(url: str, keep: bool) -> Iterator[Engine]:
    """A private scratch database, or with `keep` one named after the run kept for the next."""
    if not keep:
        with fresh_database(url, "scratch") as engine:
            yield engine
        return
    kept = make_url(url).set(database=f"{make_url(url).database}_responsiveness")
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                           {"n": kept.database}):  # fmt: skip
            conn.execute(text(f'CREATE DATABASE "{kept.database}"'))
    admin.dispose()
    engine = make_engine(kept.render_as_string(hide_password=False))
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def seeded(engine: Engine, args: argparse.Namespace) -> tuple[str, str, int]:
    """The district and tomorrow's orders, seeded now or (with --keep-db) on an earlier run."""
    with make_session_factory(engine)() as session:
        tomorrow = local_today(utcnow()) + timedelta(days=1)
        orders = session.scalar(
            select(func.count(ServiceOrder.id)).where(ServiceOrder.service_date == tomorrow)
        )
        if session.scalar(select(func.count(Elder.id))) and orders:
            return "admin", DEMO_PASSWORD, orders or 0
    print(f"seeding {args.elders:,} elders and {args.orders:,} orders …", flush=True)
    t0 = time.perf_counter()
    found = seed(engine, args.elders, args.orders)
    print(f"seeded in {time.perf_counter() - t0:.0f} s ({found[2]:,} orders placed)", flush=True)
    return found


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Seed, start the processes, measure idle, loaded and idle again."""
    with database(args.database_url, args.keep_db) as engine, tempfile.TemporaryDirectory() as tmp:
        version = server_version(engine)
        print(version, flush=True)
        user, password, made = seeded(engine, args)
        scratch = engine.url.render_as_string(hide_password=False)
        engine.dispose()
        with processes(scratch, free_port(), Path(tmp)) as base:
            cookies, token = logged_in(base, user, password)
            phase: dict[str, Sample | None] = {"now": Sample()}
            threads = load(base, cookies, token, args.clients, phase)
            time.sleep(3)  # warm up: connections, caches
            idle = phase["now"] = Sample()
            time.sleep(args.idle_seconds)
            idle.load = os.getloadavg()[0]
            loaded = phase["now"] = Sample()
            t1 = time.perf_counter()
            job_seconds, ended = run_jobs(base, token, local_today(utcnow()) + timedelta(days=1))
            loaded_s = time.perf_counter() - t1
            loaded.load = os.getloadavg()[0]
            after = phase["now"] = Sample()
            time.sleep(args.idle_seconds / 2)
            after.load = os.getloadavg()[0]
            phase["now"] = None
            for t in threads:
                t.join(timeout=70)
    result = {
        "database": version,
        "elders": args.elders,
        "orders": made,
        "clients": args.clients,
        "idle": figures(idle, args.idle_seconds),
        "loaded": figures(loaded, loaded_s),
        "idle_after": figures(after, args.idle_seconds / 2),
        "jobs_s": job_seconds,
        "jobs": ended,
    }
    base_p95 = result["idle"]["p95_ms"] or 1
    result["p95_ratio"] = round(result["loaded"]["p95_ms"] / base_p95, 2)
    result["p50_ratio"] = round(result["loaded"]["p50_ms"] / (result["idle"]["p50_ms"] or 1), 2)
    after_p95 = result["idle_after"]["p95_ms"] or 1
    result["p95_ratio_after"] = round(result["loaded"]["p95_ms"] / after_p95, 2)
    return result


def write_doc(command: str, info: dict[str, Any], r: dict[str, Any]) -> None:
    """Replace the benchmark's section of docs/benchmarks.md, keeping the others."""
    rows = [
        (name, r[key])
        for name, key in (("idle", "idle"), ("day plan + export running", "loaded"),
                          ("idle again", "idle_after"))
    ]  # fmt: skip
    lines = [
        SECTION,
        "",
        "`yiyang serve --workers 2` and `yiyang worker` (two job threads) run as subprocesses",
        f"against PostgreSQL with the seeded district ({r['elders']:,} elders, {r['orders']:,}",
        f"orders tomorrow). {r['clients']} client threads send ordinary requests one after",
        f"another ({THINK * 1000:.0f} ms apart): the elder and order list pages, the elder and",
        "order API lists. Measured on an idle server, then while a district day plan (preview)",
        "and an .xlsx export of every elder run as jobs, then idle again; the ratio compares",
        "p95 under load with p95 idle of the same run (target: within 2x).",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['cpus']} CPUs, {info['platform']}, Python {info['python']}, "
        f"SQLAlchemy {info['sqlalchemy']}, {r['database']}; measured {info['date']}.",
        "",
        "| phase | requests | per s | errors | p50 ms | p95 ms | pages p95 ms | API p95 ms"
        " | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, f in rows:
        lines.append(
            f"| {name} | {f['requests']:,} | {f['per_s']} | {f['errors']} | {f['p50_ms']} | "
            f"{f['p95_ms']} | {f['page_p95_ms']} | {f['api_p95_ms']} | {f['load']} |"
        )
    jobs = ", ".join(
        f"{name} {r['jobs_s'][name]} s ({r['jobs'][name]['state']})" for name in r["jobs_s"]
    )
    lines += [
        "",
        f"p95 under load / idle: ×{r['p95_ratio']} (p50 ×{r['p50_ratio']}); against the idle",
        f'phase after the jobs: ×{r["p95_ratio_after"]}. Jobs: {jobs}. "load" is the machine\'s',
        "1-minute load average at the end of each phase: the machine is shared, so a phase's",
        "figures also carry other people's work.",
        "",
    ]
    replace_section(SECTION, "\n".join(lines))


def main() -> None:
    """Parse the arguments, run, print, and record the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--elders", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--idle-seconds", type=float, default=30)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument(
        "--keep-db", action="store_true", help="keep the seeded database for the next run today"
    )
    args = parser.parse_args()
    info = machine()
    print(f"machine: {info}", flush=True)
    r = measure(args)
    for name in ("idle", "loaded", "idle_after"):
        print(f"{name:>10}: {r[name]}")
    print(f"jobs: {r['jobs_s']} {r['jobs']}")
    print(f"p95 loaded / idle: x{r['p95_ratio']}  (p50 x{r['p50_ratio']}), "
          f"/ idle after: x{r['p95_ratio_after']}")  # fmt: skip
    if not args.no_doc:
        command = "python bench/responsiveness.py" + "".join(f" {a}" for a in sys.argv[1:])
        write_doc(command, info, r)
    print(json.dumps({"machine": info} | r, ensure_ascii=False))


if __name__ == "__main__":
    main()
