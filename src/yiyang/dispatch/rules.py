"""Pure booking rules: a visit's service interval, overlap, and the first start free of others.

A visit occupies its caregiver over [planned start, planned start + standard minutes). Two
visits of one caregiver overlap when those intervals share a moment; touching ends do not.
Travel between visits is the planner's concern (feasibility), not an overlap.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from yiyang.planner.types import Window


def planned_end(start: datetime, minutes: int) -> datetime:
    """When a visit starting at `start` and lasting `minutes` frees its caregiver."""
    return start + timedelta(minutes=minutes)


def overlaps(a: Window, b: Window) -> bool:
    """Whether two half-open intervals share a moment (one ending as the other starts: no)."""
    return a.start < b.end and b.start < a.end


def first_free_start(
    earliest: datetime, latest: datetime, minutes: int, busy: Iterable[Window]
) -> datetime | None:
    """The earliest start in [earliest, latest] whose interval overlaps none of `busy`, or None."""
    start = earliest
    for taken in sorted(busy, key=lambda w: (w.start, w.end)):
        if taken.end <= start:
            continue
        if planned_end(start, minutes) <= taken.start:
            break  # fits before this one, and every later one starts later still
        start = taken.end
    return start if start <= latest else None
