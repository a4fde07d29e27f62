"""Issued monthly reports: once issued, a month's page, print and workbook show the figures as
issued however the records change later; issuing again needs a reason and appends a version;
only a month that is over is issued, only by the district administrator; two people issuing at
once cannot both make the same version (separate transactions on PostgreSQL)."""

from __future__ import annotations

import io
import re
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.console.reports.world import ReportWorld, make_world
from tests.web.test_order_pages import login
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.config import Settings
from yiyang.console.reports import issued
from yiyang.console.reports import report as reports
from yiyang.console.reports.model import Report
from yiyang.console.reports.models import IssuedReport
from yiyang.console.reports.period import month_period
from yiyang.errors import Conflict
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role
from yiyang.security.service import subject_for

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ALARMS = re.compile(r'data-testid="figure-alarms">([^<]+)<')


@pytest.fixture
def world(db: Session, clock: FakeClock) -> ReportWorld:
    made = make_world(db, clock)
    clock.advance(days=40)  # the world's month is over
    return made


def _month(world: ReportWorld) -> str:
    return world.today.strftime("%Y-%m")


def _alarms(client: TestClient, month: str, **more: str) -> str:
    page = client.get("/reports", params={"month": month, "lang": "en", **more})
    assert page.status_code == 200, page.text
    found = ALARMS.search(page.text)
    assert found
    return found.group(1)


def _late_alarm(db: Session, world: ReportWorld, clock: FakeClock) -> None:
    """A record of the issued month that arrives after the issue (a late import)."""
    elder = world.two.scene.d.elder
    raise_or_repeat(
        db, AlarmType.FALL,
        Origin(originator=f"elder:{elder.id}", elder_id=elder.id, street_id=elder.street_id,
               community_id=elder.community_id),
        now=clock.now - timedelta(days=40),
    )  # fmt: skip
    db.flush()


def _issue(client: TestClient, month: str, csrf: str, **form: str) -> int:
    resp = client.post(
        f"/reports/issue?month={month}&lang=en",
        data={"csrf_token": csrf, **form},
        follow_redirects=False,
    )
    return resp.status_code


def test_an_issued_month_keeps_its_figures_when_late_records_arrive(
    client: TestClient, db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    login(client, world.admin)
    month = _month(world)
    page = client.get("/reports", params={"month": month, "lang": "en"}).text
    assert 'data-testid="report-issue-form"' in page and 'data-testid="report-issued"' not in page
    csrf = CSRF.search(page)
    assert csrf
    assert _issue(client, month, csrf.group(1), seen_version="0") == 303
    before = _alarms(client, month)
    _late_alarm(db, world, clock)
    issued_page = client.get("/reports", params={"month": month, "lang": "en"}).text
    assert 'data-testid="report-issued"' in issued_page and "version 1" in issued_page
    assert _alarms(client, month) == before  # frozen
    assert int(_alarms(client, month, live="1")) == int(before) + 1  # the records moved on
    assert (
        'data-testid="report-live"'
        in client.get("/reports", params={"month": month, "live": "1", "lang": "en"}).text
    )
    printed = client.get("/reports/print", params={"month": month, "lang": "en"}).text
    assert 'data-testid="print-issued"' in printed
    book = client.get("/reports/report.xlsx", params={"month": month, "lang": "en"})
    sheet = load_workbook(io.BytesIO(book.content)).worksheets[0]
    values = {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert values.get("Alarms") == int(before)
    # In Chinese the issued version reads in Chinese, frozen as well.
    zh = client.get("/reports", params={"month": month, "lang": "zh"}).text
    in_chinese = ALARMS.search(zh)
    assert "告警" in zh and in_chinese and in_chinese.group(1) == before
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "report")).all()
    assert "report_issue" in actions


def test_issuing_again_needs_a_reason_and_keeps_the_earlier_version(
    client: TestClient, db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    login(client, world.admin)
    month = _month(world)
    csrf = CSRF.search(client.get("/reports", params={"month": month}).text)
    assert csrf
    assert _issue(client, month, csrf.group(1), seen_version="0") == 303
    first = _alarms(client, month)
    _late_alarm(db, world, clock)
    assert _issue(client, month, csrf.group(1), seen_version="1", reason=" ") == 422
    stale = client.post(
        f"/reports/issue?month={month}&lang=en",
        data={"csrf_token": csrf.group(1), "seen_version": "0", "reason": "late import"},
    )
    assert stale.status_code == 409 and "issued meanwhile (version 1)" in stale.text
    assert _issue(client, month, csrf.group(1), seen_version="1", reason="late import") == 303
    page = client.get("/reports", params={"month": month, "lang": "en"}).text
    assert "version 2" in page and "late import" in page
    assert int(_alarms(client, month)) == int(first) + 1
    versions = db.scalars(select(IssuedReport.version).order_by(IssuedReport.version)).all()
    assert versions == [1, 2]


def test_only_a_month_that_is_over_and_only_the_district_admin(
    client: TestClient, db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    login(client, world.admin)
    this_month = clock.now.strftime("%Y-%m")
    page = client.get("/reports", params={"month": this_month}).text
    assert 'data-testid="report-issue-form"' not in page
    csrf = CSRF.search(page)
    assert csrf
    assert _issue(client, this_month, csrf.group(1), seen_version="0") == 422
    day = client.post(
        f"/reports/issue?from={world.today}&to={world.today}&lang=en",
        data={"csrf_token": csrf.group(1), "seen_version": "0"},
    )
    assert day.status_code == 422 and "Only a whole month" in day.text
    login(client, world.street_a)
    mine = client.get("/reports", params={"month": _month(world), "lang": "en"})
    assert mine.status_code == 200 and 'data-testid="report-issue-form"' not in mine.text
    token = CSRF.search(mine.text)
    assert token
    refused = client.post(
        f"/reports/issue?month={_month(world)}&lang=en",
        data={"csrf_token": token.group(1), "seen_version": "0"},
    )
    assert refused.status_code == 403
    assert "Only the district administrator issues a month" in refused.text
    assert db.scalar(select(func.count(IssuedReport.id))) == 0


def test_a_street_reads_the_version_the_district_issued_for_it(
    client: TestClient, db: Session, world: ReportWorld
) -> None:
    login(client, world.admin)
    month = _month(world)
    street = world.two.scene.d.tree.street_a.code
    csrf = CSRF.search(client.get("/reports", params={"month": month, "street": street}).text)
    assert csrf
    resp = client.post(
        f"/reports/issue?month={month}&street={street}",
        data={"csrf_token": csrf.group(1), "seen_version": "0"},
        follow_redirects=False,
    )
    assert resp.status_code == 303
    login(client, world.street_a)
    assert 'data-testid="report-issued"' in client.get("/reports", params={"month": month}).text
    login(client, world.admin)  # the district's own report is not issued yet
    district = client.get("/reports", params={"month": month}).text
    assert 'data-testid="report-issued"' not in district


def test_the_issued_data_reads_back_as_the_report_it_was(
    db: Session, world: ReportWorld, clock: FakeClock
) -> None:
    subject = subject_for(world.admin)
    period = month_period(_month(world))
    built: Report = reports.build(
        db, subject, reports.Scope(None), period, now=clock.now,
        settings=Settings(secret_key="x"), locale="en",
    )  # fmt: skip
    assert issued.from_data(issued.to_data(built)) == built


def test_two_people_issuing_at_once_make_one_version(
    live_engine: Engine, live_db: Session, clock: FakeClock
) -> None:
    if live_engine.dialect.name != "postgresql":
        pytest.skip("concurrent transactions are tested on PostgreSQL (SQLite runs one writer)")
    admin, _ = make_user(live_db, Role.DISTRICT_ADMIN)
    live_db.commit()
    subject = subject_for(admin)
    factory = sessionmaker(live_engine, expire_on_commit=False)
    month = (clock.now - timedelta(days=40)).strftime("%Y-%m")
    key = issued.scope_key("concurrency", None)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def report(_locale: str) -> Report:
        barrier.wait(timeout=10)  # both have read "no version yet" before either writes
        return Report("t", "s", clock.now.date(), clock.now.date(), clock.now, [], [])

    def attempt() -> None:
        with factory() as session:
            try:
                issued.issue(session, subject, month=month, key=key, seen_version=0, reason="",
                             now=clock.now, build=report)  # fmt: skip
                session.commit()
                outcomes.append("issued")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")
            except threading.BrokenBarrierError:
                session.rollback()
                outcomes.append("barrier")

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "issued"]
    rows = live_db.scalars(select(IssuedReport).where(IssuedReport.scope_key == key)).all()
    live_db.commit()
    assert [r.version for r in rows] == [1]
