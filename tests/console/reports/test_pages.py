"""The report pages: who may open them, the street admin's own street only, bad filters said
beside their field (never a 500), the workbook download (audited) and the A4 print."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import FakeClock
from tests.console.reports.world import ReportWorld, make_world
from tests.web.test_order_pages import login
from yiyang.security.audit.models import AuditEvent


@pytest.fixture
def world(db: Session, clock: FakeClock) -> ReportWorld:
    return make_world(db, clock)


def test_the_district_admin_reads_the_month(client: TestClient, world: ReportWorld) -> None:
    login(client, world.admin)
    page = client.get("/reports", params={"lang": "en"})
    assert page.status_code == 200
    assert 'data-testid="report-figures"' in page.text
    assert 'data-testid="table-streets"' in page.text and "丰庆路街道" in page.text
    assert 'name="street"' in page.text  # the district chooses the street
    assert "/reports/report.xlsx" in page.text and "/reports/print" in page.text
    assert 'id="chart-streets"' in page.text  # the chart's figures, as data


def test_a_day_and_a_street(client: TestClient, world: ReportWorld) -> None:
    login(client, world.admin)
    day = world.today.isoformat()
    page = client.get("/reports", params={"from": day, "to": day, "street": "410105019"})
    assert page.status_code == 200
    assert "丰庆路街道" in page.text and "北林路街道</th>" not in page.text


def test_a_street_admin_sees_only_their_street(client: TestClient, world: ReportWorld) -> None:
    login(client, world.street_a)
    page = client.get("/reports")
    assert page.status_code == 200
    assert 'name="street"' not in page.text and "北林路街道" in page.text
    assert "丰庆路街道</th>" not in page.text
    other = client.get("/reports", params={"street": "410105019"})
    assert other.status_code == 404 and 'data-testid="report-error"' in other.text
    assert client.get("/reports/report.xlsx", params={"street": "410105019"}).status_code == 404


def test_a_caregiver_may_not(client: TestClient, world: ReportWorld) -> None:
    login(client, world.caregiver, "/m/visits")
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/report.xlsx").status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"from": "not a day"}, "from"),
        ({"from": "2024-01-01", "to": "2026-11-01"}, "to"),
        ({"provider_id": "abc"}, "provider_id"),
        ({"provider_id": "999999"}, "provider_id"),
    ],
)
def test_a_bad_filter_is_said_beside_its_field(
    client: TestClient, world: ReportWorld, params: dict[str, str], field: str
) -> None:
    login(client, world.admin)
    page = client.get("/reports", params=params | {"lang": "en"})
    assert page.status_code == 422
    assert f'data-field="{field}"' in page.text and 'data-testid="report"' not in page.text
    assert client.get("/reports/report.xlsx", params=params).status_code == 422
    assert client.get("/reports/print", params=params).status_code == 422


def test_an_overlong_filter_is_refused_not_a_500(client: TestClient, world: ReportWorld) -> None:
    login(client, world.admin)
    assert client.get("/reports", params={"month": "x" * 500}).status_code in (400, 422)


def test_the_workbook_downloads_and_is_audited(
    client: TestClient, world: ReportWorld, db: Session
) -> None:
    login(client, world.admin)
    resp = client.get("/reports/report.xlsx", params={"lang": "en"})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in resp.headers["content-disposition"]
    book = load_workbook(io.BytesIO(resp.content))
    assert "By street" in book.sheetnames
    audited = db.scalars(select(AuditEvent).where(AuditEvent.action == "report_export")).all()
    assert len(audited) == 1 and audited[0].entity == "report"


def test_the_print_is_an_a4_page_of_every_table(client: TestClient, world: ReportWorld) -> None:
    login(client, world.admin)
    page = client.get("/reports/print", params={"lang": "en"})
    assert page.status_code == 200
    assert "/static/reports-print.css" in page.text and "<nav" not in page.text
    for key in ("services", "streets", "providers", "alarms", "places"):
        assert f'data-testid="print-{key}"' in page.text
