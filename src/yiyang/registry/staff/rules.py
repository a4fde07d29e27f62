"""Pure rules about staff: identity (aged 16+), sex, skills and certificates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from yiyang.errors import N_, FieldProblem
from yiyang.kit.idcard import IdNumberFacts, age_on
from yiyang.registry.identity_rules import parsed_id_number

MIN_STAFF_AGE = 16


def staff_id_problem(
    raw: str, today: date, field: str = "id_number"
) -> FieldProblem | IdNumberFacts:
    """Parse a staff member's ID number (working age: 16 or over), or say what is wrong."""
    facts = parsed_id_number(raw, today, field)
    if isinstance(facts, FieldProblem):
        return facts
    age = age_on(facts.birth_date, today)
    if age < MIN_STAFF_AGE:
        return FieldProblem(
            field,
            "too_young",
            N_("Staff must be aged %(min)s or over; this ID number gives %(age)s."),
            {"min": MIN_STAFF_AGE, "age": age},
        )
    return facts


def sex_problem(
    given: str | None, facts: IdNumberFacts | None, field: str = "sex"
) -> FieldProblem | None:
    """Sex comes from the ID number when there is one; otherwise it must be given."""
    if facts is not None:
        if given is not None and given != facts.sex:
            return FieldProblem(
                field, "sex_mismatch", N_("The sex does not match the one in the ID number.")
            )
        return None
    if given is None:
        return FieldProblem(field, "required", N_("Give the sex when there is no ID number."))
    return None


def skills_problems(skills: Sequence[str], field: str = "skills") -> list[FieldProblem]:
    """A skill may be listed only once (its level says how good)."""
    problems: list[FieldProblem] = []
    seen: set[str] = set()
    for index, skill in enumerate(skills):
        if skill in seen:
            problems.append(
                FieldProblem(
                    f"{field}.{index}.skill", "duplicate", N_("This skill is listed twice.")
                )
            )
        seen.add(skill)
    return problems


def certificates_problems(
    spans: Sequence[tuple[date | None, date | None]], today: date, field: str = "certificates"
) -> list[FieldProblem]:
    """A certificate is issued on or before today and on or before it expires."""
    problems: list[FieldProblem] = []
    for index, (issued, expires) in enumerate(spans):
        if issued is not None and issued > today:
            problems.append(
                FieldProblem(
                    f"{field}.{index}.issued_date",
                    "future",
                    N_("The issue date cannot be in the future."),
                )
            )
        if issued is not None and expires is not None and issued > expires:
            problems.append(
                FieldProblem(
                    f"{field}.{index}.expires_date",
                    "date_order",
                    N_("A certificate cannot expire before it was issued."),
                )
            )
    return problems
