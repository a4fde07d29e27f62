"""Providers through the JSON API: scope, search, validation, duplicates, audit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_provider, make_tree, make_user
from yiyang.registry.providers.models import Provider
from yiyang.registry.providers.rules import credit_code_problem, uscc_check_char
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def credit(body: str = "91410105MA44XYW12") -> str:
    return body + uscc_check_char(body)


def count(db: Session) -> int:
    return db.scalar(select(func.count(Provider.id))) or 0


def test_credit_code_rule() -> None:
    assert credit_code_problem(credit()) is None
    assert credit_code_problem(None) is None
    good = credit()
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    assert (p := credit_code_problem(wrong)) and p.code == "credit_code_checksum"
    assert (p := credit_code_problem("91410105MA44XYZ1I0")) and p.code == "credit_code_shape"
    assert (p := credit_code_problem("123")) and p.code == "credit_code_shape"


def test_create_search_update_with_audit(client: TestClient, db: Session) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, admin.username)
    body = {
        "code": "JS-P99",
        "name": "安康居家养老服务中心",
        "credit_code": credit().lower(),
        "phone": "0371-65550000",
    }
    resp = client.post("/api/v1/providers", json=body, headers=headers)
    assert resp.status_code == 201, resp.text
    pid = resp.json()["id"]
    assert resp.json()["credit_code"] == credit()  # normalised to capitals
    found = client.get("/api/v1/providers", params={"q": "安康"}, headers=headers).json()
    assert [p["id"] for p in found["items"]] == [pid]
    found = client.get("/api/v1/providers", params={"q": credit()[:10]}, headers=headers).json()
    assert pid in [p["id"] for p in found["items"]]
    resp = client.patch(
        f"/api/v1/providers/{pid}", json={"contact_name": "李经理"}, headers=headers
    )
    assert resp.status_code == 200, resp.text
    rows = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == "provider", AuditEvent.entity_id == pid)
        .order_by(AuditEvent.id)
    ).all()
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[0].after is not None and rows[0].after["code"] == "JS-P99"
    assert rows[1].before == {"contact_name": None}
    assert rows[1].after == {"contact_name": "李经理"}


@pytest.mark.parametrize(
    ("override", "field", "status"),
    [
        ({"credit_code": "BADSUM"}, "credit_code", 422),
        ({"phone": "12345"}, "phone", 422),
        ({"name": ""}, "name", 422),
        ({"code": "DUP"}, "code", 409),
        ({"credit_code": "DUPCREDIT"}, "credit_code", 409),
    ],
)
def test_bad_provider_input_names_field_and_writes_nothing(
    client: TestClient, db: Session, override: dict[str, str], field: str, status: int
) -> None:
    existing = make_provider(db)
    existing.code, existing.credit_code = "DUP", credit()
    db.flush()
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    if override.get("credit_code") == "DUPCREDIT":
        override = {"credit_code": credit()}
    if override.get("credit_code") == "BADSUM":
        good = credit("52410105MJY000011")
        override = {"credit_code": good[:17] + ("0" if good[17] != "0" else "1")}
    before = count(db)
    body = {"code": "NEW1", "name": "新机构"} | override
    resp = client.post("/api/v1/providers", json=body, headers=auth(client, admin.username))
    assert resp.status_code == status, resp.text
    err = resp.json()["error"]
    assert err["field"] == field or any(p["field"] == field for p in err["problems"]), err
    assert count(db) == before


def test_provider_admin_sees_only_own_and_cannot_write(client: TestClient, db: Session) -> None:
    mine, other = make_provider(db, "甲"), make_provider(db, "乙")
    user, _ = make_user(db, Role.PROVIDER_ADMIN, provider=mine)
    headers = auth(client, user.username)
    listing = client.get("/api/v1/providers", params={"size": 500}, headers=headers).json()
    assert [p["id"] for p in listing["items"]] == [mine.id]
    assert client.get(f"/api/v1/providers/{other.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/providers/{mine.id}", headers=headers).status_code == 200
    resp = client.patch(f"/api/v1/providers/{mine.id}", json={"name": "x"}, headers=headers)
    assert resp.status_code == 403


def test_street_admin_sees_every_provider(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    a, b = make_provider(db, "甲"), make_provider(db, "乙")
    user, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    headers = auth(client, user.username)
    ids = {
        p["id"]
        for p in client.get("/api/v1/providers", params={"size": 500}, headers=headers).json()[
            "items"
        ]
    }
    assert {a.id, b.id} <= ids
    community, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    resp = client.get("/api/v1/providers", headers=auth(client, community.username))
    assert resp.status_code == 403
