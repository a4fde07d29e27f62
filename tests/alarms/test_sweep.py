"""The worker's sweep: offline devices, no motion or door opening for a day, almost no water
for 12 hours; once per cause, cleared when life shows again, nothing for an elder away."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alarms.helpers import make_device, make_home, message
from tests.builders import make_elder, make_tree
from tests.conftest import FakeClock
from yiyang.alarms import rule_repository, tasks
from yiyang.alarms.intake import take
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.config import Settings
from yiyang.devices.kinds import DeviceKind
from yiyang.devices.models import Device
from yiyang.protocols.message import DeviceMessage
from yiyang.protocols.vocabulary import Metric, Signal
from yiyang.registry.elders.models import Elder


def _elder(db: Session, name: str = "王秀英") -> Elder:
    return make_elder(db, make_tree(db).comm_a1, name=name)


def _take(db: Session, device: Device, msg: DeviceMessage, now: datetime, s: Settings) -> None:
    take(
        db,
        device,
        msg,
        resident_ids=rule_repository.resident_ids(db, device.home_id),
        now=now,
        settings=s,
    )


def _alarms(db: Session, type_: AlarmType) -> list[Alarm]:
    return list(db.scalars(select(Alarm).where(Alarm.type == type_).order_by(Alarm.id)))


def test_a_device_silent_for_two_heartbeats_plus_grace_goes_offline_once_and_comes_back(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = _elder(db)
    band = make_device(db, DeviceKind.VITALS_BAND, elder=elder, installed_at=clock.now)  # 120 s
    quiet = make_device(db, DeviceKind.PULL_CORD, home=make_home(db, elder), installed_at=clock.now)
    clock.advance(seconds=2 * 120 + settings.alarm_offline_grace_seconds)
    assert tasks.sweep(db, clock.now, settings).offline == []  # exactly at the limit: not yet
    clock.advance(seconds=1)
    result = tasks.sweep(db, clock.now, settings)
    assert result.offline == [band.id]  # the pull cord's heartbeat is 300 s: still in time
    assert band.online is False and quiet.online is True
    [alarm] = _alarms(db, AlarmType.DEVICE_OFFLINE)
    assert (alarm.originator, alarm.elder_id, alarm.device_id) == (
        f"device:{band.id}",
        elder.id,
        band.id,
    )
    clock.advance(minutes=30)
    tasks.sweep(db, clock.now, settings)
    db.refresh(alarm)
    assert alarm.repeats == 0 and len(_alarms(db, AlarmType.DEVICE_OFFLINE)) == 2  # + the cord
    band.last_seen_at = clock.now
    _take(db, band, message(clock.now), clock.now, settings)
    db.refresh(alarm)
    assert alarm.cleared_at == clock.now  # (the gateway marks the device online itself)


def test_no_motion_for_a_day_raises_once_and_motion_clears_it(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = _elder(db)
    home = make_home(db, elder)
    sensor = make_device(db, DeviceKind.MOTION_SENSOR, home=home, installed_at=clock.now)
    _take(db, sensor, message(clock.now, signal=Signal.MOTION), clock.now, settings)
    clock.advance(hours=23, minutes=59)
    assert tasks.sweep(db, clock.now, settings).raised == {}
    clock.advance(minutes=2)
    result = tasks.sweep(db, clock.now, settings)
    [alarm] = _alarms(db, AlarmType.NO_MOTION)
    assert result.raised == {"motion": [alarm.id]} and alarm.elder_id == elder.id
    clock.advance(hours=2)
    assert tasks.sweep(db, clock.now, settings).raised == {}  # once
    _take(db, sensor, message(clock.now, signal=Signal.MOTION), clock.now, settings)
    db.refresh(alarm)
    assert alarm.cleared_at == clock.now


def test_a_door_sensor_that_never_opened_counts_from_its_installation(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    home = make_home(db, _elder(db))
    make_device(db, DeviceKind.DOOR_SENSOR, home=home, installed_at=clock.now - timedelta(hours=25))
    tasks.sweep(db, clock.now, settings)
    assert len(_alarms(db, AlarmType.NO_DOOR)) == 1


def test_an_elder_away_gets_no_inactivity_alarm(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = _elder(db)
    elder.away_until = clock.now + timedelta(days=3)
    sensor = make_device(
        db,
        DeviceKind.MOTION_SENSOR,
        home=make_home(db, elder),
        installed_at=clock.now - timedelta(days=2),
    )
    result = tasks.sweep(db, clock.now, settings)
    assert result.away == [sensor.id] and _alarms(db, AlarmType.NO_MOTION) == []
    clock.advance(days=4)  # back home, and still nothing moves
    tasks.sweep(db, clock.now, settings)
    assert len(_alarms(db, AlarmType.NO_MOTION)) == 1


def test_a_second_sensor_that_saw_movement_keeps_the_home_quiet(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    home = make_home(db, _elder(db))
    make_device(db, DeviceKind.MOTION_SENSOR, home=home, installed_at=clock.now - timedelta(days=2))
    kitchen = make_device(
        db, DeviceKind.MOTION_SENSOR, home=home, installed_at=clock.now - timedelta(days=2)
    )
    _take(db, kitchen, message(clock.now, signal=Signal.MOTION), clock.now, settings)
    tasks.sweep(db, clock.now, settings)
    assert _alarms(db, AlarmType.NO_MOTION) == []


def test_a_water_meter_almost_still_for_12_hours_raises(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = _elder(db)
    meter = make_device(
        db, DeviceKind.WATER_METER, home=make_home(db, elder), installed_at=clock.now
    )
    start = clock.now
    for hour, m3 in enumerate([12.300, 12.420, 12.421, 12.423, 12.425]):
        at = start + timedelta(hours=hour)
        _take(db, meter, message(at, readings={Metric.WATER_M3: m3}), at, settings)
    # 0.12 m³ ran some time in the first hour, 5 litres since: 12 hours after the reading
    # before it, the last 12 hours hold less than 0.01 m³.
    clock.now = start + timedelta(hours=12)
    assert tasks.sweep(db, clock.now, settings).raised == {}
    clock.now = start + timedelta(hours=12, minutes=1)
    result = tasks.sweep(db, clock.now, settings)
    [alarm] = _alarms(db, AlarmType.LOW_WATER_USE)
    assert result.raised == {"water": [alarm.id]} and alarm.elder_id == elder.id
    at = clock.now
    _take(db, meter, message(at, readings={Metric.WATER_M3: 12.480}), at, settings)
    db.refresh(alarm)
    assert alarm.cleared_at == at


def test_elders_away_do_not_crowd_the_others_out_of_a_sweep_batch(
    db: Session, clock: FakeClock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks, "BATCH", 2)
    old = clock.now - timedelta(days=5)
    for name in ("赵一", "钱二"):
        away = _elder(db, name)
        away.away_until = clock.now + timedelta(days=7)
        make_device(db, DeviceKind.MOTION_SENSOR, home=make_home(db, away), installed_at=old)
    tasks.sweep(db, clock.now, settings)  # the two away ones are put off for an hour
    at_home = _elder(db, "孙三")
    later = old + timedelta(hours=1)
    make_device(db, DeviceKind.MOTION_SENSOR, home=make_home(db, at_home), installed_at=later)
    clock.advance(minutes=1)
    tasks.sweep(db, clock.now, settings)
    [alarm] = _alarms(db, AlarmType.NO_MOTION)
    assert alarm.elder_id == at_home.id
