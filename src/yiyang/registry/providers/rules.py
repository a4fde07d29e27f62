"""Pure rules about providers: the unified social credit code (GB 32100-2015)."""

from __future__ import annotations

from yiyang.errors import N_, FieldProblem

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z


def uscc_check_char(first17: str) -> str:
    """The check character of a unified social credit code: weights 3^i mod 31."""
    total = sum(USCC_CHARS.index(ch) * pow(3, i, 31) for i, ch in enumerate(first17))
    return USCC_CHARS[(31 - total % 31) % 31]


def normalise_credit_code(raw: str | None) -> str | None:
    """Upper-case without spaces; empty becomes None."""
    if raw is None:
        return None
    code = raw.replace(" ", "").upper()
    return code or None


def credit_code_problem(code: str | None, field: str = "credit_code") -> FieldProblem | None:
    """A credit code has 18 characters from the GB 32100 alphabet and a matching checksum."""
    if code is None:
        return None
    if len(code) != 18 or any(ch not in USCC_CHARS for ch in code):
        return FieldProblem(
            field,
            "credit_code_shape",
            N_("A unified social credit code has 18 digits or capital letters (no I, O, S, V, Z)."),
        )
    if uscc_check_char(code[:17]) != code[17]:
        return FieldProblem(
            field,
            "credit_code_checksum",
            N_("The last character of the credit code does not match (checksum)."),
        )
    return None
