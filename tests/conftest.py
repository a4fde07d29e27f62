"""Shared fixtures: a migrated database (SQLite or PostgreSQL), per-test rollback, a fake clock."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.db import make_engine
from yiyang.migrate import upgrade
from yiyang.web.deps import get_db


class FakeClock:
    """A clock tests move by hand instead of sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


def database_url() -> str:
    """PostgreSQL when YIYANG_DATABASE_URL is set (CI's second pass), else a temp SQLite file."""
    url = os.environ.get("YIYANG_DATABASE_URL")
    if url:
        return url
    path = Path(tempfile.mkdtemp(prefix="yiyang-test-")) / "test.sqlite3"
    return f"sqlite:///{path}"


def reset_schema(engine: Engine) -> None:
    """Drop everything on PostgreSQL so Alembic builds the schema from empty."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """One migrated database for the whole run."""
    eng = make_engine(database_url())
    reset_schema(eng)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    conn = engine.connect()
    outer = conn.begin()
    session = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        conn.close()


@pytest.fixture
def clock() -> FakeClock:
    """Monday 2026-11-23 09:00 in Zhengzhou."""
    return FakeClock(datetime(2026, 11, 23, 1, 0, tzinfo=UTC))


@pytest.fixture
def settings() -> Settings:
    """Settings for tests: a fixed secret, the Jinshui district."""
    return Settings(secret_key="test-secret", district_code="410105")


@pytest.fixture
def app(engine: Engine, db: Session, clock: FakeClock, settings: Settings) -> FastAPI:
    """The app bound to the test's rolled-back session and fake clock."""
    application = create_app(settings, engine=engine, clock=clock)

    def _test_db() -> Iterator[Session]:
        yield db
        db.flush()

    application.dependency_overrides[get_db] = _test_db
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app (no network)."""
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
