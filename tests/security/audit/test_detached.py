"""Detached audit rows commit on their own: a refusal stays although its request rolls back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock
from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.db import make_session_factory
from yiyang.security.audit import service as audit
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject
from yiyang.web.deps import ApiSubject, DbSession


def actions(factory: sessionmaker[Session]) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def live(scratch: Engine, clock: FakeClock) -> Iterator[tuple[TestClient, sessionmaker[Session]]]:
    """The real app (its own get_db, one transaction per request) on the scratch database."""
    app: FastAPI = create_app(Settings(secret_key="s"), engine=scratch, clock=clock)

    @app.post("/api/v1/test/write-then-refuse")
    def write_then_refuse(db: DbSession, subject: ApiSubject) -> None:
        audit.record(db, subject, "update", "elder", 1, at=clock.now)
        db.flush()
        subject.require(Perm.AUDIT_READ)

    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, make_session_factory(scratch)


def token(client: TestClient, factory: sessionmaker[Session], role: Role) -> dict[str, str]:
    with factory() as s:
        user, _ = make_user(s, role)
        s.commit()
        name = user.username
    resp = client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_the_refusal_is_kept_while_the_request_rolls_back(
    live: tuple[TestClient, sessionmaker[Session]],
) -> None:
    client, factory = live
    headers = token(client, factory, Role.OPERATOR)
    before = actions(factory)
    resp = client.post("/api/v1/test/write-then-refuse", headers=headers)
    assert resp.status_code == 403
    assert actions(factory)[len(before) :] == ["refused"]  # the "update" row went with the request


def test_an_operator_reading_the_audit_leaves_exactly_one_refusal(
    live: tuple[TestClient, sessionmaker[Session]],
) -> None:
    client, factory = live
    headers = token(client, factory, Role.OPERATOR)
    assert client.get("/api/v1/audit", headers=headers).status_code == 403
    assert client.get("/audit", headers=headers, follow_redirects=False).status_code == 303
    with factory() as s:
        refused = s.scalars(select(AuditEvent).where(AuditEvent.action == "refused")).all()
    assert [(r.actor_role, r.detail) for r in refused] == [("operator", "GET /api/v1/audit")]


def test_an_auditor_reading_the_audit_is_recorded_with_the_request(
    live: tuple[TestClient, sessionmaker[Session]],
) -> None:
    client, factory = live
    headers = token(client, factory, Role.AUDITOR)
    assert (
        client.get("/api/v1/audit", params={"action": "login"}, headers=headers).status_code == 200
    )
    assert actions(factory)[-1] == "read_audit"


def test_a_detached_row_commits_while_the_callers_transaction_is_still_open(
    scratch: Engine, clock: FakeClock
) -> None:
    if scratch.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: a detached write waits for the caller's transaction")
    factory = make_session_factory(scratch)
    anyone = Subject(None, "somebody", "somebody", Role.AUDITOR, ip="10.0.0.9")
    with factory() as request:
        audit.record(request, anyone, "update", "elder", 1, at=clock.now)
        request.flush()
        audit.record_detached(factory, anyone, "login_failed", "user", None, at=clock.now)
        with factory() as other:
            assert other.scalar(select(func.count(AuditEvent.id))) == 1  # the detached one only
        request.rollback()
    assert actions(factory) == ["login_failed"]
