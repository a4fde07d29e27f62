"""One message, one transaction: stored then acknowledged; every bad input a counted dead letter."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from tests.ingest.builders import TOKEN
from tests.ingest.conftest import Rig
from yiyang.alarms import tasks
from yiyang.alarms.models import Alarm
from yiyang.devices import message_repository as repo
from yiyang.devices.models import Device
from yiyang.security.subject import system_subject

CORD = "yiyang/v1/devices/imei:861000000000001/up"
BAND = "yiyang/v1/devices/imei:861000000000002/up"


def payload(rig: Rig, **fields: object) -> bytes:
    body: dict[str, object] = {
        "id": "m-1", "ts": rig.live.clock.now.isoformat(), "type": "signal", "signal": "sos",
        "token": TOKEN,
    }  # fmt: skip
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def alarms(rig: Rig) -> list[Alarm]:
    with rig.session() as s:
        return list(s.scalars(select(Alarm).order_by(Alarm.id)))


def device(rig: Rig, device_id: int) -> Device:
    with rig.session() as s:
        return s.get_one(Device, device_id)


def test_an_sos_is_stored_then_acknowledged_and_raises_an_alarm(rig: Rig) -> None:
    outcome = rig.gateway.mqtt(CORD, payload(rig, battery=80))
    assert outcome.status == "stored" and outcome.ack
    (alarm,) = alarms(rig)
    assert outcome.alarm_ids == (alarm.id,)
    assert (alarm.type, alarm.elder_id, alarm.device_id) == ("sos", rig.elder_id, rig.cord)
    cord = device(rig, rig.cord)
    assert cord.online and cord.battery_pct == 80 and cord.last_seen_at == rig.live.clock.now
    assert rig.dead() == []


def test_the_same_message_twice_is_stored_once_in_separate_transactions(rig: Rig) -> None:
    raw = payload(rig, id="sos-77")
    first = rig.gateway.mqtt(CORD, raw)
    rig.live.clock.advance(seconds=3)  # redelivered by the broker a little later
    again = rig.gateway.mqtt(CORD, raw)
    assert (first.status, again.status) == ("stored", "duplicate") and again.ack
    assert rig.stored() == 1
    (alarm,) = alarms(rig)
    assert alarm.repeats == 0  # a redelivery is not a second press


def test_the_same_message_at_once_from_two_threads_is_stored_once(rig: Rig) -> None:
    raw = payload(rig, id="sos-race")
    gate = threading.Barrier(2)
    results: list[str] = []

    def send() -> None:
        gate.wait()
        results.append(rig.gateway.mqtt(CORD, raw).status)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["duplicate", "stored"]
    assert rig.stored() == 1 and len(alarms(rig)) == 1


def test_every_bad_input_is_a_dead_letter_with_its_reason_and_nothing_else_moves(
    rig: Rig,
) -> None:
    now = rig.live.clock.now
    cases = [
        (CORD, b"\x00garbage", "unparseable"),
        ("yiyang/v1/devices/imei:861000000000001/down", payload(rig), "bad_topic"),
        ("yiyang/v1/devices/imei:869999999999999/up", payload(rig), "unknown_device"),
        (CORD, payload(rig, token="stolen-or-guessed"), "bad_token"),
        (CORD, payload(rig, token=None), "bad_token"),
        (CORD, payload(rig, type="reading", signal=None, readings={"heart_rate": 900}),
         "absurd_value"),
        (CORD, payload(rig, ts="2099-01-01T00:00:00Z"), "future_timestamp"),
        (CORD, payload(rig, ts=(now - timedelta(days=4)).isoformat()), "too_old"),
        (CORD, payload(rig, type="sing"), "invalid"),
    ]  # fmt: skip
    for n, (topic, raw, reason) in enumerate(cases):
        rig.live.clock.advance(seconds=20)  # stay within the rate limit
        outcome = rig.gateway.mqtt(topic, raw.replace(b'"m-1"', f'"m-{n}"'.encode()))
        assert (outcome.status, outcome.reason, outcome.ack) == ("rejected", reason, True), n
    assert [r for r, _ in rig.dead()] == [c[2] for c in cases]
    assert rig.stored() == 0 and alarms(rig) == []
    cord = device(rig, rig.cord)
    assert not cord.online and cord.last_seen_at is None and cord.battery_pct is None
    with rig.session() as s:
        by_reason = {c.key: c.count for c in repo.counts_by_reason(s, system_subject(), now)}
        by_device = {c.identity: c.count for c in repo.counts_by_device(s, system_subject(), now)}
    assert by_reason["bad_token"] == 2 and by_reason["too_old"] == 1
    assert by_device["imei:861000000000001"] == 7 and by_device["imei:869999999999999"] == 1
    # and the gateway goes on: a good message right after is taken
    assert rig.gateway.mqtt(BAND, payload(rig, id="after")).status == "stored"


def test_a_retired_device_is_refused(rig: Rig) -> None:
    with rig.session() as s:
        s.get_one(Device, rig.band).status = "retired"
        s.commit()
    assert rig.gateway.mqtt(BAND, payload(rig)).reason == "retired_device"
    assert rig.dead() == [("retired_device", 1)]


def test_a_flooding_device_is_limited_while_another_passes(rig: Rig) -> None:
    taken = {"cord": 0, "band": 0}
    for n in range(60):
        rig.live.clock.advance(seconds=0.1)
        if rig.gateway.mqtt(CORD, payload(rig, id=f"f{n}", type="heartbeat", signal=None)).accepted:
            taken["cord"] += 1
        if n % 15 == 0:  # the band's ordinary pace, within its allowance
            raw = payload(rig, id=f"b{n}", type="heartbeat", signal=None)
            assert rig.gateway.mqtt(BAND, raw).accepted
            taken["band"] += 1
    assert taken == {"cord": 5, "band": 4}  # a burst of 5, refilled at 6 a minute
    assert rig.dead() == []  # the flood is counted in memory …
    rig.live.clock.advance(seconds=60)
    rig.gateway.flush_floods()
    assert rig.dead() == [("rate_limited", 55)]  # … and written as one row per window


def test_an_unknown_protocol_on_a_device_is_a_dead_letter(rig: Rig) -> None:
    with rig.session() as s:
        s.get_one(Device, rig.band).protocol = "telnet"
        s.commit()
    assert rig.gateway.mqtt(BAND, payload(rig)).reason == "unknown_protocol"


def test_a_failure_of_ours_is_a_dead_letter_and_the_gateway_goes_on(rig: Rig) -> None:
    original = rig.gateway.limits
    rig.gateway.limits = None  # type: ignore[assignment]  # a bug in the middle of storing
    outcome = rig.gateway.mqtt(CORD, payload(rig))
    rig.gateway.limits = original
    assert (outcome.reason, outcome.ack) == ("failed", True)
    assert rig.stored() == 0
    assert rig.gateway.mqtt(CORD, payload(rig, id="m-2")).status == "stored"


def test_sent_time_is_the_readings_time(rig: Rig) -> None:
    at = datetime(2026, 11, 23, 0, 59, tzinfo=UTC)
    raw = payload(rig, type="reading", signal=None, ts=at.isoformat(),
                  readings={"heart_rate": 70, "systolic": 128})  # fmt: skip
    assert rig.gateway.mqtt(BAND, raw).status == "stored"
    from yiyang.devices.message_models import DeviceReading

    with rig.session() as s:
        rows = s.execute(select(DeviceReading.metric, DeviceReading.measured_at)).all()
    assert sorted(rows) == [("heart_rate", at), ("systolic", at)]


def test_a_heartbeat_brings_an_offline_device_back_and_tells_a_low_battery(rig: Rig) -> None:
    with rig.session() as s, s.begin():
        cord = s.get_one(Device, rig.cord)
        cord.online, cord.last_seen_at = True, rig.live.clock.now - timedelta(hours=2)
    with rig.session() as s, s.begin():
        tasks.sweep(s, rig.live.clock.now, rig.settings)  # silent for two hours: offline
    (offline,) = alarms(rig)
    assert offline.type == "device_offline" and offline.cleared_at is None
    rig.live.clock.advance(seconds=5)
    beat = payload(rig, id="hb-1", type="heartbeat", signal=None, battery=5)
    outcome = rig.gateway.mqtt(CORD, beat)
    assert outcome.status == "seen" and outcome.ack and rig.stored() == 0  # no row for it
    back, battery = alarms(rig)
    assert back.id == offline.id and back.cleared_at == rig.live.clock.now
    assert battery.type == "low_battery" and device(rig, rig.cord).online
