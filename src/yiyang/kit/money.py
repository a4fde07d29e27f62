"""Money is integer fen; these format it for people."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def fen_to_yuan_str(fen: int) -> str:
    """12345 -> '123.45'."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(yuan: str | float | int) -> int:
    """'123.45' -> 12345, rounding half up to the fen."""
    return int((Decimal(str(yuan)) * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
