"""Pure rule shared by elders and staff: an ID number's form, as a field problem."""

from __future__ import annotations

from datetime import date

from yiyang.errors import N_, FieldProblem
from yiyang.kit.idcard import IdNumberError, IdNumberFacts, parse_id_number

ID_MESSAGES = {
    "length": N_("An ID number has 18 characters."),
    "characters": N_("An ID number is 17 digits followed by a digit or X."),
    "birth_date": N_("The birth date inside the ID number is not a real date."),
    "checksum": N_("The last character of the ID number does not match (checksum)."),
}


def parsed_id_number(
    raw: str, today: date, field: str = "id_number"
) -> FieldProblem | IdNumberFacts:
    """Parse an ID number, or say what is wrong with its form."""
    try:
        return parse_id_number(raw, today=today)
    except IdNumberError as exc:
        return FieldProblem(field, f"id_{exc.reason}", ID_MESSAGES[exc.reason])
