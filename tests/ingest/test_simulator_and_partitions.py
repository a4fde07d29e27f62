"""The simulator's traffic is taken by the gateway; monthly reading partitions are made ahead."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from tests.ingest.conftest import Rig
from yiyang.devices.ingest_tasks import ensure_partitions, months_from
from yiyang.devices.message_models import DeviceReading
from yiyang.devices.models import Device
from yiyang.ingest.simulator import SimDevice, _Http, next_message, prepare
from yiyang.protocols.message import MessageKind
from yiyang.protocols.vocabulary import IdentityScheme


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
