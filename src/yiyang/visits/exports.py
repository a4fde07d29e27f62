"""Files out of the visits domain: the EVV export (csv/xlsx); settlement runs are in payment/."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Invalid
from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.sheets import cell_value
from yiyang.orders.models import ServiceOrder
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.visits import repository, rules
from yiyang.visits.models import Visit
from yiyang.visits.rules import EvvRecord

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MAX_EXPORT_DAYS = 366


@dataclass(frozen=True)
class FileOut:
    """A file made in memory, with its name and media type."""

    content: bytes
    file_name: str
    media_type: str
    count: int


def evv_record(order: ServiceOrder, visit: Visit | None) -> EvvRecord:
    """The six EVV facts of an order (elder, item and staff loaded) and its visit."""
    start = visit.check_in_at if visit else None
    return EvvRecord(
        order_id=order.id,
        service_code=order.item.code,
        service_name=order.item.name_zh,
        elder_id=order.elder_id,
        elder_name=order.elder.name,
        visit_date=rules.visit_date(start),
        place=order.elder.address,
        lat=visit.check_in_lat if visit and visit.check_in_lat is not None else order.elder.lat,
        lon=visit.check_in_lon if visit and visit.check_in_lon is not None else order.elder.lon,
        caregiver_id=visit.staff_id if visit else order.staff_id,
        caregiver_name=order.staff.name if order.staff else "",
        start_at=start,
        end_at=visit.check_out_at if visit else None,
        check_in_method=visit.check_in_method if visit else None,
        check_out_method=visit.check_out_method if visit else None,
        geofence_flag=(visit.check_in_flag or visit.check_out_flag) if visit else None,
        manual=visit.manual if visit else False,
    )


def _period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    if date_to < date_from:
        raise Invalid(N_("The period ends before it starts."), field="to")
    if (date_to - date_from).days >= MAX_EXPORT_DAYS:
        raise Invalid(
            N_("Export at most %(days)s days at a time."), field="to", days=MAX_EXPORT_DAYS
        )
    start = datetime.combine(date_from, time(0), CHINA_TZ).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(0), CHINA_TZ).astimezone(UTC)
    return start, end


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else cell_value(v) for v in row])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_single(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(header))
    for row in rows:
        sheet.append([cell_value(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _evv_checked(subject: Subject, date_from: date, date_to: date, kind: str) -> None:
    subject.require(Perm.EVV_EXPORT)
    if kind not in FORMATS:
        raise Invalid(N_("Unknown file format: %(value)s."), field="format", value=kind)
    _period(date_from, date_to)


def count_evv(session: Session, subject: Subject, date_from: date, date_to: date, kind: str) -> int:
    """How many rows an EVV export of the period would have (a direct file or a job)."""
    _evv_checked(subject, date_from, date_to, kind)
    start, end = _period(date_from, date_to)
    return repository.count_delivered_between(session, subject, start, end)


def evv_file(
    session: Session, subject: Subject, date_from: date, date_to: date, kind: str
) -> FileOut:
    """The six facts of every delivered visit in scope whose window started in the period."""
    _evv_checked(subject, date_from, date_to, kind)
    start, end = _period(date_from, date_to)
    records = [
        evv_record(o, v) for o, v in repository.delivered_between(session, subject, start, end)
    ]
    rows = [rules.evv_row(r) for r in records]
    if kind == "csv":
        content = _csv(rules.EVV_HEADERS, rows)
    else:
        content = _xlsx_single("evv", rules.EVV_HEADERS, rows)
    name = f"evv-{date_from:%Y%m%d}-{date_to:%Y%m%d}.{kind}"
    return FileOut(content, name, FORMATS[kind], len(rows))


def record_evv_export(
    session: Session, subject: Subject, date_from: date, date_to: date, out: FileOut, *,
    now: datetime,
) -> None:  # fmt: skip
    """Audit an EVV export: who, which period, which format, how many rows."""
    kind = out.file_name.rsplit(".", 1)[-1]
    audit.record(
        session,
        subject,
        "evv_export",
        "visit",
        None,
        detail=f"{date_from}..{date_to} {kind} rows={out.count}",
        at=now,
    )


def evv_export(
    session: Session,
    subject: Subject,
    date_from: date,
    date_to: date,
    kind: str,
    *,
    now: datetime,
) -> FileOut:
    """The EVV file of the period, audited."""
    out = evv_file(session, subject, date_from, date_to, kind)
    record_evv_export(session, subject, date_from, date_to, out, now=now)
    return out
