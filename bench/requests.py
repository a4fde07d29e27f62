# ruff: noqa: E501
"""Everyday requests from outside, on a served PostgreSQL district, beside the path before.

    python bench/requests.py [--elders 200000] [--database-url URL] [--n1 40] [--n16 160]
                             [--orders-n1 200] [--orders-n16 320] [--no-doc]

A fresh scratch database gets the seeded demo district with `--elders` elders and ANALYZE.
Two servers answer in turn, each with two worker processes: *before*, the app as it was
(bench/baseline_asgi.py: one OR over name, ID number and phone with an exact count; every
order reads and decodes the district's caregivers; uvicorn's own `--workers 2`, which loses
TCP_NODELAY) on the database without the trigram indexes; then *now*, `yiyang serve
--workers 2` with migration 0016's indexes. A bounded load generator (httpx, one keep-alive
client per thread, a fixed number of threads, a fixed number of requests) measures elder
search by name (three characters, and a one-character surname), ID number, whole phone and
the last six digits of a phone, p50/p95 at concurrency 1 and 16; order placement with
automatic dispatch (`POST /api/v1/orders`), p50/p99 and orders per second at 1 and 16 after
an untimed round on each day (its slowest order, a worker's first, reported beside); list
pages p95 at 16 (after an untimed warm-up round); `/healthz` on a keep-alive connection
(what TCP_NODELAY costs). The EXPLAIN ANALYZE plans of the searches are printed for both
paths. Prints the figures, ends with one JSON line, and rewrites the "Everyday requests"
section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, select, text
from sqlalchemy.dialects import postgresql

from doc import replace_section
from seed import DEFAULT_PG, fresh_database, server_version
from yiyang.demo import seed_demo
from yiyang.demo.users import DEMO_PASSWORD
from yiyang.kit.localtime import CHINA_TZ
from yiyang.registry.elders import repository
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role
from yiyang.security.subject import Subject

# The product's search, kept before baseline_asgi (imported for its old search) patches it.
PRODUCT_MATCHING = repository.matching
from baseline_asgi import matching_before  # noqa: E402

SECTION = "## Everyday requests"
BENCH = Path(__file__).resolve().parent
ADMIN = Subject(1, "admin", "admin", Role.DISTRICT_ADMIN)
TRIGRAM = {"ix_elder_name_trgm": "name", "ix_elder_phone_trgm": "phone"}
SEARCHES = ("name, 3 characters", "surname, 1 character", "ID number", "phone", "phone, last 6")
PAGES = ("/orders", "/elders", "/staff")
WARM_UP = 32  # untimed requests of each list page before its figure
ORDER_WARM_UP = 8  # untimed orders on each day the timed ones are placed on


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str, before: bool) -> Iterator[str]:
    """A server of two worker processes on the database: the app before, or `yiyang serve`."""
    port = free_port()
    env = os.environ | {
        "YIYANG_DATABASE_URL": url,
        "YIYANG_SECRET_KEY": "bench-secret",
        "YIYANG_TOTP_REQUIRED_ROLES": "",
        "YIYANG_ELDER_ID_LOOKUPS_PER_HOUR": "1000000",
        "YIYANG_COOKIE_SECURE": "false",
        "YIYANG_EMBEDDED_WORKER": "0",
        # The checkout's own code (and bench/), whatever the venv's editable install points at.
        "PYTHONPATH": os.pathsep.join((str(BENCH), str(BENCH.parent / "src"))),
    }
    if before:
        cmd = [
            sys.executable,
            "-m",
            "uvicorn",
            "baseline_asgi:app",
            "--workers",
            "2",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--timeout-worker-healthcheck",
            "30",
        ]  # as serve's, so no busy worker is killed
    else:
        cmd = [str(Path(sys.executable).parent / "yiyang"), "serve", "--workers", "2", "--port", str(port),
               "--no-with-worker"]  # fmt: skip
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-requests-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def token(base: str) -> str:
    resp = httpx.post(
        base + "/api/v1/auth/token", json={"username": "admin", "password": DEMO_PASSWORD}
    )
    resp.raise_for_status()
    return str(resp.json()["access_token"])


def load(
    base: str,
    headers: dict[str, str],
    concurrency: int,
    requests: list[Callable[[httpx.Client], httpx.Response]],
) -> dict[str, float]:
    """Run the requests on `concurrency` keep-alive clients; latencies (ms) and rate (/s)."""
    times: list[float] = []
    errors = 0
    lock = threading.Lock()
    queue = list(reversed(requests))

    def worker() -> None:
        nonlocal errors
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            client.get("/healthz")  # connect first: keep-alive requests are what is timed
            while True:
                with lock:
                    if not queue:
                        return
                    call = queue.pop()
                t0 = time.perf_counter()
                try:
                    failed = call(client).status_code >= 400
                except httpx.HTTPError:  # a dropped connection counts as an error, timed
                    failed = True
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    times.append(ms)
                    errors += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p * len(times)))], 1)

    return {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": round(times[-1], 1),
            "per_s": round(len(times) / wall, 1), "n": len(times), "errors": errors}  # fmt: skip


def search_terms(engine: Engine, rng: random.Random, n: int) -> dict[str, list[str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, id_number, phone FROM elder WHERE phone IS NOT NULL "
                 "ORDER BY random() LIMIT :n"), {"n": n},
        ).all()  # fmt: skip
        long_names = conn.execute(
            text("SELECT name FROM elder WHERE char_length(name) >= 3 ORDER BY random() LIMIT :n"),
            {"n": n},
        ).scalars()
        three = [name[:3] for name in long_names]
    return {
        "name, 3 characters": three,
        "surname, 1 character": [r.name[0] for r in rows],
        "ID number": [r.id_number for r in rows],
        "phone": [r.phone for r in rows],
        "phone, last 6": [r.phone[-6:] for r in rows],
    }


def explain(engine: Engine, before: bool, terms: dict[str, list[str]]) -> dict[str, str]:
    """The plan of each search's page query (EXPLAIN ANALYZE), on the path given."""
    plans = {}
    make = matching_before if before else PRODUCT_MATCHING
    for kind, values in terms.items():
        stmt = select(Elder.id).where(make(ADMIN, values[0])).order_by(Elder.id).limit(20)
        sql = str(
            stmt.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        with engine.connect() as conn:
            lines = conn.execute(text("EXPLAIN (ANALYZE, COSTS OFF) " + sql)).scalars().all()
        plans[kind] = "\n".join(lines)
    return plans


def orders(engine: Engine, rng: random.Random, n: int, day_offset: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        elders = conn.execute(
            text("SELECT id FROM elder WHERE status = 'active' ORDER BY random() LIMIT :n"),
            {"n": n},
        )
        ids = [r.id for r in elders]
    day = (datetime.now(CHINA_TZ) + timedelta(days=day_offset)).date()
    bodies = []
    for elder_id in ids:
        start = datetime(day.year, day.month, day.day, rng.choice((8, 9, 10, 13, 14, 15)),
                         tzinfo=CHINA_TZ)  # fmt: skip
        bodies.append({"elder_id": elder_id, "item_code": "home_personal_care",
                       "window_start": start.isoformat(),
                       "window_end": (start + timedelta(hours=2)).isoformat()})  # fmt: skip
    return bodies


def measure(engine: Engine, url: str, before: bool, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(7)
    terms = search_terms(engine, rng, args.n16)
    out: dict[str, Any] = {"plans": explain(engine, before, terms)}
    start_load = os.getloadavg()[0]
    with served(url, before) as base:
        headers = {"Authorization": f"Bearer {token(base)}"}
        out["healthz"] = load(base, {}, 1, [lambda c: c.get("/healthz")] * args.n1)
        for kind in SEARCHES:
            for conc, n in ((1, args.n1), (16, args.n16)):
                calls = [
                    lambda c, q=q: c.get("/api/v1/elders", params={"q": q}) for q in terms[kind][:n]
                ]
                out[f"search {kind} c{conc}"] = load(base, headers, conc, calls)
        for conc, n, offset in (
            (1, args.orders_n1, 2 if before else 4),
            (16, args.orders_n16, 3 if before else 5),
        ):
            calls = [
                lambda c, b=b: c.post("/api/v1/orders", json=b)
                for b in orders(engine, rng, ORDER_WARM_UP + n, offset)
            ]
            # Each worker's first order reads the caregivers, its first of a day decodes
            # their shifts for the day: the untimed round's slowest shows what that costs.
            warm = load(base, headers, 2, calls[:ORDER_WARM_UP])
            out[f"order c{conc}"] = load(base, headers, conc, calls[ORDER_WARM_UP:])
            out[f"order c{conc}"]["first_max"] = warm["max"]
        for path in PAGES:
            out[f"page {path} c16"] = page_load(base, path, args.n16)
    out["load"] = [round(start_load, 2), round(os.getloadavg()[0], 2)]
    return out


def page_load(base: str, path: str, n: int) -> dict[str, float]:
    """A list page for a signed-in district admin (cookie session), 16 at a time, after an
    untimed round of 32 (each worker's first requests compile the page's templates and
    prepare its statements: a p95 of 96 requests would time that, not the page)."""
    with httpx.Client(base_url=base) as c:
        c.post("/login", data={"username": "admin", "password": DEMO_PASSWORD})
        cookies = dict(c.cookies)
    header = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    load(base, header, 16, [lambda c: c.get(path)] * WARM_UP)
    return load(base, header, 16, [lambda c: c.get(path)] * n)


def ratio(a: float, b: float) -> str:
    return f"×{a / b:.1f}" if b else "—"


def write_doc(
    command: str, info: dict[str, Any], before: dict[str, Any], now: dict[str, Any]
) -> None:
    lines = [SECTION, "",
        "Measured from outside: two worker processes serving a PostgreSQL district, a bounded",
        "load generator (httpx, keep-alive clients on a fixed number of threads) on the same",
        "machine. *Before* is the app as it was, in the same run (bench/baseline_asgi.py on the",
        "database without the trigram indexes, served by uvicorn's own `--workers 2`); *now* is",
        "`yiyang serve --workers 2` with migration 0016. Each list page's figure follows an",
        f"untimed round of {WARM_UP} requests (the workers' first ones compile its templates).", "",
        f"Command: `{command}`", "",
        f"Machine: {info['machine']}; {info['server']}; {info['elders']:,} elders; measured "
        f"{info['date']}. The p95 ratio is before ÷ now, the throughput ratio now ÷ before (the machine is shared with other work: compare within the run).", "",
        "| request | concurrency | before p50 ms | before p95 ms | now p50 ms | now p95 ms | p95 ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for kind in SEARCHES:
        for conc in (1, 16):
            b, n = before[f"search {kind} c{conc}"], now[f"search {kind} c{conc}"]
            lines.append(f"| elder search: {kind} | {conc} | {b['p50']} | {b['p95']} | {n['p50']} | "
                         f"{n['p95']} | {ratio(b['p95'], n['p95'])} |")  # fmt: skip
    for path in PAGES:
        b, n = before[f"page {path} c16"], now[f"page {path} c16"]
        lines.append(f"| list page {path} | 16 | {b['p50']} | {b['p95']} | {n['p50']} | {n['p95']} | "
                     f"{ratio(b['p95'], n['p95'])} |")  # fmt: skip
    b, n = before["healthz"], now["healthz"]
    lines.append(f"| /healthz, keep-alive | 1 | {b['p50']} | {b['p95']} | {n['p50']} | {n['p95']} | "
                 f"{ratio(b['p95'], n['p95'])} |")  # fmt: skip
    o1, o16 = now["order c1"], now["order c16"]
    lines += ["", f"Order placement with automatic dispatch (`POST /api/v1/orders`), {o1['n']} orders at"
              f" concurrency 1 and {o16['n']} at 16, each after an untimed round of {ORDER_WARM_UP} orders on"
              " the same day, two at a time: a worker's first order reads the district's caregivers and"
              " its first of a day decodes their shifts for that day and builds the day's index, a cost"
              " paid once per worker and day, shown as the round's slowest order:", "",
              "| concurrency | before p50 ms | before p99 ms | before orders/s | now p50 ms | now p99 ms | now orders/s | throughput ratio | slowest first order, before / now ms |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for conc in (1, 16):
        b, n = before[f"order c{conc}"], now[f"order c{conc}"]
        lines.append(f"| {conc} | {b['p50']} | {b['p99']} | {b['per_s']} | {n['p50']} | {n['p99']} | "
                     f"{n['per_s']} | ×{n['per_s'] / b['per_s']:.1f} | {b['first_max']} / {n['first_max']} |")  # fmt: skip
    errs = sum(v["errors"] for r in (before, now) for k, v in r.items() if "errors" in v)
    lines += [
        "",
        f"Requests answered with an error status (or dropped) in the run: {errs}. "
        f"Load average of the machine (1 min) at the start and end of each phase: before "
        f"{before['load'][0]:.1f} → {before['load'][1]:.1f}, now {now['load'][0]:.1f} → "
        f"{now['load'][1]:.1f} (2 CPUs: above 2, requests queue for the CPU).",
        "",
        "Plans of each search's page query (EXPLAIN ANALYZE, COSTS OFF), now and before:",
        "",
    ]
    for kind, plan in now["plans"].items():
        lines += [
            f"{kind}, now:",
            "",
            "```",
            plan,
            "```",
            "",
            f"{kind}, before:",
            "",
            "```",
            before["plans"][kind],
            "```",
            "",
        ]
    replace_section(SECTION, "\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elders", type=int, default=200_000)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--n1", type=int, default=40, help="requests per figure at concurrency 1")
    parser.add_argument("--n16", type=int, default=160, help="requests per figure at 16")
    parser.add_argument("--orders-n1", type=int, default=200, help="orders timed at concurrency 1")
    parser.add_argument("--orders-n16", type=int, default=320, help="orders timed at 16")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    with fresh_database(args.database_url, "scratch") as engine:
        seed_demo(engine, elders=args.elders)
        url = engine.url.render_as_string(hide_password=False)
        with engine.begin() as conn:
            for name in TRIGRAM:
                conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
            conn.execute(text("ANALYZE"))
        before = measure(engine, url, True, args)
        with engine.begin() as conn:
            for name, column in TRIGRAM.items():
                conn.execute(
                    text(f"CREATE INDEX {name} ON elder USING gin ({column} gin_trgm_ops)")
                )
            conn.execute(text("ANALYZE"))
        now = measure(engine, url, False, args)
        info = {"machine": f"{os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}",
                "server": server_version(engine), "elders": args.elders,
                "date": datetime.now(CHINA_TZ).date().isoformat()}  # fmt: skip
    for label, result in (("before", before), ("now", now)):
        for kind, plan in result["plans"].items():
            print(f"--- plan {label}: {kind}\n{plan}")
        for key, value in result.items():
            if key not in ("plans", "load"):
                print(f"{label:>6} {key:<32} {value}")
        print(f"{label:>6} load average start, end       {result['load']}")
    if not args.no_doc:
        command = "python bench/requests.py " + " ".join(sys.argv[1:])
        write_doc(command.strip(), info, before, now)
    print(json.dumps({"bench": "requests", "info": info,
                      "before": {k: v for k, v in before.items() if k != "plans"},
                      "now": {k: v for k, v in now.items() if k != "plans"}}))  # fmt: skip


if __name__ == "__main__":
    main()
