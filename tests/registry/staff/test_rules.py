"""Pure rules of staff: working-age identity, sex, skills and certificates."""

from __future__ import annotations

from datetime import date

from yiyang.errors import FieldProblem
from yiyang.kit.idcard import IdNumberFacts, make_id_number
from yiyang.registry.staff.rules import (
    certificates_problems,
    sex_problem,
    skills_problems,
    staff_id_problem,
)

TODAY = date(2026, 11, 23)


def test_staff_id_accepts_working_age_and_refuses_children() -> None:
    adult = staff_id_problem(make_id_number("410105", date(1990, 5, 1), 11, "F"), TODAY)
    assert isinstance(adult, IdNumberFacts) and adult.sex == "F"
    sixteen = staff_id_problem(make_id_number("410105", date(2010, 11, 23), 13, "M"), TODAY)
    assert isinstance(sixteen, IdNumberFacts)
    young = staff_id_problem(make_id_number("410105", date(2010, 11, 24), 13, "M"), TODAY)
    assert isinstance(young, FieldProblem) and young.code == "too_young"
    bad = staff_id_problem("410105199005010010", TODAY)
    assert isinstance(bad, FieldProblem) and bad.code == "id_checksum"


def test_sex_comes_from_id_or_must_be_given() -> None:
    facts = IdNumberFacts("x", "410105", date(1990, 1, 1), "F")
    assert sex_problem(None, facts) is None and sex_problem("F", facts) is None
    assert (p := sex_problem("M", facts)) and p.code == "sex_mismatch"
    assert (p := sex_problem(None, None)) and p.code == "required"
    assert sex_problem("M", None) is None


def test_duplicate_skills_and_certificate_dates() -> None:
    problems = skills_problems(["bathing", "cleaning", "bathing"])
    assert [(p.field, p.code) for p in problems] == [("skills.2.skill", "duplicate")]
    problems = certificates_problems(
        [
            (date(2020, 1, 1), date(2025, 1, 1)),
            (date(2024, 1, 1), date(2023, 1, 1)),
            (date(2027, 1, 1), None),
            (None, None),
        ],
        TODAY,
    )
    assert [(p.field, p.code) for p in problems] == [
        ("certificates.1.expires_date", "date_order"),
        ("certificates.2.issued_date", "future"),
    ]
