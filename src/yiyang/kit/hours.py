"""Opening hours as people read them: runs of days with the same hours, "Mon–Sun, all day".

Stored as {"mon": ["08:00", "17:30"], ...}; `runs` groups consecutive days with equal hours
(pure), and `describe` says each run in words through the caller's translate function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from yiyang.errors import N_

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "mon": N_("Mon"), "tue": N_("Tue"), "wed": N_("Wed"), "thu": N_("Thu"),
    "fri": N_("Fri"), "sat": N_("Sat"), "sun": N_("Sun"),
}  # fmt: skip
ALL_DAY = N_("all day")
CLOSED = N_("closed")
DAY_RANGE = N_("%(first)s–%(last)s")
RUN = N_("%(days)s, %(hours)s")


def _span(value: object) -> tuple[str, ...]:
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(str(v) for v in value)
    return (str(value),) if value else ()


def runs(hours: Mapping[str, object]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(first day, last day, span) for each run of consecutive days with the same hours."""
    found: list[tuple[str, str, tuple[str, ...]]] = []
    for day in DAYS:
        if day not in hours:
            continue
        span = _span(hours[day])
        if found and found[-1][2] == span and DAYS.index(found[-1][1]) == DAYS.index(day) - 1:
            found[-1] = (found[-1][0], day, span)
        else:
            found.append((day, day, span))
    return found


def _clock(value: str) -> str:
    """'08:00' → '8:00'; '24:00' stays."""
    return value[1:] if len(value) == 5 and value.startswith("0") else value


def _hours(span: tuple[str, ...], tr: Callable[[str], str]) -> str:
    if not span:
        return tr(CLOSED)
    if len(span) == 2 and span[0] == "00:00" and span[1] in ("24:00", "23:59"):
        return tr(ALL_DAY)
    pairs = [span[i : i + 2] for i in range(0, len(span) - 1, 2)]
    return ", ".join(f"{_clock(a)}–{_clock(b)}" for a, b in pairs)


def describe(hours: Mapping[str, object] | None, tr: Callable[[str], str]) -> list[str]:
    """Each run of days in words: ["Mon–Fri, 8:00–17:30", "Sat–Sun, closed"]."""
    lines = []
    for first, last, span in runs(hours or {}):
        days = tr(DAY_NAMES[first])
        if last != first:
            days = tr(DAY_RANGE) % {"first": days, "last": tr(DAY_NAMES[last])}
        lines.append(tr(RUN) % {"days": days, "hours": _hours(span, tr)})
    return lines
