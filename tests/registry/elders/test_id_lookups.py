"""Exact ID-number searches are limited per user and hour, across requests and web workers.

These go through the real request transactions of an app on its own migrated database (the
shared rolled-back session of the `client` fixture would hide a count that is not kept),
and on PostgreSQL through concurrent transactions too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_tree, make_user, new_id_number
from tests.conftest import FakeClock, database_url, scratch_database
from tests.security.masking_world import CHEAP_HASH
from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.db import make_engine, make_session_factory
from yiyang.errors import TooManyRequests
from yiyang.migrate import upgrade
from yiyang.registry.elders import lookups
from yiyang.registry.elders.models import ElderIdLookup
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role
from yiyang.security.service import subject_for

LIMIT = 3
HTMX_RESULTS = {"HX-Request": "true", "HX-Target": "results"}


@dataclass
class Own:
    """An app with its own database, an elder, and two operators."""

    app: FastAPI
    engine: Engine
    id_number: str
    elder_id: int
    name: str
    usernames: tuple[str, str]  # an operator and a district administrator


@pytest.fixture
def own(clock: FakeClock) -> Iterator[Own]:
    with scratch_database(database_url()) as url:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as s:
            elder = make_elder(s, make_tree(s).comm_a1)
            users = [make_user(s, role)[0] for role in (Role.OPERATOR, Role.DISTRICT_ADMIN)]
            for user in users:
                user.password_hash = CHEAP_HASH
            s.commit()
            found = Own(
                create_app(
                    Settings(
                        secret_key="test-secret",
                        elder_id_lookups_per_hour=LIMIT,
                        cookie_secure=False,
                        totp_required_roles=[],
                    ),
                    engine=engine,
                    clock=clock,
                ),
                engine,
                elder.id_number,
                elder.id,
                elder.name,
                (users[0].username, users[1].username),
            )
        yield found
        engine.dispose()


def _headers(client: TestClient, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_past_the_limit_a_new_id_number_answers_429_until_the_hour_passes(
    own: Own, clock: FakeClock
) -> None:
    guesses = [own.id_number] + [new_id_number() for _ in range(LIMIT)]
    with TestClient(own.app, base_url="http://127.0.0.1") as client:
        operator, admin = (_headers(client, u) for u in own.usernames)

        def search(q: str, headers: dict[str, str] = operator) -> int:
            return client.get("/api/v1/elders", params={"q": q}, headers=headers).status_code

        found = client.get("/api/v1/elders", params={"q": guesses[0]}, headers=operator)
        assert found.status_code == 200 and found.json()["total"] == 1  # 09:00
        clock.advance(minutes=10)
        assert search(guesses[1]) == 200  # 09:10
        clock.advance(minutes=10)
        spaced = guesses[0][:6] + " " + guesses[0][6:].lower()
        assert search(spaced) == 200  # the same number again: not another guess
        assert search(guesses[2]) == 200  # 09:20, the third different number
        clock.advance(minutes=10)
        refused = client.get("/api/v1/elders", params={"q": guesses[3]}, headers=operator)
        assert refused.status_code == 429
        error = refused.json()["error"]
        assert error["code"] == "too_many_requests" and "10:00" in error["message"]
        assert search(guesses[0]) == 200  # numbers already looked up stay searchable
        assert search(own.name) == 200  # only ID numbers count
        # The limit is per user, and an export filtered by an ID number counts as a search.
        export = {"q": guesses[0], "format": "csv"}
        assert client.get("/api/v1/elders/export", params=export, headers=admin).status_code == 200
        assert search(guesses[1], admin) == search(guesses[2], admin) == 200
        export["q"] = guesses[3]
        over = client.get("/api/v1/elders/export", params=export, headers=admin)
        assert over.status_code == 429
        clock.advance(minutes=31)  # the operator's first search is now more than an hour old
        assert search(guesses[3]) == 200
    with Session(own.engine) as s:
        audited = s.scalars(select(AuditEvent).where(AuditEvent.action == "id_lookup")).all()
        assert len(audited) == 9  # every search allowed, repeats too; the refused left none
        assert all("*" in (a.detail or "") for a in audited)
        assert {a.entity_id for a in audited} == {own.elder_id, None}  # who was found, if any
        kept = s.scalar(select(func.count()).select_from(ElderIdLookup))
        assert kept == 2 * LIMIT  # the operator's number older than the hour is dropped


def test_the_elder_page_says_why_a_search_is_refused(own: Own) -> None:
    with TestClient(own.app, base_url="http://127.0.0.1") as client:
        resp = client.post(
            "/login",
            data={"username": own.usernames[0], "password": PASSWORD},
            follow_redirects=False,
        )
        assert resp.status_code == 303
        for _ in range(LIMIT):
            assert client.get("/elders", params={"q": new_id_number()}).status_code == 200
        refused = client.get("/elders", params={"q": new_id_number(), "lang": "en"})
        assert refused.status_code == 429
        assert "searched for 3 different ID numbers in the last hour" in refused.text
        # The live search (htmx) gets the message in place of the results.
        live = client.get(
            "/elders", params={"q": new_id_number(), "lang": "en"}, headers=HTMX_RESULTS
        )
        assert live.status_code == 200 and 'data-testid="search-refused"' in live.text
        assert "searched for 3 different ID numbers" in live.text


def test_concurrent_searches_from_several_workers_share_one_count(
    own: Own, clock: FakeClock
) -> None:
    if own.engine.dialect.name != "postgresql":
        pytest.skip("concurrent transactions are tested on PostgreSQL (SQLite runs one writer)")
    factory = make_session_factory(own.engine)
    with factory() as s:
        account = s.scalar(select(UserAccount).where(UserAccount.username == own.usernames[0]))
        assert account is not None
        subject = subject_for(account)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def search() -> None:
        number = new_id_number()
        with factory() as s:
            barrier.wait()
            try:
                lookups.allow(s, subject, number, now=clock.now, limit=LIMIT)
                s.commit()
                outcomes.append("allowed")
            except TooManyRequests:
                s.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=search) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["allowed"] * LIMIT + ["refused"] * (8 - LIMIT)
