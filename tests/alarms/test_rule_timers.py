"""Rule state and timers survive a restart: each step in its own committed transaction, as
ingest and the worker run them; the recurring sweep fires through the timer runner."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.alarms.helpers import make_device, make_home, message
from tests.builders import make_elder, make_tree
from tests.conftest import Live
from yiyang.alarms import rule_repository, tasks
from yiyang.alarms.evaluation import BED_EXIT_TIMER
from yiyang.alarms.intake import take
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.models import Alarm
from yiyang.devices.kinds import DeviceKind
from yiyang.devices.models import Device
from yiyang.jobs import timer_runner, timers
from yiyang.protocols.message import DeviceMessage
from yiyang.protocols.vocabulary import Metric, Signal
from yiyang.worker import ensure_standing_timers

HANDLERS = {tasks.SWEEP: tasks.run_sweep, BED_EXIT_TIMER: tasks.bed_exit_due}


def _ingest(live: Live, device_id: int, msg: DeviceMessage) -> list[str]:
    """One message in its own transaction, as the gateway does; the alarm types raised."""
    with live.factory() as s:
        device = s.get(Device, device_id)
        assert device is not None
        alarms = take(
            s, device, msg, resident_ids=rule_repository.resident_ids(s, device.home_id),
            now=live.clock.now, settings=live.settings,
        )  # fmt: skip
        types = [a.type for a in alarms]
        s.commit()
    return types


def test_a_restart_between_two_high_pulses_still_counts_them(live: Live) -> None:
    with live.factory() as s:
        band = make_device(
            s,
            DeviceKind.VITALS_BAND,
            elder=make_elder(s, make_tree(s).comm_a1),
            installed_at=live.clock.now,
        )
        band_id = band.id
        s.commit()
    assert _ingest(live, band_id, message(live.clock.now, readings={Metric.HEART_RATE: 126})) == []
    live.clock.advance(seconds=30)  # the ingest process restarts here: nothing is in memory
    assert _ingest(live, band_id, message(live.clock.now, readings={Metric.HEART_RATE: 127})) == [
        AlarmType.HEART_RATE_HIGH
    ]


def test_the_standing_sweep_timer_fires_and_raises_offline_and_no_motion(live: Live) -> None:
    clock = live.clock
    with live.factory() as s:
        elder = make_elder(s, make_tree(s).comm_a1)
        home = make_home(s, elder)
        sensor = make_device(
            s, DeviceKind.MOTION_SENSOR, home=home, installed_at=clock.now - timedelta(hours=1)
        )
        band = make_device(s, DeviceKind.VITALS_BAND, elder=elder, installed_at=clock.now)
        sensor_id, band_id = sensor.id, band.id
        s.commit()
    ensure_standing_timers(live.factory, clock, live.settings)
    ensure_standing_timers(live.factory, clock, live.settings)  # a second start adds none
    with live.factory() as s:
        assert len(timers.pending(s, tasks.SWEEP)) == 1
        s.commit()
    assert timer_runner.run_due(live.factory, clock.now, live.settings, handlers=HANDLERS) == 1
    clock.advance(minutes=10)
    _ingest(live, sensor_id, message(clock.now, signal=Signal.MOTION))  # the band says nothing
    clock.advance(hours=24, minutes=1)
    fired = 0
    for _ in range(3):  # the sweep re-arms itself every alarm_sweep_seconds
        fired += timer_runner.run_due(live.factory, clock.now, live.settings, handlers=HANDLERS)
        clock.advance(seconds=live.settings.alarm_sweep_seconds)
    assert fired >= 2
    with live.factory() as s:
        types = sorted(a.type for a in s.scalars(select(Alarm)))
        band = s.get(Device, band_id)
        assert band is not None and band.online is False
        assert len(timers.pending(s, tasks.SWEEP)) == 1
        s.commit()
    # Nothing updated last-seen here (the gateway does that): both devices went silent and
    # offline once each, and the home had no movement for a day.
    assert types.count(AlarmType.NO_MOTION) == 1
    assert types.count(AlarmType.DEVICE_OFFLINE) == 2


def test_a_bed_exit_watch_survives_a_restart_and_fires_from_the_runner(live: Live) -> None:
    live.clock.now = datetime.fromisoformat("2026-11-23T01:40:00+08:00")
    with live.factory() as s:
        mattress = make_device(
            s,
            DeviceKind.SMART_MATTRESS,
            home=make_home(s, make_elder(s, make_tree(s).comm_a1)),
            installed_at=live.clock.now,
        )
        mattress_id = mattress.id
        s.commit()
    _ingest(live, mattress_id, message(live.clock.now, signal=Signal.BED_EXIT))
    live.clock.advance(minutes=21)
    assert timer_runner.run_due(live.factory, live.clock.now, live.settings, handlers=HANDLERS) == 1
    with live.factory() as s:
        alarm = s.scalar(select(Alarm).where(Alarm.type == AlarmType.BED_EXIT))
        assert alarm is not None and alarm.detail["minutes"] == live.settings.alarm_bed_exit_minutes
        s.commit()
