"""The elder import's optional mobility and health-conditions columns."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_tree, make_user
from tests.registry.elders.io_files import read_xlsx, row, xlsx_bytes
from yiyang.registry.elders.io_columns import BY_KEY, header_key, parse_cell
from yiyang.registry.elders.models import Elder
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def headers_for(client: TestClient, db: Session) -> dict[str, str]:
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def upload(client: TestClient, headers: dict[str, str], content: bytes, **params: Any) -> Any:
    return client.post(
        "/api/v1/elders/import",
        files={"file": ("elders.xlsx", content, "application/octet-stream")},
        headers=headers,
        params=params,
    )


def test_headers_in_either_language() -> None:
    assert header_key("行动能力") == header_key("Mobility") == "mobility"
    assert header_key("健康状况") == header_key("conditions") == "conditions"
    assert not BY_KEY["mobility"].required and not BY_KEY["conditions"].required


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("轮椅", "wheelchair"),
        ("卧床", "bedridden"),
        ("长期卧床", "bedridden"),
        ("借助拐杖或助行器", "walking_aid"),
        ("Walking_Aid", "walking_aid"),
        ("Uses a wheelchair", "wheelchair"),
        ("", None),
    ],
)
def test_mobility_cells(raw: str, value: str | None) -> None:
    assert parse_cell(BY_KEY["mobility"], raw) == (value, None)


def test_unknown_mobility_says_what_to_write() -> None:
    value, problem = parse_cell(BY_KEY["mobility"], "会飞")
    assert value is None and problem is not None
    assert (problem.field, problem.code) == ("mobility", "vocabulary")
    assert problem.params["value"] == "会飞" and "轮椅 (wheelchair)" in problem.params["choices"]


def test_import_reads_mobility_and_conditions(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = headers_for(client, db)
    rows = [
        row(tree.comm_a1, mobility="轮椅", conditions="糖尿病；听力差"),
        row(tree.comm_a2),  # the columns are optional per row
    ]
    resp = upload(client, headers, xlsx_bytes(rows))
    assert resp.status_code == 201, resp.text
    first = db.scalar(select(Elder).where(Elder.id_number == rows[0]["id_number"]))
    second = db.scalar(select(Elder).where(Elder.id_number == rows[1]["id_number"]))
    assert first is not None and second is not None
    assert (first.mobility, first.conditions) == ("wheelchair", "糖尿病；听力差")
    assert (second.mobility, second.conditions) == (None, None)
    audit = db.scalar(
        select(AuditEvent).where(AuditEvent.entity_id == first.id, AuditEvent.action == "create")
    )
    assert audit is not None and audit.after is not None
    assert audit.after["mobility"] == "wheelchair" and audit.after["conditions"] == "糖尿病；听力差"


def test_unknown_mobility_is_a_row_problem_in_words(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = headers_for(client, db)
    rows = [row(tree.comm_a1), row(tree.comm_a1, mobility="会飞")]
    resp = client.post(
        "/api/v1/elders/import?lang=en",
        files={"file": ("e.xlsx", xlsx_bytes(rows), "application/octet-stream")},
        headers=headers,
    )
    assert resp.status_code == 422, resp.text
    (problem,) = resp.json()["rows"]
    assert (problem["row"], problem["column"], problem["code"]) == (3, "行动能力", "vocabulary")
    assert "Unknown mobility: 会飞" in problem["message"] and "轮椅" in problem["message"]
    assert db.scalar(select(Elder).where(Elder.id_number == rows[0]["id_number"])) is None


def test_conditions_too_long_is_a_row_problem(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    headers = headers_for(client, db)
    resp = upload(client, headers, xlsx_bytes([row(tree.comm_a1, conditions="病" * 501)]))
    assert resp.status_code == 422
    (problem,) = resp.json()["rows"]
    assert problem["column"] == "健康状况" and "500" in problem["message"]


def test_template_has_the_columns(client: TestClient, db: Session) -> None:
    headers = headers_for(client, db)
    resp = client.get("/api/v1/elders/import-template", headers=headers)
    assert resp.status_code == 200, resp.text
    header, example = read_xlsx(resp.content)[:2]
    assert "行动能力" in header and "健康状况" in header
    assert example[header.index("行动能力")] == "借助拐杖或助行器"
