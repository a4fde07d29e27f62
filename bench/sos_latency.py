"""SOS-to-console latency under the background traffic of many devices (issue 9 §5).

For bench/alarms.py (`--latency-devices`, `--latency-sos`). In one run, on a private
Mosquitto and a scratch PostgreSQL database:

- `devices` background devices registered with set-based inserts (INSERT ... SELECT over
  generate_series, no API calls): every fifth a health bracelet (vitals_band), the others
  pull cords, door, motion and smoke sensors; plus 2 × `sos` pull cords that send only the
  SOS of the run (one each, so each raises an alarm of its own).
- `yiyang serve` on a free port, one `yiyang ingest` process, an operator created with
  `yiyang users create`, logged in through POST /login, and an SSE client (httpx stream)
  on `/console/alarms/stream`: the ingest process raises the alarm, its NOTIFY reaches the
  web process's LISTEN connection, which writes the event to the console's stream.
- Baseline: `sos` SOS at `sos_rate`/s on the urgent channel with no other traffic. Then the
  background process (multiprocessing, spawn) publishes a heartbeat per device every
  HEARTBEAT_S and a reading per bracelet every READING_S (QoS 1, /up), and after a warm-up
  the same number of SOS again. Each SOS is stamped (its `ts`, and the monotonic clock of
  the bench) just before it is published; the delay ends when the SSE client has read the
  `alarm.raised` event of its device.
- The ingest backlog is sampled every second: bracelet readings published by the
  background process and not yet stored (heartbeats leave no row, readings do).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from mqtt_fault import TOKEN, Broker, Ingest, client, free_port
from yiyang.db import make_engine
from yiyang.devices.rules import secret_hash
from yiyang.migrate import upgrade
from yiyang.protocols.house_json import topic_of
from yiyang.protocols.vocabulary import IdentityScheme

YIYANG = Path(sys.executable).parent / "yiyang"
HEARTBEAT_S = 1800  # every device: a heartbeat every 30 min
READING_S = 600  # every bracelet: heart rate, blood pressure, temperature, SpO2 every 10 min
BAND_EVERY = 5  # one device in five is a bracelet
FIXED = ("pull_cord", "door_sensor", "motion_sensor", "smoke_detector")
OPERATOR, PASSWORD = "latency1", "Kq7-Watch-Night-2026"
WARM_UP_S = 20.0


def imei(device_id: int) -> str:
    return f"86{device_id:013d}"


def register(url: str, devices: int, sos: int) -> tuple[list[int], list[int], list[int]]:
    """The schema; `devices` background devices and `sos` pull cords, set-based.

    Returns the background devices' ids, the bracelets' among them, the pull cords'."""
    engine = make_engine(url)
    upgrade(engine)
    started = time.monotonic()
    kinds = "ARRAY[" + ",".join(f"'{k}'" for k in FIXED) + "]"
    with engine.begin() as conn:
        params = {"secret": secret_hash(TOKEN), "n": devices, "every": BAND_EVERY}
        first = conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM device")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO device (kind, vendor, model, protocol, status, secret_hash,"
                " heartbeat_s, online, created_at, version)"
                f" SELECT CASE WHEN g % :every = 0 THEN 'vitals_band'"
                f" ELSE ({kinds})[1 + g % 4] END,"
                " 'bench', 'b', 'house', 'installed', :secret, 1800, false, now(), 1"
                " FROM generate_series(1, :n) g ORDER BY g"
            ),
            params,
        )
        conn.execute(
            text(
                "INSERT INTO device (kind, vendor, model, protocol, status, secret_hash,"
                " heartbeat_s, online, created_at, version)"
                " SELECT 'pull_cord', 'bench', 'b', 'house', 'installed', :secret, 1800, false,"
                " now(), 1 FROM generate_series(1, :n) g ORDER BY g"
            ),
            {"secret": params["secret"], "n": sos},
        )
        conn.execute(
            text(
                "INSERT INTO device_identity (device_id, scheme, value)"
                " SELECT id, 'imei', '86' || lpad(id::text, 13, '0') FROM device WHERE id >= :f"
            ),
            {"f": first},
        )
        rows = conn.execute(
            text("SELECT id, kind FROM device WHERE id >= :f ORDER BY id"), {"f": first}
        ).all()
    with engine.connect() as conn:
        conn.execute(text("ANALYZE device"))
        conn.execute(text("ANALYZE device_identity"))
    engine.dispose()
    print(f"  registered {len(rows):,} devices in {time.monotonic() - started:.1f} s")
    ids = [r.id for r in rows]
    bands = [r.id for r in rows[:devices] if r.kind == "vitals_band"]
    return ids[:devices], bands, ids[devices:]


def background(
    port: int,
    ids: list[int],
    bands: list[int],
    run: str,
    stop: Any,
    sent: Any,
    readings: Any,
) -> None:
    """The devices' background traffic (a process of its own): heartbeats and readings."""
    import random

    rng = random.Random(7)
    rng.shuffle(ids)
    rng.shuffle(bands)
    hb_rate, rd_rate = len(ids) / HEARTBEAT_S, len(bands) / READING_S
    c = client(port)
    start = time.monotonic()
    n = hb = rd = 0
    while not stop.is_set():
        # Readings take their share of the ticks (rd_rate of hb_rate + rd_rate).
        reading = (rd + 1) * (hb_rate + rd_rate) <= (n + 1) * rd_rate and bands
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        body: dict[str, Any] = {"id": f"bg{run}-{n}", "ts": now, "token": TOKEN}
        if reading:
            device = bands[rd % len(bands)]
            body |= {"type": "reading", "battery": rng.randint(35, 100), "readings": {
                "heart_rate": round(rng.gauss(74, 9)), "systolic": round(rng.gauss(132, 12)),
                "diastolic": round(rng.gauss(82, 7)), "temperature": round(rng.gauss(36.5, 0.3), 1),
                "spo2": min(100, round(rng.gauss(97, 1.2)))}}  # fmt: skip
            rd += 1
        else:
            device = ids[hb % len(ids)]
            body |= {"type": "heartbeat", "battery": rng.randint(35, 100)}
            hb += 1
        c.publish(topic_of(IdentityScheme.IMEI, imei(device)), json.dumps(body).encode(), qos=1)
        n += 1
        with sent.get_lock():
            sent.value = n
        if reading:
            with readings.get_lock():
                readings.value = rd
        delay = start + n / (hb_rate + rd_rate) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    c.disconnect()
    c.loop_stop()


@dataclass
class Console:
    """An operator's SSE connection to the alarm stream; when each device's alarm arrived."""

    base: str
    cookies: httpx.Cookies
    arrived: dict[int, float] = field(default_factory=dict)
    # wall clock: when the event was read, and the alarm's raised_at (its ingest batch began)
    split: dict[int, tuple[float, float]] = field(default_factory=dict)
    opened: threading.Event = field(default_factory=threading.Event)
    closing: bool = False
    events: int = 0
    _client: httpx.Client | None = None

    def start(self) -> Console:
        threading.Thread(target=self._read, daemon=True).start()
        if not self.opened.wait(30):
            raise RuntimeError("the console's stream did not open")
        return self

    def _read(self) -> None:
        self._client = httpx.Client(base_url=self.base, cookies=self.cookies, timeout=None)
        with self._client.stream("GET", "/console/alarms/stream") as r:
            r.raise_for_status()
            event = ""
            for line in r.iter_lines():
                if line.startswith("retry:"):
                    self.opened.set()
                elif line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event == "alarm.raised":
                    at, wall = time.monotonic(), time.time()
                    alarm = json.loads(line[5:]).get("alarm", {})
                    self.events += 1
                    if alarm.get("type") == "sos" and alarm.get("device_id") is not None:
                        self.arrived.setdefault(int(alarm["device_id"]), at)
                        raised = datetime.fromisoformat(alarm["raised_at"]).timestamp()
                        self.split.setdefault(int(alarm["device_id"]), (raised, wall))
                elif not line:
                    event = ""
                if self.closing:
                    return

    def close(self) -> None:
        self.closing = True
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()


def serve(url: str, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "YIYANG_DATABASE_URL": url, "YIYANG_SECRET_KEY": "bench", "YIYANG_COOKIE_SECURE": "false",
        "YIYANG_NEW_PASSWORD": PASSWORD,
    }  # fmt: skip
    subprocess.run(
        [str(YIYANG), "users", "create", OPERATOR, "operator"], env=env, check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    proc = subprocess.Popen(
        [str(YIYANG), "serve", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
            return proc
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("yiyang serve did not start") from None
            time.sleep(0.3)


def log_in(base: str) -> httpx.Cookies:
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.post("/login", data={"username": OPERATOR, "password": PASSWORD})
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return c.cookies


def quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    v = sorted(values)

    def q(p: float) -> float:
        return round(v[min(len(v) - 1, int(p * len(v)))] * 1000, 1)

    return {"p50_ms": q(0.50), "p95_ms": q(0.95), "p99_ms": q(0.99), "max_ms": q(1.0)}


def sos_stream(
    port: int, console: Console, devices: list[int], rate: float, run: str, tick: Any = None
) -> dict[str, Any]:
    """Publish one SOS per device at `rate`/s; the delay of each to the console."""
    publisher = client(port)
    published: dict[int, float] = {}
    walls: dict[int, float] = {}
    start = time.monotonic()
    for n, device in enumerate(devices):
        stamp = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        body = {"id": f"sos{run}-{n}", "ts": stamp, "type": "signal", "signal": "sos",
                "token": TOKEN}  # fmt: skip
        topic = topic_of(IdentityScheme.IMEI, imei(device), urgent=True)
        published[device], walls[device] = time.monotonic(), time.time()
        publisher.publish(topic, json.dumps(body).encode(), qos=1)
        if tick is not None:
            tick()
        time.sleep(max(0.0, start + (n + 1) / rate - time.monotonic()))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(d not in console.arrived for d in devices):
        if tick is not None:
            tick()
        time.sleep(0.1)
    publisher.disconnect()
    publisher.loop_stop()
    delays = [console.arrived[d] - published[d] for d in devices if d in console.arrived]
    got = [d for d in devices if d in console.split]
    to_batch = quantiles([console.split[d][0] - walls[d] for d in got])
    to_console = quantiles([console.split[d][1] - console.split[d][0] for d in got])
    return {"sent": len(devices), "received": len(delays)} | quantiles(delays) | {
        "to_batch_p50_ms": to_batch["p50_ms"], "to_batch_p99_ms": to_batch["p99_ms"],
        "batch_to_console_p50_ms": to_console["p50_ms"],
        "batch_to_console_p99_ms": to_console["p99_ms"],
    }  # fmt: skip


def latency_run(url: str, devices: int, sos: int, *, sos_rate: float = 2.0) -> dict[str, Any]:
    """The baseline and the loaded SOS-to-console delay; see the module's docstring."""
    load_start = round(os.getloadavg()[0], 1)
    ids, bands, cords = register(url, devices, 2 * sos)
    broker = Broker().start()
    web_port = free_port()
    base = f"http://127.0.0.1:{web_port}"
    run = uuid.uuid4().hex[:8]
    engine = make_engine(url)
    ctx = mp.get_context("spawn")
    stop, sent, readings = ctx.Event(), ctx.Value("q", 0), ctx.Value("q", 0)
    traffic = ctx.Process(
        target=background, args=(broker.port, ids, bands, run, stop, sent, readings)
    )
    web: subprocess.Popen[bytes] | None = None
    ingest: Ingest | None = None
    console: Console | None = None
    try:
        web = serve(url, web_port)
        ingest = Ingest(url, broker.port, f"latency-{run}", f"l{run}").start()
        console = Console(base, log_in(base)).start()
        time.sleep(1.0)  # the web process's LISTEN connection is in place
        baseline = sos_stream(broker.port, console, cords[:sos], sos_rate, run + "a")
        print(f"  baseline (no background): {json.dumps(baseline)}")
        traffic.start()
        time.sleep(WARM_UP_S)
        backlog: list[int] = []
        last_sample = [0.0]

        def tick() -> None:
            if time.monotonic() - last_sample[0] < 1.0:
                return
            last_sample[0] = time.monotonic()
            published = readings.value
            with engine.connect() as conn:
                stored = conn.execute(
                    text("SELECT count(*) FROM device_message WHERE message_id LIKE :p"),
                    {"p": f"bg{run}-%"},
                ).scalar_one()
            backlog.append(max(0, published - int(stored)))

        began, sent_before = time.monotonic(), sent.value
        loaded = sos_stream(broker.port, console, cords[sos:], sos_rate, run + "b", tick)
        wall, sent_during = time.monotonic() - began, sent.value - sent_before
        total_wall, total_sent = time.monotonic() - began + WARM_UP_S, sent.value
        stop.set()
        traffic.join(30)
        loaded |= {
            "background_devices": devices,
            "background_per_s": round(sent_during / wall, 1),
            "background_sent": total_sent,
            "background_wall_s": round(total_wall, 1),
            "backlog_readings_max": max(backlog, default=0),
            "backlog_readings_end": backlog[-1] if backlog else 0,
        }
        print(f"  under {devices:,} devices: {json.dumps(loaded)}")
        return {"baseline": baseline, "loaded": loaded, "sos_rate": sos_rate,
                "heartbeat_s": HEARTBEAT_S, "reading_s": READING_S,
                "bands": len(bands), "load_average": [load_start, round(os.getloadavg()[0], 1)],
                }  # fmt: skip
    finally:
        stop.set()
        if traffic.pid is not None and traffic.is_alive():
            traffic.join(10)
            if traffic.pid is not None and traffic.is_alive():
                traffic.kill()
        if console is not None:
            console.close()
        if ingest is not None:
            ingest.stop()
        if web is not None:
            web.terminate()
            try:
                web.wait(30)
            except subprocess.TimeoutExpired:
                web.kill()
        engine.dispose()
        broker.close()
