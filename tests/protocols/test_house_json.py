"""The house scheme: topics, payloads and every way a payload is refused (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from yiyang.protocols import house_json
from yiyang.protocols.message import DeviceMessage, MessageKind, ParseError
from yiyang.protocols.reasons import Reason, out_of_time
from yiyang.protocols.vocabulary import IdentityScheme, Metric, Signal

TOPIC = "yiyang/v1/devices/imei:861234567890123/up"


def payload(**fields: object) -> bytes:
    body: dict[str, object] = {"id": "m-1", "ts": "2026-11-23T01:00:00Z", "type": "heartbeat"}
    body.update(fields)
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def reason_of(raw: bytes, topic: str = TOPIC) -> str:
    scheme, identity = house_json.identity_of_topic(topic)
    with pytest.raises(ParseError) as caught:
        house_json.parse(raw, scheme, identity)
    return caught.value.reason


def test_the_urgent_channel_names_its_device_like_up() -> None:
    assert house_json.identity_of_topic("yiyang/v1/devices/imei:861234567890123/alarm") == (
        IdentityScheme.IMEI, "861234567890123"
    )  # fmt: skip
    assert house_json.topic_of(IdentityScheme.MAC, "a1", urgent=True) == (
        "yiyang/v1/devices/mac:a1/alarm"
    )


def test_a_signal_over_mqtt_names_its_device_by_the_topic() -> None:
    scheme, identity = house_json.identity_of_topic(TOPIC)
    raw = payload(type="signal", signal="sos", battery=81, rssi=-70, lat=34.76, lon=113.65)
    (message,) = house_json.parse(raw, scheme, identity)
    assert message.scheme is IdentityScheme.IMEI and message.identity == "861234567890123"
    assert message.kind is MessageKind.SIGNAL and message.signal is Signal.SOS
    assert message.sent_at == datetime(2026, 11, 23, 1, tzinfo=UTC)
    assert (message.battery_pct, message.signal_dbm, message.lat) == (81, -70, 34.76)


def test_a_reading_with_an_offset_is_stored_in_utc() -> None:
    raw = payload(type="reading", ts="2026-11-23T09:00:00+08:00", readings={"heart_rate": 72})
    (message,) = house_json.parse(raw, IdentityScheme.IMEI, "1")
    assert message.readings == {Metric.HEART_RATE: 72.0}
    assert message.sent_at == datetime(2026, 11, 23, 1, tzinfo=UTC)


def test_over_http_the_payload_names_the_device() -> None:
    (message,) = house_json.parse(payload(device="serial:KY-1", token="t"))
    assert (message.scheme, message.identity, message.token) == (IdentityScheme.SERIAL, "KY-1", "t")
    with pytest.raises(ParseError, match="device is required"):
        house_json.parse(payload())


def test_encode_and_parse_agree() -> None:
    message = DeviceMessage(
        message_id="x-9", scheme=IdentityScheme.MAC, identity="AA:BB:CC:00:11:22",
        kind=MessageKind.READING, sent_at=datetime(2026, 11, 23, 1, tzinfo=UTC),
        readings={Metric.SYSTOLIC: 130.0, Metric.DIASTOLIC: 85.0}, battery_pct=50, token="s",
    )  # fmt: skip
    assert house_json.parse(house_json.encode(message, with_device=True)) == [message]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe not json", Reason.UNPARSEABLE),
        (b"{", Reason.UNPARSEABLE),
        (b"[1, 2]", Reason.UNPARSEABLE),
        (b" " * (house_json.MAX_PAYLOAD + 1), Reason.UNPARSEABLE),
        (payload(id=None), Reason.INVALID),
        (payload(id="with space"), Reason.INVALID),
        (payload(type="gossip"), Reason.INVALID),
        (payload(type="signal"), Reason.INVALID),
        (payload(type="signal", signal="party"), Reason.INVALID),
        (payload(signal="sos"), Reason.INVALID),
        (payload(type="reading"), Reason.INVALID),
        (payload(type="reading", readings={"mood": 3}), Reason.INVALID),
        (payload(type="reading", readings={"heart_rate": "fast"}), Reason.INVALID),
        (payload(ts="yesterday"), Reason.INVALID),
        (payload(ts="2026-11-23T01:00:00"), Reason.INVALID),
        (payload(colour="red"), Reason.INVALID),
        (payload(lat=34.7), Reason.INVALID),
        (payload(device="imei:999"), Reason.INVALID),
        (payload(type="reading", readings={"heart_rate": 900}), Reason.ABSURD_VALUE),
        (payload(type="reading", readings={"temperature": 12}), Reason.ABSURD_VALUE),
        (payload(battery=140), Reason.ABSURD_VALUE),
        (payload(rssi=20), Reason.ABSURD_VALUE),
        (payload(lat=134.7, lon=10), Reason.ABSURD_VALUE),
    ],
)
def test_bad_payloads_are_refused_with_their_reason(raw: bytes, reason: str) -> None:
    assert reason_of(raw) == reason


@pytest.mark.parametrize(
    "topic",
    ["yiyang/v1/devices/imei:1/down", "other/imei:1/up", "yiyang/v1/devices/phone:1/up",
     "yiyang/v1/devices/imei/up", "yiyang/v1/devices/imei:a b/up",
     "yiyang/v1/devices/imei:1/alarms", "yiyang/v1/devices/imei:1/up/alarm",
     "yiyang/v1/devices/imei:1/alarm/up", "yiyang/v1/devices//alarm"],
)  # fmt: skip
def test_topics_outside_the_scheme_are_refused(topic: str) -> None:
    with pytest.raises(ParseError) as caught:
        house_json.identity_of_topic(topic)
    assert caught.value.reason == Reason.BAD_TOPIC


def test_times_in_2099_or_too_old_are_out_of_time() -> None:
    now = datetime(2026, 11, 23, 1, tzinfo=UTC)
    skew, max_age = timedelta(minutes=5), timedelta(hours=72)
    assert out_of_time(now + timedelta(minutes=4), now, skew=skew, max_age=max_age) is None
    assert out_of_time(now - timedelta(hours=71), now, skew=skew, max_age=max_age) is None
    future = out_of_time(datetime(2099, 1, 1, tzinfo=UTC), now, skew=skew, max_age=max_age)
    old = out_of_time(now - timedelta(hours=73), now, skew=skew, max_age=max_age)
    assert future is not None and future[0] is Reason.FUTURE_TIMESTAMP
    assert old is not None and old[0] is Reason.TOO_OLD
