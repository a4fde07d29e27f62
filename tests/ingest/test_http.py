"""The HTTP doors: a device posting with its token, a vendor cloud posting signed batches."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.ingest.builders import TOKEN
from tests.ingest.conftest import VENDOR_SECRET, Rig
from yiyang.alarms.models import Alarm
from yiyang.devices.models import Device
from yiyang.protocols import signing

MESSAGES = "/api/v1/ingest/messages"
VENDOR = "/api/v1/ingest/vendors/cloudcare"


def house(rig: Rig, **fields: object) -> bytes:
    body: dict[str, object] = {
        "id": "h-1", "ts": rig.live.clock.now.isoformat(), "type": "signal", "signal": "sos",
        "device": "imei:861000000000001",
    }  # fmt: skip
    body.update(fields)
    return json.dumps(body).encode()


def batch(
    rig: Rig, *, msg_id: str = "e1", alarm: str = "URINE", serial: str = "KY2300017"
) -> bytes:
    millis = int(rig.live.clock.now.timestamp() * 1000)
    event = {"msgId": msg_id, "deviceSn": serial, "eventTime": millis, "eventType": "ALARM",
             "alarmType": alarm}  # fmt: skip
    return json.dumps({"events": [event]}).encode()


def signed(rig: Rig, body: bytes, *, delivery: str = "d-1", secret: str = VENDOR_SECRET,
           skew: int = 0) -> dict[str, str]:  # fmt: skip
    stamp = int(rig.live.clock.now.timestamp()) + skew
    return {
        signing.TIMESTAMP: str(stamp),
        signing.SIGNATURE: signing.sign(secret, stamp, body),
        signing.DELIVERY: delivery,
        "content-type": "application/json",
    }


def test_a_device_posts_an_sos_with_its_token(rig: Rig) -> None:
    answer = rig.live.client.post(
        MESSAGES, content=house(rig), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "stored" and len(answer.json()["alarm_ids"]) == 1
    again = rig.live.client.post(
        MESSAGES, content=house(rig), headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    assert rig.stored() == 1


def test_bad_posts_are_refused_with_a_reason_and_kept_as_dead_letters(rig: Rig) -> None:
    client = rig.live.client
    auth = {"Authorization": f"Bearer {TOKEN}"}
    cases = [
        (client.post(MESSAGES, content=house(rig)), 401, "bad_token"),
        (client.post(MESSAGES, content=house(rig), headers={"Authorization": "Bearer nope"}),
         401, "bad_token"),
        (client.post(MESSAGES, content=b"{oops", headers=auth), 400, "unparseable"),
        (client.post(MESSAGES, content=house(rig, device="imei:1"), headers=auth), 401,
         "unknown_device"),
        (client.post(MESSAGES, content=house(rig, ts="2099-01-01T00:00:00Z"), headers=auth),
         422, "future_timestamp"),
        (client.post(MESSAGES, content=house(rig, device="serial:KY2300017"), headers=auth),
         422, "wrong_protocol"),
    ]  # fmt: skip
    for answer, status, reason in cases:
        assert (answer.status_code, answer.json()["reason"]) == (status, reason), answer.text
    assert [r for r, _ in rig.dead()] == [c[2] for c in cases]
    assert rig.stored() == 0


def test_a_signed_vendor_batch_is_taken_once(rig: Rig) -> None:
    body = batch(rig)
    answer = rig.live.client.post(VENDOR, content=body, headers=signed(rig, body))
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"
    assert answer.json()["parts"][0]["status"] == "stored"
    with rig.session() as s:
        (alarm,) = s.scalars(select(Alarm)).all()
        assert (alarm.type, alarm.device_id) == ("bed_wet", rig.cloud)
        assert s.get_one(Device, rig.cloud).online
    replay = rig.live.client.post(VENDOR, content=body, headers=signed(rig, body))
    assert (replay.status_code, replay.json()["reason"]) == (409, "replay")
    assert rig.stored() == 1


def test_forged_unsigned_stale_and_unknown_vendor_webhooks_are_refused(rig: Rig) -> None:
    client, body = rig.live.client, batch(rig)
    forged = signed(rig, body, secret="guessed")
    tampered = signed(rig, body)
    stale = signed(rig, body, skew=-600)
    cases = [
        (client.post(VENDOR, content=body, headers=forged), 401, "bad_signature"),
        (client.post(VENDOR, content=body + b" ", headers=tampered), 401, "bad_signature"),
        (client.post(VENDOR, content=body), 401, "bad_signature"),
        (client.post(VENDOR, content=body, headers=stale), 401, "stale_signature"),
        (client.post("/api/v1/ingest/vendors/acme", content=body, headers=signed(rig, body)),
         404, "unknown_vendor"),
    ]  # fmt: skip
    for answer, status, reason in cases:
        assert (answer.status_code, answer.json()["reason"]) == (status, reason), answer.text
    assert [r for r, _ in rig.dead()] == [c[2] for c in cases]
    assert rig.stored() == 0
    with rig.session() as s:
        assert s.scalars(select(Alarm)).all() == []


def test_a_batch_with_one_unknown_device_keeps_the_others(rig: Rig) -> None:
    good = json.loads(batch(rig, msg_id="g1"))["events"][0]
    stranger = json.loads(batch(rig, msg_id="g2", serial="NOBODY"))["events"][0]
    body = json.dumps({"events": [good, stranger]}).encode()
    answer = rig.live.client.post(VENDOR, content=body, headers=signed(rig, body, delivery="d-9"))
    assert answer.status_code == 202 and answer.json()["status"] == "partial"
    assert [p["status"] for p in answer.json()["parts"]] == ["stored", "rejected"]
    assert rig.dead() == [("unknown_device", 1)] and rig.stored() == 1
