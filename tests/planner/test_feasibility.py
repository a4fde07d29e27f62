"""Feasibility: skills and levels, exclusion, capacity, shifts, visits and travel between them."""

from __future__ import annotations

from tests.planner.helpers import TRAVEL, at, cg, job, t, w
from yiyang.planner.feasibility import (
    BUSY,
    CAPACITY,
    EXCLUDED,
    SHIFT,
    SKILL,
    Slot,
    check,
    with_visit,
)


def test_skill_missing_or_too_low_rules_out() -> None:
    assert check(cg(1, skills={"cleaning": 5}), job(), TRAVEL) == SKILL
    assert check(cg(1, skills={"bathing": 1}), job(skills={"bathing": 2}), TRAVEL) == SKILL
    both = job(skills={"bathing": 2, "nursing": 3})
    assert check(cg(1, skills={"bathing": 5, "nursing": 2}), both, TRAVEL) == SKILL
    assert isinstance(check(cg(1, skills={"bathing": 2, "nursing": 3}), both, TRAVEL), Slot)


def test_excluded_caregiver_is_ruled_out_first() -> None:
    assert check(cg(7), job(excluded=frozenset({7})), TRAVEL) == EXCLUDED


def test_capacity_counts_the_new_visit() -> None:
    assert check(cg(1, load=430), job(duration=60), TRAVEL) == CAPACITY
    assert isinstance(check(cg(1, load=420), job(duration=60), TRAVEL), Slot)


def test_earliest_start_includes_travel_from_home() -> None:
    # Home 1 km away: 10 minutes' walk from 08:00, but the window opens at 09:00.
    slot = check(cg(1, home=at(north_m=1000)), job(window=w("08:00", "09:00")), TRAVEL)
    assert isinstance(slot, Slot)
    assert slot.start == t("08:10")
    assert round(slot.travel_min) == 10


def test_busy_caregiver_twenty_minutes_away_cannot_start_at_ten_past() -> None:
    far = at(north_m=2000)  # 20 minutes' walk from the job
    busy = cg(1, busy=((w("09:00", "10:00"), far),))
    assert check(busy, job(window=w("10:00", "10:05")), TRAVEL) == BUSY
    slot = check(busy, job(window=w("10:00", "10:30")), TRAVEL)
    assert isinstance(slot, Slot)
    assert slot.start == t("10:20")


def test_service_must_leave_time_to_reach_the_next_visit() -> None:
    nxt = at(north_m=1500)  # 15 minutes on
    busy = cg(1, busy=((w("11:00", "12:00"), nxt),))
    # 60 minutes of service + 15 of travel must end by 11:00: start at the latest at 09:45.
    assert check(busy, job(window=w("09:50", "10:30")), TRAVEL) == BUSY
    slot = check(busy, job(window=w("09:40", "10:30")), TRAVEL)
    assert isinstance(slot, Slot) and slot.start == t("09:40")
    # Inserted before the next visit at the job's own place: the detour is 0 in, 15 out, -15.
    assert slot.detour_min == 15 - 15 + slot.travel_min


def test_outside_every_shift_is_a_shift_problem() -> None:
    morning = cg(1, shifts=(w("07:00", "12:00"),))
    assert check(morning, job(window=w("13:00", "15:00")), TRAVEL) == SHIFT
    # The service must end inside the shift too.
    assert check(morning, job(window=w("11:30", "15:00")), TRAVEL) == SHIFT
    split = cg(1, shifts=(w("07:00", "10:00"), w("14:00", "18:00")))
    slot = check(split, job(window=w("09:30", "15:00")), TRAVEL)
    assert isinstance(slot, Slot) and slot.start == t("14:00")


def test_gap_between_visits_is_used_when_it_fits() -> None:
    here = at()
    day = cg(
        1,
        busy=((w("09:00", "10:00"), here), (w("11:30", "12:30"), here)),
    )
    slot = check(day, job(window=w("09:00", "12:00"), duration=60), TRAVEL)
    assert isinstance(slot, Slot) and slot.start == t("10:00")
    assert check(day, job(window=w("09:00", "12:00"), duration=120), TRAVEL) == BUSY


def test_with_visit_books_time_place_and_load_in_order() -> None:
    here, there = at(), at(north_m=500)
    c = cg(1, busy=((w("14:00", "15:00"), there),), load=60)
    after = with_visit(c, job(location=here, duration=45), t("09:00"))
    assert after.busy == (w("09:00", "09:45"), w("14:00", "15:00"))
    assert after.busy_points == (here, there)
    assert after.load_minutes == 105
    assert c.load_minutes == 60  # the original is untouched


def test_two_visits_booked_at_the_same_time_do_not_break_the_search() -> None:
    # A dispatcher may knowingly double-book; the day is still read, and it is busy then.
    twice = ((w("09:00", "10:00"), at(north_m=100)), (w("09:00", "10:00"), at(north_m=200)))
    assert check(cg(1, busy=twice, load=120), job(window=w("09:00", "09:30")), TRAVEL) == BUSY
    assert isinstance(
        check(cg(1, busy=twice, load=120), job(window=w("10:00", "12:00")), TRAVEL), Slot
    )
