"""Why a caregiver was chosen (by the planner or by hand), as lines translated when shown.

A line is a translatable template (`N_`) with params, stored as JSON ({"t": ..., "p": ...})
and put into words in the reader's language at display time. A param is a plain value (a
name, a number), a message to translate (`message`), codes of a vocabulary to label
(`coded`: skills, tiers, reasons) or an instant to show in local time (`moment`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NotRequired, TypedDict

from yiyang.errors import N_
from yiyang.planner.assess import Fit
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


class Line(TypedDict):
    """One sentence: a translatable template and its params (JSON-ready)."""

    t: str
    p: dict[str, Any]
    pl: NotRequired[str]  # the plural template, chosen by the count in p[n]
    n: NotRequired[str]


# Vocabularies a coded param may name; the display side holds their labels.
SKILLS, TIERS, REASONS = "skill", "tier", "reason"

UNPLACEABLE: Mapping[str, str] = {
    SKILL: N_("No caregiver in the district has %(skills)s at the level needed"),
    BUSY: N_("Every caregiver with %(skills)s is busy at that time"),
    CAPACITY: N_("Every caregiver with %(skills)s already has a full day"),
    SHIFT: N_("No caregiver with %(skills)s is working at that time"),
    EXCLUDED: N_("Every caregiver with %(skills)s has refused or is unavailable"),
    BAD_WINDOW: N_("The time window or duration of the order is not valid"),
    NO_CAREGIVERS: N_("There are no caregivers to choose from"),
}
# What a dispatcher's pick did not fit, said in the decision it leaves.
PICK_CAVEATS: Mapping[str, str] = {
    BUSY: N_("%(name)s is busy with another visit at that time: the dispatcher overrode that"),
    SHIFT: N_("%(name)s is not on shift at that time"),
    CAPACITY: N_("%(name)s's day is already fully booked"),
}
PINNED_REFUSED = N_(
    "%(name)s, pinned by a dispatcher, did not take the order: choose another caregiver "
    "or try automatic dispatch again"
)


def line(template: str, params: Mapping[str, Any] | None = None) -> Line:
    """A line from a template and its params."""
    return {"t": template, "p": dict(params or {})}


def NN_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a singular and plural pair for extraction (`make messages` knows NN_)."""
    return singular, plural


def counted(forms: tuple[str, str], count: str, params: Mapping[str, Any]) -> Line:
    """A line whose wording follows the number in params[count] (1 visit, 2 visits)."""
    return {"t": forms[0], "p": dict(params), "pl": forms[1], "n": count}


def message(text: str) -> dict[str, str]:
    """A param that is itself a translatable message."""
    return {"msg": text}


def coded(vocab: str, codes: Iterable[str]) -> dict[str, Any]:
    """A param naming codes of a vocabulary, labelled (and listed) in the reader's language."""
    return {"vocab": vocab, "codes": list(codes)}


def moment(value: datetime) -> dict[str, str]:
    """A param that is an instant, shown as a local clock time."""
    return {"time": value.isoformat()}


def _skills(required: Mapping[str, int]) -> dict[str, Any]:
    if not required:
        return message(N_("no particular skill"))
    return coded(SKILLS, sorted(required))


def _name(names: Mapping[int, str], staff_id: int) -> Any:
    """A caregiver's name, or words saying it is not known (never an id)."""
    return names.get(staff_id) or message(N_("a caregiver"))


def explain(
    decision: Decision,
    *,
    names: Mapping[int, str] | None = None,
    community: str | None = None,
    street: str | None = None,
    centres: Mapping[int, tuple[str, str]] | None = None,
) -> list[Line]:
    """Why the winner won and where it was found, or why nobody could be found.

    `centres` gives a caregiver's centre and that centre's street, named in the first line.
    """
    names = names or {}
    skills = _skills(decision.job.required_skills)
    place = {
        "community": community or message(N_("the elder's community")),
        "street": street or message(N_("the elder's street")),
        "skills": skills,
    }
    winner = decision.winner
    if winner is None:
        reason = decision.unplaceable_reason or SKILL
        return [
            line(UNPLACEABLE.get(reason, UNPLACEABLE[SKILL]), {"skills": skills}),
            _tally(decision),
        ]
    params = {
        "name": _name(names, winner.staff_id),
        "travel": f"{winner.travel_min:.0f}",
        "load": f"{winner.load_share * 100:.0f}",
        "times": winner.visits_before,
    }
    centre = (centres or {}).get(winner.staff_id)
    if centre:
        params |= {"centre": centre[0], "centre_street": centre[1]}
    lines = [_head(winner.visits_before, params, with_centre=centre is not None)]
    if decision.tier == COMMUNITY and winner.visits_before > 0:
        lines.append(
            line(
                N_("Caregivers who served this elder before are asked first, with %(community)s"),
                place,
            )
        )
    elif decision.tier == COMMUNITY:
        lines.append(line(N_("Found in the elder's own community, %(community)s"), place))
    elif decision.tier in (STREET, DISTRICT) and decision.rejected.get(BEYOND_REACH):
        lines.append(
            line(
                N_(
                    "Caregivers free nearer in %(community)s or %(street)s were too far a trip, "
                    "so the search widened and the shortest overall won"
                ),
                place,
            )
        )
    elif decision.tier == STREET:
        lines.append(
            line(
                N_(
                    "No free caregiver with %(skills)s in %(community)s, "
                    "so the search widened to %(street)s"
                ),
                place,
            )
        )
    elif decision.tier == DISTRICT:
        lines.append(
            line(
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
            line(
                N_("Preferred to %(other)s, %(other_travel)s min away, for continuity of care"),
                {
                    "other": _name(names, runner.staff_id),
                    "other_travel": f"{runner.travel_min:.0f}",
                },
            )
        )
    if TIE_BREAK in winner.reasons:
        lines.append(line(N_("Tied with the runner-up; the lower staff number decides")))
    lines.append(_tally(decision))
    return lines


def _head(visits_before: int, params: dict[str, Any], *, with_centre: bool) -> Line:
    """The first line: who won, from which centre and street when known, and how near."""
    if with_centre and visits_before > 0:
        return counted(
            NN_(
                "%(name)s of %(centre)s (%(centre_street)s) chosen: %(travel)s min away, "
                "%(load)s%% of the day booked, served this elder %(times)s time before",
                "%(name)s of %(centre)s (%(centre_street)s) chosen: %(travel)s min away, "
                "%(load)s%% of the day booked, served this elder %(times)s times before",
            ),
            "times",
            params,
        )
    if with_centre:
        return line(
            N_(
                "%(name)s of %(centre)s (%(centre_street)s) chosen: %(travel)s min away, "
                "%(load)s%% of the day booked"
            ),
            params,
        )
    if visits_before > 0:
        return counted(HEAD_COUNTED, "times", params)
    return line(N_("%(name)s chosen: %(travel)s min away, %(load)s%% of the day booked"), params)


HEAD_COUNTED = NN_(
    "%(name)s chosen: %(travel)s min away, %(load)s%% of the day booked, "
    "served this elder %(times)s time before",
    "%(name)s chosen: %(travel)s min away, %(load)s%% of the day booked, "
    "served this elder %(times)s times before",
)
TALLY = N_(
    "Caregivers checked: %(examined)s (busy: %(busy)s, off shift: %(shift)s, fully "
    "booked: %(capacity)s, excluded: %(excluded)s); without the skills: %(skill)s"
)
# Lines as decisions stored them before (kept translated for the rows that hold them).
LEGACY_HEAD = N_(
    "%(name)s chosen: %(travel)s min away, %(load)s%% of the day booked, "
    "served this elder %(times)s times before"
)
LEGACY_TALLY = N_(
    "%(skill)s caregivers lacked the skills; of %(examined)s checked, %(busy)s were "
    "busy, %(shift)s off shift, %(capacity)s fully booked, %(excluded)s excluded"
)


def _tally(decision: Decision) -> Line:
    """How many caregivers were checked and what ruled the others out."""
    r = decision.rejected
    return line(
        TALLY,
        {
            "examined": decision.examined,
            "skill": r.get(SKILL, 0),
            "busy": r.get(BUSY, 0),
            "shift": r.get(SHIFT, 0),
            "capacity": r.get(CAPACITY, 0),
            "excluded": r.get(EXCLUDED, 0),
        },
    )


def explain_pick(fit: Fit, *, name: str, by: str, reason: str) -> list[Line]:
    """A dispatcher's pick: who picked and why, how the caregiver fits, and what did not fit."""
    lines = [line(N_("Assigned by hand by %(by)s: %(reason)s"), {"by": by, "reason": reason})]
    where = {"name": name, "travel": f"{fit.travel_min:.0f}", "tier": coded(TIERS, [fit.tier])}
    if fit.candidate is not None:
        lines.append(
            line(
                N_(
                    "%(name)s can start at %(start)s, %(travel)s min away (%(tier)s), "
                    "%(load)s%% of the day booked"
                ),
                where
                | {
                    "start": moment(fit.candidate.start),
                    "load": f"{fit.load_share * 100:.0f}",
                },
            )
        )
    else:
        lines.append(line(N_("%(name)s is %(travel)s min away (%(tier)s)"), where))
    caveat = PICK_CAVEATS.get(fit.reason or "")
    if caveat:
        lines.append(line(caveat, {"name": name}))
    if fit.refused:
        lines.append(
            line(N_("%(name)s had refused this order or been unavailable for it"), {"name": name})
        )
    return lines
