"""Duty hours read from the form and said in words: days off, night shifts, half a shift."""

from __future__ import annotations

from yiyang.alarms.response.duty_rules import hours_per_week, pattern_from_form, runs, week


def test_empty_days_are_off_and_filled_ones_kept() -> None:
    pattern, problems = pattern_from_form({"mon_start": "08:00", "mon_end": "20:00"})
    assert pattern == {"mon": ["08:00", "20:00"]} and problems == []
    assert [s.off for s in week(pattern)] == [False] + [True] * 6


def test_an_end_before_the_start_is_a_night_shift_into_the_next_morning() -> None:
    pattern, problems = pattern_from_form({"sat_start": "20:00", "sat_end": "08:00"})
    (sat,) = [s for s in week(pattern) if not s.off]
    assert problems == [] and sat.overnight and hours_per_week(pattern) == 12


def test_half_a_shift_names_the_missing_time() -> None:
    pattern, problems = pattern_from_form({"tue_start": "08:00"})
    assert pattern == {} and [(p.field, p.code) for p in problems] == [("tue_end", "half_a_shift")]


def test_a_time_that_is_no_clock_time_is_refused_by_field() -> None:
    _, problems = pattern_from_form({"wed_start": "25:00", "wed_end": "8"})
    assert [(p.field, p.code) for p in problems] == [
        ("wed_start", "time_format"), ("wed_end", "time_format"),
    ]  # fmt: skip


def test_a_malformed_stored_day_reads_as_off_and_counts_no_hours() -> None:
    assert hours_per_week({"mon": "08:00-20:00", "tue": ["08:00", "12:00"]}) == 4


def test_a_week_reads_as_runs_of_equal_days() -> None:
    weekdays = {d: ["08:00", "20:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    read = [(r.first, r.last, r.span.off) for r in runs({**weekdays, "sun": ["20:00", "08:00"]})]
    assert read == [("mon", "fri", False), ("sat", "sat", True), ("sun", "sun", False)]
    assert runs({d: ["08:00", "20:00"] for d in (*weekdays, "sat", "sun")})[0].every_day
