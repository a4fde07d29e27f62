"""What `yiyang ingest`, `yiyang simulate devices` and the demo's simulator run (cli.py is thin)."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from typing import Any

from sqlalchemy import Engine

from yiyang.config import Settings
from yiyang.db import make_engine, make_session_factory
from yiyang.devices.ingest_tasks import ensure_partitions
from yiyang.ingest.members import Membership
from yiyang.ingest.mqtt import Subscriber, subscriptions
from yiyang.ingest.pipeline import Gateway
from yiyang.ingest.simulator import Simulator, Via, prepare
from yiyang.kit.clock import utcnow

DEMO_DEVICES = 40
DEMO_RATE = 0.5  # messages a second: enough for a live console, nothing for the laptop


def run_ingest(settings: Settings, client_id: str, group: str) -> int:
    """Take MQTT messages until SIGINT or SIGTERM; returns how many were taken."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    factory = make_session_factory(make_engine(settings.database_url))
    with factory() as session, session.begin():
        ensure_partitions(session, utcnow())
    # Stable over restarts: the broker keeps the session (and its queued alarms) by this name.
    name = client_id or f"ingest-{socket.gethostname()}"
    membership = Membership(factory, group, name, utcnow)
    subscriber = Subscriber(Gateway(factory, settings, utcnow), settings, name, group, membership)

    def stop(_signum: int, _frame: Any) -> None:
        subscriber.stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    where = f"{settings.mqtt_host}:{settings.mqtt_port}"
    topics = ", ".join(t for t, _ in subscriptions(group))
    print(f"ingest {name} on {where}, {topics}; Ctrl-C to stop", flush=True)
    subscriber.run()
    return subscriber.taken


def run_simulator(
    settings: Settings, *, count: int, rate: float, via: Via, url: str, total: int | None
) -> Simulator:
    """Speak for up to `count` installed devices until interrupted or `total` were sent."""
    devices = prepare(make_session_factory(make_engine(settings.database_url)), count)
    print(f"simulating {len(devices)} devices at {rate:g} messages/s over {via}", flush=True)
    sim = Simulator(devices, rate, via, settings, utcnow, url=url)
    try:
        sim.run(total)
    except KeyboardInterrupt:
        sim.stopping.set()
    return sim


def start_demo_simulator(engine: Engine, settings: Settings, url: str) -> int:
    """A small simulator posting over HTTP on a background thread; how many devices it drives."""
    devices = prepare(make_session_factory(engine), DEMO_DEVICES)
    if devices:
        sim = Simulator(devices, DEMO_RATE, "http", settings, utcnow, url=url)
        threading.Thread(target=sim.run, name="demo-simulator", daemon=True).start()
    return len(devices)
