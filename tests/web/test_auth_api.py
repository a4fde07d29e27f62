"""Login, bearer tokens, logout, password change and lockout through the JSON API."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_tree, make_user
from tests.conftest import FakeClock
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def token(client: TestClient, username: str, password: str = PASSWORD) -> str:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def test_token_login_and_me(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    user, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    resp = client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {token(client, user.username)}"}
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["role"] == "street_admin"
    assert body["street_id"] == tree.street_a.id
    assert "elder.read" in body["permissions"]


def test_wrong_password_is_401_and_audited(client: TestClient, db: Session) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": "nope"})
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == "bad_credentials"
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "login_failed")) is not None


def test_no_token_is_401(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401
    resp = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert resp.status_code == 401


def test_logout_revokes_the_token(client: TestClient, db: Session) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token(client, user.username)}"}
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_token_expires(client: TestClient, db: Session, clock: FakeClock) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token(client, user.username)}"}
    clock.advance(days=91)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_password_change_policy_and_effect(client: TestClient, db: Session) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {token(client, user.username)}"}
    weak = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "short"},
    )
    assert weak.status_code == 422
    assert weak.json()["error"]["field"] == "new_password"
    wrong = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": "wrong", "new_password": "a-much-better-one-9"},
    )
    assert wrong.json()["error"]["field"] == "current_password"
    ok = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": PASSWORD, "new_password": "a-much-better-one-9"},
    )
    assert ok.status_code == 204
    # Every session ends; the new password works.
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert token(client, user.username, "a-much-better-one-9")


def test_only_district_admin_creates_users(client: TestClient, db: Session) -> None:
    tree = make_tree(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    street, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    body = {
        "username": "newstaff",
        "password": "good-password-1",
        "display_name": "新同事",
        "role": "community_staff",
        "area_code": tree.comm_a1.code,
    }
    denied = client.post(
        "/api/v1/users",
        json=body,
        headers={"Authorization": f"Bearer {token(client, street.username)}"},
    )
    assert denied.status_code == 403
    admin_headers = {"Authorization": f"Bearer {token(client, admin.username)}"}
    assert client.post("/api/v1/users", json=body, headers=admin_headers).status_code == 201
    again = client.post("/api/v1/users", json=body, headers=admin_headers)
    assert again.status_code == 409
    wrong_level = dict(body, username="other", area_code=tree.street_a.code)
    resp = client.post("/api/v1/users", json=wrong_level, headers=admin_headers)
    assert resp.status_code == 422
    assert resp.json()["error"]["field"] == "area_code"
