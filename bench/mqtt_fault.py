"""A broker of our own and the ingest fault run (issue 9 §5), for bench/alarms.py and its test.

`Broker` runs a private Mosquitto on a free loopback port with persistence on, so that it
can be restarted (SIGTERM: it writes its sessions and queued QoS 1 messages to disk, and
reads them back on start). `fault_run` streams SOS messages from distinct pull cords to two
`yiyang ingest` processes, kills one with SIGKILL a third of the way in (it is started
again with the same client id, so its persistent session is delivered again), restarts the
broker at two thirds, and then checks: every SOS is an alarm exactly once (one alarm per
device, no repeat), and messages sent = stored + dead-lettered. The SOS go on the urgent
channel `yiyang/v1/devices/<device>/alarm` (see yiyang.ingest.mqtt for why).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import insert, text

from yiyang.db import make_engine
from yiyang.devices.models import Device, DeviceIdentity
from yiyang.devices.rules import secret_hash
from yiyang.migrate import upgrade
from yiyang.protocols.house_json import topic_of
from yiyang.protocols.vocabulary import IdentityScheme

TOKEN = "bench-device-token"
YIYANG = Path(sys.executable).parent / "yiyang"
MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@dataclass
class Broker:
    """A private Mosquitto 2 on 127.0.0.1:`port`, persistence on, generous queues."""

    port: int = field(default_factory=free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="yiyang-mqtt-")))
    process: subprocess.Popen[bytes] | None = None

    def config(self) -> Path:
        # Started by root, mosquitto runs as the user `mosquitto`: it must write here.
        self.folder.chmod(0o777)
        conf = self.folder / "mosquitto.conf"
        conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.folder}/\n"
            "max_inflight_messages 1000\n"  # per client, unacknowledged QoS 1 messages out
            "max_queued_messages 100000\n"  # per session, beyond the in-flight ones
            f"log_dest {os.environ.get('YIYANG_BENCH_BROKER_LOG', 'none')}\nlog_type all\n",
            encoding="utf-8",
        )
        return conf

    def start(self) -> Broker:
        assert MOSQUITTO is not None, "no mosquitto binary"
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.config())])
        deadline = time.monotonic() + 10
        while not _accepts(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the private mosquitto did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # it saves its persistence file on the way
            self.process.wait(20)
        self.process = None

    def restart(self) -> float:
        """Stop and start again on the same port; seconds it was away."""
        began = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - began

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def client(
    port: int, client_id: str = "", *, clean: bool = True, on_message: Any = None
) -> paho.Client:
    """A connected paho client (MQTT 5) with its network loop running, reconnecting."""
    c = paho.Client(
        CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5
    )
    c.max_inflight_messages_set(1000)
    c.max_queued_messages_set(0)
    c.reconnect_delay_set(min_delay=0.2, max_delay=2)  # type: ignore[arg-type]  # a float works
    if on_message is not None:
        c.on_message = on_message
    props = None
    if not clean:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
    c.connect("127.0.0.1", port, clean_start=clean, properties=props)
    c.loop_start()
    return c


def add_devices(url: str, count: int, kind: str = "vitals_band") -> list[int]:
    """Schema and `count` installed house-scheme devices sharing one token; their ids."""
    engine = make_engine(url)
    upgrade(engine)
    secret = secret_hash(TOKEN)
    with engine.begin() as conn:
        rows = [
            {"kind": kind, "vendor": "bench", "model": "b", "protocol": "house",
             "status": "installed", "secret_hash": secret, "heartbeat_s": 300, "online": False,
             "created_at": datetime.now(UTC), "version": 1}
            for _ in range(count)
        ]  # fmt: skip
        ids = list(conn.execute(insert(Device).returning(Device.id), rows).scalars())
        conn.execute(
            insert(DeviceIdentity),
            [{"device_id": i, "scheme": "imei", "value": f"86{i:013d}"} for i in ids],
        )
    engine.dispose()
    return ids


def topic(device_id: int) -> str:
    """An SOS goes on the urgent channel (`.../alarm`), which every ingest process holds in
    its persistent session: Mosquitto keeps that over its restart, not a shared one."""
    return topic_of(IdentityScheme.IMEI, f"86{device_id:013d}", urgent=True)


@dataclass
class Ingest:
    """One `yiyang ingest` process on the private broker."""

    url: str
    port: int
    client_id: str
    group: str
    process: subprocess.Popen[str] | None = None

    def start(self) -> Ingest:
        env = os.environ | {
            "YIYANG_DATABASE_URL": self.url, "YIYANG_SECRET_KEY": "bench",
            "YIYANG_MQTT_PORT": str(self.port), "YIYANG_INGEST_RATE_PER_MINUTE": "1000000",
            "YIYANG_INGEST_BURST": "1000000",
        }  # fmt: skip
        self.process = subprocess.Popen(
            [str(YIYANG), "ingest", "--client-id", self.client_id, "--group", self.group],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stderr is not None
        for line in self.process.stderr:  # a shared group drops what came before it subscribed
            if "subscribing to" in line:
                break
        log = os.environ.get("YIYANG_BENCH_INGEST_LOG")
        sink = open(f"{log}.{self.client_id}", "a") if log else None  # noqa: SIM115
        stream = self.process.stderr

        def drain() -> None:
            for line in stream:
                if sink is not None:
                    sink.write(line)
                    sink.flush()

        threading.Thread(target=drain, daemon=True).start()
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:  # it drains what it holds; on a loaded box, slowly
                self.process.kill()
                self.process.wait(10)


class Publisher:
    """The devices' side: one connection, and which messages the broker acknowledged."""

    def __init__(self, port: int, acked: set[int] | None = None) -> None:
        self.acked: set[int] = set() if acked is None else acked
        self._mids: dict[int, int] = {}
        self._early: set[int] = set()
        self._lock = threading.Lock()
        self.client = client(port)
        self.client.on_publish = self._on_publish

    def _on_publish(self, _c: Any, _u: Any, mid: int, _rc: Any, _p: Any) -> None:
        with self._lock:
            n = self._mids.pop(mid, None)
            if n is None:  # acknowledged before `send` noted it
                self._early.add(mid)
        if n is not None:
            self.acked.add(n)

    def send(self, n: int, topic: str, raw: bytes) -> None:
        # Not under the lock: paho calls on_publish holding its own, and publish takes it.
        info = self.client.publish(topic, raw, qos=1)
        with self._lock:
            if info.mid in self._early:
                self._early.discard(info.mid)
                self.acked.add(n)
            else:
                self._mids[info.mid] = n

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def sos(run: str, n: int, now: str) -> bytes:
    body = {"id": f"{run}-{n}", "ts": now, "type": "signal", "signal": "sos", "token": TOKEN}
    return json.dumps(body).encode()


def counts(engine: Any, run: str) -> tuple[int, int, int, int]:
    """(messages stored, dead letters, SOS alarms, devices with more than one SOS alarm)."""
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT count(*) FROM device_message WHERE message_id LIKE :p"), {"p": f"{run}-%"}
        ).scalar_one()
        dead = conn.execute(text("SELECT coalesce(sum(count), 0) FROM dead_letter")).scalar_one()
        alarms = conn.execute(
            text("SELECT count(*), coalesce(sum(repeats), 0) FROM alarm WHERE type = 'sos'")
        ).one()
        twice = conn.execute(
            text(
                "SELECT count(*) FROM (SELECT device_id FROM alarm WHERE type = 'sos'"
                " GROUP BY device_id HAVING count(*) > 1) t"
            )
        ).scalar_one()
    return int(stored), int(dead), int(alarms[0]), int(twice) + int(alarms[1])


def fault_run(url: str, count: int, *, rate: float = 100.0) -> dict[str, Any]:
    """Stream `count` SOS from distinct devices at `rate`/s through two ingest processes, kill -9
    one a third of the way, restart the broker at two thirds; then what was stored."""
    broker = Broker().start()
    engine = make_engine(url)
    run, group = uuid.uuid4().hex[:8], f"f{uuid.uuid4().hex[:6]}"
    procs: list[Ingest] = []
    try:
        devices = add_devices(url, count, kind="pull_cord")
        procs = [Ingest(url, broker.port, f"fault-{run}-{k}", group).start() for k in range(2)]
        time.sleep(0.5)
        publisher = Publisher(broker.port)
        now = datetime.now(UTC).isoformat()
        killed_after = restarted_after = -1
        again: threading.Thread | None = None
        away = 0.0
        start = time.monotonic()
        for n, device_id in enumerate(devices):
            publisher.send(n, topic(device_id), sos(run, n, now))
            if n == count // 3:
                procs[0].kill()
                killed_after = n + 1
                # Started again with its client id (its session is delivered again), while
                # the stream goes on.
                again = threading.Thread(target=procs[0].start, daemon=True)
                again.start()
            if n == 2 * count // 3:
                restarted_after = n + 1
                away = broker.restart()
                publisher.close()  # the devices connect again (a broker restart drops them)
                publisher = Publisher(broker.port, publisher.acked)
            time.sleep(max(0.0, start + (n + 1) / rate - time.monotonic()))
        # A device publishes again what the broker never acknowledged (QoS 1): the gateway's
        # dedup on the message id keeps it once if the first copy got through after all.
        time.sleep(2)
        unacked = [n for n in range(count) if n not in publisher.acked]
        for n in unacked:
            publisher.send(n, topic(devices[n]), sos(run, n, now))
        deadline = time.monotonic() + 30
        while any(n not in publisher.acked for n in unacked) and time.monotonic() < deadline:
            time.sleep(0.1)
        if again is not None:
            again.join(120)  # the killed process is back (on a loaded machine it takes a while)
        last, moved = (-1, -1), time.monotonic()
        while time.monotonic() - moved < 30:
            stored, dead, _, _ = counts(engine, run)
            if stored + dead >= count:
                break
            if (stored, dead) != last:
                last, moved = (stored, dead), time.monotonic()
            time.sleep(0.2)
        wall = time.monotonic() - start
        time.sleep(1)  # anything still in flight lands (it must not add an alarm)
        stored, dead, alarms, extra = counts(engine, run)
        with engine.connect() as conn:
            kept = set(
                conn.execute(
                    text("SELECT message_id FROM device_message WHERE message_id LIKE :p"),
                    {"p": f"{run}-%"},
                ).scalars()
            )
        lost = [n for n in range(count) if f"{run}-{n}" not in kept]
        publisher.close()
    finally:
        try:
            for p in procs:
                p.stop()
        finally:
            engine.dispose()
            broker.close()
    return {
        "sent": count, "stored": stored, "dead_lettered": dead, "sos_alarms": alarms,
        "alarms_more_than_once": extra, "republished": len(unacked), "lost": len(lost),
        "lost_before_broker_restart": sum(1 for n in lost if n < restarted_after),
        "lost_range": [lost[0], lost[-1]] if lost else [],
        "killed_after": killed_after, "broker_restarted_after": restarted_after,
        "broker_away_s": round(away, 2), "wall_s": round(wall, 1),
        "ok": stored + dead == count and alarms == stored and extra == 0,
    }  # fmt: skip
