"""Bulk-write a generated district: Core executemany in chunks, COPY on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from yiyang.demo.devices import load_devices
from yiyang.demo.records import DemoDistrict
from yiyang.registry.areas.models import Area
from yiyang.registry.elders.models import Elder, ElderContact, ElderGroup
from yiyang.registry.facilities.models import Facility
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff.models import Staff, StaffCertificate, StaffSkill

CHUNK = 10_000
# Tables big enough that PostgreSQL gets COPY instead of INSERT.
COPY_TABLES = frozenset({"elder", "elder_group", "elder_contact"})


@dataclass(frozen=True)
class TableSpec:
    """How one record list maps to one table: columns read from the record, keys to shift."""

    table: Table
    records: str  # attribute of DemoDistrict
    columns: tuple[str, ...]
    refs: dict[str, str]  # column → referenced table (for id offsets)
    stamps: tuple[str, ...] = ()  # timestamp columns set to "now"
    constants: tuple[tuple[str, Any], ...] = ()


def _t(model: Any) -> Table:
    table: Table = model.__table__
    return table


SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        _t(Area), "areas", ("id", "code", "name", "level", "parent_id"), {"parent_id": "area"}
    ),
    TableSpec(
        _t(Provider),
        "providers",
        ("id", "code", "name", "credit_code", "contact_name", "phone", "address"),
        {},
        ("created_at",),
        (("active", True),),
    ),
    TableSpec(
        _t(Facility),
        "facilities",
        ("id", "code", "name", "kind", "street_id", "community_id", "provider_id", "address",
         "lat", "lon", "phone", "beds_long_stay", "day_places", "meals_per_day", "opening_hours"),
        {"street_id": "area", "community_id": "area", "provider_id": "provider"},
        ("created_at", "updated_at"),
        (("active", True),),
    ),
    TableSpec(
        _t(Staff),
        "staff",
        ("id", "code", "name", "sex", "phone", "id_number", "provider_id", "facility_id", "roles",
         "travel_mode", "working_pattern", "status", "hired_date"),
        {"provider_id": "provider", "facility_id": "facility"},
        ("created_at", "updated_at"),
    ),
    TableSpec(_t(StaffSkill), "staff_skills", ("id", "staff_id", "skill", "level"),
              {"staff_id": "staff"}),
    TableSpec(
        _t(StaffCertificate),
        "staff_certificates",
        ("id", "staff_id", "kind", "number", "issued_date", "expires_date"),
        {"staff_id": "staff"},
    ),
    TableSpec(
        _t(Elder),
        "elders",
        ("id", "id_number", "name", "sex", "birth_date", "phone", "household_registration",
         "address", "street_id", "community_id", "lat", "lon", "geofence_m", "living_situation",
         "economic_status", "capability_level", "consent_given", "consent_date", "status",
         "status_date", "notes", "mobility", "conditions"),
        {"street_id": "area", "community_id": "area"},
        ("created_at", "updated_at"),
        (("version", 1),),
    ),
    TableSpec(_t(ElderGroup), "elder_groups", ("id", "elder_id", "code"), {"elder_id": "elder"}),
    TableSpec(
        _t(ElderContact),
        "elder_contacts",
        ("id", "elder_id", "priority", "name", "relationship", "phone", "has_key"),
        {"elder_id": "elder"},
    ),
)  # fmt: skip


def id_offsets(session: Session) -> dict[str, int]:
    """The highest id in use per table: generated ids are shifted past it."""
    return {
        spec.table.name: session.scalar(select(func.coalesce(func.max(spec.table.c.id), 0))) or 0
        for spec in SPECS
    }


def _rows(
    spec: TableSpec, records: Sequence[Any], offsets: dict[str, int], now: datetime
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """Column names and value tuples for one table, ids shifted by the offsets."""
    names = spec.columns + spec.stamps + tuple(c for c, _ in spec.constants)
    extra = tuple(now for _ in spec.stamps) + tuple(v for _, v in spec.constants)
    get = attrgetter(*spec.columns)
    rows = [get(r) + extra for r in records]
    shifts = [(i, offsets[spec.table.name if c == "id" else spec.refs[c]]) for i, c in
              enumerate(spec.columns) if c == "id" or c in spec.refs]  # fmt: skip
    shifts = [(i, off) for i, off in shifts if off]
    if shifts:
        rows = [_shift(row, shifts) for row in rows]
    return names, rows


def _shift(row: tuple[Any, ...], shifts: list[tuple[int, int]]) -> tuple[Any, ...]:
    values = list(row)
    for i, off in shifts:
        if values[i] is not None:
            values[i] += off
    return tuple(values)


def _chunks(rows: list[tuple[Any, ...]], size: int) -> Iterable[list[tuple[Any, ...]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(
    session: Session, table: Table, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Core executemany (insertmanyvalues) in chunks."""
    stmt = insert(table)
    for chunk in _chunks(rows, CHUNK):
        session.execute(stmt, [dict(zip(names, row, strict=True)) for row in chunk])


def _copy(
    session: Session, table: Table, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """PostgreSQL COPY through psycopg 3 (several times faster than INSERT for big tables)."""
    raw: Any = session.connection().connection.driver_connection
    cols = ", ".join(names)
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _fix_sequences(session: Session) -> None:
    """Move PostgreSQL id sequences past the ids written explicitly."""
    for spec in SPECS:
        name = spec.table.name
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name} "
                "HAVING max(id) IS NOT NULL"
            )
        )


def load_district(
    session: Session,
    district: DemoDistrict,
    *,
    now: datetime,
    timings: dict[str, float] | None = None,
    on_table: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write every record of the district in the session's transaction; returns rows per table."""
    dialect = session.get_bind().dialect
    use_copy = dialect.name == "postgresql" and dialect.driver == "psycopg"
    offsets = id_offsets(session)
    counts: dict[str, int] = {}
    for spec in SPECS:
        started = time.perf_counter()
        names, rows = _rows(spec, getattr(district, spec.records), offsets, now)
        if rows:
            if use_copy and spec.table.name in COPY_TABLES:
                _copy(session, spec.table, names, rows)
            else:
                _insert(session, spec.table, names, rows)
        counts[spec.table.name] = len(rows)
        if timings is not None:
            timings[f"insert {spec.table.name}"] = time.perf_counter() - started
        if on_table is not None:
            on_table(spec.table.name, len(rows))
    if dialect.name == "postgresql":
        _fix_sequences(session)
    started = time.perf_counter()
    made = load_devices(
        session, district, elder_offset=offsets["elder"], area_offset=offsets["area"], now=now
    )
    counts |= made
    if timings is not None:
        timings["insert devices"] = time.perf_counter() - started
    if on_table is not None:
        for name, n in made.items():
            on_table(name, n)
    return counts
