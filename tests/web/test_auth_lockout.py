"""Lockout and rate limits through separate requests and transactions (the live app)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role


def _user(live_db: Session, role: Role = Role.OPERATOR) -> UserAccount:
    user, _ = make_user(live_db, role)
    live_db.commit()
    return user


def _token(client: TestClient, username: str, password: str) -> tuple[int, dict[str, object]]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": password})
    return resp.status_code, resp.json()


def test_api_login_locks_out_after_five_failures(
    live_client: TestClient, live_db: Session, clock: FakeClock
) -> None:
    user = _user(live_db)
    statuses = [_token(live_client, user.username, "wrong-password")[0] for _ in range(8)]
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 3
    resp = live_client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
    )
    assert resp.status_code == 429  # the right password during the lockout is refused
    assert resp.json()["error"]["code"] == "locked"
    assert int(resp.headers["retry-after"]) > 0
    assert "09:15" in resp.json()["error"]["message"]  # when to try again, in local time
    failed = live_db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "login_failed", AuditEvent.actor_name == user.username
        )
    ).all()
    assert len(failed) == 5  # kept although every request failed
    clock.advance(minutes=16)
    assert _token(live_client, user.username, PASSWORD)[0] == 200


def test_page_login_locks_out_too(
    live_client: TestClient, live_db: Session, clock: FakeClock
) -> None:
    user = _user(live_db)
    for _ in range(5):
        resp = live_client.post(
            "/login", data={"username": user.username, "password": "wrong-password"}
        )
        assert resp.status_code == 401
    resp = live_client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert resp.status_code == 429
    assert resp.headers["retry-after"]
    assert 'data-testid="login-error"' in resp.text


def test_forty_rapid_tries_get_429(live_client: TestClient, live_db: Session) -> None:
    user = _user(live_db)
    codes = [_token(live_client, user.username, f"guess-{i}")[0] for i in range(40)]
    assert 429 in codes
    assert codes.count(401) == 5


def test_many_accounts_from_one_address_are_limited(live_client: TestClient) -> None:
    codes = [_token(live_client, f"nobody{i}", "guess")[0] for i in range(40)]
    assert codes[0] == 401
    assert codes[-1] == 429
