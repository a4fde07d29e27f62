"""Bulk import of a delivery batch (.xlsx or .csv): one device per row, all or nothing per row.

Each row is registered (and, when it names an elder, bound and recorded installed) in a
savepoint of its own: a row with a problem leaves nothing behind and the next rows go on.
The report lists every row: the device it became, or its problems in words.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from yiyang.devices import service
from yiyang.devices.kinds import KINDS, DeviceKind
from yiyang.devices.schemas import BindIn, DeviceCreate
from yiyang.errors import N_, DomainError, FieldProblem, Invalid
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.io_rules import read_sheet
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.i18n import translate

# Columns in template order: key and header (translated in the template and the report).
COLUMNS: tuple[tuple[str, str], ...] = (
    ("kind", N_("Kind")),
    ("vendor", N_("Maker")),
    ("model", N_("Model")),
    ("imei", N_("IMEI")),
    ("serial", N_("Serial number")),
    ("mac", N_("MAC address")),
    ("firmware", N_("Firmware")),
    ("protocol", N_("Message format")),
    ("elder", N_("Elder's ID card number")),
    ("location_note", N_("Where it is fitted")),
)
REQUIRED = ("kind", "vendor", "model")
LOCALES = ("zh_CN", "en")
REPORT_HEADERS = (N_("Row"), N_("Result"), N_("Device"), N_("Column"), N_("Problem"))
SCHEMES = ("imei", "serial", "mac")


@dataclass
class RowResult:
    """What became of one row: the device registered, or the problems that stopped it."""

    row: int
    device_id: int | None = None
    problems: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # column key


@dataclass
class BatchResult:
    """Every row's result."""

    rows: list[RowResult]

    @property
    def registered(self) -> int:
        """Rows that became devices."""
        return sum(1 for r in self.rows if r.device_id is not None)

    @property
    def refused(self) -> int:
        """Rows that were refused."""
        return len(self.rows) - self.registered


def _header_keys() -> dict[str, str]:
    keys = {key: key for key, _ in COLUMNS}
    for locale in LOCALES:
        keys |= {translate(locale, text).strip().lower(): key for key, text in COLUMNS}
    return keys


def _kind_names() -> dict[str, str]:
    names = {str(k): str(k) for k in DeviceKind}
    for locale in LOCALES:
        names |= {
            translate(locale, info.label).strip().lower(): str(k) for k, info in KINDS.items()
        }
    return names


def map_columns(header: list[str]) -> list[str | None]:
    """Column keys in file order (by header text in either language); refuses unknown ones."""
    known = _header_keys()
    keys: list[str | None] = []
    unknown: list[str] = []
    for text in header:
        cell = (text or "").strip()
        if not cell:
            keys.append(None)
            continue
        key = known.get(cell.lower())
        if key is None:
            unknown.append(cell)
        keys.append(key)
    if unknown:
        raise Invalid(N_("Unknown columns: %(columns)s."), code="unknown_columns", field="file",
                      columns=", ".join(unknown))  # fmt: skip
    missing = [k for k in REQUIRED if k not in keys]
    if missing:
        raise Invalid(N_("Required columns are missing: %(columns)s."), code="missing_columns",
                      field="file", columns=", ".join(missing))  # fmt: skip
    return keys


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a long IMEI typed as a number
    return str(value).strip()


def _problems_of(exc: ValidationError) -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        column = loc[0] if loc else "file"
        if column == "identities":
            column = "imei"
        message = (
            N_("This column is required.")
            if err["type"] == "missing"
            else N_("This value is not accepted here.")
        )
        out.append((column, message, {}))
    return out


def _row_problems(exc: DomainError) -> list[tuple[str, str, dict[str, Any]]]:
    problems = exc.problems or [
        FieldProblem(exc.field or "file", exc.code, exc.message, exc.params)
    ]
    return [(_column(p.field), p.message, p.params) for p in problems]


def _column(problem_field: str) -> str:
    if problem_field.startswith("identities"):
        return "imei"
    if problem_field == "elder_id":
        return "elder"
    return problem_field


def _one_row(
    session: Session, subject: Subject, cells: dict[str, str], now: datetime, kinds: dict[str, str]
) -> int:
    """Register (and bind) one row's device; raises what is wrong with it."""
    kind = kinds.get(cells.get("kind", "").lower(), cells.get("kind", ""))
    identities = [{"scheme": s, "value": cells[s]} for s in SCHEMES if cells.get(s)]
    payload: dict[str, Any] = {
        "kind": kind, "vendor": cells.get("vendor", ""), "model": cells.get("model", ""),
        "identities": identities, "firmware": cells.get("firmware") or None,
        "protocol": cells.get("protocol") or "house",
    }  # fmt: skip
    data = DeviceCreate.model_validate(payload)
    elder_id = None
    if number := cells.get("elder", "").upper():
        elder_id = elder_repository.id_with_number(session, subject, number)
        if elder_id is None:
            raise Invalid(N_("No elder with this ID number or record number in your area."),
                          field="elder", code="unknown_elder")  # fmt: skip
    device, _secret = service.register(session, subject, data, now=now)
    if elder_id is not None:
        bind = BindIn(elder_id=elder_id, location_note=cells.get("location_note") or None)
        service.bind(session, subject, device.id, bind, now=now)
    return device.id


def import_batch(
    session: Session,
    subject: Subject,
    content: bytes,
    *,
    now: datetime,
    max_rows: int,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    """Register every good row of a delivery batch, each in its own savepoint; report all."""
    subject.require(Perm.DEVICE_WRITE)
    sheet = read_sheet(content, max_rows)
    keys = map_columns(sheet.header)
    kinds = _kind_names()
    results: list[RowResult] = []
    for seen, (number, raw) in enumerate(sheet.rows):
        if progress is not None and seen % 200 == 0:
            progress(seen, len(sheet.rows))
        cells = {k: _text(v) for k, v in zip(keys, raw, strict=False) if k is not None}
        result = RowResult(number)
        try:
            with session.begin_nested():
                result.device_id = _one_row(session, subject, cells, now, kinds)
        except ValidationError as exc:
            result.problems = _problems_of(exc)
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            result.problems = _row_problems(exc)
        results.append(result)
    batch = BatchResult(results)
    counts = {"registered": batch.registered, "refused": batch.refused}
    audit.record(session, subject, "import", "device", None, after=counts, at=now)
    return batch


def template_bytes(locale: str) -> bytes:
    """The delivery-batch template: translated headers and two example rows."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([translate(locale, text) for _, text in COLUMNS])
    cord = translate(locale, KINDS[DeviceKind.PULL_CORD].label)
    band = translate(locale, KINDS[DeviceKind.VITALS_BAND].label)
    sheet.append([cord, "颐家科技", "YJ-PC200", "867812030000011", "YJ-PC200-2026000001", "",
                  "2.3.1", "house", "", ""])  # fmt: skip
    sheet.append([band, "华康智能", "HK-B7", "864555070000015", "", "", "2.4.0", "house", "", ""])
    for column in ("D", "E", "F", "I"):
        for cell in sheet[column]:
            cell.number_format = "@"  # text: long numbers keep every digit
        sheet.column_dimensions[column].width = 22
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def result_rows(locale: str, batch_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored row results (job data) as the page and the report show them, translated."""
    headers = {key: translate(locale, text) for key, text in COLUMNS}
    out = []
    for r in batch_rows:
        problems = [
            {"column": headers.get(c, c), "message": translate(locale, m, p)}
            for c, m, p in r["problems"]
        ]
        out.append({"row": r["row"], "device_id": r["device_id"], "problems": problems})
    return out


def report_csv(locale: str, rows: list[dict[str, Any]]) -> bytes:
    """Every row's result as CSV (UTF-8 with BOM so that Excel shows Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([translate(locale, h) for h in REPORT_HEADERS])
    done, refused = translate(locale, N_("Device registered")), translate(locale, N_("Refused"))
    for r in result_rows(locale, rows):
        if r["device_id"] is not None:
            writer.writerow([r["row"], done, r["device_id"], "", ""])
        for p in r["problems"]:
            writer.writerow([r["row"], refused, "", p["column"], p["message"]])
    return out.getvalue().encode("utf-8-sig")


def plain_rows(batch: BatchResult) -> list[dict[str, Any]]:
    """Row results as JSON-ready data (job data)."""
    return [
        {"row": r.row, "device_id": r.device_id,
         "problems": [[c, m, {k: str(v) for k, v in p.items()}] for c, m, p in r.problems]}
        for r in batch.rows
    ]  # fmt: skip
