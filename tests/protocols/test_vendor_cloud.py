"""A vendor cloud's batch in its own words and units, the registry and webhook signatures (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from yiyang.protocols import registry, signing, vendor_cloud
from yiyang.protocols.message import MessageKind, ParseError
from yiyang.protocols.reasons import Reason
from yiyang.protocols.vocabulary import IdentityScheme, Metric, Signal

MILLIS = 1_795_395_600_000  # 2026-11-23T01:00:00Z


def event(**fields: object) -> dict[str, object]:
    body: dict[str, object] = {
        "msgId": "e1", "deviceSn": "KY2300017", "eventTime": MILLIS, "eventType": "HEART",
    }  # fmt: skip
    body.update(fields)
    return body


def batch(*events: dict[str, object]) -> bytes:
    return json.dumps({"events": list(events)}).encode()


def test_vendor_words_and_units_become_ours() -> None:
    raw = batch(
        event(eventType="ALARM", alarmType="LEAVE_BED", power=76, csq=21, fwVer="2.1"),
        event(msgId="e2", eventType="VITAL", vitals={"hr": 71, "temp": 366, "spo2": 97},
              location={"lat": 34.76, "lng": 113.65}),
    )  # fmt: skip
    alarm, vital = vendor_cloud.parse(raw)
    assert alarm.message_id == "cloudcare:e1" and alarm.scheme is IdentityScheme.SERIAL
    assert alarm.kind is MessageKind.SIGNAL and alarm.signal is Signal.BED_EXIT
    assert alarm.sent_at == datetime(2026, 11, 23, 1, tzinfo=UTC)
    assert (alarm.battery_pct, alarm.signal_dbm, alarm.firmware) == (76, -71, "2.1")
    assert vital.readings == {Metric.HEART_RATE: 71, Metric.TEMPERATURE: 36.6, Metric.SPO2: 97}
    assert (vital.lat, vital.lon) == (34.76, 113.65)


def test_one_event_over_mqtt_must_be_the_topics_device() -> None:
    raw = json.dumps(event()).encode()
    assert vendor_cloud.parse(raw, IdentityScheme.SERIAL, "KY2300017")[0].identity == "KY2300017"
    with pytest.raises(ParseError, match="differs"):
        vendor_cloud.parse(raw, IdentityScheme.SERIAL, "OTHER")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"<xml/>", Reason.UNPARSEABLE),
        (batch(), Reason.INVALID),
        (batch(event(eventType="PARTY")), Reason.INVALID),
        (batch(event(eventType="ALARM", alarmType="ALIENS")), Reason.INVALID),
        (batch(event(eventType="VITAL")), Reason.INVALID),
        (batch(event(vitals={"mood": 1})), Reason.INVALID),
        (batch(event(eventTime="noon")), Reason.INVALID),
        (batch(event(deviceSn="")), Reason.INVALID),
        (batch(event(eventType="VITAL", vitals={"hr": 900})), Reason.ABSURD_VALUE),
        (batch(event(eventType="VITAL", vitals={"temp": 500})), Reason.ABSURD_VALUE),
        (batch(event(csq=99)), Reason.ABSURD_VALUE),
    ],
)
def test_bad_batches_are_refused_whole(raw: bytes, reason: str) -> None:
    with pytest.raises(ParseError) as caught:
        vendor_cloud.parse(raw)
    assert caught.value.reason == reason


def test_the_registry_maps_protocols_to_parsers() -> None:
    assert registry.parser_for("house") is not None
    assert registry.parser_for(vendor_cloud.NAME) is vendor_cloud.parse
    assert registry.parser_for("telnet") is None


def test_signatures_are_checked_in_time() -> None:
    body, stamp = b'{"events": []}', 1_795_395_600
    good = signing.sign("s3cret", stamp, body)
    assert signing.check("s3cret", str(stamp), good, body, now_s=stamp + 10, window_s=300) is None
    forged = signing.sign("guess", stamp, body)
    tampered = signing.check("s3cret", str(stamp), good, body + b" ", now_s=stamp, window_s=300)
    assert tampered is not None and tampered[0] is Reason.BAD_SIGNATURE
    cases = [(str(stamp), forged), (None, good), (str(stamp), None), ("noon", good)]
    for timestamp, signature in cases:
        result = signing.check("s3cret", timestamp, signature, body, now_s=stamp, window_s=300)
        assert result is not None and result[0] is Reason.BAD_SIGNATURE
    late = signing.check("s3cret", str(stamp), good, body, now_s=stamp + 301, window_s=300)
    assert late is not None and late[0] is Reason.STALE_SIGNATURE


def test_the_vendors_in_bed_event_is_our_in_bed_signal() -> None:
    [msg] = vendor_cloud.parse(batch(event(eventType="ALARM", alarmType="IN_BED")))
    assert msg.kind is MessageKind.SIGNAL and msg.signal is Signal.IN_BED
