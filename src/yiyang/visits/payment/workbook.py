"""The .xlsx of a settlement run: a sheet of totals and a sheet of lines, in the reader's words.

Headers and kinds are translated, money is in yuan with two decimals shown as ¥, and the
totals are those of the run's page (the same lines, the same sums).
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from fastapi.responses import Response
from sqlalchemy.orm import Session

from yiyang.errors import N_
from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.sheets import cell_value
from yiyang.security.audit import service as audit
from yiyang.security.subject import Subject
from yiyang.visits.payment import settlements
from yiyang.visits.payment.rules import REASON_LABELS
from yiyang.visits.payment.schemas import RunRead
from yiyang.web.i18n import translate

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN_FORMAT = '"¥"#,##0.00;-"¥"#,##0.00'
STATUS_LABELS: dict[str, str] = {
    "draft": N_("Draft"),
    "reviewed": N_("Reviewed"),
    "closed": N_("Month closed"),
}
KIND_LABELS: dict[str, str] = {
    "visit": N_("Paid visit"),
    "excluded": N_("Excluded"),
    "adjustment": N_("Adjustment"),
}
LINE_HEADER = (
    N_("Kind"), N_("Service date"), N_("Elder"), N_("Service"), N_("Price"),
    N_("Government share"), N_("Elder share"), N_("Month corrected"), N_("Why excluded"),
    N_("Order no."),
)  # fmt: skip


def _local(at: datetime | None) -> str:
    return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M") if at else ""


def totals_rows(run: RunRead, locale: str) -> list[tuple[str, Any]]:
    """(label, value) rows of the totals sheet; money in yuan."""
    t = lambda s: translate(locale, s)  # noqa: E731
    return [
        (t(N_("Month")), run.month),
        (t(N_("Provider")), run.provider_name),
        (t(N_("Status")), t(STATUS_LABELS.get(run.status, run.status))),
        (t(N_("Paid visits")), run.count),
        (t(N_("Total")), run.total_fen / 100),
        (t(N_("Government share")), run.government_fen / 100),
        (t(N_("Elder share")), run.elder_fen / 100),
        (t(N_("Excluded visits")), run.excluded),
        (t(N_("Prepared")), f"{_local(run.created_at)} {run.created_by}"),
        (t(N_("Reviewed")), f"{_local(run.reviewed_at)} {run.reviewed_by or ''}".strip()),
        (t(N_("Month closed")), f"{_local(run.closed_at)} {run.closed_by or ''}".strip()),
    ]


def run_response(
    session: Session, subject: Subject, run_id: int, *, locale: str, now: datetime
) -> Response:
    """The run's workbook as a download (for the page and the API alike)."""
    content, name = run_file(session, subject, run_id, locale=locale, now=now)
    return Response(
        content, media_type=MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )  # fmt: skip


def run_file(
    session: Session, subject: Subject, run_id: int, *, locale: str, now: datetime
) -> tuple[bytes, str]:
    """The workbook of one readable run and its file name; the export is audited."""
    from openpyxl import Workbook

    run = settlements.read_run(session, subject, run_id)
    t = lambda s: translate(locale, s)  # noqa: E731
    book = Workbook()
    first = book.active
    assert first is not None
    first.title = t(N_("Totals"))[:31]
    money_rows = {4, 5, 6}
    for n, (label, value) in enumerate(totals_rows(run, locale)):
        first.append([label, cell_value(value)])
        if n in money_rows:
            first.cell(row=n + 1, column=2).number_format = YUAN_FORMAT
    first.column_dimensions["A"].width = 18
    first.column_dimensions["B"].width = 36
    lines = book.create_sheet(t(N_("Lines"))[:31])
    lines.append([t(h) for h in LINE_HEADER])
    for ln in run.lines:
        name = (
            ln.service_name_zh
            if locale == "zh_CN" or not ln.service_name_en
            else ln.service_name_en
        )
        why = "; ".join(t(REASON_LABELS[r]) for r in ln.reasons if r in REASON_LABELS)
        lines.append([
            t(KIND_LABELS.get(ln.kind, ln.kind)), ln.service_date.isoformat(),
            cell_value(ln.elder_name), cell_value(name), ln.price_fen / 100,
            ln.government_fen / 100, ln.elder_fen / 100, ln.for_month or "",
            why if ln.kind == "excluded" else "", ln.order_id,
        ])  # fmt: skip
        for number in (5, 6, 7):
            lines.cell(row=lines.max_row, column=number).number_format = YUAN_FORMAT
    for letter, width in zip("ABCDEFGHIJ", (12, 12, 12, 22, 12, 12, 12, 12, 40, 10), strict=True):
        lines.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(
        session, subject, "settlement_export", "settlement_run", run.id,
        detail=f"{run.month} provider={run.provider_id} lines={len(run.lines)}", at=now,
    )  # fmt: skip
    return buffer.getvalue(), f"settlement-{run.month}-{run.provider_id}.xlsx"
