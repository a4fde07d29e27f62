"""Community workers' duty hours: a weekly pattern read from a form and said in words (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from yiyang.errors import N_, FieldProblem

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_LABELS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class DaySpan:
    """One day's duty as a person reads it: off, or from a time to a time (maybe the next day)."""

    day: str
    start: str | None
    end: str | None

    @property
    def off(self) -> bool:
        return self.start is None

    @property
    def overnight(self) -> bool:
        """The shift ends the next morning (an end at or before the start)."""
        return self.start is not None and self.end is not None and self.end <= self.start


def pattern_from_form(
    values: Mapping[str, str | None],
) -> tuple[dict[str, list[str]], list[FieldProblem]]:
    """The weekly pattern from `<day>_start` / `<day>_end` fields; both empty = off that day."""
    pattern: dict[str, list[str]] = {}
    problems: list[FieldProblem] = []
    for day in WEEKDAYS:
        start = (values.get(f"{day}_start") or "").strip()
        end = (values.get(f"{day}_end") or "").strip()
        if not start and not end:
            continue
        if not start or not end:
            missing = f"{day}_start" if not start else f"{day}_end"
            problems.append(
                FieldProblem(
                    missing, "half_a_shift",
                    N_("Give both the start and the end, or leave both empty for a day off."),
                )
            )  # fmt: skip
            continue
        bad = [
            name for name, t in ((f"{day}_start", start), (f"{day}_end", end)) if not _HHMM.match(t)
        ]
        for name in bad:
            problems.append(
                FieldProblem(name, "time_format", N_("Give the time as HH:MM, e.g. 08:00."))
            )
        if not bad:
            pattern[day] = [start, end]
    return pattern, problems


def week(pattern: Mapping[str, object]) -> list[DaySpan]:
    """Each weekday of a stored pattern, Monday first (a malformed day reads as off)."""
    out = []
    for day in WEEKDAYS:
        span = pattern.get(day)
        if (
            isinstance(span, list | tuple)
            and len(span) == 2
            and all(isinstance(t, str) for t in span)
        ):
            out.append(DaySpan(day, str(span[0]), str(span[1])))
        else:
            out.append(DaySpan(day, None, None))
    return out


def hours_per_week(pattern: Mapping[str, object]) -> float:
    """The pattern's hours in a week (an overnight shift counts to the next morning)."""
    total = 0
    for span in week(pattern):
        if span.start is None or span.end is None:
            continue
        start = int(span.start[:2]) * 60 + int(span.start[3:])
        end = int(span.end[:2]) * 60 + int(span.end[3:])
        total += end - start if end > start else 24 * 60 - start + end
    return total / 60


@dataclass(frozen=True)
class Run:
    """Consecutive weekdays with the same hours, so a week reads "Mon–Fri 08:00–20:00"."""

    first: str
    last: str
    span: DaySpan

    @property
    def every_day(self) -> bool:
        return self.first == WEEKDAYS[0] and self.last == WEEKDAYS[-1]


def runs(pattern: Mapping[str, object]) -> list[Run]:
    """The week as runs of days with equal hours, Monday first."""
    out: list[Run] = []
    for span in week(pattern):
        last = out[-1] if out else None
        if last and (last.span.start, last.span.end) == (span.start, span.end):
            out[-1] = Run(last.first, span.day, last.span)
        else:
            out.append(Run(span.day, span.day, span))
    return out
