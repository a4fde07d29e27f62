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


def _audited(live_db: Session, action: str, username: str) -> int:
    rows = live_db.scalars(
        select(AuditEvent).where(AuditEvent.action == action, AuditEvent.actor_name == username)
    ).all()
    live_db.commit()  # on SQLite an open transaction would hold the write lock
    return len(rows)


def test_api_login_locks_out_after_five_failures(
    live_client: TestClient, live_db: Session, clock: FakeClock
) -> None:
    user = _user(live_db)
    statuses = []
    for _ in range(8):
        statuses.append(_token(live_client, user.username, "wrong-password")[0])
        clock.advance(seconds=20)  # slower than the per-minute limit: the lockout decides
    assert statuses == [401] * 5 + [429] * 3
    resp = live_client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
    )
    assert resp.status_code == 429  # the right password during the lockout is refused
    error = resp.json()["error"]
    assert error["code"] == "locked"
    assert 0 < int(resp.headers["retry-after"]) <= 15 * 60
    # The fifth failure came at 09:01:20 local time: locked for 15 minutes, said in words.
    assert "09:16" in error["message"]
    assert _audited(live_db, "login_failed", user.username) == 5  # kept though all failed
    assert _audited(live_db, "login_locked", user.username) == 1
    clock.advance(minutes=15)
    assert _token(live_client, user.username, PASSWORD)[0] == 200


def test_rapid_tries_get_429_with_retry_after(
    live_client: TestClient, live_db: Session, clock: FakeClock
) -> None:
    user = _user(live_db)
    answers = [
        live_client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": f"guess-{i}"}
        )
        for i in range(40)
    ]
    codes = [a.status_code for a in answers]
    assert codes[:3] == [401] * 3 and set(codes[3:]) == {429}
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert 0 < int(answers[-1].headers["retry-after"]) <= 60
    assert _audited(live_db, "login_failed", user.username) == 3  # refusals check nothing
    clock.advance(seconds=61)
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
        clock.advance(seconds=20)
    resp = live_client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 429
    assert int(resp.headers["retry-after"]) > 0
    assert 'data-code="locked"' in resp.text
    assert "09:16" in resp.text
    assert _audited(live_db, "login_failed", user.username) == 5


def test_many_accounts_from_one_address_are_limited(live_client: TestClient) -> None:
    codes = [_token(live_client, f"nobody-{i}", "guess")[0] for i in range(40)]
    assert codes[:10] == [401] * 10
    assert set(codes[10:]) == {429}


def test_right_passwords_are_never_limited(live_client: TestClient, live_db: Session) -> None:
    """A call centre behind one address signing in at the start of a shift is not refused."""
    users = [_user(live_db) for _ in range(12)]
    codes = [_token(live_client, u.username, PASSWORD)[0] for u in users for _ in range(2)]
    assert codes == [200] * 24


def test_a_right_sign_in_forgets_the_failures(
    live_client: TestClient, live_db: Session, clock: FakeClock
) -> None:
    user = _user(live_db)
    for _ in range(2):
        for _ in range(3):
            assert _token(live_client, user.username, "typo")[0] == 401
            clock.advance(seconds=21)
        assert _token(live_client, user.username, PASSWORD)[0] == 200
    assert _audited(live_db, "login_locked", user.username) == 0
