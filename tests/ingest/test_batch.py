"""A batch of MQTT messages: one transaction, the same outcome for each as one by one."""

from __future__ import annotations

from unittest.mock import patch

from sqlalchemy import func, select

from tests.ingest.conftest import Rig
from tests.ingest.test_pipeline import BAND, CORD, alarms, device, payload
from yiyang.alarms.rule_models import RuleState
from yiyang.devices.message_models import DeviceReading
from yiyang.ingest import batch

UNKNOWN = "yiyang/v1/devices/imei:869999999999999/up"


def readings(rig: Rig) -> list[tuple[str, float]]:
    with rig.session() as s:
        return [(r.metric, r.value) for r in s.scalars(select(DeviceReading))]


def test_a_batch_stores_each_message_once_and_raises_its_alarms(rig: Rig) -> None:
    rig.gateway.buckets.burst = 100
    items = [
        (CORD, payload(rig, id="b-1", battery=80)),
        (BAND, payload(rig, id="b-2", type="reading", signal=None, readings={"heart_rate": 72})),
        (CORD, payload(rig, id="b-1", battery=80)),  # the same message twice in one batch
        (BAND, payload(rig, id="b-3", type="heartbeat", signal=None)),
    ]
    outcomes = rig.gateway.mqtt_batch(items)
    assert [o.status for o in outcomes] == ["stored", "stored", "duplicate", "seen"]
    assert all(o.ack for o in outcomes)
    (alarm,) = alarms(rig)
    assert outcomes[0].alarm_ids == (alarm.id,) and alarm.type == "sos"
    assert rig.stored() == 2 and readings(rig) == [("heart_rate", 72.0)]
    cord, band = device(rig, rig.cord), device(rig, rig.band)
    assert cord.online and cord.battery_pct == 80 and band.online
    assert band.last_seen_at == rig.live.clock.now
    with rig.session() as s:  # the rule states the intake needs, made once
        keys = set(s.execute(select(RuleState.owner, RuleState.rule_key)))
    assert (f"device:{rig.band}", "heart_rate") in keys
    assert (f"device:{rig.cord}", "offline") in keys
    # Delivered again (QoS 1 after a crash): duplicates, nothing new.
    again = rig.gateway.mqtt_batch(items[:2])
    assert [o.status for o in again] == ["duplicate", "duplicate"]
    assert rig.stored() == 2 and len(alarms(rig)) == 1


def test_a_refused_message_is_dead_lettered_and_the_others_are_stored(rig: Rig) -> None:
    rig.gateway.buckets.burst = 100
    items = [
        (CORD, payload(rig, id="ok-1")),
        (CORD, payload(rig, id="bad-token", token="wrong")),
        (UNKNOWN, payload(rig, id="who")),
        ("yiyang/v1/devices/nonsense/up", b"{}"),
        (BAND, b"not json"),
        (BAND, payload(rig, id="ok-2", type="reading", signal=None, readings={"spo2": 97})),
    ]
    outcomes = rig.gateway.mqtt_batch(items)
    assert [o.status for o in outcomes] == [
        "stored", "rejected", "rejected", "rejected", "rejected", "stored",
    ]  # fmt: skip
    assert all(o.ack for o in outcomes)
    reasons = [o.reason for o in outcomes[1:5]]
    assert reasons == ["bad_token", "unknown_device", "bad_topic", "unparseable"]
    assert sorted(r for r, _ in rig.dead()) == sorted(reasons)
    assert rig.stored() == 2 and len(alarms(rig)) == 1


def test_a_failing_batch_is_taken_again_one_by_one(rig: Rig) -> None:
    rig.gateway.buckets.burst = 100
    items = [(CORD, payload(rig, id="f-1")), (BAND, payload(rig, id="f-2", signal="fall"))]
    with patch.object(batch, "store", side_effect=RuntimeError("the batch broke")):
        outcomes = rig.gateway.mqtt_batch(items)
    assert [o.status for o in outcomes] == ["stored", "stored"]
    assert rig.stored() == 2 and sorted(a.type for a in alarms(rig)) == ["fall", "sos"]
    with rig.session() as s:
        assert s.scalar(select(func.count(DeviceReading.id))) == 0
    assert rig.dead() == []
