"""Builders of spreadsheet files for the elder import tests."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook

from tests.builders import INSIDE, new_id_number
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.io_columns import BY_KEY


def row(community: Area, **overrides: Any) -> dict[str, Any]:
    """One valid import row keyed by English column keys."""
    data: dict[str, Any] = {
        "id_number": new_id_number(date(1944, 6, 2), "M"),
        "name": "刘建国",
        "phone": "13712345678",
        "household_registration": "郑州市金水区",
        "address": "北林路 18 号院 3 号楼",
        "community_code": community.code,
        "lat": INSIDE[0],
        "lon": INSIDE[1],
        "living_situation": "独居",
        "special_groups": "独居、失能",
        "economic_status": "低保",
        "capability_level": 2,
        "consent_given": "是",
        "contact1_name": "刘伟",
        "contact1_relationship": "儿子",
        "contact1_phone": "13611112222",
        "contact1_has_key": "是",
    }
    data.update(overrides)
    return data


def _table(rows: list[dict[str, Any]], headers: str) -> tuple[list[str], list[list[Any]]]:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    header = [BY_KEY[k].zh if headers == "zh" and k in BY_KEY else k for k in keys]
    return header, [[r.get(k) for k in keys] for r in rows]


def xlsx_bytes(rows: list[dict[str, Any]], headers: str = "zh") -> bytes:
    """An xlsx workbook with a header row and the rows."""
    header, body = _table(rows, headers)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(header)
    for cells in body:
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(
    rows: list[dict[str, Any]], headers: str = "zh", encoding: str = "utf-8-sig"
) -> bytes:
    """A CSV file with a header row and the rows, in an encoding."""
    header, body = _table(rows, headers)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in cells] for cells in body])
    return out.getvalue().encode(encoding)


def read_xlsx(content: bytes) -> list[list[Any]]:
    """All rows of the first sheet of a workbook."""
    wb = load_workbook(io.BytesIO(content), read_only=True)
    try:
        return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def read_csv(content: bytes) -> list[list[str]]:
    """All rows of a UTF-8 (BOM) CSV."""
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
