"""The big screen served for real, for bench/screen.py: `yiyang serve` on the bench's database,
the first complete render in headless chromium, and the delay from an order or alarm to the
open screens (server-sent events) beside a naive polling baseline.

- First render: chromium (1920x1080) logs in as the district admin through the login form
  and opens `/screen`; an init script notes when the snapshot arrives, when the page marks
  itself ready (every panel drawn from it: `data-ready`) and the frame after it is painted
  (two animation frames later), in ms since the navigation started. The bench then checks
  that the map has its outlines and choropleth, every KPI a value and both charts their bars.
- Events: `screens` SSE clients (httpx, one connection each, in a process of their own) and
  one chromium page watch `/screen/stream` while the bench places orders (dispatch's
  `submit_order`, automatic dispatch included) and raises SOS alarms (`raise_or_repeat`),
  each committed on a connection of its own, as another web worker or the gateway would.
  The delay runs from just after the commit to the client reading the delta (chromium: to
  the animation frame after the page has handled it). Wall clocks of the same machine.
- Naive baseline: `pollers` screens that each poll every `poll_ms` the naive read of today's
  orders and alarms (bench/screen_naive.py) and count the strip, in two processes (as two
  web workers answering polling screens would), for the same kind of events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from yiyang.alarms.handling.rules import day_start
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.config import Settings
from yiyang.console.screen.kept_models import ScreenPicture
from yiyang.demo.day import MIX
from yiyang.demo.users import DEMO_PASSWORD
from yiyang.dispatch.service import submit_order
from yiyang.errors import DomainError
from yiyang.kit.clock import utcnow
from yiyang.kit.localtime import local_today
from yiyang.orders.schemas import OrderCreate
from yiyang.registry.elders.models import Elder
from yiyang.security.models import UserAccount
from yiyang.security.service import subject_for

YIYANG = Path(sys.executable).parent / "yiyang"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking"]  # fmt: skip
WALL = {"width": 1920, "height": 1080}
SETTINGS = Settings(secret_key="bench")
USER = "admin"  # the demo's district admin

RENDER_JS = """
(() => {
  const Plain = window.EventSource;
  function Timed(url, options) {  // when the snapshot arrives, before the page handles it
    const source = new Plain(url, options);
    source.addEventListener("snapshot", () => {
      if (window.__snapshot === undefined) window.__snapshot = performance.now();
    });
    return source;
  }
  Timed.prototype = Plain.prototype;
  Timed.CONNECTING = Plain.CONNECTING; Timed.OPEN = Plain.OPEN; Timed.CLOSED = Plain.CLOSED;
  window.EventSource = Timed;
  document.addEventListener("DOMContentLoaded", () => {
    const wall = document.getElementById("wall");
    if (!wall) return;
    new MutationObserver(() => {
      if (wall.getAttribute("data-ready") === "1" && window.__ready === undefined) {
        window.__ready = performance.now();
        requestAnimationFrame(() => requestAnimationFrame(() => {
          window.__drawn = performance.now();
        }));
      }
    }).observe(wall, { attributes: true, attributeFilter: ["data-ready"] });
  });
})();
"""
DRAWN_JS = """
() => {
  const q = (s) => document.querySelector(s);
  const chart = (id) => window.echarts.getInstanceByDom(q(`[data-testid=${id}]`));
  const map = chart("map").getOption();
  const kpis = [...document.querySelectorAll("[data-testid^=kpi-]")].map((e) => e.textContent);
  const bars = (id) => chart(id).getOption().series.every((s) => s.data.length > 0);
  return {
    snapshot_ms: window.__snapshot, ready_ms: window.__ready, drawn_ms: window.__drawn,
    outlines: q("#wall").getAttribute("data-map-ready") === "1" && map.geo[0].map === "streets"
      && map.series[0].data.filter((d) => d.value >= 0).length >= 24,
    kpis: kpis.length === 14 && kpis.every((t) => t && t !== "–"),
    charts: bars("supply-chart") && bars("circle-chart") && !!q("[data-testid=map] canvas"),
    orders: Number(q("#wall").getAttribute("data-orders")),
  };
}
"""
# Notes when each order and alarm of a delta (or a snapshot sent again) is on the screen: the
# animation frame after the page's own handler (registered after this one) has drawn it.
EVENTS_JS = """
(() => {
  const Plain = window.EventSource;
  window.__seen = {};
  const note = (e) => {
    const d = JSON.parse(e.data);
    requestAnimationFrame(() => {
      const t = Date.now();
      const mark = (key) => { if (!(key in window.__seen)) window.__seen[key] = t; };
      (d.orders || []).forEach((o) => mark("o" + o.id));
      (d.alarms || []).forEach((a) => mark("a" + a.id));
    });
  };
  function Watched(url, options) {
    const source = new Plain(url, options);
    source.addEventListener("delta", note);
    source.addEventListener("snapshot", note);
    return source;
  }
  Watched.prototype = Plain.prototype;
  Watched.CONNECTING = Plain.CONNECTING; Watched.OPEN = Plain.OPEN; Watched.CLOSED = Plain.CLOSED;
  window.EventSource = Watched;
})();
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str, log: Path) -> Iterator[str]:
    """`yiyang serve` (one web process, no embedded worker) on the database; its base URL."""
    port = free_port()
    env = os.environ | {
        "YIYANG_DATABASE_URL": url, "YIYANG_SECRET_KEY": "bench-secret",
        "YIYANG_TOTP_REQUIRED_ROLES": "", "YIYANG_COOKIE_SECURE": "false",
    }  # fmt: skip
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [str(YIYANG), "serve", "--port", str(port), "--no-with-worker"],
            env=env, stdout=out, stderr=out,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"yiyang serve did not start (see {log})")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def cookies_of(base: str) -> dict[str, str]:
    """The district admin's session cookies, through POST /login."""
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.post("/login", data={"username": USER, "password": DEMO_PASSWORD})
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return dict(c.cookies)


def log_in(page: Any) -> None:
    """Log in through the form, as tests/browser/conftest.py does, but land on /healthz: the
    district admin's home page over 200,000 elders would load the server while it is timed."""
    page.goto("/login?next=/healthz")
    page.fill("#username", USER)
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def render_once(page: Any, reload: bool = False) -> dict[str, Any]:
    """One load of /screen: ms to ready and to painted, and whether every panel is drawn."""
    if reload:
        page.reload()
    else:
        page.goto("/screen")
    page.wait_for_selector("[data-testid=screen][data-ready='1']", timeout=120_000)
    while page.evaluate("() => window.__drawn") is None:  # (no wait_for_function: the CSP)
        time.sleep(0.02)
    out: dict[str, Any] = page.evaluate(DRAWN_JS)
    out["complete"] = bool(out["outlines"] and out["kpis"] and out["charts"])
    return out


def context_of(browser: Any, base: str, script: str) -> Any:
    context = browser.new_context(viewport=WALL, base_url=base, locale="zh-CN")
    context.add_init_script(script)
    return context


def renders(
    browser: Any, engine: Engine, url: str, log: Path, cold: int, loads: int
) -> dict[str, Any]:
    """First complete render: `cold` times on a server just started with no picture kept
    (the aggregator reads the register for the first screen) and `cold` times on one
    restarted (it shows the picture the process before kept), then `loads` times in a
    fresh browser (empty cache) and `loads` reloads of one page (cache warm)."""
    out: dict[str, list[dict[str, Any]]] = {
        "cold_server": [], "restarted": [], "cold_browser": [], "warm": [],
    }  # fmt: skip
    for key in ("cold_server",) * cold + ("restarted",) * cold:
        if key == "cold_server":
            with Session(engine) as s:
                s.execute(delete(ScreenPicture))
                s.commit()
        with served(url, log) as base:
            context = context_of(browser, base, RENDER_JS)
            page = context.new_page()
            log_in(page)
            out[key].append(render_once(page))
            context.close()
    with served(url, log) as base:
        context = context_of(browser, base, RENDER_JS)
        page = context.new_page()
        log_in(page)
        render_once(page)  # the aggregator reads its picture
        context.close()
        for _ in range(loads):
            context = context_of(browser, base, RENDER_JS)
            page = context.new_page()
            log_in(page)
            out["cold_browser"].append(render_once(page))
            context.close()
        context = context_of(browser, base, RENDER_JS)
        page = context.new_page()
        log_in(page)
        render_once(page)
        for _ in range(loads):
            out["warm"].append(render_once(page, reload=True))
        context.close()
    return out


def watch_streams(base: str, cookies: dict[str, str], n: int, ready: Any, stop: Any,
                  results: Any) -> None:  # fmt: skip
    """`n` SSE screens on /screen/stream (a process of its own); puts, per screen, when each
    order and alarm first reached it (wall clock), and how many snapshots and deltas came."""

    async def one(seen: dict[str, float], counts: dict[str, int]) -> None:
        async with (
            httpx.AsyncClient(base_url=base, cookies=cookies, timeout=None) as c,
            c.stream("GET", "/screen/stream") as r,
        ):
            r.raise_for_status()
            event = ""
            async for line in r.aiter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    at = time.time()
                    data = json.loads(line[5:])
                    counts[event] = counts.get(event, 0) + 1
                    if event == "snapshot" and counts[event] == 1:
                        with ready.get_lock():
                            ready.value += 1
                        continue
                    for o in data.get("orders", ()):
                        seen.setdefault(f"o{o['id']}", at)
                    for a in data.get("alarms", ()):
                        seen.setdefault(f"a{a['id']}", at)

    async def main() -> list[dict[str, Any]]:
        screens = [({}, {}) for _ in range(n)]
        tasks = [asyncio.create_task(one(seen, counts)) for seen, counts in screens]
        while not stop.is_set():
            await asyncio.sleep(0.2)
        for t in tasks:
            t.cancel()
        errors = 0
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                try:
                    await t
                except Exception:
                    errors += 1
        return [{"seen": seen, "counts": counts, "errors": errors} for seen, counts in screens]

    results.put(asyncio.run(main()))


def elders_in_turn(engine: Engine, seed: int) -> list[tuple[int, int, int]]:
    """Active elders (id, street, community) with no open alarm in a random order: each
    event takes the next, so no elder has two (an open SOS would be repeated, not raised
    again), nor one left open by an earlier run on a kept database."""
    open_alarm = select(Alarm.id).where(Alarm.elder_id == Elder.id, Alarm.closed_at.is_(None))
    with Session(engine) as s:
        people = list(s.execute(
            select(Elder.id, Elder.street_id, Elder.community_id)
            .where(Elder.status == "active", ~open_alarm.exists()).order_by(Elder.id)
        ).tuples())  # fmt: skip
    random.Random(seed).shuffle(people)
    return people


def make_events(
    engine: Engine, people: list[tuple[int, int, int]], count: int, rate: float
) -> dict[str, float]:
    """`count` events at `rate`/s, orders and SOS alarms in turn, each committed on its own
    session; when each commit returned (wall clock), by "o<id>" / "a<id>"."""
    rng = random.Random(len(people))
    with Session(engine) as s:
        admin = s.scalars(select(UserAccount).where(UserAccount.username == USER)).one()
        subject = subject_for(admin)
    committed: dict[str, float] = {}
    started = time.monotonic()
    for n, (elder_id, street_id, community_id) in enumerate(people[:count]):
        now = utcnow()
        with Session(engine) as s:
            try:
                if n % 2 == 0:
                    begin = now + timedelta(minutes=5)
                    data = OrderCreate(
                        elder_id=elder_id, item_code=rng.choice(list(MIX)),
                        window_start=begin, window_end=begin + timedelta(hours=2),
                    )  # fmt: skip
                    key = f"o{submit_order(s, subject, data, now=now, settings=SETTINGS).id}"
                else:
                    origin = Origin(originator=f"elder:{elder_id}", elder_id=elder_id,
                                    street_id=street_id, community_id=community_id)  # fmt: skip
                    key = f"a{raise_or_repeat(s, AlarmType.SOS, origin, now=now)[0].id}"
                s.commit()
                committed[key] = time.time()
            except DomainError:
                s.rollback()
        time.sleep(max(0.0, started + (n + 1) / rate - time.monotonic()))
    return committed


def quantiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max in ms (nearest rank)."""
    if not values:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    v = sorted(values)

    def q(p: float) -> float:
        return round(v[max(0, min(len(v) - 1, int(p * len(v) + 0.999999) - 1))] * 1000, 1)

    return {"p50_ms": q(0.50), "p95_ms": q(0.95), "p99_ms": q(0.99), "max_ms": q(1.0)}


def delays(committed: dict[str, float], seen: list[dict[str, float]]) -> dict[str, Any]:
    """Delay figures of every (event, screen) pair, and how many pairs never arrived."""
    got = [s[k] - t for s in seen for k, t in committed.items() if k in s]
    return {"events": len(committed), "screens": len(seen), "pairs": len(got),
            "missing": len(committed) * len(seen) - len(got)} | quantiles(got)  # fmt: skip


def streamed(
    browser: Any, base: str, engine: Engine, people: list[tuple[int, int, int]], screens: int,
    count: int, rate: float,
) -> dict[str, Any]:  # fmt: skip
    """Event to screen with `screens` SSE clients and one chromium page connected."""
    ctx = mp.get_context("spawn")
    ready, stop, results = ctx.Value("i", 0), ctx.Event(), ctx.Queue()
    watchers = ctx.Process(
        target=watch_streams, args=(base, cookies_of(base), screens, ready, stop, results)
    )
    watchers.start()
    context = context_of(browser, base, EVENTS_JS)
    page = context.new_page()
    try:
        log_in(page)
        page.goto("/screen")
        page.wait_for_selector("[data-testid=screen][data-ready='1']", timeout=120_000)
        deadline = time.monotonic() + 180
        while ready.value < screens and time.monotonic() < deadline:
            time.sleep(0.2)
        if ready.value < screens:
            raise RuntimeError(f"only {ready.value} of {screens} screens got their snapshot")
        time.sleep(2.0)
        committed = make_events(engine, people, count, rate)
        time.sleep(5.0)  # the last events reach the screens
        seen_page: dict[str, float] = {
            k: v / 1000.0 for k, v in page.evaluate("window.__seen").items()
        }
    finally:
        stop.set()
        context.close()
    screens_seen = results.get(timeout=120)
    watchers.join(30)
    clients = [s["seen"] for s in screens_seen]
    return {
        "all": delays(committed, [*clients, seen_page]),
        "sse": delays(committed, clients),
        "chromium": delays(committed, [seen_page]),
        "orders": sum(k.startswith("o") for k in committed),
        "alarms": sum(k.startswith("a") for k in committed),
        "snapshots_again": sum(max(0, s["counts"].get("snapshot", 0) - 1) for s in screens_seen),
        "deltas": sum(s["counts"].get("delta", 0) for s in screens_seen),
        "errors": max((s["errors"] for s in screens_seen), default=0),
    }


def poll(url: str, threads: int, poll_ms: int, stop: Any, results: Any) -> None:
    """`threads` naive screens polling every `poll_ms` (a process of its own)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import screen_naive as naive
    from yiyang.console.screen import view
    from yiyang.db import make_engine

    engine = make_engine(url, pool_size=threads, max_overflow=0)
    with Session(engine) as s:
        now = utcnow()
        _, spent = naive.money(s, SETTINGS, local_today(now))
        slow = {"devices": naive.devices(s, SETTINGS), "facilities": naive.facilities(s, now),
                "responders": naive.responders(s), "spent_fen": spent}  # fmt: skip
    out: list[dict[str, float]] = [{} for _ in range(threads)]
    polls = [0] * threads

    def screen(i: int) -> None:
        time.sleep(poll_ms / 1000.0 * i / threads)  # spread over the interval
        while not stop.is_set():
            began = time.monotonic()
            now = utcnow()
            with Session(engine) as s:
                orders = naive.orders_today(s, local_today(now))
                alarms = naive.alarms_since(s, day_start(now))
            view.kpis(slow, orders, alarms, None, day_start(now), now)
            at = time.time()
            polls[i] += 1
            for oid in orders:
                out[i].setdefault(f"o{oid}", at)
            for aid in alarms:
                out[i].setdefault(f"a{aid}", at)
            time.sleep(max(0.0, began + poll_ms / 1000.0 - time.monotonic()))

    workers = [threading.Thread(target=screen, args=(i,), daemon=True) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    engine.dispose()
    results.put({"seen": out, "polls": sum(polls)})


def polled(
    url: str,
    engine: Engine,
    people: list[tuple[int, int, int]],
    pollers: int,
    poll_ms: int,
    count: int,
    rate: float,
) -> dict[str, Any]:
    """The naive baseline: polling screens, the same kind and rate of events."""
    ctx = mp.get_context("spawn")
    stop, results = ctx.Event(), ctx.Queue()
    halves = [pollers // 2, pollers - pollers // 2]
    procs = [ctx.Process(target=poll, args=(url, n, poll_ms, stop, results)) for n in halves]
    for p in procs:
        p.start()
    try:
        time.sleep(poll_ms / 1000.0 + 15.0)  # every poller has read once (the first is slow)
        began = time.monotonic()
        committed = make_events(engine, people, count, rate)
        time.sleep(max(5.0, poll_ms / 1000.0 * 3))
        wall = time.monotonic() - began
    finally:
        stop.set()
    parts = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(30)
    seen = [s for part in parts for s in part["seen"]]
    polls = sum(part["polls"] for part in parts)
    return delays(committed, seen) | {"polls_per_s": round(polls / wall, 1), "poll_ms": poll_ms}
