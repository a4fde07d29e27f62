"""Pure visit rules: geofence with accuracy, timing, short visits, corrections, EVV, settlement."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest

from yiyang.visits import rules
from yiyang.visits.rules import (
    EvvRecord,
    GeofenceFlag,
    VisitPolicy,
)

HOME = (34.8005, 113.6720)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    """A point `metres` due north (one degree of latitude ≈ 111.195 km)."""
    return point[0] + metres / (6_371_008.8 * math.pi / 180), point[1]


# ---------------------------------------------------------------- geofence


def test_inside_radius_is_not_flagged() -> None:
    result = rules.check_geofence(HOME, north_of(HOME, 100), 10, 150)
    assert not result.flagged
    assert result.distance_m == pytest.approx(100, abs=0.5)


def test_outside_radius_is_flagged_outside() -> None:
    result = rules.check_geofence(HOME, north_of(HOME, 400), 10, 150)
    assert result.flag is GeofenceFlag.OUTSIDE


def test_accuracy_is_given_the_benefit_of_the_doubt() -> None:
    # 180 m away, 50 m accuracy: the fix could be 130 m away, inside 150 m.
    assert not rules.check_geofence(HOME, north_of(HOME, 180), 50, 150).flagged
    # 180 m away, 20 m accuracy: at best 160 m, outside.
    assert rules.check_geofence(HOME, north_of(HOME, 180), 20, 150).flag is GeofenceFlag.OUTSIDE


def test_poor_accuracy_is_flagged_as_such() -> None:
    result = rules.check_geofence(HOME, north_of(HOME, 30), 250, 150)
    assert result.flag is GeofenceFlag.POOR_ACCURACY


def test_far_away_with_poor_accuracy_is_outside_first() -> None:
    result = rules.check_geofence(HOME, north_of(HOME, 2000), 300, 150)
    assert result.flag is GeofenceFlag.OUTSIDE


def test_per_elder_radius_and_default() -> None:
    point = north_of(HOME, 200)
    assert rules.check_geofence(HOME, point, 0, 300).flagged is False
    assert rules.check_geofence(HOME, point, 0, None).radius_m == 150
    assert rules.check_geofence(HOME, point, 0, None).flagged is True
    wide = VisitPolicy(default_geofence_m=250)
    assert rules.check_geofence(HOME, point, 0, None, wide).flagged is False


def test_missing_position_is_flagged() -> None:
    assert rules.check_geofence(HOME, None, None, 150).flag is GeofenceFlag.NO_POSITION


# ---------------------------------------------------------------- QR card


def test_card_code_round_trip_and_tamper() -> None:
    code = rules.elder_card_code(42, "s3cret")
    assert code.startswith("E42.")
    assert rules.card_code_valid(code, 42, "s3cret")
    assert not rules.card_code_valid(code, 43, "s3cret")
    assert not rules.card_code_valid(code, 42, "other")
    assert not rules.card_code_valid(
        code[:-1] + "0" if code[-1] != "0" else code[:-1] + "1", 42, "s3cret"
    )
    assert not rules.card_code_valid("garbage", 42, "s3cret")


# ---------------------------------------------------------------- times


def test_late_and_no_show_times_from_window_start() -> None:
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert rules.late_at(start) == start + timedelta(minutes=15)
    assert rules.no_show_at(start) == start + timedelta(minutes=30)
    custom = VisitPolicy(late_after=timedelta(minutes=10), no_show_after=timedelta(minutes=45))
    assert rules.late_at(start, custom) == start + timedelta(minutes=10)
    assert rules.no_show_at(start, custom) == start + timedelta(minutes=45)


def test_checks_count_from_a_later_acceptance() -> None:
    start = NOW
    assert rules.check_start(start, start - timedelta(hours=2)) == start
    redispatched = start + timedelta(minutes=16)
    assert rules.check_start(start, redispatched) == redispatched
    assert rules.late_at(rules.check_start(start, redispatched)) == start + timedelta(minutes=31)


def test_punctuality() -> None:
    start = NOW
    assert rules.punctuality(start, start + timedelta(minutes=14), NOW) == "on_time"
    assert rules.punctuality(start, start + timedelta(minutes=15), NOW) == "late"
    assert rules.punctuality(start, start + timedelta(minutes=50), NOW) == "late"
    assert rules.punctuality(start, None, start + timedelta(minutes=20)) == "late"
    assert rules.punctuality(start, None, start + timedelta(minutes=30)) == "no_show"
    assert rules.punctuality(start, None, start + timedelta(minutes=5)) == "expected"


def test_check_out_before_check_in_is_refused() -> None:
    problem = rules.check_out_problem(None, NOW)
    assert problem is not None and problem.code == "not_checked_in"
    problem = rules.check_out_problem(NOW, NOW - timedelta(minutes=1))
    assert problem is not None and problem.code == "before_check_in"
    assert rules.check_out_problem(NOW, NOW + timedelta(minutes=40)) is None


def test_duration_minutes_rounds_down() -> None:
    assert rules.duration_minutes(NOW, NOW + timedelta(minutes=29, seconds=59)) == 29


def test_short_visit_needs_a_reason() -> None:
    problem = rules.short_visit_problem(20, 60, None, None)
    assert problem is not None and problem.code == "short_visit"
    assert problem.params == {"minutes": 20, "minimum": 30}
    assert rules.short_visit_problem(20, 60, "tasks_done", None) is None
    assert rules.short_visit_problem(30, 60, None, None) is None
    bad = rules.short_visit_problem(20, 60, "bored", None)
    assert bad is not None and bad.code == "unknown_reason"
    other = rules.short_visit_problem(20, 60, "other_with_note", "  ")
    assert other is not None and other.code == "note_required"
    assert rules.short_visit_problem(20, 60, "other_with_note", "elder went to hospital") is None


def test_a_service_meant_to_be_short_uses_its_own_standard() -> None:
    # Meal delivery is a 20-minute service: 20 minutes needs no reason, 10 does.
    assert rules.min_visit_minutes(20) == 20
    assert rules.short_visit_problem(20, 20, None, None) is None
    assert rules.short_visit_problem(10, 20, None, None) is not None
    assert rules.min_visit_minutes(None) == 30


# ---------------------------------------------------------------- checklist and corrections


def test_checklist_by_category_and_unknown_items() -> None:
    items = rules.checklist_for("health")
    assert "vitals_measured" in items
    assert rules.checklist_for("nonexistent") == rules.DEFAULT_CHECKLIST
    assert rules.checklist_problems(items, {"vitals_measured": True}) == []
    problems = rules.checklist_problems(items, {"juggling": True})
    assert [p.field for p in problems] == ["items.juggling"]


def test_correction_needs_a_listed_reason() -> None:
    at = NOW - timedelta(hours=1)
    codes = {p.code for p in rules.correction_problems("check_in_at", None, None, at, None, NOW)}
    assert codes == {"required"}
    codes = {p.code for p in rules.correction_problems("check_in_at", "whim", None, at, None, NOW)}
    assert codes == {"unknown_reason"}
    assert rules.correction_problems("check_in_at", "device_failure", None, at, None, NOW) == []
    note = rules.correction_problems("check_in_at", "other_with_note", "", at, None, NOW)
    assert [p.field for p in note] == ["note"]


def test_correction_times_must_make_sense() -> None:
    problems = rules.correction_problems(
        "check_in_at", "device_failure", None, NOW + timedelta(minutes=5), None, NOW
    )
    assert [p.code for p in problems] == ["future"]
    problems = rules.correction_problems(
        "check_out_at", "forgot_to_check_out", None, NOW - timedelta(hours=2),
        NOW - timedelta(hours=1), NOW,
    )  # fmt: skip
    assert [p.code for p in problems] == ["before_check_in"]
    problems = rules.correction_problems("notes", "device_failure", None, NOW, None, NOW)
    assert [p.code for p in problems] == ["not_correctable"]


# ---------------------------------------------------------------- EVV


def test_evv_record_has_the_six_facts() -> None:
    start = datetime(2026, 11, 23, 1, 5, tzinfo=UTC)
    record = EvvRecord(
        order_id=1, service_code="bathing", service_name="助浴", elder_id=7, elder_name="王秀英",
        visit_date=rules.visit_date(start), place="文化路 1 号", lat=HOME[0], lon=HOME[1],
        caregiver_id=3, caregiver_name="李娟", start_at=start, end_at=start + timedelta(hours=1),
    )  # fmt: skip
    assert record.complete and rules.evv_missing(record) == []
    row = dict(zip(rules.EVV_HEADERS, rules.evv_row(record), strict=True))
    assert row["visit_date"] == "2026-11-23"
    assert row["start_at"] == "2026-11-23 09:05:00"  # China time
    assert row["end_at"] == "2026-11-23 10:05:00"
    incomplete = EvvRecord(
        order_id=2, service_code="bathing", service_name="助浴", elder_id=7, elder_name="王",
        visit_date=None, place="", lat=None, lon=None, caregiver_id=None, caregiver_name="",
        start_at=None, end_at=None,
    )  # fmt: skip
    assert rules.evv_missing(incomplete) == ["date", "place", "caregiver", "time"]


def test_visit_date_is_the_china_date() -> None:
    late_evening_utc = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # 01:00 on the 23rd in China
    assert rules.visit_date(late_evening_utc) == date(2026, 11, 23)


# ---------------------------------------------------------------- continuity


def test_continuity_counts_distinct_caregivers_in_30_days() -> None:
    day = timedelta(days=1)
    visits = [
        (1, 10, NOW - 1 * day),
        (1, 10, NOW - 2 * day),
        (1, 11, NOW - 3 * day),
        (1, 12, NOW - 31 * day),  # too old
        (2, 10, NOW - 5 * day),
    ]
    assert rules.continuity(visits, NOW) == {1: 2, 2: 1}
    assert rules.continuity(visits, NOW, days=40) == {1: 3, 2: 1}


# ---------------------------------------------------------------- settlement


def test_month_bounds_are_china_months() -> None:
    start, end = rules.month_bounds("2026-11")
    assert start == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    start, end = rules.month_bounds("2026-12")
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        rules.month_bounds("2026-13")
    with pytest.raises(ValueError):
        rules.month_bounds("november")
