"""Sessions and API tokens: idle timeout, last use written sparingly, listing and revoking."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from yiyang.security.models import AuthToken, UserAccount
from yiyang.security.roles import Role
from yiyang.security.sessions import token_hash
from yiyang.web.csrf import csrf_token
from yiyang.web.deps import SESSION_COOKIE


def page_login(client: TestClient, username: str) -> str:
    resp = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text
    return csrf_token("test-secret", client.cookies[SESSION_COOKIE])


def api_token(client: TestClient, username: str) -> str:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def stored(db: Session, raw: str) -> AuthToken:
    db.expire_all()
    return db.scalars(select(AuthToken).where(AuthToken.token_hash == token_hash(raw))).one()


def test_a_page_session_ends_after_thirty_idle_minutes(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    page_login(client, user.username)
    for _ in range(4):  # two hours of work, a click every 20 minutes: still signed in
        clock.advance(minutes=20)
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.advance(minutes=30)
    gone = client.get("/orders", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")


def test_the_absolute_lifetime_stays(client: TestClient, db: Session, clock: FakeClock) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    page_login(client, user.username)
    for _ in range(25):  # busy all day: twelve hours is still the end
        clock.advance(minutes=29)
        client.get("/")
    assert client.get("/", follow_redirects=False).status_code == 303


def test_last_used_is_written_at_most_once_a_minute(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    raw = api_token(client, user.username)
    headers = {"Authorization": f"Bearer {raw}"}
    assert stored(db, raw).last_used_at is None
    client.get("/api/v1/me", headers=headers)
    first = clock.now
    assert stored(db, raw).last_used_at == first
    clock.advance(seconds=40)
    client.get("/api/v1/me", headers=headers)
    assert stored(db, raw).last_used_at == first  # not every request writes
    clock.advance(seconds=20)
    client.get("/api/v1/me", headers=headers)
    assert stored(db, raw).last_used_at == clock.now


def test_an_unused_api_token_stops_working(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    used = {"Authorization": f"Bearer {api_token(client, user.username)}"}
    idle = {"Authorization": f"Bearer {api_token(client, user.username)}"}
    for _ in range(3):
        clock.advance(days=20)
        assert client.get("/api/v1/me", headers=used).status_code == 200
    resp = client.get("/api/v1/me", headers=idle)
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "idle"
    assert "30" in resp.json()["error"]["message"]


def test_tokens_page_creates_shows_once_lists_in_local_time_and_revokes(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    user, _ = make_user(db, Role.PROVIDER_ADMIN)
    csrf = page_login(client, user.username)
    empty = client.get("/account/tokens?lang=en")
    assert empty.status_code == 200 and "You have no API tokens." in empty.text
    made = client.post("/account/tokens", data={"csrf_token": csrf, "name": "  monthly report  "})
    assert made.status_code == 200 and 'data-testid="token-created"' in made.text
    value = re.search(r'data-testid="token-value">([^<]+)<', made.text)
    assert value is not None
    headers = {"Authorization": f"Bearer {value.group(1)}"}
    assert client.get("/api/v1/me", headers=headers).json()["username"] == user.username
    again = client.get("/account/tokens")
    assert value.group(1) not in again.text  # shown once
    assert "monthly report" in again.text
    assert "2026-11-23 09:00" in again.text and "01:00" not in again.text  # local, never UTC
    token_id = stored(db, value.group(1)).id
    revoked = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    no_name = client.post("/account/tokens", data={"csrf_token": csrf, "name": "   "})
    assert no_name.status_code == 422 and 'data-testid="account-error"' in no_name.text


def test_someone_elses_token_is_not_found(client: TestClient, db: Session) -> None:
    owner, _ = make_user(db, Role.OPERATOR)
    other, _ = make_user(db, Role.OPERATOR)
    theirs = api_token(client, owner.username)
    token_id = stored(db, theirs).id
    csrf = page_login(client, other.username)
    resp = client.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert resp.status_code == 404
    mine = {"Authorization": f"Bearer {api_token(client, other.username)}"}
    assert client.delete(f"/api/v1/me/tokens/{token_id}", headers=mine).status_code == 404
    assert client.delete("/api/v1/me/tokens/99999999999999999999", headers=mine).status_code == 422
    assert stored(db, theirs).revoked_at is None


def test_list_and_end_ones_other_sessions(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    user, _ = make_user(db, Role.STREET_ADMIN)
    elsewhere = TestClient(client.app, base_url="http://127.0.0.1")
    page_login(elsewhere, user.username)
    other_raw = elsewhere.cookies[SESSION_COOKIE]
    clock.advance(minutes=5)
    csrf = page_login(client, user.username)
    page = client.get("/account/tokens")
    assert page.text.count('data-testid="session-row"') == 2
    assert page.text.count('data-testid="this-session"') == 1
    other_id = stored(db, other_raw).id
    ended = client.post(
        f"/account/sessions/{other_id}/end", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert ended.status_code == 303
    assert elsewhere.get("/", follow_redirects=False).status_code == 303  # that one is out
    assert client.get("/").status_code == 200  # this one is not
    assert client.get("/account/tokens").text.count('data-testid="session-row"') == 1


def test_api_lists_creates_and_revokes_own_tokens(client: TestClient, db: Session) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {api_token(client, user.username)}"}
    made = client.post("/api/v1/me/tokens", json={"name": "nightly export"}, headers=headers)
    assert made.status_code == 201
    listed = client.get("/api/v1/me/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["nightly export", None]
    assert [t["current"] for t in listed] == [False, True]
    assert "access_token" not in listed[0] and "token_hash" not in listed[0]
    gone = client.delete(f"/api/v1/me/tokens/{made.json()['id']}", headers=headers)
    assert gone.status_code == 204
    made_headers = {"Authorization": f"Bearer {made.json()['access_token']}"}
    assert client.get("/api/v1/me", headers=made_headers).status_code == 401
    bad = client.post("/api/v1/me/tokens", json={"name": "a\x00b"}, headers=headers)
    assert bad.status_code == 422
    assert client.get("/api/v1/me/sessions", headers=headers).json() == []


def test_a_deactivated_account_is_signed_out(client: TestClient, db: Session) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    headers = {"Authorization": f"Bearer {api_token(client, user.username)}"}
    db.get_one(UserAccount, user.id).active = False
    db.flush()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
