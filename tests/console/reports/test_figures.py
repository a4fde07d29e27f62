"""The report's pure figures: alarm answer and on-site times, continuity, places in use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from yiyang.console.reports import figures as rf

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _alarm(raised_min_ago: float, answer_s: float | None, arrive_min: float | None = None,
           sent: bool = False, kind: str = "sos") -> dict[str, object]:  # fmt: skip
    raised = NOW - timedelta(minutes=raised_min_ago)
    return {
        "type": kind, "raised_at": raised,
        "acknowledged_at": raised + timedelta(seconds=answer_s) if answer_s is not None else None,
        "sent_at": raised + timedelta(minutes=1) if sent or arrive_min is not None else None,
        "arrived_at": raised + timedelta(minutes=arrive_min) if arrive_min is not None else None,
    }  # fmt: skip


def test_answer_times_count_a_fresh_unanswered_alarm_as_no_miss_yet() -> None:
    times = rf.alarm_times(
        [_alarm(60, 30), _alarm(60, 120), _alarm(60, None), _alarm(0.5, None)], NOW
    )
    assert times.raised == 4
    assert (times.answered_60, times.counted_60) == (1, 3)  # the 30-s-old one is not counted
    assert (times.answered_180, times.counted_180) == (2, 3)
    assert times.median_answer_s == 75


def test_on_site_counts_arrivals_and_overdue_responders_only() -> None:
    times = rf.alarm_times(
        [
            _alarm(120, 20, arrive_min=30),  # on site in time
            _alarm(120, 20, arrive_min=50),  # late
            _alarm(120, 20, sent=True),  # never arrived, 45 min long past: a miss
            _alarm(10, 20, sent=True),  # sent 9 min ago: not yet a miss
            _alarm(120, 20),  # solved by phone: nobody sent
        ],
        NOW,
    )
    assert times.sent == 4
    assert (times.on_site, times.on_site_counted) == (1, 3)
    assert times.median_on_site_min == 40
    assert times.share(times.on_site, times.on_site_counted) == 1 / 3


def test_times_by_type_split_the_alarms() -> None:
    by = rf.alarm_times_by_type([_alarm(60, 30), _alarm(60, 30, kind="fall")], NOW)
    assert list(by) == ["fall", "sos"] and by["fall"].raised == 1


def test_continuity_counts_distinct_caregivers_per_elder() -> None:
    pairs = [(1, 10), (1, 10), (2, 10), (2, 11), (3, 10), (3, 11), (3, 12), (3, 13), (3, 14)]
    bands, mean = rf.continuity(pairs)
    assert bands == {"1": 1, "2": 1, "4+": 1}
    assert mean == (1 + 2 + 5) / 3
    assert rf.continuity([]) == ({}, None)


def test_places_in_use_are_a_daily_average_capped_at_the_places() -> None:
    first, last = date(2026, 11, 1), date(2026, 11, 2)
    places = [(1, "day_care_centre", 10), (2, "day_care_centre", 4), (3, "institution", 20)]
    in_use = {(1, first): 6, (1, last): 8, (2, first): 9}  # facility 2 over its places one day
    used = rf.places_used(places, in_use, first, last)
    assert used["day_care_centre"] == (14, (6 + 8) / 2 + 4 / 2)
    assert used["institution"] == (20, 0.0)


def test_mean_score_skips_missing_scores() -> None:
    assert rf.mean_score([5, None, 4]) == (4.5, 2)
    assert rf.mean_score([]) == (None, 0)
