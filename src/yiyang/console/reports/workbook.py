"""The report as an .xlsx: a summary sheet of the headline figures, then a sheet per table,
with real numbers (shares as per cent, money in yuan) so the bureau can sum and chart them."""

from __future__ import annotations

import io
from typing import Any

from yiyang.console.reports.model import Column, Report
from yiyang.errors import N_
from yiyang.kit.localtime import local_text
from yiyang.kit.sheets import cell_value
from yiyang.web.i18n import translate

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = {
    "count": "#,##0",
    "share": "0.0%",
    "fen": '"¥"#,##0.00;-"¥"#,##0.00',
    "minutes": "0",
    "seconds": "0",
    "score": "0.0",
}


def _value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "fen":
        return value / 100
    return cell_value(value) if kind == "text" else value


def _row(sheet: Any, cells: list[Any], columns: list[Column], *, bold: bool = False) -> None:
    from openpyxl.styles import Font

    sheet.append([_value(v, c.kind) for v, c in zip(cells, columns, strict=True)])
    for n, c in enumerate(columns, start=1):
        cell = sheet.cell(row=sheet.max_row, column=n)
        if c.kind in FORMATS:
            cell.number_format = FORMATS[c.kind]
        if bold:
            cell.font = Font(bold=True)


def report_file(report: Report, locale: str) -> tuple[bytes, str]:
    """The workbook's bytes and its file name."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t = lambda s: translate(locale, s)  # noqa: E731
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = t(N_("Summary"))[:31]
    summary.append([report.title])
    summary.cell(row=1, column=1).font = Font(bold=True, size=14)
    summary.append([t(N_("For")), cell_value(report.scope)])
    summary.append([t(N_("Period")), f"{report.first.isoformat()} – {report.last.isoformat()}"])
    summary.append([t(N_("Made")), local_text(report.generated_at)])
    summary.append([])
    words = [t(N_("Figure")), t(N_("Value")), t(N_("Target"))]
    _row(summary, words, [Column(w, "text") for w in words], bold=True)
    for f in report.figures:
        _row(summary, [f.label, f.value, f.target], [Column("", "text"), Column("", f.kind),
             Column("", "share")])  # fmt: skip
    summary.column_dimensions["A"].width = 34
    summary.column_dimensions["B"].width = 22
    used: set[str] = {summary.title}
    for table in report.tables:
        title = table.title[:31]
        while title in used:
            title = title[:29] + f"_{len(used)}"
        used.add(title)
        sheet = book.create_sheet(title)
        _row(sheet, [c.label for c in table.columns],
             [Column(c.label, "text") for c in table.columns], bold=True)  # fmt: skip
        for row in table.rows:
            _row(sheet, row, table.columns)
        if table.total:
            _row(sheet, table.total, table.total_columns, bold=True)
        if table.note:
            sheet.append([])
            sheet.append([cell_value(table.note)])
        sheet.column_dimensions["A"].width = 30
        for n in range(2, len(table.columns) + 1):
            sheet.column_dimensions[sheet.cell(row=1, column=n).column_letter].width = 16
    buffer = io.BytesIO()
    book.save(buffer)
    name = f"report-{report.first.isoformat()}-{report.last.isoformat()}.xlsx"
    return buffer.getvalue(), name
