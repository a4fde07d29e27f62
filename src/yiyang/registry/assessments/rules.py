"""The capability assessment of GB/T 42195-2022 (DOMAIN.md §8): items, scoring and level.

Pure: values in, values out. 26 items worth 90 points in four parts; the total gives a
level 0 (intact) … 4 (complete loss); coma means level 4, a diagnosed dementia or other
mental disorder one level up, two or more risk events in 30 days one level up, never above 4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from yiyang.errors import N_, FieldProblem, Invalid

STANDARD = "GB/T 42195-2022"
MAX_LEVEL = 4
RISK_EVENTS_FOR_STEP = 2  # risk events in the last RISK_WINDOW_DAYS that raise the level
RISK_WINDOW_DAYS = 30


class Part(StrEnum):
    """The four parts of the assessment."""

    SELF_CARE = "self_care"
    MOBILITY = "mobility"
    MENTAL = "mental"
    PERCEPTION = "perception"


class RiskEvent(StrEnum):
    """Events that, twice or more in 30 days, raise the level by one."""

    FALL = "fall"
    CHOKING = "choking"
    WANDERING = "wandering"
    SELF_HARM = "self_harm"


class Adjustment(StrEnum):
    """Why the level is not simply the one its total falls in."""

    COMA = "coma"
    MENTAL_DISORDER = "mental_disorder"
    RISK_EVENTS = "risk_events"
    CAPPED = "capped"


# The words of each point on a scale, best first (the page shows "4 · Independent").
SCALES: dict[str, dict[int, str]] = {
    "ability4": {
        4: N_("Independent"),
        3: N_("Needs supervision or prompting"),
        2: N_("Needs some help"),
        1: N_("Needs a lot of help"),
        0: N_("Fully dependent"),
    },
    "continence4": {
        4: N_("Continent"),
        3: N_("Occasional accidents (less than once a week)"),
        2: N_("Frequent accidents (about once a day)"),
        1: N_("Mostly incontinent"),
        0: N_("Fully incontinent or catheterised"),
    },
    "ability3": {
        3: N_("Independent"),
        2: N_("Needs some help"),
        1: N_("Needs a lot of help"),
        0: N_("Cannot do it"),
    },
    "mind4": {
        4: N_("Intact"),
        3: N_("Slightly impaired"),
        2: N_("Moderately impaired"),
        1: N_("Severely impaired"),
        0: N_("Lost"),
    },
    "sense2": {2: N_("Normal"), 1: N_("Impaired"), 0: N_("Severely impaired or lost")},
    "consciousness2": {2: N_("Clear"), 1: N_("Drowsy or confused"), 0: N_("Stupor")},
    "behaviour1": {1: N_("Never"), 0: N_("Sometimes or often")},
}


@dataclass(frozen=True)
class Item:
    """One assessed item: its code, part, label and the scale of its allowed points."""

    code: str
    part: Part
    label: str
    scale: str

    @property
    def max_points(self) -> int:
        """The best score of the item."""
        return max(SCALES[self.scale])

    @property
    def points(self) -> tuple[int, ...]:
        """The allowed scores, best first."""
        return tuple(sorted(SCALES[self.scale], reverse=True))


ITEMS: tuple[Item, ...] = (
    Item("eating", Part.SELF_CARE, N_("Eating"), "ability4"),
    Item("grooming", Part.SELF_CARE, N_("Grooming"), "ability4"),
    Item("bathing", Part.SELF_CARE, N_("Bathing"), "ability4"),
    Item("dressing_upper", Part.SELF_CARE, N_("Dressing the upper body"), "ability4"),
    Item("dressing_lower", Part.SELF_CARE, N_("Dressing the lower body"), "ability4"),
    Item("urine", Part.SELF_CARE, N_("Urine control"), "continence4"),
    Item("bowel", Part.SELF_CARE, N_("Bowel control"), "continence4"),
    Item("toileting", Part.SELF_CARE, N_("Using the toilet"), "ability4"),
    Item("bed_position", Part.MOBILITY, N_("Changing position in bed"), "ability4"),
    Item("transfer", Part.MOBILITY, N_("Moving between bed and chair"), "ability4"),
    Item("walking", Part.MOBILITY, N_("Walking on flat ground"), "ability4"),
    Item("stairs", Part.MOBILITY, N_("Going up and down stairs"), "ability3"),
    Item("orient_time", Part.MENTAL, N_("Orientation in time"), "mind4"),
    Item("orient_place", Part.MENTAL, N_("Orientation in place"), "mind4"),
    Item("orient_person", Part.MENTAL, N_("Knowing people"), "mind4"),
    Item("memory", Part.MENTAL, N_("Memory"), "mind4"),
    Item("understanding", Part.MENTAL, N_("Understanding"), "mind4"),
    Item("expression", Part.MENTAL, N_("Expressing themselves"), "mind4"),
    Item("aggression", Part.MENTAL, N_("Aggressive behaviour"), "behaviour1"),
    Item("depression", Part.MENTAL, N_("Signs of depression"), "behaviour1"),
    Item("consciousness", Part.MENTAL, N_("Level of consciousness"), "consciousness2"),
    Item("vision", Part.PERCEPTION, N_("Vision"), "sense2"),
    Item("hearing", Part.PERCEPTION, N_("Hearing"), "sense2"),
    Item("daily_affairs", Part.PERCEPTION, N_("Managing daily affairs"), "ability4"),
    Item("transport", Part.PERCEPTION, N_("Using transport"), "ability3"),
    Item("social", Part.PERCEPTION, N_("Social contact"), "ability4"),
)
BY_CODE = {item.code: item for item in ITEMS}
PART_LABELS: dict[str, str] = {
    Part.SELF_CARE: N_("Self-care"),
    Part.MOBILITY: N_("Basic mobility"),
    Part.MENTAL: N_("Mental state"),
    Part.PERCEPTION: N_("Perception and social participation"),
}
MAX_TOTAL = sum(item.max_points for item in ITEMS)  # 90
# The lowest total of each level, best level first.
LEVEL_FLOORS: tuple[tuple[int, int], ...] = ((90, 0), (66, 1), (46, 2), (30, 3), (0, 4))
LEVEL_LABELS: dict[int, str] = {
    0: N_("Level 0 · intact"),
    1: N_("Level 1 · mild loss"),
    2: N_("Level 2 · moderate loss"),
    3: N_("Level 3 · severe loss"),
    4: N_("Level 4 · complete loss"),
}
ADJUSTMENT_LABELS: dict[str, str] = {
    Adjustment.COMA: N_("In a coma: level 4 whatever the score"),
    Adjustment.MENTAL_DISORDER: N_("Diagnosed dementia or another mental disorder: one level up"),
    Adjustment.RISK_EVENTS: N_("Two or more falls, chokings, wanderings or self-harm in 30 days: "
                               "one level up"),
    Adjustment.CAPPED: N_("Already at level 4: the adjustment cannot raise it further"),
}  # fmt: skip
RISK_LABELS: dict[str, str] = {
    RiskEvent.FALL: N_("Falls"),
    RiskEvent.CHOKING: N_("Choking"),
    RiskEvent.WANDERING: N_("Wandering off"),
    RiskEvent.SELF_HARM: N_("Self-harm"),
}


@dataclass(frozen=True)
class Facts:
    """What the assessor recorded besides the item scores."""

    coma: bool = False
    mental_disorder: bool = False  # diagnosed dementia or another mental disorder
    risk_events: Mapping[str, int] | None = None  # RiskEvent → count in the last 30 days


@dataclass(frozen=True)
class Result:
    """A scored assessment: total, points per part, the level and why it is that level."""

    scores: dict[str, int]
    total: int
    parts: dict[str, int]
    score_level: int  # the level the total alone gives
    level: int
    adjustments: tuple[Adjustment, ...]


def checked_scores(raw: Mapping[str, object]) -> dict[str, int]:
    """Every item's score as an int from its allowed points; else Invalid naming each item.

    Unknown keys are ignored; a missing item, a non-number or a score off the item's scale
    is a problem on that item's field (its code) with the item's label as a parameter.
    """
    problems: list[FieldProblem] = []
    scores: dict[str, int] = {}
    for item in ITEMS:
        value = raw.get(item.code)
        if value is None or value == "":
            problems.append(
                FieldProblem(item.code, "missing", N_("Choose a score for this item."),
                             {"item": item.label})
            )  # fmt: skip
            continue
        try:
            points = int(str(value))
        except ValueError:
            points = -1
        if points not in SCALES[item.scale]:
            problems.append(
                FieldProblem(item.code, "out_of_range",
                             N_("A score from 0 to %(max)s for this item."),
                             {"item": item.label, "max": item.max_points})
            )  # fmt: skip
            continue
        scores[item.code] = points
    if problems:
        first = problems[0]
        raise Invalid(
            N_("Item “%(item)s” has no valid score."),
            field=first.field,
            problems=problems,
            item=first.params["item"],
        )
    return scores


def level_for_total(total: int) -> int:
    """The level a total alone gives: 90 → 0, 66–89 → 1, 46–65 → 2, 30–45 → 3, 0–29 → 4."""
    if not 0 <= total <= MAX_TOTAL:
        raise Invalid(N_("A total from 0 to %(max)s."), field="total", max=MAX_TOTAL)
    return next(level for floor, level in LEVEL_FLOORS if total >= floor)


def risk_count(events: Mapping[str, int] | None) -> int:
    """How many risk events were recorded in the window (negative counts refused)."""
    total = 0
    for code, count in (events or {}).items():
        if code not in RISK_LABELS:
            raise Invalid(N_("Choose one of the options."), field=f"risk_{code}")
        if count < 0:
            raise Invalid(N_("Must be at least %(limit)s."), field=f"risk_{code}", limit=0)
        total += count
    return total


def assess(raw: Mapping[str, object], facts: Facts = Facts()) -> Result:
    """Score the items and give the level with the adjustments that applied, in order."""
    scores = checked_scores(raw)
    total = sum(scores.values())
    parts = {part.value: 0 for part in Part}
    for code, points in scores.items():
        parts[BY_CODE[code].part] += points
    score_level = level_for_total(total)
    level = score_level
    adjustments: list[Adjustment] = []
    if facts.coma:
        level = MAX_LEVEL
        adjustments.append(Adjustment.COMA)
    steps = []
    if facts.mental_disorder:
        steps.append(Adjustment.MENTAL_DISORDER)
    if risk_count(facts.risk_events) >= RISK_EVENTS_FOR_STEP:
        steps.append(Adjustment.RISK_EVENTS)
    for step in steps:
        if level >= MAX_LEVEL:
            if Adjustment.COMA not in adjustments and Adjustment.CAPPED not in adjustments:
                adjustments.append(Adjustment.CAPPED)
            continue
        level += 1
        adjustments.append(step)
    return Result(scores, total, parts, score_level, level, tuple(adjustments))
