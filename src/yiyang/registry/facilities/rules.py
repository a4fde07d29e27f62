"""Pure rules about facilities: weekly hours, and a community lying in its street."""

from __future__ import annotations

import re
from typing import Any

from yiyang.errors import N_, FieldProblem

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


def weekly_hours_problems(
    hours: dict[str, Any], field: str
) -> tuple[dict[str, list[str]], list[FieldProblem]]:
    """Check weekday (mon..sun) → ["HH:MM", "HH:MM"] with start before end; normalised result."""
    problems: list[FieldProblem] = []
    clean: dict[str, list[str]] = {}
    for day, span in hours.items():
        where = f"{field}.{day}"
        if day not in WEEKDAYS:
            problems.append(
                FieldProblem(
                    where,
                    "weekday",
                    N_("Unknown weekday %(value)s: use mon, tue, wed, thu, fri, sat or sun."),
                    {"value": day},
                )
            )
            continue
        if (
            not isinstance(span, list | tuple)
            or len(span) != 2
            or not all(isinstance(t, str) and _HHMM.match(t.strip()) for t in span)
        ):
            problems.append(
                FieldProblem(
                    where, "time_format", N_('Give two times as ["HH:MM", "HH:MM"], e.g. 08:00.')
                )
            )
            continue
        start, end = span[0].strip(), span[1].strip()
        if start >= end:
            problems.append(
                FieldProblem(
                    where,
                    "time_order",
                    N_("The start time %(start)s must come before the end time %(end)s."),
                    {"start": start, "end": end},
                )
            )
            continue
        clean[day] = [start, end]
    ordered = {day: clean[day] for day in WEEKDAYS if day in clean}
    return ordered, problems


def community_problem(
    street_id: int, community_parent_id: int | None, field: str = "community_code"
) -> FieldProblem | None:
    """A facility's community must lie in the facility's street."""
    if community_parent_id == street_id:
        return None
    return FieldProblem(
        field, "community_street", N_("The community does not belong to the given street.")
    )
