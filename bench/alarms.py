"""Device ingestion on PostgreSQL and Mosquitto: broker ceiling, one and two ingest processes.

    python bench/alarms.py [--messages 6000] [--ceiling-messages 30000] [--devices 500]
        [--fault-messages 1000] [--latency-devices 100000] [--latency-sos 200] [--no-doc]

First part of the alarm-centre benchmark (issue 9 §5): the broker's own publish→subscribe
ceiling on this machine (a plain paho subscriber counting QoS 1 messages), then messages per
second stored by one and by two `yiyang ingest` processes on one shared subscription
(each message a reading: a device_message row, a device_reading row, the device's state).
Every figure is measured in the same run; the targets are ratios (one process at least
50 % of the ceiling, two at least 1.6 × one). Prints the figures, ends with one JSON line
and rewrites the "Device ingestion" section of docs/benchmarks.md unless --no-doc.
Then the fault run (bench/mqtt_fault.py): kill -9 an ingest process and restart the
broker during a stream of SOS messages. Last the SOS-to-console latency
(bench/sos_latency.py): the delay from an SOS published to its alarm event read by an
operator's SSE connection to `yiyang serve`, with no other traffic and then while
`--latency-devices` devices send heartbeats and readings (0 skips it).
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
from mqtt_fault import Broker, fault_run
from sos_latency import latency_run
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


PORT = [1883]  # the private broker's, once started


def mqtt_client(client_id: str = "") -> paho.Client:
    client = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", PORT[0])
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
        "YIYANG_MQTT_PORT": str(PORT[0]),
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


def scratch(url: str, suffix: str = "") -> tuple[str, Any]:
    base = make_url(url)
    name = f"bench_alarms_{os.getpid()}{suffix}"
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
    f = r["fault"]
    lines = [
        SECTION,
        "",
        "`bench/alarms.py` (issue 9 §5): a private Mosquitto 2 (bench/mqtt_fault.py: loopback,",
        "a free port, persistence on, `max_inflight_messages 1000`, `max_queued_messages",
        "100000`) and PostgreSQL on the same machine. The *ceiling* is a plain paho-mqtt",
        "subscriber counting QoS 1 messages from one publisher; *stored* is `yiyang ingest`",
        "processes on one shared subscription, from the first message published to the last",
        "one committed (each a reading: a device_message row, a device_reading row, the rule",
        "state and the device's state, then the PUBACK). Ingest takes what is waiting as a",
        "batch (up to 200 messages or 20 ms) in one transaction with set-based queries, then",
        "acks it; what comes on `/alarm` each process's urgent lane stores at once, in a",
        "transaction of its own, and it is acked in its turn. Ratios are within the run.",
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
    ]
    if f:
        lines += [
            "**Fault run** (`--fault-messages`): SOS messages from distinct pull cords at",
            "100/s through two ingest processes; one is killed with SIGKILL after message",
            f"{f['killed_after']} and started again with its client id; the broker is",
            f"restarted (SIGTERM, persistence) after message {f['broker_restarted_after']}",
            f"(away {f['broker_away_s']} s).",
            "",
            "| sent | stored | dead-lettered | SOS alarms | alarm twice or repeated | lost |"
            " lost before the broker restart |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {f['sent']:,} | {f['stored']:,} | {f['dead_lettered']} | {f['sos_alarms']:,} |"
            f" {f['alarms_more_than_once']} | {f['lost']} | {f['lost_before_broker_restart']} |",
            "",
            "The SOS go on the urgent channel `yiyang/v1/devices/<device>/alarm`, which each",
            "ingest process holds as an ordinary (not shared) subscription in its persistent",
            "session; everything else stays on the shared `.../up`. The kill -9 costs nothing:",
            "the killed process's unacknowledged messages are delivered again to its session",
            "when it comes back. Nor does the broker restart: Mosquitto 2.0.11 restores the",
            "persistent sessions with their ordinary subscriptions from its file (not their",
            "shared ones: with the SOS on `/up`, before this channel, the same command lost",
            "102 of 1,000, every one published between the restart and the processes",
            "subscribing again), so what the devices",
            "publish meanwhile is queued for each process. Each process takes every alarm",
            "message; the dedup on the message id (INSERT ... ON CONFLICT DO NOTHING) stores",
            "it once and only the process that stored it raises the alarm (no alarm twice, no",
            "repeat). sent = stored + dead-lettered.",
            "",
        ]
    if r.get("latency"):
        lines += latency_lines(r["latency"])
    lines += [
        "Where the time goes (cProfile of `Gateway.mqtt_batch` alone, batches of 200 readings",
        "of fresh and of known devices): a batch of readings makes seven statements whatever its",
        "size: the devices by identity, one INSERT ... ON CONFLICT DO NOTHING RETURNING of the",
        "messages, one INSERT of the readings, one SELECT ... FOR UPDATE of the rule states it",
        "reads (plus an INSERT ... ON CONFLICT of those missing, for fresh devices), one UPDATE",
        "of those that changed, then the devices' rows locked in id order and one UPDATE of",
        "their state. On PostgreSQL the lookups, the inserts and the rule states' update take",
        "the batch's rows as arrays (`unnest`), so the driver keeps each statement prepared and",
        "the server runs one statement, not one a row. The rules read and write plain rows (no",
        "ORM objects of rule state); an online device's offline rule is not read. What is left",
        "is about half Python (parsing, the rules, the driver) and half waiting on PostgreSQL,",
        "which shares the two CPUs with the broker, the publisher and the ingest processes (see",
        "the load average), so a second process adds only the CPU that is left. Two batches",
        "that share devices wait for each other's rule states and device rows (locked in key",
        "order, so they never deadlock), the devices' rows only for the end of a batch.",
    ]
    replace_section(SECTION, "\n".join(lines) + "\n")


def latency_lines(lat: dict[str, Any]) -> list[str]:
    """The doc's paragraph and table of the SOS-to-console run."""
    b, u = lat["baseline"], lat["loaded"]
    ok = "met" if u["p99_ms"] <= 250 and u["received"] == u["sent"] else "**not met**"

    def row(name: str, x: dict[str, Any]) -> str:
        return (
            f"| {name} | {x['sent']} | {x['received']} | {x['p50_ms']} | {x['p95_ms']} |"
            f" {x['p99_ms']} | {x['max_ms']} |"
        )

    return [
        f"**SOS to the console** (`--latency-devices`, bench/sos_latency.py): {u['sent']} SOS",
        f"from distinct pull cords at {lat['sos_rate']:g}/s on the urgent channel, each stamped",
        "just before it is published; the delay ends when an operator's SSE connection",
        "(httpx, logged in through POST /login) to `/console/alarms/stream` of `yiyang serve`",
        "has read its `alarm.raised` event. The path: the urgent lane of a `yiyang ingest`",
        "process stores the SOS and raises the alarm in its transaction, whose `pg_notify`",
        "reaches the web",
        "process's LISTEN connection, which writes the event to the stream. The devices are",
        "registered with set-based INSERT ... SELECT (no API calls). *Background*:",
        f"{u['background_devices']:,} devices, every one a heartbeat every"
        f" {lat['heartbeat_s'] // 60} min and the {lat['bands']:,}",
        f"bracelets among them a reading (heart rate, blood pressure, temperature, SpO2) every"
        f" {lat['reading_s'] // 60} min,",
        "QoS 1 on `/up` from a process of their own, started 20 s before the SOS; most of them",
        "are each device's first message of the run, the costly case (its rule states are",
        "created). *Backlog*: bracelet readings published and not yet stored, sampled every",
        "second during the SOS.",
        "",
        "| SOS | sent | received | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
        row("no background (baseline)", b),
        row(f"under {u['background_devices']:,} devices", u),
        "",
        "Split of the delay (wall clock, from the alarm's `raised_at` in the event, which",
        "is when its ingest batch began): publish → batch (broker and the urgent lane's",
        f"queue) p50 {b['to_batch_p50_ms']} / p99 {b['to_batch_p99_ms']} ms without and"
        f" {u['to_batch_p50_ms']} / {u['to_batch_p99_ms']} ms with the background;",
        "batch → console (store, alarm, commit, NOTIFY, LISTEN, SSE)"
        f" p50 {b['batch_to_console_p50_ms']} / p99 {b['batch_to_console_p99_ms']} ms without and"
        f" {u['batch_to_console_p50_ms']} / {u['batch_to_console_p99_ms']} ms with it.",
        "",
        f"Background achieved: {u['background_per_s']} messages/s during the SOS"
        f" ({u['background_sent']:,} in {u['background_wall_s']} s); ingest backlog at most"
        f" {u['backlog_readings_max']} readings, {u['backlog_readings_end']} at the end."
        f" Target p99 ≤ 250 ms under the background: {ok}. Load average (1 min) at the"
        f" phase's start and end: {lat['load_average'][0]} and {lat['load_average'][1]}.",
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=6000)
    parser.add_argument("--ceiling-messages", type=int, default=30000)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--fault-messages", type=int, default=1000)
    parser.add_argument("--latency-devices", type=int, default=100_000)
    parser.add_argument("--latency-sos", type=int, default=200)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    info = {
        "machine": f"{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the start),"
        f" {platform.machine()}, Python {platform.python_version()}, {platform.platform()}",
        "date": datetime.now(UTC).date().isoformat(),
    }
    print(f"machine: {info['machine']}")
    broker = Broker().start()
    PORT[0] = broker.port
    try:
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
    finally:
        broker.close()
    fault: dict[str, Any] = {}
    if args.fault_messages:
        url, handle = scratch(args.database_url, "fault")
        try:
            fault = fault_run(url, args.fault_messages)
        finally:
            drop(handle)
        print(f"fault run: {json.dumps(fault)}")
    latency: dict[str, Any] = {}
    if args.latency_devices and args.latency_sos:
        url, handle = scratch(args.database_url, "latency")
        try:
            latency = latency_run(url, args.latency_devices, args.latency_sos)
        finally:
            drop(handle)
        lat = latency["loaded"]
        print(f"SOS to console under {args.latency_devices:,} devices: p50 {lat['p50_ms']} ms,"
              f" p99 {lat['p99_ms']} ms (target ≤ 250), {lat['received']}/{lat['sent']} received;"
              f" baseline p99 {latency['baseline']['p99_ms']} ms")  # fmt: skip
    result = {
        "ceiling_per_s": round(ceiling),
        "one_per_s": round(one),
        "two_per_s": round(two),
        "one_vs_ceiling": round(one / ceiling, 3),
        "two_vs_one": round(two / one, 2),
        "messages": args.messages,
        "fault": fault,
        "latency": latency,
    }
    print(f"one/ceiling ×{result['one_vs_ceiling']} (target ≥ 0.5), "
          f"two/one ×{result['two_vs_one']} (target ≥ 1.6)")  # fmt: skip
    if not args.no_doc:
        write_doc("python bench/alarms.py " + " ".join(sys.argv[1:]), info, result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
