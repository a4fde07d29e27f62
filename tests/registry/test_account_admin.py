"""The district administrator's help desk on someone else's account, through separate requests
and transactions (the live app): a lock-out lifted, a temporary password that must be replaced
before anything else, a deactivation that ends the sessions at once, a lost second factor."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import TotpCredential, UserAccount
from yiyang.security.roles import Role

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TEMPORARY = re.compile(r'data-testid="temporary-value">([^<]+)<')
NEW_PASSWORD = "my-own-choice-2026"


@pytest.fixture
def admin_client(live_app: FastAPI) -> Iterator[TestClient]:
    """The administrator's browser, from an address of its own."""
    with TestClient(live_app, base_url="http://127.0.0.1", client=("198.19.0.1", 5)) as c:
        yield c


def _committed(live_db: Session, role: Role = Role.CAREGIVER) -> UserAccount:
    user, _ = make_user(live_db, role)
    live_db.commit()
    return user


def _sign_in(client: TestClient, username: str, password: str = PASSWORD) -> int:
    resp = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=False
    )
    return resp.status_code


def _csrf(client: TestClient, page: str) -> str:
    found = CSRF.search(client.get(page).text)
    assert found, page
    return found.group(1)


def _admin(client: TestClient, live_db: Session) -> tuple[UserAccount, str]:
    admin = _committed(live_db, Role.DISTRICT_ADMIN)
    assert _sign_in(client, admin.username) == 303
    return admin, _csrf(client, "/accounts/new")


def _actions(live_db: Session, user_id: int) -> list[str]:
    rows = live_db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity == "user", AuditEvent.entity_id == user_id
        )
    ).all()
    live_db.commit()
    return list(rows)


def _row(live_db: Session, user_id: int) -> UserAccount:
    user = live_db.get(UserAccount, user_id, populate_existing=True)
    live_db.commit()
    assert user is not None
    return user


def test_a_locked_out_caregiver_signs_in_again_once_the_admin_lifts_the_lock(
    live_client: TestClient, admin_client: TestClient, live_db: Session, clock: FakeClock
) -> None:
    caregiver = _committed(live_db)
    _, csrf = _admin(admin_client, live_db)
    for _ in range(5):
        assert _sign_in(live_client, caregiver.username, "wrong-password") == 401
        clock.advance(seconds=20)
    assert _sign_in(live_client, caregiver.username) == 429
    locked = admin_client.get("/accounts?state=locked&lang=en")
    assert caregiver.username in locked.text and "Locked until" in locked.text
    page = admin_client.get(f"/accounts/{caregiver.id}?lang=en").text
    assert 'data-testid="unlock"' in page
    done = admin_client.post(
        f"/accounts/{caregiver.id}/unlock", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=unlocked")
    assert _sign_in(live_client, caregiver.username) == 303
    assert "login_unlock" in _actions(live_db, caregiver.id)
    again = admin_client.post(
        f"/accounts/{caregiver.id}/unlock", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert again.headers["location"].endswith("done=not_locked")


def test_a_temporary_password_ends_the_sessions_and_must_be_replaced_first(
    live_client: TestClient, admin_client: TestClient, live_db: Session
) -> None:
    caregiver = _committed(live_db)
    assert _sign_in(live_client, caregiver.username) == 303
    assert live_client.get("/m/today").status_code == 200
    _, csrf = _admin(admin_client, live_db)
    made = admin_client.post(
        f"/accounts/{caregiver.id}/password?lang=en", data={"csrf_token": csrf}
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    found = TEMPORARY.search(made.text)
    assert found
    temporary = found.group(1)
    # The session open before the reset has ended; the old password no longer works.
    assert (
        live_client.get("/m/today", follow_redirects=False).headers["location"].startswith("/login")
    )
    assert _sign_in(live_client, caregiver.username) == 401
    assert _sign_in(live_client, caregiver.username, temporary) == 303
    # Every page and the API lead to the password change, and nothing else opens.
    for page in ("/", "/m/today", "/orders"):
        resp = live_client.get(page, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == "/account/password"
    change = live_client.get("/account/password?lang=en")
    assert change.status_code == 200 and 'data-testid="must-change"' in change.text
    api = live_client.get("/api/v1/orders", headers={"x-csrf-token": "x"})
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "password_change_required"
    token = CSRF.search(change.text)
    assert token
    changed = live_client.post(
        "/account/password",
        data={"current_password": temporary, "new_password": NEW_PASSWORD,
              "csrf_token": token.group(1)},
        follow_redirects=False,
    )  # fmt: skip
    assert changed.status_code == 303, changed.text
    assert _sign_in(live_client, caregiver.username, NEW_PASSWORD) == 303
    assert live_client.get("/m/today", follow_redirects=False).status_code == 200
    assert _row(live_db, caregiver.id).password_must_change is False
    assert {"password_reset", "password_change"} <= set(_actions(live_db, caregiver.id))
    assert temporary not in str(
        live_db.scalars(select(AuditEvent.after).where(AuditEvent.entity_id == caregiver.id)).all()
    )
    live_db.commit()


def test_deactivating_signs_the_person_out_at_once_and_reactivating_lets_them_back(
    live_client: TestClient, admin_client: TestClient, live_db: Session
) -> None:
    operator = _committed(live_db, Role.OPERATOR)
    assert _sign_in(live_client, operator.username) == 303
    _, csrf = _admin(admin_client, live_db)
    blank = admin_client.post(
        f"/accounts/{operator.id}/deactivate?lang=en", data={"reason": " ", "csrf_token": csrf}
    )
    assert blank.status_code == 422 and "Say why the account is deactivated." in blank.text
    assert _row(live_db, operator.id).active is True  # nothing written
    gone = admin_client.post(
        f"/accounts/{operator.id}/deactivate",
        data={"reason": "left the call centre", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert gone.status_code == 303
    assert live_client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert _sign_in(live_client, operator.username) == 401
    shown = admin_client.get("/accounts?state=inactive&lang=en").text
    assert operator.username in shown and "Deactivated" in shown
    detail = live_db.scalar(
        select(AuditEvent.detail).where(
            AuditEvent.action == "account_deactivate", AuditEvent.entity_id == operator.id
        )
    )
    live_db.commit()
    assert detail == "left the call centre"
    back = admin_client.post(
        f"/accounts/{operator.id}/reactivate", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert back.status_code == 303
    assert _sign_in(live_client, operator.username) == 303


def test_the_admin_cannot_act_on_their_own_account_here(
    admin_client: TestClient, live_db: Session
) -> None:
    admin, csrf = _admin(admin_client, live_db)
    page = admin_client.get(f"/accounts/{admin.id}?lang=en").text
    assert "This is your own account" in page and 'data-testid="deactivate"' not in page
    for action, data in (("deactivate", {"reason": "test"}), ("password", {})):
        resp = admin_client.post(
            f"/accounts/{admin.id}/{action}?lang=en", data=data | {"csrf_token": csrf}
        )
        assert resp.status_code == 409 and "This is your own account" in resp.text
    assert _row(live_db, admin.id).active is True
    assert _sign_in(admin_client, admin.username) == 303  # the password is unchanged


def test_a_lost_second_factor_is_removed_and_the_sessions_end(
    live_client: TestClient, admin_client: TestClient, live_db: Session, clock: FakeClock
) -> None:
    supervisor = _committed(live_db, Role.SUPERVISOR)
    assert _sign_in(live_client, supervisor.username) == 303
    live_db.add(TotpCredential(user_id=supervisor.id, secret="JBSWY3DPEHPK3PXP",
                               confirmed_at=clock()))  # fmt: skip
    live_db.commit()
    _, csrf = _admin(admin_client, live_db)
    page = admin_client.get(f"/accounts/{supervisor.id}?lang=en").text
    assert "Signs in with an authenticator app" in page
    done = admin_client.post(
        f"/accounts/{supervisor.id}/second-factor/remove",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("done=second_factor")
    assert (
        live_db.scalar(select(TotpCredential).where(TotpCredential.user_id == supervisor.id))
        is None
    )
    live_db.commit()
    assert live_client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    none_left = admin_client.post(
        f"/accounts/{supervisor.id}/second-factor/remove?lang=en", data={"csrf_token": csrf}
    )
    assert none_left.status_code == 409
    assert "This account has no second factor to remove." in none_left.text
    assert "totp_reset" in _actions(live_db, supervisor.id)
