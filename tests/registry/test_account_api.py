"""The accounts API: the same help-desk actions as the pages, for district administrators
only, through separate requests on the live app (a deactivated token stops working at once)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from yiyang.security.roles import Role


def _token(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_the_help_desk_through_the_api(live_client: TestClient, live_db: Session) -> None:
    admin, _ = make_user(live_db, Role.DISTRICT_ADMIN)
    operator, _ = make_user(live_db, Role.OPERATOR)
    live_db.commit()
    me = _token(live_client, admin.username)
    theirs = _token(live_client, operator.username)
    listed = live_client.get("/api/v1/users", params={"role": "operator"}, headers=me).json()
    names = {a["username"]: a for a in listed["items"]}
    assert operator.username in names and admin.username not in names  # operators only
    assert live_client.get("/api/v1/users", headers=theirs).status_code == 403
    blank = live_client.post(f"/api/v1/users/{operator.id}/deactivate", json={"reason": ""},
                             headers=me)  # fmt: skip
    assert blank.status_code == 422
    off = live_client.post(f"/api/v1/users/{operator.id}/deactivate",
                           json={"reason": "left"}, headers=me)  # fmt: skip
    assert off.status_code == 200 and off.json()["active"] is False
    assert live_client.get("/api/v1/me/tokens", headers=theirs).status_code == 401
    assert live_client.post(f"/api/v1/users/{operator.id}/reactivate", headers=me).json()["active"]
    reset = live_client.post(f"/api/v1/users/{operator.id}/password-reset", headers=me)
    assert reset.status_code == 200 and reset.headers["cache-control"] == "no-store"
    temporary = reset.json()["temporary_password"]
    again = _token(live_client, operator.username, temporary)
    refused = live_client.get("/api/v1/orders", headers=again)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "password_change_required"
    unlocked = live_client.post(f"/api/v1/users/{operator.id}/unlock", headers=me)
    assert unlocked.json() == {"unlocked": False}
    none = live_client.delete(f"/api/v1/users/{operator.id}/second-factor", headers=me)
    assert none.status_code == 409
    own = live_client.post(f"/api/v1/users/{admin.id}/password-reset", headers=me)
    assert own.status_code == 409
    assert live_client.get("/api/v1/users/987654", headers=me).status_code == 404
