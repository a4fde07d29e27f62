"""A report cell as people read it: thousands separated, shares in per cent, money in yuan."""

from __future__ import annotations

from typing import Any

from yiyang.errors import N_
from yiyang.web.i18n import translate

MISSING = "—"


def shown(value: Any, kind: str, locale: str) -> str:
    """The cell's text for the page and the print (— when there is nothing to show)."""
    if value is None:
        return MISSING
    if kind == "count":
        return f"{int(value):,}"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "fen":
        return f"¥{value / 100:,.2f}"
    if kind == "minutes":
        return translate(locale, N_("%(n)s min"), {"n": f"{value:.0f}"})
    if kind == "seconds":
        return translate(locale, N_("%(n)s s"), {"n": f"{value:.0f}"})
    if kind == "score":
        return f"{value:.1f}"
    return str(value)
