"""The period a report covers: a calendar month, or a run of days (China calendar)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from yiyang.errors import N_, FieldProblem, Invalid
from yiyang.kit.localtime import CHINA_TZ

MAX_DAYS = 366
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    """First and last service day, both included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first day's midnight in China, as a UTC instant."""
        return _midnight(self.first)

    @property
    def end(self) -> datetime:
        """The midnight after the last day in China, as a UTC instant."""
        return _midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.last - self.first).days + 1

    @property
    def month(self) -> str | None:
        """'2026-11' when the period is exactly one calendar month."""
        whole = self.first.day == 1 and (self.last + timedelta(days=1)).day == 1
        same = self.first.replace(day=1) == self.last.replace(day=1)
        return self.first.strftime("%Y-%m") if whole and same else None


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).astimezone(UTC)


def month_period(month: str) -> Period:
    """The days of a calendar month given as YYYY-MM (Invalid naming `month` otherwise)."""
    found = MONTH.match(month.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        words = N_("Give a month as year and month, like 2026-11.")
        raise Invalid(words, field="month", problems=[FieldProblem("month", "month", words)])
    first = date(int(found.group(1)), int(found.group(2)), 1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def _day(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise Invalid(N_("Give a date like 2026-11-30."), field=field) from None


def period_of(month: str | None, since: str | None, until: str | None, today: date) -> Period:
    """The period asked for: from/to days if either is given, else a month, else this month.

    A missing end is today, a missing start the first of the end's month; the period runs
    forwards and is at most a year long; every problem names its field.
    """
    if not (since or "").strip() and not (until or "").strip():
        if (month or "").strip():
            return month_period(month or "")
        return month_period(today.strftime("%Y-%m"))
    problems: list[FieldProblem] = []
    last = first = today
    try:
        last = _day(until or "", "to") if (until or "").strip() else today
    except Invalid as exc:
        problems.append(FieldProblem("to", "date", exc.message))
    try:
        first = _day(since or "", "from") if (since or "").strip() else last.replace(day=1)
    except Invalid as exc:
        problems.append(FieldProblem("from", "date", exc.message))
    if not problems and first > last:
        problems.append(FieldProblem("to", "order", N_("The last day comes before the first.")))
    if not problems and (last - first).days + 1 > MAX_DAYS:
        problems.append(
            FieldProblem("to", "too_long", N_("At most %(limit)s days."), {"limit": MAX_DAYS})
        )
    if problems:
        raise Invalid(N_("The period is not valid."), problems=problems)
    return Period(first, last)
