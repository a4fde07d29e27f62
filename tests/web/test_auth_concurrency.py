"""Parallel wrong passwords on PostgreSQL cannot slip past the limit (threads, own connections)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_user
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role

pytestmark = pytest.mark.postgres_only
THREADS = 16


@pytest.fixture
def pg_live(live_engine: Engine, live_app: FastAPI) -> FastAPI:
    """The live app, on PostgreSQL only (SQLite serialises every writer anyway)."""
    if live_engine.dialect.name != "postgresql":
        pytest.skip("row locks across connections are tested on PostgreSQL only")
    return live_app


def _race(app: FastAPI, bodies: list[dict[str, str]], address: str) -> list[int]:
    """Post every body to the token endpoint at once, each from its own thread and client."""
    barrier = threading.Barrier(len(bodies))
    codes: list[int] = []

    def attempt(body: dict[str, str]) -> None:
        with TestClient(app, client=(address, 40000)) as client:
            barrier.wait()
            codes.append(client.post("/api/v1/auth/token", json=body).status_code)

    threads = [threading.Thread(target=attempt, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return codes


def _failures(live_db: Session, username: str) -> int:
    count = live_db.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "login_failed", AuditEvent.actor_name == username
        )
    )
    live_db.commit()
    return count or 0


def test_parallel_wrong_passwords_get_at_most_the_allowed_checks(
    pg_live: FastAPI, live_db: Session
) -> None:
    user, _ = make_user(live_db, Role.OPERATOR)
    live_db.commit()
    username = user.username
    bodies = [{"username": username, "password": f"guess-{i}"} for i in range(THREADS)]
    codes = Counter(_race(pg_live, bodies, "198.19.0.1"))
    # Three a minute per account: exactly three passwords were looked at, the rest refused.
    assert codes == {401: 3, 429: THREADS - 3}
    assert _failures(live_db, username) == 3


def test_parallel_attempts_across_accounts_respect_the_address_limit(
    pg_live: FastAPI, live_db: Session
) -> None:
    bodies = [{"username": f"ghost-{i}", "password": "guess"} for i in range(THREADS)]
    codes = Counter(_race(pg_live, bodies, "198.19.0.2"))
    assert codes == {401: 10, 429: THREADS - 10}


def test_parallel_right_passwords_wait_only_while_the_limit_is_in_flight(
    pg_live: FastAPI, live_db: Session
) -> None:
    """An attempt counts while it is checked, right or not: from one address at most ten are
    in flight at once. The others are told to retry, and then get in (right ones take their
    attempt back, so a busy office is never locked out)."""
    users = [make_user(live_db, Role.OPERATOR)[0] for _ in range(THREADS)]
    live_db.commit()
    bodies = [{"username": u.username, "password": PASSWORD} for u in users]
    codes = _race(pg_live, bodies, "198.19.0.3")
    assert codes.count(200) >= 10 and codes.count(200) + codes.count(429) == THREADS
    with TestClient(pg_live, client=("198.19.0.3", 40000)) as client:
        again = [client.post("/api/v1/auth/token", json=b).status_code for b in bodies]
    assert again == [200] * THREADS
