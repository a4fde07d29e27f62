"""The urgent channel `.../alarm`: every ingest process takes every alarm message, and the
dedup on the message id stores each once and raises its alarm once."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import paho.mqtt.client as paho
from sqlalchemy import func, select

from tests.ingest.conftest import Rig
from tests.ingest.test_mqtt import body, publish, running, wait_for
from tests.ingest.test_pipeline import alarms, payload
from yiyang.alarms.intake import IMMEDIATE
from yiyang.alarms.kinds import NEEDS_A_PERSON
from yiyang.devices.message_models import DeviceMessage
from yiyang.ingest.mqtt import Subscriber
from yiyang.ingest.pipeline import Gateway, Outcome
from yiyang.protocols import house_json
from yiyang.protocols.vocabulary import URGENT_SIGNALS

CORD_ALARM = "yiyang/v1/devices/imei:861000000000001/alarm"
BAND_ALARM = "yiyang/v1/devices/imei:861000000000002/alarm"


def test_the_urgent_signals_are_those_that_raise_an_alarm_at_once() -> None:
    assert set(URGENT_SIGNALS) == set(IMMEDIATE)
    assert {IMMEDIATE[s] for s in URGENT_SIGNALS} >= NEEDS_A_PERSON


def test_two_gateways_taking_the_same_alarm_messages_at_once_store_each_once(rig: Rig) -> None:
    """Two ingest processes (two gateways, two threads) take the same urgent messages in the
    same moment, in opposite orders: one stored row and one alarm each, the other a duplicate."""
    rig.gateway.buckets.burst = 100
    items = [
        (CORD_ALARM, payload(rig, id="u-cord")),
        (BAND_ALARM, payload(rig, id="u-band", signal="fall")),
    ]
    gateways = [Gateway(rig.live.factory, rig.settings, rig.live.clock) for _ in range(2)]
    gate = threading.Barrier(2)
    results: dict[int, list[Outcome]] = {}

    def take(k: int) -> None:
        gate.wait()
        results[k] = gateways[k].mqtt_batch(items if k == 0 else items[::-1])

    threads = [threading.Thread(target=take, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    by_id = {"u-cord": [results[0][0].status, results[1][1].status],
             "u-band": [results[0][1].status, results[1][0].status]}  # fmt: skip
    assert {k: sorted(v) for k, v in by_id.items()} == {
        "u-cord": ["duplicate", "stored"], "u-band": ["duplicate", "stored"]
    }  # fmt: skip
    assert all(o.ack for outcomes in results.values() for o in outcomes)
    assert rig.stored() == 2 and rig.dead() == []
    assert sorted(a.type for a in alarms(rig)) == ["fall", "sos"]
    assert all(a.repeats == 0 for a in alarms(rig))


def test_an_alarm_topic_is_taken_and_other_suffixes_are_bad_topics(rig: Rig) -> None:
    assert rig.gateway.mqtt(CORD_ALARM, payload(rig, id="u-1")).status == "stored"
    bad = rig.gateway.mqtt("yiyang/v1/devices/imei:861000000000001/alarms", payload(rig))
    assert (bad.status, bad.reason) == ("rejected", "bad_topic")
    assert rig.dead() == [("bad_topic", 1)]


def test_the_simulator_sends_alarm_signals_on_the_urgent_topic(rig: Rig) -> None:
    (sos,) = house_json.parse(payload(rig, id="s", device="imei:861000000000001"))
    (beat,) = house_json.parse(
        payload(rig, id="h", type="heartbeat", signal=None, device="imei:861000000000001")
    )
    assert house_json.topic_for(sos) == CORD_ALARM
    assert house_json.topic_for(beat) == "yiyang/v1/devices/imei:861000000000001/up"


def test_every_process_gets_every_alarm_message_and_it_is_stored_once(rig: Rig) -> None:
    group = f"t{uuid.uuid4().hex[:8]}"
    rig.gateway.buckets.burst = 100
    one = Subscriber(rig.gateway, rig.settings, f"a-{group}", group)
    two = Subscriber(
        Gateway(rig.live.factory, rig.settings, rig.live.clock), rig.settings, f"b-{group}", group
    )
    with running(one), running(two):
        publish([(CORD_ALARM, body(rig, f"all-{n}")) for n in range(5)])
        wait_for(lambda: one.taken == 5 and two.taken == 5)
    assert rig.stored() == 5 and rig.dead() == []
    (alarm,) = alarms(rig)  # one SOS alarm, pressed five times
    assert alarm.type == "sos"


def test_alarm_messages_wait_in_the_session_of_a_process_that_is_away(rig: Rig) -> None:
    """The `/alarm` subscription is the process's own, in its persistent session: what comes
    while it is away is queued for it (a shared one in Mosquitto is not kept over a restart)."""
    group, name = f"t{uuid.uuid4().hex[:8]}", f"ingest-{uuid.uuid4().hex[:8]}"
    with running(Subscriber(rig.gateway, rig.settings, name, group)):
        pass  # subscribed once; the session keeps the subscription
    publish([(CORD_ALARM, body(rig, "away-1"))])
    with running(Subscriber(rig.gateway, rig.settings, name, group)) as back:
        wait_for(lambda: back.taken == 1)
    with rig.session() as s:
        ids = list(s.scalars(select(DeviceMessage.message_id)))
        assert ids == ["away-1"]
        assert s.scalar(select(func.count()).select_from(DeviceMessage)) == 1


BAND_UP = "yiyang/v1/devices/imei:861000000000002/up"


class HoldingReadings(Gateway):
    """A gateway whose batches from `/up` wait for `release` (a slow batch of readings)."""

    def __init__(self, base: Gateway) -> None:
        super().__init__(base.factory, base.settings, base.clock)
        self.release = threading.Event()

    def mqtt_batch(self, items: Sequence[tuple[str, bytes]]) -> list[Outcome]:
        if any(topic.endswith("/up") for topic, _ in items):
            self.release.wait(10)
        return super().mqtt_batch(items)


@dataclass
class AckRecording(Subscriber):
    """A subscriber that notes the message ids it acknowledges, in order."""

    acked: list[str] = field(default_factory=list)

    def _ack(self, message: paho.MQTTMessage) -> None:
        self.acked.append(json.loads(message.payload)["id"])
        super()._ack(message)


def test_an_alarm_is_raised_while_a_batch_of_readings_is_stored_and_acknowledged_in_turn(
    rig: Rig,
) -> None:
    group, name = f"t{uuid.uuid4().hex[:8]}", f"ingest-{uuid.uuid4().hex[:8]}"
    rig.gateway.buckets.burst = 100
    gateway = HoldingReadings(rig.gateway)
    with running(AckRecording(gateway, rig.settings, name, group)) as sub:
        publish([(BAND_UP, body(rig, "up-1", signal="fall")), (CORD_ALARM, body(rig, "alarm-1"))])
        wait_for(lambda: [a.type for a in alarms(rig)] == ["sos"])  # the readings still wait
        assert sub.acked == []  # the SOS is not acknowledged before the message ahead of it
        gateway.release.set()
        wait_for(lambda: sub.taken == 2)
    assert sub.acked == ["up-1", "alarm-1"]
    assert rig.stored() == 2 and sorted(a.type for a in alarms(rig)) == ["fall", "sos"]
