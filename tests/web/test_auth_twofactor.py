"""Two-factor sign-in through the pages and the API: set-up, the second step, the requirement."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role
from yiyang.web.csrf import csrf_token
from yiyang.web.deps import SESSION_COOKIE


def page_login(client: TestClient, username: str, next: str = "/") -> str:
    """The password step; returns where it sends the browser."""
    resp = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "next": next},
        follow_redirects=False,
    )
    assert resp.status_code == 303, resp.text
    return resp.headers["location"]


def csrf(client: TestClient) -> str:
    return csrf_token("test-secret", client.cookies[SESSION_COOKIE])


def code(secret: str, clock: FakeClock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.now + timedelta(seconds=30 * steps))


def set_up(client: TestClient, clock: FakeClock) -> tuple[str, list[str]]:
    """Set up two-factor sign-in through the pages, as a person would; returns key and codes."""
    page = client.post("/account/two-factor/setup", data={"csrf_token": csrf(client)})
    assert page.status_code == 200
    content = page.text[page.text.index('<main id="main"') :]
    assert "<svg" in content and "style=" not in content and "<script" not in content
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page.text)
    assert key is not None
    secret = key.group(1).replace(" ", "")
    done = client.post(
        "/account/two-factor/confirm",
        data={"csrf_token": csrf(client), "code": code(secret, clock)},
    )
    assert done.status_code == 200 and 'data-testid="recovery-codes"' in done.text
    recovery = re.findall(r'data-testid="recovery-code">([a-z0-9-]+)<', done.text)
    assert len(recovery) == 10
    clock.advance(seconds=30)
    return secret, recovery


def test_page_sign_in_with_a_second_step(client: TestClient, db: Session, clock: FakeClock) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    page_login(client, user.username)
    secret, _ = set_up(client, clock)
    client.cookies.clear()

    assert page_login(client, user.username, "/orders") == "/login/code?next=/orders"
    assert client.get("/orders", follow_redirects=False).status_code == 303  # opens nothing yet
    form = client.get("/login/code?next=/orders")
    assert form.status_code == 200 and 'autocomplete="one-time-code"' in form.text
    wrong = client.post("/login/code", data={"code": "000000", "next": "/orders"})
    assert wrong.status_code == 401 and 'data-code="bad_code"' in wrong.text
    held = client.cookies[SESSION_COOKIE]
    right = client.post(
        "/login/code", data={"code": code(secret, clock), "next": "/orders"}, follow_redirects=False
    )
    assert right.status_code == 303 and right.headers["location"] == "/orders"
    assert client.cookies[SESSION_COOKIE] != held  # a new session value, not the waiting one
    assert client.get("/orders").status_code == 200
    login_row = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "login", AuditEvent.entity_id == user.id)
    ).all()[-1]
    assert login_row.detail == "password+totp"


def test_the_waiting_step_expires(client: TestClient, db: Session, clock: FakeClock) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    page_login(client, user.username)
    secret, _ = set_up(client, clock)
    client.cookies.clear()
    page_login(client, user.username)
    clock.advance(minutes=6)
    late = client.post("/login/code", data={"code": code(secret, clock)}, follow_redirects=False)
    assert late.status_code == 303 and late.headers["location"] == "/login"


def test_api_token_takes_otp(client: TestClient, db: Session, clock: FakeClock) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    page_login(client, user.username)
    secret, recovery = set_up(client, clock)
    body = {"username": user.username, "password": PASSWORD}
    owed = client.post("/api/v1/auth/token", json=body)
    assert owed.status_code == 401 and owed.json()["error"]["code"] == "otp_required"
    bad = client.post("/api/v1/auth/token", json=body | {"otp": "123456"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_code"
    good = client.post("/api/v1/auth/token", json=body | {"otp": code(secret, clock)})
    assert good.status_code == 200
    replay = client.post("/api/v1/auth/token", json=body | {"otp": code(secret, clock)})
    assert replay.status_code == 401 and replay.json()["error"]["code"] == "bad_code"
    by_recovery = client.post("/api/v1/auth/token", json=body | {"otp": recovery[0]})
    assert by_recovery.status_code == 200
    wrong_password = client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": "x", "otp": "1"}
    )
    assert wrong_password.json()["error"]["code"] == "bad_credentials"  # otp not even looked at


def test_openapi_documents_otp_and_429(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    token = spec["paths"]["/api/v1/auth/token"]["post"]
    assert {"401", "403", "429"} <= set(token["responses"])
    assert "Retry-After" in token["responses"]["429"]["headers"]
    props = spec["components"]["schemas"]["TokenRequest"]["properties"]
    assert "recovery" in props["otp"]["description"]


def required_app(app: FastAPI) -> FastAPI:
    app.state.totp_required_roles = frozenset({Role.DISTRICT_ADMIN})
    return app


def test_required_role_is_sent_to_set_up_and_can_do_nothing_else(
    app: FastAPI, client: TestClient, db: Session, clock: FakeClock
) -> None:
    required_app(app)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    assert page_login(client, admin.username, "/elders") == "/account/two-factor?next=/elders"
    for path in ("/", "/elders", "/orders", "/account/tokens", "/account/password"):
        resp = client.get(path, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == "/account/two-factor"
    htmx = client.get("/elders", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.headers["hx-redirect"] == "/account/two-factor"
    # A fragment the set-up page itself asks for (the nav's alert badge) sends it nowhere:
    # redirecting there would reload the page for ever.
    badge = client.get(
        "/alerts/badge",
        headers={"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1/account/two-factor"},
        follow_redirects=False,
    )
    assert badge.status_code == 204 and "hx-redirect" not in badge.headers
    page = client.get("/account/two-factor?next=/elders")
    assert 'data-testid="must-set-up"' in page.text and 'name="next" value="/elders"' in page.text
    api = client.get("/api/v1/me", headers={"X-CSRF-Token": csrf(client)})
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "second_factor_setup_required"
    set_up(client, clock)
    assert client.get("/elders").status_code == 200  # done: everything opens again


def test_required_role_without_a_second_factor_gets_no_api_token(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    required_app(app)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    resp = client.post(
        "/api/v1/auth/token", json={"username": admin.username, "password": PASSWORD}
    )
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "second_factor_setup_required"
    other, _ = make_user(db, Role.OPERATOR)  # a role that is not required signs in as before
    ok = client.post("/api/v1/auth/token", json={"username": other.username, "password": PASSWORD})
    assert ok.status_code == 200


def test_turn_off_through_the_page(client: TestClient, db: Session, clock: FakeClock) -> None:
    user, _ = make_user(db, Role.OPERATOR)
    page_login(client, user.username)
    secret, _ = set_up(client, clock)
    status = client.get("/account/two-factor")
    assert 'data-testid="two-factor-on"' in status.text and "10" in status.text
    wrong = client.post(
        "/account/two-factor/disable",
        data={"csrf_token": csrf(client), "password": PASSWORD, "code": "111111"},
    )
    assert wrong.status_code == 422 and 'data-testid="account-error"' in wrong.text
    off = client.post(
        "/account/two-factor/disable",
        data={"csrf_token": csrf(client), "password": PASSWORD, "code": code(secret, clock)},
        follow_redirects=False,
    )
    assert off.status_code == 303
    assert 'data-testid="turned-off"' in client.get(off.headers["location"]).text
    client.cookies.clear()
    assert page_login(client, user.username) == "/"


def test_wrong_codes_count_towards_the_lockout(
    live_client: TestClient, live_db: Session, clock: FakeClock
) -> None:
    """Separate requests on the live app: the second step is limited like the password."""
    user, _ = make_user(live_db, Role.OPERATOR)
    live_db.commit()
    username = user.username
    page_login(live_client, username)
    secret, _ = set_up(live_client, clock)
    live_client.cookies.clear()
    page_login(live_client, username)  # right: it takes its attempt back
    answers = []
    for _ in range(5):
        clock.advance(seconds=21)
        answers.append(live_client.post("/login/code", data={"code": "000000"}).status_code)
    assert answers == [401] * 5
    right = live_client.post("/login/code", data={"code": code(secret, clock)})
    assert right.status_code == 429 and 'data-code="locked"' in right.text
    rows = live_db.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.action == "login_failed", AuditEvent.actor_name == username
        )
    ).all()
    live_db.commit()
    assert rows == ["bad_code"] * 5
