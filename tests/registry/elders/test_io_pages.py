"""The elder import pages: upload form, result page, problem table and its CSV download."""

from __future__ import annotations

import base64
import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_tree, make_user
from tests.registry.elders.io_files import csv_bytes, row, xlsx_bytes
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role


def login(client: TestClient, db: Session, role: Role = Role.DISTRICT_ADMIN) -> str:
    """Log in through the form and return the page's CSRF token."""
    user, _ = make_user(db, role)
    resp = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text
    page = client.get("/elders/import")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
    assert found
    return found.group(1)


def post(client: TestClient, csrf: str, content: bytes, name: str) -> tuple[int, str]:
    resp = client.post(
        "/elders/import",
        data={"csrf_token": csrf},
        files={"file": (name, content, "application/octet-stream")},
    )
    return resp.status_code, resp.text


def test_form_links_the_templates(client: TestClient, db: Session) -> None:
    login(client, db)
    page = client.get("/elders/import").text
    assert "/api/v1/elders/import-template?format=xlsx" in page
    assert 'enctype="multipart/form-data"' in page and "身份证号 *" in page


def test_good_file_shows_the_count(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    csrf = login(client, db)
    status, html = post(client, csrf, xlsx_bytes([row(tree.comm_a1), row(tree.comm_a2)]), "a.xlsx")
    assert status == 200, html
    assert 'data-testid="import-done"' in html and "2" in html


def test_bad_rows_are_shown_in_a_table_with_a_csv_download(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    csrf = login(client, db)
    before = db.scalar(select(func.count(Elder.id)))
    rows = [row(tree.comm_a1), row(tree.comm_a1, id_number="410105194503080010")]
    status, html = post(client, csrf, csv_bytes(rows), "a.csv")
    assert status == 422
    assert 'data-testid="import-rejected"' in html
    assert "<td>3</td><td>身份证号</td>" in html
    href = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html)
    assert href
    report = base64.b64decode(href.group(1)).decode("utf-8-sig")
    assert "3,身份证号,id_checksum" in report
    assert db.scalar(select(func.count(Elder.id))) == before


def test_file_level_error_is_shown_on_the_form(client: TestClient, db: Session) -> None:
    make_tree(db)
    csrf = login(client, db)
    status, html = post(client, csrf, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.xlsx")
    assert status == 422 and 'data-testid="import-error"' in html


def test_missing_csrf_is_refused(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    login(client, db)
    status, _ = post(client, "", xlsx_bytes([row(tree.comm_a1)]), "a.xlsx")
    assert status == 403


def test_role_without_import_gets_403(client: TestClient, db: Session) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert client.get("/elders/import").status_code == 403
