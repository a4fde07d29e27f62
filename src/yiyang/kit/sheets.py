"""One cell guard for every spreadsheet and CSV export."""

from __future__ import annotations

import re
from typing import Any

# The characters XML 1.0 (and so .xlsx) cannot hold: one of them makes openpyxl refuse the
# whole workbook. Tab, line feed and carriage return are allowed.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"


def cell_value(value: Any, *, guard: bool = True) -> Any:
    """A value fit for a sheet cell: illegal characters become U+FFFD and, with `guard`,
    text a spreadsheet would run as a formula gets a leading apostrophe (kept as text)."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_XML.sub(REPLACEMENT, value)
    if guard and value.startswith(FORMULA_START):
        return "'" + value
    return value
