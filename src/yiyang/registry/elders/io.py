"""Elder import from .xlsx and .csv: check every row, then write all or nothing."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, FieldProblem, Invalid, TooLarge
from yiyang.kit.localtime import local_today
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders import rules
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.io_columns import header_text
from yiyang.registry.elders.io_rules import column_of, map_header, read_sheet, row_to_schema
from yiyang.registry.elders.models import ElderContact, ElderGroup
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

REPORT_LIMIT = 10_000  # problems listed in a report; the total is always counted
_CHUNK = 2000


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


@dataclass(frozen=True)
class CheckedImport:
    """An uploaded file whose every row passed the checks, ready to be written."""

    rows: list[tuple[int, Any, elder_service.PreparedElder]]  # (row number, data, prepared)
    file_name: str
    sha256: str
    kind: str
    id_column: str  # the ID number column as headed in the file


def check_upload(subject: Subject, content: bytes, limits: ImportLimits) -> None:
    """Refuse a caller who may not import and a file past the size limit."""
    subject.require(Perm.ELDER_IMPORT)
    if len(content) > limits.max_bytes:
        raise TooLarge(
            N_("The file is larger than %(mb)s MB."),
            field="file",
            mb=round(limits.max_bytes / 1024 / 1024, 1),
        )


Progress = Callable[[int, int], None]  # rows checked, rows in the file
PROGRESS_ROWS = 1000  # rows between two progress reports


def check_import(
    session: Session,
    subject: Subject,
    content: bytes,
    file_name: str,
    *,
    now: datetime,
    district_code: str,
    limits: ImportLimits,
    locale: str = "zh_CN",
    progress: Progress | None = None,
) -> CheckedImport:
    """Check every row of an uploaded file by the single-creation rules, writing nothing."""
    check_upload(subject, content, limits)
    sheet = read_sheet(content, limits.max_rows)
    keys = map_header(sheet.header, lambda k: header_text(k, locale))
    headed = {k: sheet.header[i] for i, k in enumerate(keys) if k is not None}
    today = local_today(now)
    found = elder_repository.communities_by_code(session)
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
    for seen, (number, cells) in enumerate(sheet.rows):
        if progress is not None and seen % PROGRESS_ROWS == 0:
            progress(seen, len(sheet.rows))
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
            communities=found,
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
    for number in _registered(session, prepared):
        report(number, _REGISTERED)
    if total:
        raise ImportRejected(sorted(problems, key=lambda p: p.row), total, len(bad_rows))
    digest = hashlib.sha256(content).hexdigest()
    id_column = headed.get("id_number", "id_number")
    return CheckedImport(prepared, file_name, digest, sheet.kind, id_column)


_REGISTERED = FieldProblem(
    "id_number", "duplicate_id_number", N_("An elder with this ID number is already registered.")
)


def _registered(
    session: Session, prepared: list[tuple[int, Any, elder_service.PreparedElder]]
) -> list[int]:
    """Row numbers whose ID number is already registered."""
    taken = elder_repository.registered_id_numbers(
        session, [ready.facts.number for _, _, ready in prepared]
    )
    return [number for number, _, ready in prepared if ready.facts.number in taken]


def write_import(
    session: Session, subject: Subject, checked: CheckedImport, *, now: datetime
) -> ImportResult:
    """Insert checked rows all at once and audit it; ID numbers registered since are refused."""
    subject.require(Perm.ELDER_IMPORT)
    late = _registered(session, checked.rows)
    if late:
        problems = [
            RowProblem(n, checked.id_column, "id_number", _REGISTERED.code, _REGISTERED.message)
            for n in late[:REPORT_LIMIT]
        ]
        raise ImportRejected(problems, len(late), len(late))
    today = local_today(now)
    _insert_all(session, subject, [(d, r) for _, d, r in checked.rows], now=now, today=today)
    audit.record(
        session, subject, "import", "elder", None,
        after={"count": len(checked.rows), "file_name": checked.file_name,
               "sha256": checked.sha256, "format": checked.kind},
        detail=checked.file_name[:512], at=now,
    )  # fmt: skip
    return ImportResult(len(checked.rows), checked.file_name, checked.sha256, checked.kind)


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
    checked = check_import(
        session, subject, content, file_name, now=now, district_code=district_code,
        limits=limits, locale=locale,
    )  # fmt: skip
    return write_import(session, subject, checked, now=now)


def _insert_all(
    session: Session,
    subject: Subject,
    rows: list[tuple[Any, elder_service.PreparedElder]],
    *,
    now: datetime,
    today: date,
) -> None:
    """Bulk-insert elders, their groups and contacts, and one audit row per elder."""
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
            "mobility": str(data.mobility) if data.mobility else None,
            "conditions": (data.conditions or "").strip() or None, "away_until": None,
            "created_at": now, "updated_at": now, "version": 1,
        })  # fmt: skip
    session.flush()
    ids = elder_repository.insert_elders(session, values, _CHUNK)
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
        elder_repository.insert_rows(session, model, params, _CHUNK)


def _json_safe(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in data.items()}


def report_csv(problems: Sequence[RowProblem], translate: Callable[[str, dict[str, Any]], str],
               headers: Sequence[str]) -> bytes:  # fmt: skip
    """A problem report as CSV (UTF-8 with BOM so that Excel shows Chinese correctly)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for p in problems:
        writer.writerow([p.row, p.column, p.code, translate(p.message, p.params)])
    return out.getvalue().encode("utf-8-sig")
