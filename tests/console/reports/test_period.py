"""The report's period: a month, a run of days, or this month; every bad value names its field."""

from __future__ import annotations

from datetime import date

import pytest

from yiyang.console.reports.period import MAX_DAYS, Period, month_period, period_of
from yiyang.errors import Invalid

TODAY = date(2026, 11, 23)


def _fields(exc: pytest.ExceptionInfo[Invalid]) -> set[str]:
    return {p.field for p in exc.value.problems}


def test_nothing_asked_is_this_month() -> None:
    assert period_of(None, None, None, TODAY) == Period(date(2026, 11, 1), date(2026, 11, 30))


def test_a_month_runs_to_its_last_day_even_in_february_and_december() -> None:
    assert month_period("2028-02").last == date(2028, 2, 29)
    assert month_period("2026-12") == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert month_period("2026-12").month == "2026-12"


def test_days_win_over_a_month_and_a_missing_end_is_today() -> None:
    period = period_of("2026-01", "2026-11-10", None, TODAY)
    assert period == Period(date(2026, 11, 10), TODAY)
    assert period.days == 14 and period.month is None


def test_a_missing_start_is_the_first_of_the_end_month() -> None:
    assert period_of(None, None, "2026-10-15", TODAY) == Period(
        date(2026, 10, 1), date(2026, 10, 15)
    )


def test_the_instants_are_china_midnights() -> None:
    period = Period(date(2026, 11, 1), date(2026, 11, 1))
    assert period.start.isoformat() == "2026-10-31T16:00:00+00:00"
    assert period.end.isoformat() == "2026-11-01T16:00:00+00:00"


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "November", "2026-00", "26-11"])
def test_a_month_that_is_no_month_names_the_month(month: str) -> None:
    with pytest.raises(Invalid) as exc:
        period_of(month, None, None, TODAY)
    assert _fields(exc) == {"month"}


def test_bad_days_name_each_field() -> None:
    with pytest.raises(Invalid) as exc:
        period_of(None, "yesterday", "2026-02-30", TODAY)
    assert _fields(exc) == {"from", "to"}


def test_a_period_running_backwards_is_refused() -> None:
    with pytest.raises(Invalid) as exc:
        period_of(None, "2026-11-20", "2026-11-10", TODAY)
    assert _fields(exc) == {"to"}
    assert exc.value.problems[0].code == "order"


def test_at_most_a_year() -> None:
    assert period_of(None, "2025-11-24", "2026-11-23", TODAY).days == MAX_DAYS - 1
    with pytest.raises(Invalid) as exc:
        period_of(None, "2025-01-01", "2026-11-23", TODAY)
    assert exc.value.problems[0].code == "too_long"
