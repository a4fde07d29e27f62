"""A short explanation of a Decision as (translatable template, params) pairs for the UI."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yiyang.errors import N_
from yiyang.planner.choose import (
    BAD_WINDOW,
    BEYOND_REACH,
    COMMUNITY,
    DISTRICT,
    NO_CAREGIVERS,
    STREET,
)
from yiyang.planner.feasibility import BUSY, CAPACITY, EXCLUDED, SHIFT, SKILL
from yiyang.planner.ranking import CONTINUITY, SHORTEST_TRAVEL, TIE_BREAK
from yiyang.planner.types import Decision

Line = tuple[str, dict[str, Any]]

UNPLACEABLE: Mapping[str, str] = {
    SKILL: N_("No caregiver in the district has %(skills)s at the level needed"),
    BUSY: N_("Every caregiver with %(skills)s is busy at that time"),
    CAPACITY: N_("Every caregiver with %(skills)s already has a full day"),
    SHIFT: N_("No caregiver with %(skills)s is working at that time"),
    EXCLUDED: N_("Every caregiver with %(skills)s has refused or is unavailable"),
    BAD_WINDOW: N_("The time window or duration of the order is not valid"),
    NO_CAREGIVERS: N_("There are no caregivers to choose from"),
}


def explain(
    decision: Decision,
    *,
    names: Mapping[int, str] | None = None,
    community: str | None = None,
    street: str | None = None,
    skill_labels: Mapping[str, str] | None = None,
) -> list[Line]:
    """Why the winner won and where it was found, or why nobody could be found."""
    names = names or {}
    skills = ", ".join(
        (skill_labels or {}).get(s, s) for s in sorted(decision.job.required_skills)
    ) or N_("no particular skill")
    place = {
        "community": community or f"#{decision.job.community_id}",
        "street": street or f"#{decision.job.street_id}",
        "skills": skills,
    }
    winner = decision.winner
    if winner is None:
        reason = decision.unplaceable_reason or SKILL
        lines: list[Line] = [(UNPLACEABLE.get(reason, UNPLACEABLE[SKILL]), {"skills": skills})]
        lines.append(_tally(decision))
        return lines
    params = {
        "name": names.get(winner.staff_id, f"#{winner.staff_id}"),
        "travel": f"{winner.travel_min:.0f}",
        "load": f"{winner.load_share * 100:.0f}",
        "times": winner.visits_before,
        "start": winner.start.strftime("%H:%M"),
    }
    if winner.visits_before > 0:
        head = N_(
            "%(name)s chosen: %(travel)s min away, %(load)s%% of the day booked, "
            "served this elder %(times)s times before"
        )
    else:
        head = N_("%(name)s chosen: %(travel)s min away, %(load)s%% of the day booked")
    lines = [(head, params)]
    if decision.tier == COMMUNITY and winner.visits_before > 0:
        lines.append(
            (
                N_("Caregivers who served this elder before are asked first, with %(community)s"),
                place,
            )
        )
    elif decision.tier == COMMUNITY:
        lines.append((N_("Found in the elder's own community, %(community)s"), place))
    elif decision.tier in (STREET, DISTRICT) and decision.rejected.get(BEYOND_REACH):
        lines.append(
            (
                N_(
                    "Caregivers free nearer in %(community)s or %(street)s were too far a trip, "
                    "so the search widened and the shortest overall won"
                ),
                place,
            )
        )
    elif decision.tier == STREET:
        lines.append(
            (
                N_(
                    "No free caregiver with %(skills)s in %(community)s, "
                    "so the search widened to %(street)s"
                ),
                place,
            )
        )
    elif decision.tier == DISTRICT:
        lines.append(
            (
                N_(
                    "No free caregiver with %(skills)s in %(community)s or %(street)s, "
                    "so the search widened to the district"
                ),
                place,
            )
        )
    runner = decision.considered[1] if len(decision.considered) > 1 else None
    loyal = CONTINUITY in winner.reasons and SHORTEST_TRAVEL not in winner.reasons
    if runner is not None and loyal:
        lines.append(
            (
                N_("Preferred to %(other)s, %(other_travel)s min away, for continuity of care"),
                {
                    "other": names.get(runner.staff_id, f"#{runner.staff_id}"),
                    "other_travel": f"{runner.travel_min:.0f}",
                },
            )
        )
    if TIE_BREAK in winner.reasons:
        lines.append((N_("Tied with the runner-up; the lower staff number decides"), {}))
    lines.append(_tally(decision))
    return lines


def _tally(decision: Decision) -> Line:
    """How many caregivers were checked and what ruled the others out."""
    r = decision.rejected
    return (
        N_(
            "%(skill)s caregivers lacked the skills; of %(examined)s checked, %(busy)s were "
            "busy, %(shift)s off shift, %(capacity)s fully booked, %(excluded)s excluded"
        ),
        {
            "examined": decision.examined,
            "skill": r.get(SKILL, 0),
            "busy": r.get(BUSY, 0),
            "shift": r.get(SHIFT, 0),
            "capacity": r.get(CAPACITY, 0),
            "excluded": r.get(EXCLUDED, 0),
        },
    )


def render(lines: list[Line]) -> str:
    """The explanation in English (untranslated), e.g. for logs and tests."""
    return " ".join(template % params + "." for template, params in lines)
