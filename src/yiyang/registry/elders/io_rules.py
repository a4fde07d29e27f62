"""Pure steps of an elder import: recognise the file, read its rows, turn a row into a schema."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from pydantic import ValidationError

from yiyang.errors import N_, FieldProblem, Invalid, TooLarge
from yiyang.registry.elders.io_columns import BY_KEY, MAX_CONTACTS, REQUIRED, header_key, parse_cell
from yiyang.registry.elders.schemas import ElderCreate

_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc
_BINARY_MAGIC = (
    b"%PDF-", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!",
    b"BM", b"\x00\x00\x01\x00", b"MZ", b"\x7fELF",
)  # fmt: skip


@dataclass
class Sheet:
    """The rows of an uploaded file: header cells, then (spreadsheet row number, cells)."""

    kind: str  # "xlsx" or "csv"
    header: list[str]
    header_row: int
    rows: list[tuple[int, list[Any]]] = dc_field(default_factory=list)


def sniff(content: bytes) -> str:
    """Tell an xlsx from a CSV by the bytes (never the file name), refusing anything else."""
    if not content.strip():
        raise Invalid(N_("The file is empty."), code="empty_file", field="file")
    if content.startswith(_ZIP):
        return "xlsx"
    if content.startswith(_OLE):
        raise Invalid(
            N_("This is an old-format Excel file (.xls); save it as .xlsx or .csv and retry."),
            code="not_spreadsheet",
            field="file",
        )
    utf16 = content.startswith((b"\xff\xfe", b"\xfe\xff"))
    if content.startswith(_BINARY_MAGIC) or (not utf16 and b"\x00" in content[:65536]):
        raise Invalid(
            N_("The file is neither an .xlsx workbook nor a CSV text file."),
            code="not_spreadsheet",
            field="file",
        )
    return "csv"


def decode_text(content: bytes) -> str:
    """Decode a CSV: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030 (Chinese Excel)."""
    if content.startswith(b"\xef\xbb\xbf"):
        encodings: Sequence[str] = ("utf-8-sig",)
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Invalid(
        N_("The CSV file is not text in UTF-8 or GB18030; save it again as CSV (UTF-8)."),
        code="encoding",
        field="file",
    )


def _too_many(max_rows: int) -> TooLarge:
    return TooLarge(
        N_("The file has more than %(max)s data rows; split it into smaller files."),
        code="too_many_rows",
        field="file",
        max=max_rows,
    )


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _collect(kind: str, numbered: Any, max_rows: int) -> Sheet:
    sheet: Sheet | None = None
    for number, cells in numbered:
        if _blank(cells):
            continue
        if sheet is None:
            header = [("" if c is None else str(c)).strip() for c in cells]
            while header and not header[-1]:
                header.pop()
            sheet = Sheet(kind, header, number)
            continue
        if len(sheet.rows) >= max_rows:
            raise _too_many(max_rows)
        sheet.rows.append((number, list(cells)))
    if sheet is None:
        raise Invalid(N_("The file is empty."), code="empty_file", field="file")
    if not sheet.rows:
        raise Invalid(N_("The file has a header but no data rows."), code="no_rows", field="file")
    return sheet


def read_csv(content: bytes, max_rows: int) -> Sheet:
    """The rows of a CSV file; the delimiter (comma, tab or semicolon) is read off the header."""
    text = decode_text(content)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _collect("csv", enumerate(reader, start=1), max_rows)
    except csv.Error as exc:
        raise Invalid(
            N_("The CSV file cannot be read: %(reason)s."),
            code="corrupt",
            field="file",
            reason=str(exc),
        ) from exc


def read_xlsx(content: bytes, max_rows: int) -> Sheet:
    """The rows of the first worksheet of an xlsx workbook, read in streaming (read-only) mode."""
    from openpyxl import load_workbook

    corrupt = Invalid(
        N_("The .xlsx file is damaged or is not an Excel workbook."), code="corrupt", field="file"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise corrupt from exc
    if "xl/workbook.xml" not in names:
        raise Invalid(
            N_("The file is a ZIP archive but not an .xlsx workbook."),
            code="not_spreadsheet",
            field="file",
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise corrupt from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        return _collect("xlsx", enumerate(rows, start=1), max_rows)
    except (Invalid, TooLarge):
        raise
    except Exception as exc:
        raise corrupt from exc
    finally:
        workbook.close()


def read_sheet(content: bytes, max_rows: int) -> Sheet:
    """Recognise and read an uploaded file."""
    kind = sniff(content)
    return read_xlsx(content, max_rows) if kind == "xlsx" else read_csv(content, max_rows)


def map_header(header: list[str], locale_header: Any) -> list[str | None]:
    """Column keys in file order; unknown, repeated or missing required columns are refused."""
    keys: list[str | None] = []
    unknown: list[str] = []
    repeated: list[str] = []
    for text in header:
        if not text:
            keys.append(None)
            continue
        key = header_key(text)
        if key is None:
            unknown.append(text)
        elif key in keys:
            repeated.append(text)
        keys.append(key)
    if unknown:
        raise Invalid(
            N_("Unknown columns: %(columns)s."),
            code="unknown_columns",
            field="file",
            columns=", ".join(unknown),
        )
    if repeated:
        raise Invalid(
            N_("Columns given twice: %(columns)s."),
            code="repeated_columns",
            field="file",
            columns=", ".join(repeated),
        )
    missing = [locale_header(k) for k in REQUIRED if k not in keys]
    if missing:
        raise Invalid(
            N_("Required columns are missing: %(columns)s."),
            code="missing_columns",
            field="file",
            columns=", ".join(missing),
        )
    return keys


_REQUIRED_MSG = N_("This column is required.")


def _pydantic_problems(exc: ValidationError) -> list[FieldProblem]:
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ())) or "row"
        kind, ctx = err.get("type", "invalid"), err.get("ctx") or {}
        if kind == "missing" or (kind == "string_too_short" and not err.get("input")):
            problems.append(FieldProblem(where, "required", _REQUIRED_MSG))
        elif kind == "string_too_short":
            message = N_("Too short: at least %(min)s characters.")
            problems.append(
                FieldProblem(where, "too_short", message, {"min": ctx.get("min_length")})
            )
        elif kind == "string_too_long":
            message = N_("Too long: at most %(max)s characters.")
            problems.append(FieldProblem(where, kind, message, {"max": ctx.get("max_length")}))
        elif kind in ("greater_than_equal", "less_than_equal"):
            message = N_("Out of the allowed range (%(low)s to %(high)s).")
            low, high = (50, 500) if where == "geofence_m" else (0, 4)
            problems.append(FieldProblem(where, "range", message, {"low": low, "high": high}))
        else:
            problems.append(FieldProblem(where, kind, str(err.get("msg", kind))))
    return problems


def row_to_schema(
    keys: list[str | None], cells: list[Any]
) -> tuple[ElderCreate | None, dict[str, Any], list[FieldProblem]]:
    """Convert a row's cells into an ElderCreate; problems name the field (contacts.N.part)."""
    values: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    for key, raw in zip(keys, cells, strict=False):
        if key is None:
            continue
        value, problem = parse_cell(BY_KEY[key], raw)
        if problem:
            problems.append(problem)
        elif value is not None:
            values[key] = value
    for key in REQUIRED:
        if key not in values and not any(p.field == key for p in problems):
            problems.append(FieldProblem(key, "required", _REQUIRED_MSG))
    data: dict[str, Any] = {k: v for k, v in values.items() if not k.startswith("contact")}
    contacts = []
    for n in range(1, MAX_CONTACTS + 1):
        parts = {p: values.get(f"contact{n}_{p}") for p in ("name", "relationship", "phone")}
        has_key = values.get(f"contact{n}_has_key")
        if not any(parts.values()) and not has_key:
            continue
        for part, value in parts.items():
            if not value:
                problems.append(FieldProblem(f"contact{n}_{part}", "required", _REQUIRED_MSG))
        contacts.append({**parts, "has_key": bool(has_key)})
    data["contacts"] = contacts
    if problems:
        return None, data, problems
    try:
        return ElderCreate.model_validate(data), data, []
    except ValidationError as exc:
        return None, data, _pydantic_problems(exc)


def column_of(problem_field: str) -> str:
    """The column key a problem refers to: contacts.0.phone → contact1_phone."""
    parts = problem_field.split(".")
    if parts[0] == "contacts" and len(parts) >= 3 and parts[1].isdigit():
        return f"contact{int(parts[1]) + 1}_{parts[2]}"
    return parts[0]
