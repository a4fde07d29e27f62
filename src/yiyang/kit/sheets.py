"""One cell guard for every spreadsheet and CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import IO, Any

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


def write_table(
    kind: str, header: list[str], rows: Iterable[list[Any]], out: IO[bytes], *, sheet: str,
    guard: bool = True,
) -> int:  # fmt: skip
    """Write a header and rows as .xlsx (openpyxl write-only) or CSV (UTF-8 with BOM), every
    cell through `cell_value`; returns the number of rows. Without `guard`, text starting with
    "=" is still stored as text in the workbook, never as a formula."""
    count = 0
    if kind == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        for cells in rows:
            writer.writerow(["" if v is None else cell_value(v, guard=guard) for v in cells])
            count += 1
        text.flush()
        text.detach()
        return count
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    table = workbook.create_sheet(sheet)
    table.append(header)
    for cells in rows:
        out_cells: list[Any] = []
        for v in cells:
            v = cell_value(v, guard=guard)
            if isinstance(v, str) and v.startswith("="):
                cell = WriteOnlyCell(table, value=v)
                cell.data_type = "s"  # text, never a formula
                v = cell
            out_cells.append(v)
        table.append(out_cells)
        count += 1
    workbook.save(out)
    return count
