"""`yiyang simulate devices`: realistic traffic from devices in the database, over MQTT or HTTP.

Heartbeats most of the time, vital readings from bands and mattresses, and now and then an
SOS, a fall, a bed exit or a wet mattress. The passive sensors behave like a home lived in:
door and motion sensors report activity often by day and seldom at night, and a water meter
counts up (a cumulative m³ reading) by a household's use at that hour of the day, so the
alarm centre's inactivity and water rules see what they would see in real homes. The
simulator gives each device it speaks for a fresh token (it cannot know the real ones, which
are kept only as hashes): it is a demo and load tool, never to be pointed at a database of
real devices.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from sqlalchemy.orm import Session, sessionmaker

from yiyang.config import Settings
from yiyang.db import unit_of_work
from yiyang.devices import message_repository as repo
from yiyang.devices.kinds import KINDS, DeviceKind
from yiyang.devices.rules import secret_hash
from yiyang.kit.clock import Clock
from yiyang.kit.localtime import CHINA_TZ
from yiyang.protocols import house_json
from yiyang.protocols.message import DeviceMessage, MessageKind
from yiyang.protocols.vocabulary import IdentityScheme, Metric, Signal

log = logging.getLogger(__name__)
Via = Literal["mqtt", "http"]

# Normal values and their spread (a person at rest).
NORMAL: dict[Metric, tuple[float, float]] = {
    Metric.HEART_RATE: (74, 9),
    Metric.SYSTOLIC: (132, 12),
    Metric.DIASTOLIC: (82, 7),
    Metric.TEMPERATURE: (36.5, 0.3),
    Metric.SPO2: (97, 1.2),
    Metric.RESPIRATION: (16, 2),
}
ALARM_SHARE = 0.01  # of messages that are a signal
RARE = {Signal.SOS, Signal.FALL, Signal.SMOKE, Signal.GAS, Signal.WATER_LEAK}
ACTIVITY = {Signal.DOOR_OPEN, Signal.MOTION}  # what passive monitoring counts as a sign of life
ACTIVE_SHARE = {True: 0.7, False: 0.1}  # of a door or motion sensor's messages, by day / night
# A one- or two-person household's water use, m³ an hour, by day and by night (about
# 0.15 m³ a day): more than the 0.01 m³ in 12 h below which the water rule raises.
WATER_M3_PER_HOUR = {True: 0.0085, False: 0.0008}


def is_daytime(now: datetime) -> bool:
    """From 06:00 to 22:00 in the district's time: when people are up and about."""
    return 6 <= now.astimezone(CHINA_TZ).hour < 22


@dataclass
class Meter:
    """A simulated water meter: its reading and when it was last read."""

    m3: float
    at: datetime


def read_meter(meter: Meter | None, rng: random.Random, now: datetime) -> Meter:
    """The meter after the household's use since its last reading (never running backwards)."""
    if meter is None:
        return Meter(round(rng.uniform(50, 900), 4), now)
    hours = max((now - meter.at).total_seconds() / 3600, 0.0)
    used = WATER_M3_PER_HOUR[is_daytime(now)] * hours * rng.lognormvariate(0, 0.5)
    return Meter(round(meter.m3 + used, 4), max(now, meter.at))


@dataclass(frozen=True)
class SimDevice:
    """A device the simulator speaks for, with the token it gave it."""

    device_id: int
    kind: str
    scheme: IdentityScheme
    identity: str
    token: str


def prepare(factory: sessionmaker[Session], count: int) -> list[SimDevice]:
    """Up to `count` installed house-scheme devices, each given a fresh token."""
    devices = []
    with unit_of_work(factory) as session:
        for named in repo.fitted_house_devices(session, count):
            token = secrets.token_urlsafe(24)
            repo.set_secret_hash(session, named.device_id, secret_hash(token))
            devices.append(
                SimDevice(
                    named.device_id, named.kind, IdentityScheme(named.scheme), named.identity, token
                )
            )
    return devices


def next_message(
    device: SimDevice,
    rng: random.Random,
    now: datetime,
    seq: int,
    meters: dict[int, Meter] | None = None,
) -> DeviceMessage:
    """One plausible message of a device of this kind (`meters`: the water meters' state,
    kept by the caller across messages)."""
    info = (
        KINDS.get(DeviceKind(device.kind))
        if device.kind in DeviceKind.__members__.values()
        else None
    )
    signals = sorted(info.signals - {Signal.RESET, Signal.TAMPER}) if info else []
    metrics = sorted(info.metrics) if info else []
    battery = None if info is not None and not info.battery else rng.randint(35, 100)
    base = {
        "message_id": f"sim-{device.device_id}-{int(now.timestamp() * 1000)}-{seq}",
        "scheme": device.scheme,
        "identity": device.identity,
        "sent_at": now,
        "battery_pct": battery,
        "signal_dbm": rng.randint(-105, -55),
        "token": device.token,
    }
    roll = rng.random()
    if signals and roll < ALARM_SHARE:
        common = [s for s in signals if s not in RARE] or signals
        pool = signals if rng.random() < 0.3 else common
        return DeviceMessage(kind=MessageKind.SIGNAL, signal=rng.choice(pool), **base)  # type: ignore[arg-type]
    active = [s for s in signals if s in ACTIVITY]
    if active and roll < ACTIVE_SHARE[is_daytime(now)]:
        return DeviceMessage(kind=MessageKind.SIGNAL, signal=rng.choice(active), **base)  # type: ignore[arg-type]
    if Metric.WATER_M3 in metrics:
        state = meters if meters is not None else {}
        meter = state[device.device_id] = read_meter(state.get(device.device_id), rng, now)
        return DeviceMessage(kind=MessageKind.READING, readings={Metric.WATER_M3: meter.m3}, **base)  # type: ignore[arg-type]
    if metrics and roll < 0.4:
        readings = {
            m: round(min(max(rng.gauss(*NORMAL[m]), 0.0), 100.0 if m is Metric.SPO2 else 1e6), 2)
            for m in metrics
        }
        return DeviceMessage(kind=MessageKind.READING, readings=readings, **base)  # type: ignore[arg-type]
    return DeviceMessage(kind=MessageKind.HEARTBEAT, **base)  # type: ignore[arg-type]


@dataclass
class Simulator:
    """Sends `rate` messages a second in total from `devices` until stopped or `total` sent."""

    devices: list[SimDevice]
    rate: float
    via: Via
    settings: Settings
    clock: Clock
    url: str = "http://127.0.0.1:8000"
    seed: int = 7
    stopping: threading.Event = field(default_factory=threading.Event)
    sent: int = 0
    failed: int = 0
    meters: dict[int, Meter] = field(default_factory=dict)

    def run(self, total: int | None = None) -> None:
        """Send until `stopping` is set or `total` messages went out."""
        if not self.devices:
            log.warning("no installed house-scheme devices to simulate")
            return
        rng = random.Random(self.seed)
        send = self._mqtt_sender() if self.via == "mqtt" else self._http_sender()
        gap = 1.0 / self.rate
        start = time.monotonic()
        try:
            while not self.stopping.is_set() and (total is None or self.sent < total):
                device = rng.choice(self.devices)
                message = next_message(device, rng, self.clock(), self.sent, self.meters)
                try:
                    send(message)
                except Exception as exc:  # the server or the broker is away: keep going
                    self.failed += 1
                    log.debug("sending failed: %s", exc)
                self.sent += 1
                delay = start + self.sent * gap - time.monotonic()
                if delay > 0:
                    self.stopping.wait(delay)
        finally:
            close = getattr(send, "close", None)
            if close is not None:
                close()

    def _http_sender(self) -> _Http:
        return _Http(httpx.Client(base_url=self.url, timeout=10))

    def _mqtt_sender(self) -> _Mqtt:
        client = paho.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
        client.connect(self.settings.mqtt_host, self.settings.mqtt_port)
        client.loop_start()
        return _Mqtt(client)


@dataclass
class _Http:
    client: httpx.Client

    def __call__(self, message: DeviceMessage) -> None:
        body = house_json.encode(message, with_device=True)
        headers = {"Authorization": f"Bearer {message.token}", "Content-Type": "application/json"}
        self.client.post("/api/v1/ingest/messages", content=body, headers=headers)

    def close(self) -> None:
        self.client.close()


@dataclass
class _Mqtt:
    client: paho.Client

    def __call__(self, message: DeviceMessage) -> None:
        topic = house_json.topic_for(message)  # an SOS or a fall on the urgent channel
        self.client.publish(topic, house_json.encode(message), qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
