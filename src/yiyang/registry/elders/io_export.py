"""Elder export as .xlsx and .csv (masked by role, audited) and the import template."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Invalid
from yiyang.kit.idcard import make_id_number
from yiyang.kit.localtime import local_today
from yiyang.kit.sheets import write_table
from yiyang.registry.elders import lookups
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.io_columns import COLUMNS, MAX_CONTACTS, format_value, header_text
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.audit import service as audit
from yiyang.security.disclosure import Kind, Viewer, mask
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

FORMATS = ("xlsx", "csv")
_CHUNK = 2000
_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _elder_rows(
    session: Session, subject: Subject, flt: ElderFilter, today: date
) -> Iterator[dict[str, Any]]:
    """Matching elders in scope as flat dicts (masked for the subject), fetched by id ranges
    so memory stays flat."""
    viewer = Viewer(subject)
    codes = elder_repository.area_codes(session)
    for chunk in elder_repository.export_chunks(session, subject, flt, today, _CHUNK):
        ids = [r["id"] for r in chunk]
        groups = elder_repository.group_codes(session, ids)
        contacts = elder_repository.contacts_of(session, ids)
        for r in chunk:
            row = dict(r)
            row["community_code"] = codes.get(row["community_id"])
            row["special_groups"] = groups.get(row["id"], [])
            row["id_number"] = mask(Kind.ELDER_ID_NUMBER, row["id_number"], viewer)
            row["phone"] = mask(Kind.ELDER_PHONE, row["phone"], viewer)
            row["mobility"] = mask(Kind.ELDER_HEALTH, row["mobility"], viewer)
            row["conditions"] = mask(Kind.ELDER_HEALTH, row["conditions"], viewer)
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
    """Write a header and rows as xlsx or CSV; cells keep a leading "=" as text."""
    return write_table(kind, header, rows, out, sheet="elders", guard=False)


@dataclass(frozen=True)
class ExportFile:
    """A written export: where it is on disk, how to name and serve it, how many rows."""

    path: Path
    file_name: str
    media_type: str
    count: int


def _checked_format(subject: Subject, kind: str) -> None:
    subject.require(Perm.ELDER_EXPORT)
    if kind not in FORMATS:
        raise Invalid(N_("Unknown file format: %(value)s."), field="format", value=kind)


def count_export(
    session: Session,
    subject: Subject,
    flt: ElderFilter,
    kind: str,
    *,
    now: datetime,
    id_lookup_limit: int | None,
) -> int:
    """How many rows an export would have (to decide between a direct file and a job).

    A filter by full ID number counts against the exact-ID search limit (None: it was counted
    when the job was submitted).
    """
    _checked_format(subject, kind)
    if id_lookup_limit is not None:
        lookups.allow(session, subject, flt.q, now=now, limit=id_lookup_limit)
    return elder_repository.count(session, subject, flt, local_today(now))


def write_export(
    session: Session,
    subject: Subject,
    flt: ElderFilter,
    kind: str,
    out: IO[bytes],
    *,
    now: datetime,
    locale: str,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the elders in scope (masked by role) to `out`; returns the rows written."""
    _checked_format(subject, kind)
    header = [header_text(c.key, locale) for c in COLUMNS]
    found = _elder_rows(session, subject, flt, local_today(now))
    rows = (_cells(r, locale, kind) for r in _reported(found, progress))
    return _write(kind, rows, header, out)


def _reported(
    rows: Iterator[dict[str, Any]], progress: Callable[[int], None] | None
) -> Iterator[dict[str, Any]]:
    """The rows, telling `progress` the count after every chunk."""
    for n, row in enumerate(rows, start=1):
        yield row
        if progress is not None and n % _CHUNK == 0:
            progress(n)


def record_export(
    session: Session, subject: Subject, flt: ElderFilter, kind: str, count: int, *, now: datetime
) -> None:
    """Audit an export: who, which filter, how many rows, which format."""
    audit.record(
        session, subject, "export", "elder", None,
        after={"filter": flt.model_dump(mode="json", exclude_none=True), "count": count,
               "format": kind},
        at=now,
    )  # fmt: skip


def export_name(kind: str, now: datetime) -> tuple[str, str]:
    """The download name and media type of an export made now."""
    return f"elders-{local_today(now):%Y%m%d}.{kind}", _MEDIA[kind]


def export_elders(
    session: Session,
    subject: Subject,
    flt: ElderFilter,
    kind: str,
    *,
    now: datetime,
    locale: str,
) -> ExportFile:
    """Write the elders in scope to a temporary file (masked by role) and audit the export."""
    _checked_format(subject, kind)
    with tempfile.NamedTemporaryFile(prefix="yiyang-export-", suffix=f".{kind}",
                                     delete=False) as out:  # fmt: skip
        count = write_export(session, subject, flt, kind, out, now=now, locale=locale)
    record_export(session, subject, flt, kind, count, now=now)
    name, media = export_name(kind, now)
    return ExportFile(Path(out.name), name, media, count)


def template_file(
    session: Session, subject: Subject, kind: str, *, now: datetime, locale: str
) -> tuple[bytes, str, str]:
    """An import template: the header row and one valid example row."""
    subject.require(Perm.ELDER_IMPORT)
    if kind not in FORMATS:
        raise Invalid(N_("Unknown file format: %(value)s."), field="format", value=kind)
    communities = elder_repository.communities_by_code(session)
    community = next(
        (c for c in sorted(communities.values(), key=lambda a: a.code)
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
        "consent_date": local_today(now), "notes": None, "mobility": "walking_aid",
        "conditions": "高血压；2024年髋关节置换" if locale == "zh_CN" else "hypertension",
        "contact1_name": "李明",
        "contact1_relationship": "儿子" if locale == "zh_CN" else "son",
        "contact1_phone": "13900005678", "contact1_has_key": True,
    }  # fmt: skip
    out = io.BytesIO()
    _write(kind, iter([_cells(example, locale, kind)]),
           [header_text(c.key, locale) for c in COLUMNS], out)  # fmt: skip
    return out.getvalue(), f"elder-import-template.{kind}", _MEDIA[kind]
