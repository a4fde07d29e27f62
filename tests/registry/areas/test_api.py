"""The area tree through the JSON API: by level, by parent, one area with its children."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_tree, make_user
from yiyang.security.roles import Role


def auth(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_streets_and_communities_by_parent(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    elder = make_elder(db, tree.comm_a1)
    user, _ = make_user(db, Role.FAMILY, elder=elder)  # any logged-in role may read areas
    headers = auth(client, user.username)
    streets = client.get("/api/v1/areas", params={"level": "street"}, headers=headers)
    assert streets.status_code == 200, streets.text
    codes = {a["code"] for a in streets.json()}
    assert {tree.street_a.code, tree.street_b.code} <= codes
    assert all(a["level"] == "street" for a in streets.json())
    comms = client.get(
        "/api/v1/areas",
        params={"level": "community", "parent_code": tree.street_a.code},
        headers=headers,
    ).json()
    assert [a["code"] for a in comms] == [tree.comm_a1.code, tree.comm_a2.code]
    assert all(a["parent_code"] == tree.street_a.code for a in comms)


def test_one_area_with_children_and_unknown_is_404(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.CAREGIVER)
    headers = auth(client, user.username)
    resp = client.get(f"/api/v1/areas/{tree.street_b.code}", headers=headers)
    assert resp.status_code == 200, resp.text
    data = resp.json()
    assert data["name"] == tree.street_b.name and data["parent_code"] == tree.district.code
    assert [c["code"] for c in data["children"]] == [tree.comm_b1.code, tree.comm_b2.code]
    assert client.get("/api/v1/areas/999999", headers=headers).status_code == 404
    bad = client.get("/api/v1/areas", params={"level": "planet"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "level"


def test_areas_need_login(client: TestClient, db: Session) -> None:
    assert client.get("/api/v1/areas").status_code == 401
