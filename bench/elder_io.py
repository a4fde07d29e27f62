"""Benchmark the elder spreadsheet import and export on a fresh SQLite file.

    python bench/elder_io.py [--rows 20000] [--baseline-rows 500] [--no-doc]

Generates synthetic valid elders (`make_id_number`, points inside the district boundary),
writes them to an .xlsx with openpyxl, then times: the validated bulk import of that file, and
the export of every elder as .xlsx and as .csv. As a baseline measured in the same run, a
sample is registered one `create_elder` call per row (the naive way) in another fresh database
and extrapolated to the full row count; the ratio is naive time / bulk time. Prints the machine
and the figures, ends with one JSON line, and rewrites the "Elder import/export" section of
docs/benchmarks.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import sqlalchemy
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from doc import replace_section
from yiyang.db import make_engine, make_session_factory, unit_of_work
from yiyang.kit.idcard import make_id_number
from yiyang.migrate import upgrade
from yiyang.registry.areas.boundary import district_shape, inside_district
from yiyang.registry.areas.models import Area
from yiyang.registry.elders import io as elder_io
from yiyang.registry.elders import io_export
from yiyang.registry.elders import service as elder_service
from yiyang.registry.elders.io_columns import COLUMNS, format_value, header_text
from yiyang.registry.elders.io_rules import row_to_schema
from yiyang.registry.elders.models import Elder
from yiyang.registry.elders.schemas import ElderFilter
from yiyang.security.subject import system_subject

SECTION = "## Elder import/export"
DISTRICT = "410105"
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
LIVING = ["alone", "empty_nest", "with_spouse", "with_children", "with_relatives"]
GROUPS = ["no_family", "living_alone", "empty_nest", "left_behind", "disabled", "lost_only_child"]
ECONOMIC = ["none", "none", "none", "minimum_living", "low_income", "extreme_poverty"]


@contextmanager
def fresh_sqlite() -> Iterator[Engine]:
    """A migrated, empty SQLite database with 4 streets of 5 communities each."""
    path = Path(tempfile.mkdtemp(prefix="yiyang-bench-")) / "io.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        district = Area(code=DISTRICT, name="金水区", level="district")
        session.add(district)
        session.flush()
        for s in range(1, 5):
            street = Area(code=f"{DISTRICT}{s:03d}", name=f"街道{s}", level="street",
                          parent_id=district.id)  # fmt: skip
            session.add(street)
            session.flush()
            for c in range(1, 6):
                session.add(Area(code=f"{street.code}{c:03d}", name=f"社区{s}-{c}",
                                 level="community", parent_id=street.id))  # fmt: skip
    try:
        yield engine
    finally:
        engine.dispose()


def inside_points(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Random WGS-84 points inside the district."""
    minx, miny, maxx, maxy = district_shape(DISTRICT).bounds
    points: list[tuple[float, float]] = []
    while len(points) < count:
        lat, lon = round(rng.uniform(miny, maxy), 6), round(rng.uniform(minx, maxx), 6)
        if inside_district(DISTRICT, lat, lon):
            points.append((lat, lon))
    return points


def synthetic_rows(count: int, seed: int = 2026) -> list[dict[str, Any]]:
    """Valid import rows with unique ID numbers, keyed by column key."""
    rng = random.Random(seed)
    points = inside_points(rng, 400)
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    while len(rows) < count:
        born = date(rng.randint(1926, 1964), rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice("MF")
        number = make_id_number(DISTRICT, born, rng.randint(0, 999), sex)
        if number in seen:
            continue
        seen.add(number)
        lat, lon = rng.choice(points)
        community = f"{DISTRICT}{rng.randint(1, 4):03d}{rng.randint(1, 5):03d}"
        row: dict[str, Any] = {
            "id_number": number, "name": rng.choice("王李张刘陈杨") + rng.choice("秀英建国桂兰"),
            "phone": f"13{rng.randint(0, 999_999_999):09d}", "address": f"文化路 {len(rows)} 号",
            "community_code": community, "lat": lat, "lon": lon,
            "living_situation": rng.choice(LIVING),
            "special_groups": rng.sample(GROUPS, rng.randint(0, 2)),
            "economic_status": rng.choice(ECONOMIC), "capability_level": rng.randint(0, 4),
            "consent_given": True, "contact1_name": "李明", "contact1_relationship": "儿子",
            "contact1_phone": f"139{rng.randint(0, 99_999_999):08d}", "contact1_has_key": True,
        }  # fmt: skip
        rows.append(row)
    return rows


def to_xlsx(rows: list[dict[str, Any]]) -> bytes:
    """An import workbook with Chinese headers and labels (write-only mode)."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("elders")
    sheet.append([header_text(c.key, "zh_CN") for c in COLUMNS])
    for row in rows:
        sheet.append([format_value(c.key, row.get(c.key), "zh_CN") for c in COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def timed_import(engine: Engine, content: bytes, rows: int) -> float:
    """Seconds for one validated bulk import, commit included."""
    limits = elder_io.ImportLimits(max_bytes=200 * 1024 * 1024, max_rows=rows + 1)
    start = time.perf_counter()
    with unit_of_work(make_session_factory(engine)) as session:
        result = elder_io.import_elders(
            session, system_subject("bench"), content, "bench.xlsx", now=NOW,
            district_code=DISTRICT, limits=limits,
        )  # fmt: skip
    elapsed = time.perf_counter() - start
    assert result.count == rows, result
    return elapsed


def timed_export(engine: Engine, kind: str) -> tuple[float, int, int]:
    """Seconds, rows and bytes of one export of every elder."""
    start = time.perf_counter()
    with unit_of_work(make_session_factory(engine)) as session:
        written = io_export.export_elders(
            session, system_subject("bench"), ElderFilter(), kind, now=NOW, locale="zh_CN"
        )
    elapsed = time.perf_counter() - start
    size = written.path.stat().st_size
    written.path.unlink()
    return elapsed, written.count, size


def timed_parse(content: bytes) -> float:
    """Seconds openpyxl takes to read every cell of the workbook (the import's first step)."""
    start = time.perf_counter()
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    for sheet in workbook.worksheets:
        for _ in sheet.iter_rows(values_only=True):
            pass
    workbook.close()
    return time.perf_counter() - start


def naive_baseline(rows: list[dict[str, Any]]) -> float:
    """Seconds per row when each row goes through one create_elder call (same rules, ORM)."""
    keys: list[str | None] = [c.key for c in COLUMNS]
    with fresh_sqlite() as engine:
        start = time.perf_counter()
        with unit_of_work(make_session_factory(engine)) as session:
            for row in rows:
                cells = [format_value(c.key, row.get(c.key), "zh_CN") for c in COLUMNS]
                data, _, problems = row_to_schema(keys, cells)
                assert data is not None and not problems, problems
                elder_service.create_elder(
                    session, system_subject("bench"), data, now=NOW, district_code=DISTRICT
                )
        return (time.perf_counter() - start) / len(rows)


def count_elders(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count(Elder.id))) or 0


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "openpyxl": openpyxl.__version__,
        "sqlite_library": sqlite3.sqlite_version,
        "date": date.today().isoformat(),
    }


def write_doc(command: str, info: dict[str, Any], r: dict[str, Any]) -> None:
    """Replace the "Elder import/export" section of docs/benchmarks.md, keeping the others."""
    lines = [
        SECTION,
        "",
        "`POST /api/v1/elders/import` checks every row with the single-creation rules",
        "(`elder_service.prepare_new_elder`), one bulk query for duplicate ID numbers, then Core",
        "`insert()` executemany with RETURNING for elders, groups, contacts and one audit row per",
        "elder, in one transaction. Exports read by id ranges of 2,000 and write with openpyxl",
        "write-only mode (or `csv`) to a temporary file. Baseline: the same rows registered one",
        "`create_elder` call each (a sample, extrapolated), in the same run. "
        + ("The largest part" if r["parse_s"] > r["import_s"] / 2 else "A part")
        + " of an xlsx import is openpyxl reading the workbook: "
        f"{r['parse_s']} s of the import's {r['import_s']} s (read apart in this run).",
        "The machine is shared and noisy: compare the ratios of one run, not seconds.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {info['cpus']} CPUs, {info['platform']}, Python {info['python']}, "
        f"SQLAlchemy {info['sqlalchemy']}, openpyxl {info['openpyxl']}, SQLite "
        f"{info['sqlite_library']}; measured {info['date']}.",
        "",
        "| step | rows | seconds | rows/s |",
        "|---|---:|---:|---:|",
        f"| write the .xlsx to import (openpyxl) | {r['rows']:,} | {r['make_xlsx_s']} | |",
        f"| import .xlsx (validate + insert + commit) | {r['rows']:,} | {r['import_s']} | "
        f"{r['import_rows_per_s']:,} |",
        f"| naive: one create_elder per row (sample of {r['baseline_rows']:,}, extrapolated) | "
        f"{r['rows']:,} | {r['naive_extrapolated_s']} | {r['naive_rows_per_s']:,} |",
        f"| export .xlsx | {r['rows']:,} | {r['export_xlsx_s']} | "
        f"{r['export_xlsx_rows_per_s']:,} |",
        f"| export .csv | {r['rows']:,} | {r['export_csv_s']} | {r['export_csv_rows_per_s']:,} |",
        "",
        f"Bulk import is ×{r['speedup']} faster than the naive path. File sizes: import "
        f"{r['import_bytes']:,} B, export .xlsx {r['export_xlsx_bytes']:,} B, .csv "
        f"{r['export_csv_bytes']:,} B. Peak resident memory of the whole run: "
        f"{r['peak_rss_mb']} MB.",
        "",
    ]
    section = "\n".join(lines)
    replace_section(SECTION, section)


def main() -> None:
    """Run the benchmark and record it."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--baseline-rows", type=int, default=500)
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    args = parser.parse_args()
    info = machine()
    print(f"machine: {info}")
    rows = synthetic_rows(args.rows)
    start = time.perf_counter()
    content = to_xlsx(rows)
    make_s = time.perf_counter() - start
    print(f"wrote {args.rows:,} rows to .xlsx in {make_s:.2f} s ({len(content):,} B)")
    parse_s = timed_parse(content)
    print(f"openpyxl reads the workbook in {parse_s:.2f} s")
    with fresh_sqlite() as engine:
        import_s = timed_import(engine, content, args.rows)
        assert count_elders(engine) == args.rows
        print(f"import: {import_s:.2f} s, {args.rows / import_s:,.0f} rows/s")
        xlsx_s, xlsx_rows, xlsx_bytes = timed_export(engine, "xlsx")
        print(f"export xlsx: {xlsx_s:.2f} s, {xlsx_rows:,} rows, {xlsx_bytes:,} B")
        csv_s, csv_rows, csv_bytes = timed_export(engine, "csv")
        print(f"export csv: {csv_s:.2f} s, {csv_rows:,} rows, {csv_bytes:,} B")
    sample = synthetic_rows(args.baseline_rows, seed=7)
    per_row = naive_baseline(sample)
    naive_s = per_row * args.rows
    print(f"naive create_elder: {per_row * 1000:.2f} ms/row → {naive_s:.1f} s for {args.rows:,}")
    result = {
        "bench": "elder_io",
        "database": f"SQLite {sqlite3.sqlite_version}",
        "rows": args.rows,
        "make_xlsx_s": round(make_s, 2),
        "import_bytes": len(content),
        "import_s": round(import_s, 2),
        "parse_s": round(parse_s, 2),
        "import_rows_per_s": round(args.rows / import_s),
        "baseline_rows": args.baseline_rows,
        "naive_extrapolated_s": round(naive_s, 1),
        "naive_rows_per_s": round(1 / per_row),
        "speedup": round(naive_s / import_s, 1),
        "export_xlsx_s": round(xlsx_s, 2),
        "export_xlsx_rows_per_s": round(xlsx_rows / xlsx_s),
        "export_xlsx_bytes": xlsx_bytes,
        "export_csv_s": round(csv_s, 2),
        "export_csv_rows_per_s": round(csv_rows / csv_s),
        "export_csv_bytes": csv_bytes,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if not args.no_doc:
        command = "python bench/elder_io.py" + "".join(f" {a}" for a in sys.argv[1:])
        write_doc(command, info, result)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
