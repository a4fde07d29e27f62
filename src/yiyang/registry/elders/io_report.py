"""The problem report of a rejected import: translated rows for pages and API, and a CSV."""

from __future__ import annotations

from typing import Any

from yiyang.errors import N_
from yiyang.registry.elders import io as elder_io
from yiyang.web.i18n import translate

REPORT_HEADERS = (N_("Row"), N_("Column"), N_("Code"), N_("Problem"))


def rejected_rows(locale: str, exc: elder_io.ImportRejected) -> list[dict[str, Any]]:
    """The per-row problems of a rejected import, translated."""
    return [
        {
            "row": p.row,
            "column": p.column,
            "field": p.field,
            "code": p.code,
            "message": translate(locale, p.message, p.params),
        }
        for p in exc.rows
    ]


def report_bytes(locale: str, exc: elder_io.ImportRejected) -> bytes:
    """The problem report of a rejected import as a CSV file."""
    return elder_io.report_csv(
        exc.rows,
        lambda message, params: translate(locale, message, params),
        [translate(locale, h) for h in REPORT_HEADERS],
    )
