"""Device ingestion on PostgreSQL and Mosquitto: broker ceiling, one and two ingest processes.

    python bench/alarms.py [--messages 6000] [--ceiling-messages 30000] [--devices 500] [--no-doc]

First part of the alarm-centre benchmark (issue 9 §5): the broker's own publish→subscribe
ceiling on this machine (a plain paho subscriber counting QoS 1 messages), then messages per
second stored by one and by two `yiyang ingest` processes on one shared subscription
(each message a reading: a device_message row, a device_reading row, the device's state).
Every figure is measured in the same run; the targets are ratios (one process at least
50 % of the ceiling, two at least 1.6 × one). Prints the figures, ends with one JSON line
and rewrites the "Device ingestion" section of docs/benchmarks.md unless --no-doc.
Not measured yet: SOS-to-console latency under 100,000 devices and the fault run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy import insert, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from doc import replace_section
from yiyang.db import make_engine
from yiyang.devices.models import Device, DeviceIdentity
from yiyang.devices.rules import secret_hash
from yiyang.migrate import upgrade
from yiyang.protocols.house_json import topic_of
from yiyang.protocols.vocabulary import IdentityScheme

SECTION = "## Device ingestion"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TOKEN = "bench-device-token"
WINDOW = 600
YIYANG = Path(sys.executable).parent / "yiyang"


def mqtt_client(client_id: str = "") -> paho.Client:
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    return client


def publish_all(messages: list[tuple[str, bytes]]) -> float:
    """Publish every message with QoS 1; returns when the first went out (monotonic)."""
    client = mqtt_client()
    start = time.monotonic()
    infos = [client.publish(topic, raw, qos=1) for topic, raw in messages]
    for info in infos:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()
    return start


def broker_ceiling(count: int) -> float:
    """Messages per second a plain QoS 1 subscriber receives from one publisher."""
    topic = f"bench/ceiling/{uuid.uuid4().hex[:8]}"
    done = threading.Event()
    received = [0]

    def on_message(_c: Any, _u: Any, _m: Any) -> None:
        received[0] += 1
        if received[0] == count:
            done.set()

    sub = mqtt_client()
    sub.on_message = on_message
    sub.subscribe(topic, qos=1)
    time.sleep(0.5)
    payload = json.dumps(
        {"id": "m-000000", "ts": "2026-12-01T04:05:06Z", "type": "reading",
         "readings": {"heart_rate": 72}, "token": TOKEN}
    ).encode()  # fmt: skip
    start = publish_all([(topic, payload)] * count)
    done.wait(120)
    wall = time.monotonic() - start
    sub.disconnect()
    sub.loop_stop()
    return received[0] / wall


def prepare(url: str, devices: int) -> None:
    """Schema and `devices` installed house-scheme devices sharing one token."""
    engine = make_engine(url)
    upgrade(engine)
    secret = secret_hash(TOKEN)
    with engine.begin() as conn:
        rows = [
            {"kind": "vitals_band", "vendor": "bench", "model": "b", "protocol": "house",
             "status": "installed", "secret_hash": secret, "heartbeat_s": 300, "online": False,
             "created_at": datetime.now(UTC), "version": 1}
            for _ in range(devices)
        ]  # fmt: skip
        ids = conn.execute(insert(Device).returning(Device.id), rows).scalars().all()
        conn.execute(
            insert(DeviceIdentity),
            [{"device_id": i, "scheme": "imei", "value": f"86{i:013d}"} for i in ids],
        )
    engine.dispose()


def readings(count: int, devices: int, run: str) -> list[tuple[str, bytes]]:
    now = datetime.now(UTC).isoformat()
    out = []
    for n in range(count):
        device_id = n % devices + 1
        body = {"id": f"{run}-{n}", "ts": now, "type": "reading",
                "readings": {"heart_rate": 60 + n % 40}, "token": TOKEN}  # fmt: skip
        out.append(
            (topic_of(IdentityScheme.IMEI, f"86{device_id:013d}"), json.dumps(body).encode())
        )
    return out


def stored_rate(url: str, processes: int, count: int, devices: int) -> float:
    """Messages per second `processes` ingest processes store from one publisher."""
    run = uuid.uuid4().hex[:8]
    env = os.environ | {
        "YIYANG_DATABASE_URL": url,
        "YIYANG_SECRET_KEY": "bench",
        "YIYANG_INGEST_RATE_PER_MINUTE": "1000000",
        "YIYANG_INGEST_BURST": "1000000",
    }
    procs = [
        subprocess.Popen(
            [str(YIYANG), "ingest", "--client-id", f"bench-{run}-{k}", "--group", f"b{run}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(processes)
    ]
    engine = make_engine(url)
    try:
        for p in procs:  # wait until each has subscribed: a shared group drops what came before
            assert p.stderr is not None
            for line in p.stderr:
                if "subscribing to" in line:
                    break
            threading.Thread(target=p.stderr.read, daemon=True).start()
        time.sleep(1)
        messages = readings(count, devices, run)
        publisher = mqtt_client()
        start = time.monotonic()
        sent, done, last, moved = 0, 0, -1, time.monotonic()
        # Paced: at most WINDOW messages published and not yet stored, because Mosquitto
        # drops QoS 1 messages past a session's queue (max_queued_messages, 1000 by default).
        while done < count and time.monotonic() - moved < 30:  # stop if nothing moves for 30 s
            while sent < count and sent - done < WINDOW:
                publisher.publish(*messages[sent], qos=1)
                sent += 1
            with engine.connect() as conn:
                done = conn.execute(
                    text("SELECT count(*) FROM device_message WHERE message_id LIKE :p"),
                    {"p": f"{run}-%"},
                ).scalar_one()
            if done != last:
                last, moved = done, time.monotonic()
            time.sleep(0.05)
        publisher.disconnect()
        publisher.loop_stop()
        wall = (moved if done < count else time.monotonic()) - start
        print(f"  {processes} process(es): {done:,} of {count:,} stored in {wall:.1f} s")
        return done / wall
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
        engine.dispose()


def scratch(url: str) -> tuple[str, Any]:
    base = make_url(url)
    name = f"bench_alarms_{os.getpid()}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return base.set(database=name).render_as_string(hide_password=False), (admin, name)


def drop(handle: Any) -> None:
    admin, name = handle
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def write_doc(command: str, info: dict[str, str], r: dict[str, Any]) -> None:
    ok = {True: "met", False: "**not met**"}
    lines = [
        SECTION,
        "",
        "`bench/alarms.py` (first part of issue 9 §5): Mosquitto on 127.0.0.1:1883 and",
        "PostgreSQL on the same machine. The *ceiling* is a plain paho-mqtt subscriber counting",
        "QoS 1 messages from one publisher; *stored* is `yiyang ingest` processes on one shared",
        "subscription, from the first message published to the last one committed (each a",
        "reading: a device_message row, a device_reading row and the device's state, then the",
        "PUBACK). Ratios are within the run. Not measured yet: SOS-to-console latency under",
        "100,000 simulated devices, and the fault run.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['machine']}; measured {info['date']}.",
        "",
        "| figure | messages/s | ratio | target |",
        "|---|---:|---:|---|",
        f"| broker ceiling | {r['ceiling_per_s']:,} | | |",
        f"| one ingest process | {r['one_per_s']:,} | ×{r['one_vs_ceiling']} of the ceiling | "
        f"≥ ×0.5: {ok[r['one_vs_ceiling'] >= 0.5]} |",
        f"| two ingest processes | {r['two_per_s']:,} | ×{r['two_vs_one']} of one | "
        f"≥ ×1.6: {ok[r['two_vs_one'] >= 1.6]} |",
        "",
        "Each message is its own transaction (house rule 1): about nine round trips (device",
        "lookup, the message row by ON CONFLICT DO NOTHING, the reading, the device's state,",
        "commit) and a commit flush, so a process is bound by database latency, not the broker;",
        "on a busy machine (the load average above is of other work sharing the CPUs) a second",
        "process may have no CPU to run on. The next steps when the targets are not met: fewer",
        "round trips per message, then a small batch of messages per transaction, acknowledged",
        "together after its commit.",
    ]
    replace_section(SECTION, "\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--ceiling-messages", type=int, default=30000)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    info = {
        "machine": f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the start),"
        f" {platform.machine()}, Python {platform.python_version()}, {platform.platform()}",
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(f"machine: {info['machine']}")
    ceiling = broker_ceiling(args.ceiling_messages)
    print(f"broker ceiling: {ceiling:,.0f} messages/s")
    url, handle = scratch(args.database_url)
    try:
        prepare(url, args.devices)
        one = stored_rate(url, 1, args.messages, args.devices)
        print(f"one ingest process: {one:,.0f} messages/s stored")
        two = stored_rate(url, 2, args.messages, args.devices)
        print(f"two ingest processes: {two:,.0f} messages/s stored")
    finally:
        drop(handle)
    result = {
        "ceiling_per_s": round(ceiling),
        "one_per_s": round(one),
        "two_per_s": round(two),
        "one_vs_ceiling": round(one / ceiling, 3),
        "two_vs_one": round(two / one, 2),
        "messages": args.messages,
    }
    print(f"one/ceiling ×{result['one_vs_ceiling']} (target ≥ 0.5), "
          f"two/one ×{result['two_vs_one']} (target ≥ 1.6)")  # fmt: skip
    if not args.no_doc:
        write_doc("python bench/alarms.py " + " ".join(sys.argv[1:]), info, result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
