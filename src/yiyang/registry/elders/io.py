"""Elder import and export as .xlsx and .csv: validate everything, then write all or nothing."""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from yiyang.errors import N_, FieldProblem, Invalid, TooLarge
from yiyang.kit.idcard import make_id_number
from yiyang.kit.localtime import local_today
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import lookups, rules
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.io_columns import COLUMNS, MAX_CONTACTS, format_value, header_text
from yiyang.registry.elders.io_rules import column_of, map_header, read_sheet, row_to_schema
from yiyang.registry.elders.models import Elder, ElderContact, ElderGroup
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.disclosure import Kind, Viewer, mask
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

REPORT_LIMIT = 10_000  # problems listed in a report; the total is always counted
FORMATS = ("xlsx", "csv")
_CHUNK = 2000
_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


@dataclass(frozen=True)
class RowProblem:
    """One problem of one row: spreadsheet row number, column as headed in the file, reason."""

    row: int
    column: str
    field: str
    code: str
    message: str
    params: dict[str, Any] = dc_field(default_factory=dict)


class ImportRejected(Invalid):
    """At least one row is invalid, so nothing was imported; `rows` lists every problem."""

    code = "import_rejected"

    def __init__(self, rows: list[RowProblem], total: int, bad_rows: int) -> None:
        super().__init__(
            N_("Nothing was imported: %(bad)s rows have %(total)s problems."),
            problems=[
                FieldProblem(f"rows.{p.row}.{p.field}", p.code, p.message, p.params) for p in rows
            ],
            bad=bad_rows,
            total=total,
        )
        self.rows = rows
        self.total = total
        self.truncated = total > len(rows)


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote."""

    count: int
    file_name: str
    sha256: str
    kind: str


@dataclass(frozen=True)
class ImportLimits:
    """Upload limits from the settings."""

    max_bytes: int
    max_rows: int


def _communities(session: Session) -> dict[str, Area]:
    return {a.code: a for a in session.scalars(select(Area).where(Area.level == "community"))}


def _taken(session: Session, numbers: Sequence[str]) -> set[str]:
    """ID numbers already registered anywhere in the district (chunked IN queries)."""
    found: set[str] = set()
    for start in range(0, len(numbers), 900):
        chunk = numbers[start : start + 900]
        found.update(session.scalars(select(Elder.id_number).where(Elder.id_number.in_(chunk))))
    return found


def import_elders(
    session: Session,
    subject: Subject,
    content: bytes,
    file_name: str,
    *,
    now: datetime,
    district_code: str,
    limits: ImportLimits,
    locale: str = "zh_CN",
) -> ImportResult:
    """Validate every row of an uploaded file by the single-creation rules, then insert all."""
    subject.require(Perm.ELDER_IMPORT)
    if len(content) > limits.max_bytes:
        raise TooLarge(
            N_("The file is larger than %(mb)s MB."),
            field="file",
            mb=round(limits.max_bytes / 1024 / 1024, 1),
        )
    sheet = read_sheet(content, limits.max_rows)
    keys = map_header(sheet.header, lambda k: header_text(k, locale))
    headed = {k: sheet.header[i] for i, k in enumerate(keys) if k is not None}
    today = local_today(now)
    communities = _communities(session)
    problems: list[RowProblem] = []
    total = 0
    bad_rows: set[int] = set()

    def report(row: int, problem: FieldProblem) -> None:
        nonlocal total
        total += 1
        bad_rows.add(row)
        if len(problems) < REPORT_LIMIT:
            key = column_of(problem.field)
            problems.append(
                RowProblem(
                    row, headed.get(key, key), key, problem.code, problem.message, problem.params
                )
            )

    prepared: list[tuple[int, Any, elder_service.PreparedElder]] = []
    first_row: dict[str, int] = {}
    for number, cells in sheet.rows:
        data, raw, row_problems = row_to_schema(keys, cells)
        if data is None:
            if isinstance(raw.get("id_number"), str) and not any(
                p.field == "id_number" for p in row_problems
            ):
                checked = rules.id_number_problem(raw["id_number"], today)
                if isinstance(checked, FieldProblem):
                    row_problems.append(checked)
            for p in row_problems:
                report(number, p)
            continue
        ready, row_problems = elder_service.prepare_new_elder(
            session, subject, data, today=today, district_code=district_code,
            communities=communities,
        )  # fmt: skip
        for p in row_problems:
            report(number, p)
        if ready is None:
            continue
        id_number = ready.facts.number
        if id_number in first_row:
            report(number, FieldProblem(
                "id_number", "duplicate_in_file",
                N_("This ID number is also on row %(other)s of the file."),
                {"other": first_row[id_number]},
            ))  # fmt: skip
            continue
        first_row[id_number] = number
        prepared.append((number, data, ready))
    taken = _taken(session, [ready.facts.number for _, _, ready in prepared])
    for number, _data, ready in prepared:
        if ready.facts.number in taken:
            report(number, FieldProblem(
                "id_number", "duplicate_id_number",
                N_("An elder with this ID number is already registered."),
            ))  # fmt: skip
    if total:
        raise ImportRejected(sorted(problems, key=lambda p: p.row), total, len(bad_rows))
    _insert_all(session, subject, [(d, r) for _, d, r in prepared], now=now, today=today)
    digest = hashlib.sha256(content).hexdigest()
    audit.record(
        session, subject, "import", "elder", None,
        after={"count": len(prepared), "file_name": file_name, "sha256": digest,
               "format": sheet.kind},
        detail=file_name[:512], at=now,
    )  # fmt: skip
    return ImportResult(len(prepared), file_name, digest, sheet.kind)


def _insert_all(
    session: Session,
    subject: Subject,
    rows: list[tuple[Any, elder_service.PreparedElder]],
    *,
    now: datetime,
    today: date,
) -> None:
    """Bulk-insert elders, their groups and contacts, and one audit row per elder."""
    elder_table = cast(Table, Elder.__table__)
    values: list[dict[str, Any]] = []
    for data, ready in rows:
        values.append({
            "id_number": ready.facts.number, "name": data.name.strip(), "sex": ready.facts.sex,
            "birth_date": ready.facts.birth_date, "phone": ready.phone,
            "household_registration": data.household_registration,
            "address": data.address.strip(), "street_id": ready.community.parent_id,
            "community_id": ready.community.id, "lat": data.lat, "lon": data.lon,
            "geofence_m": data.geofence_m, "living_situation": str(data.living_situation),
            "economic_status": str(data.economic_status),
            "capability_level": data.capability_level, "consent_given": data.consent_given,
            "consent_date": data.consent_date or (today if data.consent_given else None),
            "status": "active", "status_date": None, "notes": data.notes,
            "created_at": now, "updated_at": now, "version": 1,
        })  # fmt: skip
    session.flush()
    ids: list[int] = []
    for start in range(0, len(values), _CHUNK):
        result = session.execute(
            insert(elder_table).returning(elder_table.c.id, sort_by_parameter_order=True),
            values[start : start + _CHUNK],
        )
        ids.extend(result.scalars().all())
    groups: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for elder_id, value, (data, ready) in zip(ids, values, rows, strict=True):
        codes = list(dict.fromkeys(str(g) for g in data.special_groups))
        groups += [{"elder_id": elder_id, "code": c} for c in codes]
        people = [{"priority": i + 1, **c.__dict__} for i, c in enumerate(ready.contacts)]
        contacts += [{"elder_id": elder_id, **c} for c in people]
        after = {k: value[k] for k in elder_service.SNAPSHOT_FIELDS}
        after["special_groups"] = codes
        after["contacts"] = [{k: c[k] for k in ("name", "relationship", "phone", "has_key")}
                             for c in people]  # fmt: skip
        audits.append({
            "at": now, "actor_id": subject.user_id, "actor_name": subject.username,
            "actor_role": str(subject.role), "action": "create", "entity": "elder",
            "entity_id": elder_id, "before": None, "after": _json_safe(after),
            "ip": subject.ip, "detail": "import",
        })  # fmt: skip
    for model, params in ((ElderGroup, groups), (ElderContact, contacts), (AuditEvent, audits)):
        table = cast(Table, model.__table__)
        for start in range(0, len(params), _CHUNK):
            session.execute(insert(table), params[start : start + _CHUNK])


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


# ---------------------------------------------------------------- export


def _elder_rows(
    session: Session, subject: Subject, flt: ElderFilter, today: date
) -> Iterator[dict[str, Any]]:
    """Matching elders in scope as flat dicts (masked for the subject), fetched by id ranges
    so memory stays flat."""
    viewer = Viewer(subject)
    codes = dict(session.execute(select(Area.id, Area.code)).tuples().all())
    base = elder_repository.filtered(subject, flt, today)
    cols = [c for c in Elder.__table__.c if c.key != "version"]
    last = 0
    while True:
        chunk = (
            session.execute(
                base.with_only_columns(*cols)
                .where(Elder.id > last)
                .order_by(Elder.id)
                .limit(_CHUNK)
            )
            .mappings()
            .all()
        )
        if not chunk:
            return
        ids = [r["id"] for r in chunk]
        last = ids[-1]
        groups: dict[int, list[str]] = {}
        for elder_id, code in session.execute(
            select(ElderGroup.elder_id, ElderGroup.code)
            .where(ElderGroup.elder_id.in_(ids))
            .order_by(ElderGroup.elder_id, ElderGroup.code)
        ):
            groups.setdefault(elder_id, []).append(code)
        contacts: dict[int, list[Any]] = {}
        for contact in session.execute(
            select(
                ElderContact.elder_id, ElderContact.name, ElderContact.relationship,
                ElderContact.phone, ElderContact.has_key,
            )
            .where(ElderContact.elder_id.in_(ids))
            .order_by(ElderContact.elder_id, ElderContact.priority)
        ):  # fmt: skip
            contacts.setdefault(contact.elder_id, []).append(contact)
        for r in chunk:
            row = dict(r)
            row["community_code"] = codes.get(row["community_id"])
            row["special_groups"] = groups.get(row["id"], [])
            row["id_number"] = mask(Kind.ELDER_ID_NUMBER, row["id_number"], viewer)
            row["phone"] = mask(Kind.ELDER_PHONE, row["phone"], viewer)
            for n, c in enumerate(contacts.get(row["id"], [])[:MAX_CONTACTS], start=1):
                row[f"contact{n}_name"] = c.name
                row[f"contact{n}_relationship"] = c.relationship
                row[f"contact{n}_phone"] = mask(Kind.CONTACT_PHONE, c.phone, viewer)
                row[f"contact{n}_has_key"] = c.has_key
            yield row


def _cells(row: dict[str, Any], locale: str, kind: str) -> list[Any]:
    guard = kind == "csv"
    return [format_value(c.key, row.get(c.key), locale, guard) for c in COLUMNS]


def _write(kind: str, rows: Iterator[list[Any]], header: list[str], out: IO[bytes]) -> int:
    """Write a header and rows as xlsx (openpyxl write-only) or CSV (UTF-8 with BOM)."""
    count = 0
    if kind == "csv":
        text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        for cells in rows:
            writer.writerow(["" if v is None else v for v in cells])
            count += 1
        text.flush()
        text.detach()
        return count
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("elders")
    sheet.append(header)
    for cells in rows:
        out_cells: list[Any] = []
        for v in cells:
            if isinstance(v, str) and v.startswith("="):
                cell = WriteOnlyCell(sheet, value=v)
                cell.data_type = "s"  # text, never a formula
                out_cells.append(cell)
            else:
                out_cells.append(v)
        sheet.append(out_cells)
        count += 1
    workbook.save(out)
    return count


@dataclass(frozen=True)
class ExportFile:
    """A written export: where it is on disk, how to name and serve it, how many rows."""

    path: Path
    file_name: str
    media_type: str
    count: int


def export_elders(
    session: Session,
    subject: Subject,
    flt: ElderFilter,
    kind: str,
    *,
    now: datetime,
    locale: str,
    id_lookup_limit: int,
) -> ExportFile:
    """Write the elders in scope to a temporary file (masked by role) and audit the export."""
    subject.require(Perm.ELDER_EXPORT)
    if kind not in FORMATS:
        raise Invalid(N_("Unknown file format: %(value)s."), field="format", value=kind)
    lookups.allow(session, subject, flt.q, now=now, limit=id_lookup_limit)
    today = local_today(now)
    header = [header_text(c.key, locale) for c in COLUMNS]
    rows = (_cells(r, locale, kind) for r in _elder_rows(session, subject, flt, today))
    with tempfile.NamedTemporaryFile(prefix="yiyang-export-", suffix=f".{kind}",
                                     delete=False) as out:  # fmt: skip
        count = _write(kind, rows, header, out)
    audit.record(
        session, subject, "export", "elder", None,
        after={"filter": flt.model_dump(mode="json", exclude_none=True), "count": count,
               "format": kind},
        at=now,
    )  # fmt: skip
    name = f"elders-{today:%Y%m%d}.{kind}"
    return ExportFile(Path(out.name), name, _MEDIA[kind], count)


def template_file(
    session: Session, subject: Subject, kind: str, *, now: datetime, locale: str
) -> tuple[bytes, str, str]:
    """An import template: the header row and one valid example row."""
    subject.require(Perm.ELDER_IMPORT)
    if kind not in FORMATS:
        raise Invalid(N_("Unknown file format: %(value)s."), field="format", value=kind)
    community = next(
        (c for c in sorted(_communities(session).values(), key=lambda a: a.code)
         if subject.scope.covers(street_id=c.parent_id, community_id=c.id)),
        None,
    )  # fmt: skip
    example: dict[str, Any] = {
        "id_number": make_id_number("410105", date(1948, 5, 17), 21, "F"),
        "name": "王秀英", "phone": "13800001234", "household_registration": "河南省郑州市金水区",
        "address": "文化路 1 号院 2 号楼 301", "lat": 34.8005, "lon": 113.672,
        "community_code": community.code if community else "410105001001",
        "geofence_m": 150, "living_situation": "alone", "special_groups": ["living_alone"],
        "economic_status": "minimum_living", "capability_level": 1, "consent_given": True,
        "consent_date": local_today(now), "notes": None, "contact1_name": "李明",
        "contact1_relationship": "儿子" if locale == "zh_CN" else "son",
        "contact1_phone": "13900005678", "contact1_has_key": True,
    }  # fmt: skip
    out = io.BytesIO()
    _write(kind, iter([_cells(example, locale, kind)]),
           [header_text(c.key, locale) for c in COLUMNS], out)  # fmt: skip
    return out.getvalue(), f"elder-import-template.{kind}", _MEDIA[kind]


def report_csv(problems: Sequence[RowProblem], translate: Callable[[str, dict[str, Any]], str],
               headers: Sequence[str]) -> bytes:  # fmt: skip
    """A problem report as CSV (UTF-8 with BOM so that Excel shows Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for p in problems:
        writer.writerow([p.row, p.column, p.code, translate(p.message, p.params)])
    return out.getvalue().encode("utf-8-sig")
