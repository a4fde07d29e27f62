"""Messages judged by the rules with their stored state, through `intake.take`: raise, clear
(the flag, not closed), stale readings, an elder's own limits, battery, reset, bed exit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alarms.helpers import make_device, make_home, message
from tests.builders import make_elder, make_tree, make_user
from tests.conftest import FakeClock
from yiyang.alarms import rule_repository, tasks
from yiyang.alarms.evaluation import BED_EXIT_TIMER
from yiyang.alarms.intake import take
from yiyang.alarms.kinds import AlarmStatus, AlarmType, Severity, StepAction
from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.alarms.rule_models import RuleState
from yiyang.alarms.threshold_schemas import ThresholdIn
from yiyang.alarms.thresholds import set_threshold
from yiyang.config import Settings
from yiyang.devices.kinds import DeviceKind
from yiyang.devices.models import Device
from yiyang.events.models import DomainEventRow
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.protocols.message import DeviceMessage
from yiyang.protocols.vocabulary import Metric, Signal
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role

HR = Metric.HEART_RATE


def _elder(db: Session) -> Elder:
    return make_elder(db, make_tree(db).comm_a1)


def _take(
    db: Session, device: Device, msg: DeviceMessage, now: datetime, s: Settings
) -> list[Alarm]:
    residents = rule_repository.resident_ids(db, device.home_id)
    return take(db, device, msg, resident_ids=residents, now=now, settings=s)


def _steps(db: Session, alarm: Alarm) -> list[str]:
    return list(
        db.scalars(
            select(AlarmStep.action).where(AlarmStep.alarm_id == alarm.id).order_by(AlarmStep.id)
        )
    )


def _state(db: Session, device: Device, key: str) -> RuleState:
    """The stored state as it is now (the intake writes plain rows, not this session's ORM)."""
    found = db.scalar(
        select(RuleState)
        .where(RuleState.owner == f"device:{device.id}", RuleState.rule_key == key)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


def test_two_high_pulses_raise_and_a_normal_one_clears_without_closing(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = _elder(db)
    band = make_device(db, DeviceKind.VITALS_BAND, elder=elder, installed_at=clock.now)
    assert _take(db, band, message(clock.now, readings={HR: 128}), clock.now, settings) == []
    assert _state(db, band, "heart_rate").reason == "counting"
    clock.advance(seconds=30)
    [alarm] = _take(db, band, message(clock.now, readings={HR: 131}), clock.now, settings)
    assert (alarm.type, alarm.severity, alarm.elder_id) == (
        AlarmType.HEART_RATE_HIGH, Severity.MAJOR, elder.id,
    )  # fmt: skip
    assert alarm.detail["value"] == 131 and alarm.detail["consecutive"] == 2
    clock.advance(seconds=30)
    assert _take(db, band, message(clock.now, readings={HR: 82}), clock.now, settings) == []
    db.refresh(alarm)
    assert alarm.cleared_at == clock.now and alarm.closed_at is None
    assert alarm.status == AlarmStatus.QUEUED  # cleared is a flag; a person still closes it
    assert _steps(db, alarm) == [StepAction.RAISED, StepAction.CLEARED]
    events = db.scalars(
        select(DomainEventRow.type).where(DomainEventRow.entity_id == alarm.id)
    ).all()
    assert events[-1] == "alarm.stepped"
    st = _state(db, band, "heart_rate")
    assert (st.fired, st.reason, st.consecutive) == (False, "back_to_normal", 0)


def test_a_reading_older_than_a_minute_is_stored_but_not_judged(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    band = make_device(db, DeviceKind.VITALS_BAND, elder=_elder(db), installed_at=clock.now)
    old = clock.now - timedelta(seconds=90)
    for _ in range(3):
        assert (
            _take(db, band, message(old, readings={Metric.TEMPERATURE: 39.2}), clock.now, settings)
            == []
        )
        old += timedelta(seconds=1)
    st = _state(db, band, "temperature")
    assert (st.reason, st.consecutive, st.last_reading_at) == ("stale", 0, None)


def test_an_elders_own_lower_limit_fires_where_the_default_would_not(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = _elder(db)
    _, operator = make_user(db, Role.OPERATOR)
    set_threshold(
        db, operator, elder.id, "heart_rate",
        ThresholdIn(major_high=105, critical_high=130, major_low=50, consecutive=1), now=clock.now,
    )  # fmt: skip
    band = make_device(db, DeviceKind.VITALS_BAND, elder=elder, installed_at=clock.now)
    [alarm] = _take(db, band, message(clock.now, readings={HR: 110}), clock.now, settings)
    assert alarm.type == AlarmType.HEART_RATE_HIGH
    other = make_elder(db, make_tree(db).comm_a1, name="张桂兰")
    band2 = make_device(db, DeviceKind.VITALS_BAND, elder=other, installed_at=clock.now)
    assert _take(db, band2, message(clock.now, readings={HR: 110}), clock.now, settings) == []


def test_low_battery_once_until_recharged(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = _elder(db)
    button = make_device(db, DeviceKind.WEARABLE_BUTTON, elder=elder, installed_at=clock.now)
    [alarm] = _take(db, button, message(clock.now, battery_pct=15), clock.now, settings)
    assert alarm.type == AlarmType.LOW_BATTERY and alarm.originator == f"device:{button.id}"
    for pct in (14, 12, 25):
        clock.advance(minutes=5)
        assert _take(db, button, message(clock.now, battery_pct=pct), clock.now, settings) == []
    db.refresh(alarm)
    assert alarm.repeats == 0 and alarm.cleared_at is None
    clock.advance(hours=3)
    _take(db, button, message(clock.now, battery_pct=100), clock.now, settings)
    db.refresh(alarm)
    assert alarm.cleared_at == clock.now


def test_a_reset_leaves_an_unhandled_sos_open_and_says_so_but_clears_a_wet_mattress(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    elder = _elder(db)
    home = make_home(db, elder)
    cord = make_device(db, DeviceKind.PULL_CORD, home=home, installed_at=clock.now)
    [sos] = _take(db, cord, message(clock.now, signal=Signal.SOS), clock.now, settings)
    clock.advance(seconds=20)
    assert _take(db, cord, message(clock.now, signal=Signal.RESET), clock.now, settings) == []
    db.refresh(sos)
    assert sos.cleared_at is None and sos.closed_at is None
    assert _steps(db, sos) == [StepAction.RAISED, StepAction.NOTE]
    note = db.scalars(select(AlarmStep).where(AlarmStep.alarm_id == sos.id)).all()[-1]
    assert note.data == {"signal": "reset", "reason": "needs_a_person"}

    mattress = make_device(db, DeviceKind.SMART_MATTRESS, home=home, installed_at=clock.now)
    [wet] = _take(db, mattress, message(clock.now, signal=Signal.BED_WET), clock.now, settings)
    clock.advance(seconds=20)
    _take(db, mattress, message(clock.now, signal=Signal.RESET), clock.now, settings)
    db.refresh(wet)
    assert wet.cleared_at == clock.now and wet.closed_at is None


def test_an_acknowledged_sos_is_cleared_by_a_reset(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    cord = make_device(
        db, DeviceKind.PULL_CORD, home=make_home(db, _elder(db)), installed_at=clock.now
    )
    [sos] = _take(db, cord, message(clock.now, signal=Signal.SOS), clock.now, settings)
    sos.acknowledged_at = clock.advance(seconds=30)
    sos.status = AlarmStatus.ACKNOWLEDGED
    db.flush()
    clock.advance(seconds=30)
    _take(db, cord, message(clock.now, signal=Signal.RESET), clock.now, settings)
    db.refresh(sos)
    assert sos.cleared_at == clock.now and sos.closed_at is None


def _fire_bed_exit(db: Session, now: datetime, settings: Settings) -> None:
    for timer in timers.pending(db, BED_EXIT_TIMER):
        if timer.due_at <= now:
            tasks.bed_exit_due(TimerContext(session=db, now=now, settings=settings), timer)
            timer.fired_at = now


def test_out_of_bed_at_night_and_not_back_in_20_minutes_raises(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    clock.now = datetime.fromisoformat("2026-11-23T02:30:00+08:00")
    elder = _elder(db)
    mattress = make_device(
        db, DeviceKind.SMART_MATTRESS, home=make_home(db, elder), installed_at=clock.now
    )
    assert (
        _take(db, mattress, message(clock.now, signal=Signal.BED_EXIT), clock.now, settings) == []
    )
    [timer] = timers.pending(db, BED_EXIT_TIMER, mattress.id)
    assert timer.due_at == clock.now + timedelta(minutes=settings.alarm_bed_exit_minutes)
    clock.advance(minutes=20)
    _fire_bed_exit(db, clock.now, settings)
    alarm = db.scalar(select(Alarm).where(Alarm.type == AlarmType.BED_EXIT))
    assert alarm is not None and alarm.elder_id == elder.id
    # Back in bed: the mattress feels a pulse again, and the alarm is cleared.
    clock.advance(minutes=3)
    _take(db, mattress, message(clock.now, readings={HR: 66}), clock.now, settings)
    db.refresh(alarm)
    assert alarm.cleared_at == clock.now


def test_back_in_bed_within_the_watch_raises_nothing(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    clock.now = datetime.fromisoformat("2026-11-23T03:00:00+08:00")
    mattress = make_device(
        db, DeviceKind.SMART_MATTRESS, home=make_home(db, _elder(db)), installed_at=clock.now
    )
    _take(db, mattress, message(clock.now, signal=Signal.BED_EXIT), clock.now, settings)
    clock.advance(minutes=8)
    _take(db, mattress, message(clock.now, readings={HR: 64}), clock.now, settings)
    clock.advance(minutes=12)
    _fire_bed_exit(db, clock.now, settings)
    assert db.scalar(select(Alarm).where(Alarm.type == AlarmType.BED_EXIT)) is None
    assert _state(db, mattress, "bed_exit").reason == "back_in_bed"


def test_getting_up_at_noon_starts_no_watch(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    clock.now = datetime.fromisoformat("2026-11-23T12:00:00+08:00")
    mattress = make_device(
        db, DeviceKind.SMART_MATTRESS, home=make_home(db, _elder(db)), installed_at=clock.now
    )
    _take(db, mattress, message(clock.now, signal=Signal.BED_EXIT), clock.now, settings)
    assert timers.pending(db, BED_EXIT_TIMER, mattress.id) == []
    assert _state(db, mattress, "bed_exit").reason == "daytime"


def test_the_mattress_saying_in_bed_clears_a_night_bed_exit_alarm_but_leaves_it_to_a_person(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    """DOMAIN.md §7: cleared (the cause went away) is kept apart from acknowledged and closed:
    the alarm nobody took stays in the queue, marked cleared, until a person closes it."""
    clock.now = datetime.fromisoformat("2026-11-23T01:40:00+08:00")
    mattress = make_device(
        db, DeviceKind.SMART_MATTRESS, home=make_home(db, _elder(db)), installed_at=clock.now
    )
    _take(db, mattress, message(clock.now, signal=Signal.BED_EXIT), clock.now, settings)
    clock.advance(minutes=21)
    _fire_bed_exit(db, clock.now, settings)
    alarm = db.scalar(select(Alarm).where(Alarm.type == AlarmType.BED_EXIT))
    assert alarm is not None and alarm.cleared_at is None
    clock.advance(minutes=4)
    _take(db, mattress, message(clock.now, signal=Signal.IN_BED), clock.now, settings)
    db.refresh(alarm)
    assert alarm.cleared_at == clock.now
    assert alarm.status == AlarmStatus.QUEUED and alarm.acknowledged_at is None
    assert alarm.closed_at is None
    assert _steps(db, alarm)[-1] == StepAction.CLEARED
    st = _state(db, mattress, "bed_exit")
    assert st.fired is False and st.reason == "back_in_bed"
    # a second "in bed" changes nothing; the next night's exit is a new watch
    _take(db, mattress, message(clock.now, signal=Signal.IN_BED), clock.now, settings)
    assert _steps(db, alarm).count(StepAction.CLEARED) == 1


def test_in_bed_within_the_watch_ends_it_without_an_alarm(
    db: Session, clock: FakeClock, settings: Settings
) -> None:
    clock.now = datetime.fromisoformat("2026-11-23T04:10:00+08:00")
    mattress = make_device(
        db, DeviceKind.SMART_MATTRESS, home=make_home(db, _elder(db)), installed_at=clock.now
    )
    _take(db, mattress, message(clock.now, signal=Signal.BED_EXIT), clock.now, settings)
    clock.advance(minutes=6)
    _take(db, mattress, message(clock.now, signal=Signal.IN_BED), clock.now, settings)
    clock.advance(minutes=15)
    _fire_bed_exit(db, clock.now, settings)
    assert db.scalar(select(Alarm).where(Alarm.type == AlarmType.BED_EXIT)) is None
    assert _state(db, mattress, "bed_exit").reason == "back_in_bed"
