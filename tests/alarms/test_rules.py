"""The alarm rules as decisions with their reasons: thresholds, readings in a row, windows,
silence, stale readings, clearing; bed exit at night; inactivity and water use; offline,
battery, device reset, the service button (pure, no database, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from yiyang.alarms.kinds import AlarmType, Severity
from yiyang.alarms.rules import (
    Action,
    Limits,
    Override,
    ReadingRule,
    ReadingState,
    Reason,
    battery,
    bed_exit,
    bed_exit_due,
    classify,
    in_window,
    inactivity,
    judge_reading,
    offline,
    on_reset,
    rule_for,
    service_press,
    track_water,
)
from yiyang.devices.kinds import DeviceKind
from yiyang.protocols.vocabulary import Metric

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 12:00 in Zhengzhou
NOON = time(12, 0)
BAND = DeviceKind.VITALS_BAND


def _pulse_rule(**kw: object) -> ReadingRule:
    rule = rule_for(BAND, Metric.HEART_RATE)
    assert rule is not None
    from dataclasses import replace

    return replace(rule, **kw)  # type: ignore[arg-type]


def _feed(
    rule: ReadingRule, values: list[float], *, every_s: int = 30, state: ReadingState | None = None
) -> list[tuple[Action, Reason]]:
    """Feed readings `every_s` apart, each judged as it arrives; the actions and reasons."""
    st = state or ReadingState()
    out = []
    for i, value in enumerate(values):
        at = NOW + timedelta(seconds=every_s * i)
        d = judge_reading(rule, st, value, sent_at=at, now=at + timedelta(seconds=2), local=NOON)
        st = d.state
        out.append((d.action, d.reason))
    return out


# Thresholds (DOMAIN.md §7 defaults) -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (119, None),
        (120, (AlarmType.HEART_RATE_HIGH, Severity.MAJOR)),
        (139, (AlarmType.HEART_RATE_HIGH, Severity.MAJOR)),
        (140, (AlarmType.HEART_RATE_HIGH, Severity.CRITICAL)),
        (61, None),
        (60, (AlarmType.HEART_RATE_LOW, Severity.MAJOR)),
        (51, (AlarmType.HEART_RATE_LOW, Severity.MAJOR)),
        (50, (AlarmType.HEART_RATE_LOW, Severity.CRITICAL)),
    ],
)
def test_heart_rate_limits_are_the_domain_defaults(
    value: float, expected: tuple[AlarmType, Severity] | None
) -> None:
    rule = rule_for(BAND, Metric.HEART_RATE)
    assert rule is not None
    assert classify(value, rule.limits, Metric.HEART_RATE) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (37.4, None),
        (37.5, (AlarmType.TEMPERATURE_HIGH, Severity.MAJOR)),
        (38.5, (AlarmType.TEMPERATURE_HIGH, Severity.CRITICAL)),
        (35.0, None),  # a cold reading is no fever, and no low-temperature alarm exists
    ],
)
def test_temperature_major_at_37_5_and_critical_at_38_5(
    value: float, expected: tuple[AlarmType, Severity] | None
) -> None:
    rule = rule_for(BAND, Metric.TEMPERATURE)
    assert rule is not None
    assert classify(value, rule.limits, Metric.TEMPERATURE) == expected


def test_blood_pressure_demo_defaults_high_and_low() -> None:
    sys_rule, dia_rule = rule_for(BAND, Metric.SYSTOLIC), rule_for(BAND, Metric.DIASTOLIC)
    assert sys_rule is not None and dia_rule is not None
    assert classify(165, sys_rule.limits, Metric.SYSTOLIC) == (
        AlarmType.BLOOD_PRESSURE_HIGH,
        Severity.MAJOR,
    )
    assert classify(185, sys_rule.limits, Metric.SYSTOLIC)[1] == Severity.CRITICAL  # type: ignore[index]
    assert classify(85, sys_rule.limits, Metric.SYSTOLIC) == (
        AlarmType.BLOOD_PRESSURE_LOW,
        Severity.MAJOR,
    )
    assert classify(130, sys_rule.limits, Metric.SYSTOLIC) is None
    assert classify(112, dia_rule.limits, Metric.DIASTOLIC) == (
        AlarmType.BLOOD_PRESSURE_HIGH,
        Severity.CRITICAL,
    )
    assert classify(50, dia_rule.limits, Metric.DIASTOLIC) is None  # no low diastolic rule


def test_a_sleeping_pulse_of_55_on_the_mattress_is_normal_but_on_the_band_it_is_low() -> None:
    mattress = rule_for(DeviceKind.SMART_MATTRESS, Metric.HEART_RATE)
    band = rule_for(BAND, Metric.HEART_RATE)
    assert mattress is not None and band is not None
    assert classify(55, mattress.limits, Metric.HEART_RATE) is None
    assert classify(55, band.limits, Metric.HEART_RATE) == (
        AlarmType.HEART_RATE_LOW,
        Severity.MAJOR,
    )


def test_a_metric_a_kind_does_not_watch_has_no_rule() -> None:
    assert rule_for(DeviceKind.SMART_MATTRESS, Metric.RESPIRATION) is None
    assert rule_for(BAND, Metric.SPO2) is None
    assert rule_for(DeviceKind.PULL_CORD, Metric.HEART_RATE) is None


def test_an_elders_own_limits_replace_the_defaults_and_keep_unset_fields() -> None:
    own = Override(Limits(major_high=110, critical_high=130, major_low=55, critical_low=45))
    rule = rule_for(BAND, Metric.HEART_RATE, own)
    assert rule is not None
    assert classify(115, rule.limits, Metric.HEART_RATE) == (
        AlarmType.HEART_RATE_HIGH,
        Severity.MAJOR,
    )
    assert classify(58, rule.limits, Metric.HEART_RATE) is None
    assert rule.consecutive == 2  # the default, not overridden
    assert rule.silence == timedelta(minutes=30)


# Limits that make no sense ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (Limits(), "no_limit"),
        (Limits(major_high=100, major_low=100), "low_not_below_high"),
        (Limits(major_high=90, major_low=120), "low_not_below_high"),
        (Limits(major_high=120, critical_high=110), "critical_high_below_major"),
        (Limits(major_low=60, critical_low=65), "critical_low_above_major"),
        (Limits(major_high=120, critical_high=140, major_low=60, critical_low=50), None),
        (Limits(critical_high=38.5), None),
    ],
)
def test_nonsense_limits_are_named(limits: Limits, problem: str | None) -> None:
    assert limits.problem() == problem


# Readings in a row, silence, stale, clearing --------------------------------------------------


def test_one_high_pulse_is_counted_and_the_second_in_a_row_fires() -> None:
    assert _feed(_pulse_rule(), [125, 126]) == [
        (Action.NONE, Reason.COUNTING),
        (Action.RAISE, Reason.CROSSED),
    ]


def test_a_normal_reading_in_between_starts_the_count_again() -> None:
    assert _feed(_pulse_rule(), [125, 80, 126, 127]) == [
        (Action.NONE, Reason.COUNTING),
        (Action.NONE, Reason.NORMAL),
        (Action.NONE, Reason.COUNTING),
        (Action.RAISE, Reason.CROSSED),
    ]


def test_after_firing_the_silence_period_keeps_it_quiet_then_it_fires_again() -> None:
    rule = _pulse_rule(consecutive=1, silence=timedelta(minutes=10))
    results = _feed(rule, [125] * 22, every_s=30)  # 10.5 minutes of high readings
    assert results[0] == (Action.RAISE, Reason.CROSSED)
    assert set(results[1:20]) == {(Action.NONE, Reason.SILENCED)}
    assert results[20] == (Action.RAISE, Reason.CROSSED)  # 10 minutes after the first


def test_getting_worse_inside_the_silence_period_fires_at_once() -> None:
    rule = _pulse_rule(consecutive=1)
    assert _feed(rule, [125, 128, 145]) == [
        (Action.RAISE, Reason.CROSSED),
        (Action.NONE, Reason.SILENCED),
        (Action.RAISE, Reason.WORSE),
    ]


def test_back_to_normal_clears_the_alarm_it_raised() -> None:
    rule = _pulse_rule(consecutive=1)
    st = ReadingState()
    for value in (130,):
        st = judge_reading(rule, st, value, sent_at=NOW, now=NOW, local=NOON).state
    later = NOW + timedelta(seconds=30)
    d = judge_reading(rule, st, 80, sent_at=later, now=later, local=NOON)
    assert (d.action, d.reason, d.alarm_type) == (
        Action.CLEAR,
        Reason.BACK_TO_NORMAL,
        AlarmType.HEART_RATE_HIGH,
    )
    assert d.state.fired_type is None and d.state.consecutive == 0


def test_a_normal_reading_without_an_alarm_clears_nothing() -> None:
    assert _feed(_pulse_rule(), [80]) == [(Action.NONE, Reason.NORMAL)]


def test_a_reading_older_than_60_seconds_is_not_evaluated_and_changes_nothing() -> None:
    rule = _pulse_rule(consecutive=1)
    d = judge_reading(
        rule, ReadingState(), 150, sent_at=NOW, now=NOW + timedelta(seconds=61), local=NOON
    )
    assert (d.action, d.reason) == (Action.NONE, Reason.STALE)
    assert d.state == ReadingState()


def test_a_reading_exactly_60_seconds_old_is_still_evaluated() -> None:
    rule = _pulse_rule(consecutive=1)
    d = judge_reading(
        rule, ReadingState(), 150, sent_at=NOW, now=NOW + timedelta(seconds=60), local=NOON
    )
    assert (d.action, d.reason) == (Action.RAISE, Reason.CROSSED)


def test_a_reading_older_than_one_already_judged_is_ignored() -> None:
    rule = _pulse_rule()
    st = judge_reading(rule, ReadingState(), 125, sent_at=NOW, now=NOW, local=NOON).state
    earlier = NOW - timedelta(seconds=5)
    d = judge_reading(rule, st, 126, sent_at=earlier, now=NOW, local=NOON)
    assert (d.action, d.reason) == (Action.NONE, Reason.OUT_OF_ORDER)
    assert d.state.consecutive == 1


def test_from_too_high_to_too_low_clears_the_high_alarm_and_counts_afresh() -> None:
    rule = _pulse_rule()
    st = ReadingState()
    seen = []
    for i, value in enumerate([125, 125, 55, 55]):
        at = NOW + timedelta(seconds=30 * i)
        d = judge_reading(rule, st, value, sent_at=at, now=at, local=NOON)
        st = d.state
        seen.append((d.action, d.reason, d.alarm_type, d.also_clear))
    high, low = AlarmType.HEART_RATE_HIGH, AlarmType.HEART_RATE_LOW
    assert seen == [
        (Action.NONE, Reason.COUNTING, high, None),
        (Action.RAISE, Reason.CROSSED, high, None),
        (Action.NONE, Reason.COUNTING, low, high),
        (Action.RAISE, Reason.CROSSED, low, None),  # not silenced by the high alarm's period
    ]


def test_high_then_low_readings_alternating_never_make_a_run() -> None:
    assert _feed(_pulse_rule(), [125, 55, 125, 55]) == [(Action.NONE, Reason.COUNTING)] * 4


# Daily window ---------------------------------------------------------------------------------


def test_outside_the_daily_window_an_abnormal_reading_does_not_fire() -> None:
    rule = _pulse_rule(consecutive=1, window=(time(8, 0), time(20, 0)))
    d = judge_reading(rule, ReadingState(), 150, sent_at=NOW, now=NOW, local=time(21, 30))
    assert (d.action, d.reason) == (Action.NONE, Reason.OUTSIDE_WINDOW)
    d = judge_reading(rule, ReadingState(), 150, sent_at=NOW, now=NOW, local=time(9, 0))
    assert (d.action, d.reason) == (Action.RAISE, Reason.CROSSED)


def test_a_window_may_wrap_past_midnight() -> None:
    night = (time(22, 0), time(6, 0))
    assert in_window(night, time(23, 0)) and in_window(night, time(5, 59))
    assert not in_window(night, time(6, 0)) and not in_window(night, time(12, 0))
    assert in_window(None, time(3, 0))


def test_outside_the_window_a_value_back_to_normal_still_clears() -> None:
    rule = _pulse_rule(consecutive=1, window=(time(8, 0), time(20, 0)))
    st = judge_reading(rule, ReadingState(), 150, sent_at=NOW, now=NOW, local=time(19, 59)).state
    later = NOW + timedelta(seconds=30)
    d = judge_reading(rule, st, 80, sent_at=later, now=later, local=time(20, 0))
    assert (d.action, d.reason) == (Action.CLEAR, Reason.BACK_TO_NORMAL)


# Bed exit at night ----------------------------------------------------------------------------


def test_getting_up_at_night_starts_the_watch_by_day_it_is_nothing() -> None:
    assert bed_exit(time(2, 30)).reason is Reason.NOT_BACK
    assert bed_exit(time(2, 30)).action is Action.RAISE
    assert (bed_exit(time(14, 0)).action, bed_exit(time(14, 0)).reason) == (
        Action.NONE,
        Reason.DAYTIME,
    )


def test_not_back_in_bed_within_20_minutes_raises() -> None:
    v = bed_exit_due(NOW, NOW, NOW + timedelta(minutes=20))
    assert (v.action, v.reason) == (Action.RAISE, Reason.NOT_BACK)


def test_back_in_bed_before_the_watch_ends_raises_nothing() -> None:
    v = bed_exit_due(None, NOW, NOW + timedelta(minutes=20))
    assert (v.action, v.reason) == (Action.NONE, Reason.BACK_IN_BED)


def test_an_older_watch_ending_after_a_new_exit_leaves_the_new_one_alone() -> None:
    newer = NOW + timedelta(minutes=15)
    v = bed_exit_due(newer, NOW, NOW + timedelta(minutes=20))
    assert (v.action, v.reason) == (Action.NONE, Reason.BACK_IN_BED)


# Passive monitoring ---------------------------------------------------------------------------


def test_no_motion_for_24_hours_raises_once() -> None:
    last = NOW - timedelta(hours=24, minutes=1)
    v = inactivity(last, now=NOW, away_until=None, fired=False)
    assert (v.action, v.reason) == (Action.RAISE, Reason.INACTIVE)
    v = inactivity(last, now=NOW, away_until=None, fired=True)
    assert (v.action, v.reason) == (Action.NONE, Reason.ALREADY_FIRED)


def test_motion_23_hours_ago_is_recent_enough() -> None:
    v = inactivity(NOW - timedelta(hours=23), now=NOW, away_until=None, fired=False)
    assert (v.action, v.reason) == (Action.NONE, Reason.ACTIVE)


def test_an_elder_away_at_her_daughters_gets_no_inactivity_alarm() -> None:
    v = inactivity(
        NOW - timedelta(days=3), now=NOW, away_until=NOW + timedelta(days=2), fired=False
    )
    assert (v.action, v.reason) == (Action.NONE, Reason.AWAY)


def test_once_the_time_away_is_over_the_quiet_home_raises_again() -> None:
    v = inactivity(
        NOW - timedelta(days=3), now=NOW, away_until=NOW - timedelta(hours=1), fired=False
    )
    assert (v.action, v.reason) == (Action.RAISE, Reason.INACTIVE)


def test_water_meter_quiet_stretch_starts_where_the_last_10_litres_were_used() -> None:
    t0 = NOW - timedelta(hours=14)
    track = track_water(None, t0, 100.000)
    track = track_water(track, t0 + timedelta(hours=1), 100.050)  # a bath: 50 litres
    track = track_water(track, t0 + timedelta(hours=2), 100.052)
    track = track_water(track, t0 + timedelta(hours=13), 100.055)
    # Less than 0.01 m³ since 100.050; the bath ran some time after t0, the last reading
    # before it: the quiet stretch is counted from there.
    assert track.used_since == t0
    assert NOW - track.used_since > timedelta(hours=12)
    v = inactivity(
        track.used_since, now=NOW, away_until=None, fired=False, period=timedelta(hours=12)
    )
    assert v.action is Action.RAISE


def test_water_use_of_10_litres_moves_the_quiet_stretch_forward() -> None:
    t0 = NOW - timedelta(hours=5)
    track = track_water(None, t0, 7.0)
    track = track_water(track, t0 + timedelta(hours=1), 7.004)
    assert track.used_since == t0  # only 4 litres so far: quiet since the first reading
    track = track_water(track, t0 + timedelta(hours=2), 7.011)
    assert track.used_since == t0  # 11 litres since t0, under 10 since any later reading
    track = track_water(track, t0 + timedelta(hours=3), 7.030)
    assert track.used_since == t0 + timedelta(hours=2)  # 19 litres since 7.011


def test_a_quiet_meter_keeps_few_samples() -> None:
    track = track_water(None, NOW, 1.0)
    for i in range(1, 500):
        track = track_water(track, NOW + timedelta(minutes=5 * i), 1.0)
    assert len(track.samples) <= 2 and track.used_since == NOW


def test_a_meter_running_backwards_starts_afresh() -> None:
    track = track_water(None, NOW, 50.0)
    track = track_water(track, NOW + timedelta(hours=1), 0.2)  # replaced
    assert track.since == NOW + timedelta(hours=1) and track.used_since == track.since


# Offline, battery, reset, service button -----------------------------------------------------


def test_offline_after_two_missed_heartbeats_plus_grace() -> None:
    grace = timedelta(seconds=60)
    seen = NOW - timedelta(seconds=2 * 120 + 60)
    assert offline(seen, 120, grace, NOW).action is Action.NONE  # exactly at the limit
    v = offline(seen - timedelta(seconds=1), 120, grace, NOW)
    assert (v.action, v.reason) == (Action.RAISE, Reason.OFFLINE)
    assert offline(None, 120, grace, NOW).reason is Reason.ONLINE  # never seen: not "offline"


def test_low_battery_once_until_recharged() -> None:
    assert battery(18, low_pct=20, fired=False).action is Action.RAISE
    assert battery(15, low_pct=20, fired=True).reason is Reason.ALREADY_FIRED
    assert battery(25, low_pct=20, fired=True).reason is Reason.BATTERY_OK  # not yet recharged
    v = battery(95, low_pct=20, fired=True)
    assert (v.action, v.reason) == (Action.CLEAR, Reason.RECHARGED)
    assert battery(95, low_pct=20, fired=False).action is Action.NONE


@pytest.mark.parametrize("type_", [AlarmType.SOS, AlarmType.FALL])
def test_a_reset_never_clears_an_sos_or_fall_nobody_handled(type_: AlarmType) -> None:
    v = on_reset(type_, acknowledged=False)
    assert (v.action, v.reason) == (Action.NONE, Reason.NEEDS_A_PERSON)
    assert on_reset(type_, acknowledged=True).action is Action.CLEAR


def test_a_reset_clears_a_wet_mattress_or_tamper_alarm() -> None:
    for type_ in (AlarmType.BED_WET, AlarmType.TAMPER, AlarmType.LOW_BATTERY):
        assert on_reset(type_, acknowledged=False).reason is Reason.RESET_CLEARS


def test_service_button_press_orders_and_a_second_press_soon_after_does_not() -> None:
    assert service_press(None, NOW, 7).reason is Reason.ORDERED
    assert service_press(NOW, NOW + timedelta(minutes=3), 7).reason is Reason.REPEAT_PRESS
    assert service_press(NOW, NOW + timedelta(minutes=11), 7).reason is Reason.ORDERED
    assert service_press(None, NOW, None).reason is Reason.NO_ELDER
