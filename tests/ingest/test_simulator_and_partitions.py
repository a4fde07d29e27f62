"""The simulator's traffic is taken by the gateway; monthly reading partitions are made ahead."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from tests.ingest.conftest import Rig
from yiyang.devices.ingest_tasks import ensure_partitions, months_from
from yiyang.devices.message_models import DeviceReading
from yiyang.devices.models import Device
from yiyang.ingest.simulator import Meter, SimDevice, _Http, next_message, prepare
from yiyang.protocols.message import MessageKind
from yiyang.protocols.vocabulary import IdentityScheme, Metric, Signal


def test_simulated_traffic_is_mostly_heartbeats_with_plausible_vitals() -> None:
    device = SimDevice(1, "vitals_band", IdentityScheme.IMEI, "861", "tok")
    rng = random.Random(3)
    now = datetime(2026, 11, 23, 1, tzinfo=UTC)
    kinds = Counter(next_message(device, rng, now, n).kind for n in range(2000))
    assert kinds[MessageKind.HEARTBEAT] > kinds[MessageKind.READING] > kinds[MessageKind.SIGNAL] > 0


def test_the_simulator_posts_over_http_and_the_gateway_takes_it(rig: Rig) -> None:
    rig.gateway.buckets.burst = 1000
    devices = prepare(rig.live.factory, 10)
    assert {d.device_id for d in devices} == {rig.cord, rig.band}  # house scheme, installed
    send, rng = _Http(rig.live.client), random.Random(5)
    for n in range(60):
        send(next_message(rng.choice(devices), rng, rig.live.clock.now, n))
    assert rig.dead() == []
    with rig.session() as s:
        seen = s.scalars(select(Device.last_seen_at).where(Device.id.in_([rig.cord, rig.band])))
        assert list(seen) == [rig.live.clock.now] * 2


def test_months_from_crosses_the_year() -> None:
    bounds = months_from(datetime(2026, 12, 15, tzinfo=UTC), 2)
    assert [b[0].month for b in bounds] == [12, 1, 2]
    assert bounds[0][1] == datetime(2027, 1, 1, tzinfo=UTC)


def test_partitions_are_made_ahead_and_readings_land_in_theirs(rig: Rig) -> None:
    with rig.session() as s:
        if s.get_bind().dialect.name != "postgresql":
            pytest.skip("device_reading is partitioned on PostgreSQL only")
        made = ensure_partitions(s, datetime(2027, 5, 2, tzinfo=UTC))
        again = ensure_partitions(s, datetime(2027, 5, 2, tzinfo=UTC))
        s.commit()
        assert made == 3 and again == 0
        s.add(DeviceReading(device_id=rig.band, metric="heart_rate", value=70,
                            measured_at=datetime(2027, 6, 3, tzinfo=UTC)))  # fmt: skip
        s.commit()
        where = s.execute(text("SELECT tableoid::regclass::text FROM device_reading")).scalar()
        assert where == "device_reading_2027_06"
        assert s.scalar(select(func.count(DeviceReading.id))) == 1


def test_passive_sensors_behave_like_a_home_lived_in() -> None:
    """Doors and motion report life often by day and seldom at night; a water meter counts up
    by more than the water rule's 0.01 m³ in 12 h by day, and never runs backwards."""
    rng = random.Random(5)
    noon, night = datetime(2026, 11, 23, 4, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC)
    door = SimDevice(2, "door_sensor", IdentityScheme.SERIAL, "D2", "tok")

    def active_share(at: datetime) -> float:
        sent = [next_message(door, rng, at, n) for n in range(1000)]
        return sum(m.signal is Signal.DOOR_OPEN for m in sent) / len(sent)

    assert active_share(noon) > 0.6 > 0.2 > active_share(night)
    meter = SimDevice(3, "water_meter", IdentityScheme.SERIAL, "W3", "tok")
    meters: dict[int, Meter] = {}
    readings = []
    for n in range(48):  # every 15 minutes for 12 hours of a day
        message = next_message(meter, rng, noon + timedelta(minutes=15 * n), n, meters)
        if message.kind is MessageKind.READING:
            readings.append(message.readings[Metric.WATER_M3])
    assert len(readings) > 40 and readings == sorted(readings)
    assert 0.03 < readings[-1] - readings[0] < 0.3
