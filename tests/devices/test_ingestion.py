"""The gateway's service: find and authenticate the device, check times, dedup, store, state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree
from tests.ingest.builders import TOKEN, make_device, message_of
from yiyang.devices import ingestion
from yiyang.devices.ingestion import Channel, Limits, Rejected, Status
from yiyang.devices.message_models import DeviceMessage, DeviceReading
from yiyang.devices.models import Device
from yiyang.events.models import DomainEventRow
from yiyang.protocols.message import MessageKind
from yiyang.protocols.reasons import Reason
from yiyang.protocols.vocabulary import Metric, Signal

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
LIMITS = Limits(skew=timedelta(minutes=5), max_age=timedelta(hours=72), battery_low_pct=20)


def _device(db: Session, **kw: object) -> Device:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    device = make_device(db, tree.comm_a1, elder=elder, **kw)  # type: ignore[arg-type]
    db.refresh(device, ["identities"])
    return device


def _count(db: Session, model: type) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def _events(db: Session, type_: str) -> int:
    return db.scalar(select(func.count()).where(DomainEventRow.type == type_)) or 0


def test_a_reading_is_stored_with_its_values_and_the_device_state(db: Session) -> None:
    device = _device(db, kind="vitals_band")
    message = message_of(
        device, NOW - timedelta(seconds=5), kind=MessageKind.READING,
        readings={Metric.HEART_RATE: 71.0, Metric.SPO2: 97.0}, battery_pct=64, signal_dbm=-80,
        firmware="2.0.1", lat=34.8, lon=113.67,
    )  # fmt: skip
    taken = ingestion.accept(db, device, message, channel=Channel.MQTT, now=NOW, limits=LIMITS)
    assert taken.status is Status.STORED
    row = db.scalars(select(DeviceMessage)).one()
    assert (row.kind, row.channel, row.received_at) == ("reading", "mqtt", NOW)
    readings = db.scalars(select(DeviceReading).order_by(DeviceReading.metric)).all()
    assert [(r.metric, r.value, r.elder_id) for r in readings] == [
        ("heart_rate", 71.0, device.elder_id), ("spo2", 97.0, device.elder_id)
    ]  # fmt: skip
    db.expire_all()
    fresh = db.get_one(Device, device.id)
    assert fresh.online and fresh.last_seen_at == NOW and fresh.battery_pct == 64
    assert (fresh.signal_dbm, fresh.firmware, fresh.last_lat) == (-80, "2.0.1", 34.8)
    assert fresh.version == device.version  # the gateway never clashes with a page's edit


def test_heartbeats_update_last_seen_without_a_row(db: Session) -> None:
    device = _device(db)
    for minute in range(3):
        now = NOW + timedelta(minutes=minute)
        taken = ingestion.accept(
            db, device, message_of(device, now, message_id=f"h{minute}"),
            channel=Channel.HTTP, now=now, limits=LIMITS,
        )  # fmt: skip
        assert taken.status is Status.SEEN
    assert _count(db, DeviceMessage) == 0
    db.expire_all()
    assert db.get_one(Device, device.id).last_seen_at == NOW + timedelta(minutes=2)


def test_state_events_only_on_a_real_change(db: Session) -> None:
    device = _device(db)
    for n, battery in enumerate([50, 18, 15, 12]):
        message = message_of(device, NOW, message_id=f"s{n}", battery_pct=battery)
        ingestion.accept(db, device, message, channel=Channel.MQTT, now=NOW, limits=LIMITS)
    assert _events(db, "device.came_online") == 1
    assert _events(db, "device.battery_low") == 1  # told once, not at every message
    charged = message_of(device, NOW, message_id="s9", battery_pct=90)
    ingestion.accept(db, device, charged, channel=Channel.MQTT, now=NOW, limits=LIMITS)
    low_again = message_of(device, NOW, message_id="s10", battery_pct=10)
    ingestion.accept(db, device, low_again, channel=Channel.MQTT, now=NOW, limits=LIMITS)
    assert _events(db, "device.battery_low") == 2


def test_the_same_message_twice_is_stored_once(db: Session) -> None:
    device = _device(db)
    message = message_of(
        device, NOW, message_id="sos-1", kind=MessageKind.SIGNAL, signal=Signal.SOS
    )
    first = ingestion.accept(db, device, message, channel=Channel.MQTT, now=NOW, limits=LIMITS)
    again = ingestion.accept(db, device, message, channel=Channel.MQTT, now=NOW, limits=LIMITS)
    assert (first.status, again.status) == (Status.STORED, Status.DUPLICATE)
    assert _count(db, DeviceMessage) == 1


@pytest.mark.parametrize(
    ("sent_at", "reason"),
    [
        (datetime(2099, 1, 1, tzinfo=UTC), Reason.FUTURE_TIMESTAMP),
        (NOW + timedelta(minutes=6), Reason.FUTURE_TIMESTAMP),
        (NOW - timedelta(hours=73), Reason.TOO_OLD),
    ],
)
def test_messages_out_of_time_are_refused_before_anything_is_written(
    db: Session, sent_at: datetime, reason: Reason
) -> None:
    device = _device(db)
    message = message_of(device, sent_at, kind=MessageKind.SIGNAL, signal=Signal.SOS)
    with pytest.raises(Rejected) as caught:
        ingestion.accept(db, device, message, channel=Channel.MQTT, now=NOW, limits=LIMITS)
    assert caught.value.reason is reason and caught.value.device_id == device.id
    db.expire_all()
    assert _count(db, DeviceMessage) == 0 and db.get_one(Device, device.id).last_seen_at is None


def test_unknown_retired_and_unauthenticated_devices_are_refused(db: Session) -> None:
    device = _device(db, identity="861111111111111")
    assert ingestion.find_device(db, "imei", "861111111111111").id == device.id
    with pytest.raises(Rejected) as unknown:
        ingestion.find_device(db, "imei", "000")
    assert unknown.value.reason is Reason.UNKNOWN_DEVICE
    tree = make_tree(db)
    make_device(db, tree.comm_a2, identity="862222222222222", status="retired")
    with pytest.raises(Rejected) as retired:
        ingestion.find_device(db, "imei", "862222222222222")
    assert retired.value.reason is Reason.RETIRED_DEVICE
    ingestion.check_token(device, TOKEN)
    for token in (None, "", "device-token-0002"):
        with pytest.raises(Rejected) as bad:
            ingestion.check_token(device, token)
        assert bad.value.reason is Reason.BAD_TOKEN
    keyless = make_device(db, tree.comm_a2, token=None)
    with pytest.raises(Rejected):
        ingestion.check_token(keyless, TOKEN)
