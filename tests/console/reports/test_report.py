"""The report of a seeded day (SQLite and PostgreSQL): what it counts for the district, for
one street and for one provider, and that its workbook carries the same figures."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.conftest import FakeClock
from tests.console.reports.world import ReportWorld, make_world
from yiyang.config import Settings
from yiyang.console.reports import report as reports
from yiyang.console.reports.workbook import report_file
from yiyang.security.service import subject_for

SETTINGS = Settings(secret_key="test-secret")


@pytest.fixture
def world(db: Session, clock: FakeClock) -> ReportWorld:
    return make_world(db, clock)


def _report(db: Session, world: ReportWorld, clock: FakeClock, scope: reports.Scope,
            locale: str = "en") -> reports.Report:  # fmt: skip
    return reports.build(db, subject_for(world.admin), scope, world.day, now=clock.now,
                         settings=SETTINGS, locale=locale)  # fmt: skip


def _figures(report: reports.Report) -> dict[str, object]:
    return {f.key: f.value for f in report.figures}


def test_the_district_report_counts_the_day(
    db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    report = _report(db, world, clock, reports.Scope(None))
    f = _figures(report)
    # street b's order still has time (its window is not over): it is not behind yet
    assert (f["placed"], f["served"], f["completion"]) == (2, 1, 1.0)
    assert f["on_time"] == 1.0 and f["cross"] == 0.0 and f["unplaceable"] == 0
    assert f["complaints"] == 1 and f["exceptions"] == 1
    # the SOS answered in 30 s; the late and no-show visit alarms nobody answered
    assert f["alarms"] == 3 and f["within_60"] == 1 / 3
    exceptions = {r[0]: r[1] for r in report.table("exceptions").rows}
    assert exceptions["An open complaint about this visit"] == 1  # the served bath is disputed
    assert exceptions["Waiting for review"] == 1
    streets = report.table("streets")
    assert [r[0] for r in streets.rows] == ["北林路街道", "丰庆路街道"]
    assert [r[1] for r in streets.rows] == [1, 1] and streets.total is not None
    assert streets.total[1:3] == [2, 1]
    providers = {r[0]: r[1:3] for r in report.table("providers").rows}
    assert providers == {"provider 1": [1, 1], "provider 3": [1, 0]}
    complaints = report.table("complaints")
    assert complaints.rows == [["Lateness", 1, 1]]
    alarms = report.table("alarms")
    sos = next(r for r in alarms.rows if r[0] == "SOS call")
    assert sos[1:3] == [1, 1.0] and sos[4] == 30
    assert alarms.total is not None and alarms.total[1] == 3
    assert report.table("continuity").rows[0] == ["1", 1]  # one elder, one caregiver


def test_completion_counts_an_order_once_its_window_is_over(
    db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    clock.now = world.two.order_b.window_end_at + timedelta(minutes=1)
    f = _figures(_report(db, world, clock, reports.Scope(None)))
    assert f["completion"] == 0.5
    streets = _report(db, world, clock, reports.Scope(None)).table("streets")
    assert [r[3] for r in streets.rows] == [1.0, 0.0]


def test_a_street_report_counts_only_its_street(
    db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    a, b = world.two.scene.d.tree.street_a.id, world.two.scene.d.tree.street_b.id
    fa = _figures(_report(db, world, clock, reports.Scope({a}, "北林路街道")))
    fb = _figures(_report(db, world, clock, reports.Scope({b}, "丰庆路街道")))
    assert (fa["placed"], fa["served"], fa["complaints"], fa["alarms"]) == (1, 1, 1, 2)
    assert (fb["placed"], fb["served"], fb["complaints"], fb["alarms"]) == (1, 0, 0, 1)


def test_a_provider_report_counts_only_its_orders(
    db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    p3 = world.two.scene.d.p3
    report = _report(db, world, clock, reports.Scope(None, None, p3.id, p3.name))
    f = _figures(report)
    assert (f["placed"], f["served"], f["complaints"], f["exceptions"]) == (1, 0, 0, 0)
    assert report.scope.endswith("provider 3")


def test_the_report_speaks_the_readers_language(
    db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    report = _report(db, world, clock, reports.Scope(None), locale="zh_CN")
    assert report.table("complaints").rows[0][0] == "迟到"
    assert report.figure("placed").label == "订单"


def test_the_workbook_has_the_figures_and_every_table(
    db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    report = _report(db, world, clock, reports.Scope(None))
    content, name = report_file(report, "en")
    assert name == f"report-{world.today}-{world.today}.xlsx"
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) == 1 + len(report.tables)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=7, values_only=True)}
    assert summary["Orders"] == 2 and summary["Completion"] == 1.0
    streets = list(book["By street"].iter_rows(values_only=True))
    assert streets[0][0] == "Street" and streets[-1][:3] == ("Totals", 2, 1)
