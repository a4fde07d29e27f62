"""Shared fixtures: a migrated database (SQLite or PostgreSQL), per-test rollback, a fake clock."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, text
from sqlalchemy.orm import Session, sessionmaker

from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.db import make_engine, make_session_factory
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


@contextmanager
def scratch_database(url: str, *, template: str | None = None) -> Iterator[str]:
    """On PostgreSQL, a private database for this test run (parallel runs never collide),
    a copy of the `template` database when one is named."""
    if not url.startswith("postgresql"):
        yield url
        return
    base = make_url(url)
    name = f"{base.database}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_engine() -> Iterator[Engine]:
    """An engine on a scratch database brought to the newest schema, disposed after."""
    with scratch_database(database_url()) as url:
        eng = make_engine(url)
        upgrade(eng)
        yield eng
        eng.dispose()


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    """One migrated database for the whole run."""
    with migrated_engine() as eng:
        yield eng


@pytest.fixture(scope="module")
def own_engine() -> Iterator[Engine]:
    """A migrated database of the test module's own, for tests that really commit."""
    with migrated_engine() as eng:
        yield eng


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
    """Settings for tests: a fixed secret, the Jinshui district, plain http, no required 2FA."""
    return Settings(
        secret_key="test-secret",
        district_code="410105",
        cookie_secure=False,
        totp_required_roles=[],
    )


@pytest.fixture
def app(engine: Engine, db: Session, clock: FakeClock, settings: Settings) -> FastAPI:
    """The app bound to the test's rolled-back session and fake clock."""
    application = create_app(settings, engine=engine, clock=clock)

    def _test_db() -> Iterator[Session]:
        yield db
        db.flush()

    application.dependency_overrides[get_db] = _test_db
    # Writes in their own transaction (refusals, failed logins) join the test's rolled-back one.
    application.state.session_factory = sessionmaker(
        bind=db.bind, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app (no network)."""
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture(scope="session")
def live_engine() -> Iterator[Engine]:
    """A second migrated database whose rows are really committed, shared by the live tests."""
    with migrated_engine() as eng:
        yield eng


@pytest.fixture
def live_db(live_engine: Engine) -> Iterator[Session]:
    """A session on the live database; what the test commits there every request sees.

    End every read with commit() (rollback() would expire the loaded rows, and reading them
    again opens another transaction) before the next request: on SQLite an open
    transaction holds the write lock (BEGIN IMMEDIATE) and the request would wait for it.
    """
    with Session(live_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def live_app(live_engine: Engine, clock: FakeClock, settings: Settings) -> FastAPI:
    """The app with its real get_db: each request its own session, transaction and connection."""
    return create_app(settings, engine=live_engine, clock=clock)


_live_clients = itertools.count(1)


@pytest.fixture
def live_client(live_app: FastAPI) -> Iterator[TestClient]:
    """A client of the live app from an address of its own (per-address limits stay per test)."""
    n = next(_live_clients)
    address = f"198.18.{n // 250}.{n % 250 + 1}"
    with TestClient(live_app, base_url="http://127.0.0.1", client=(address, 50000)) as c:
        yield c


@dataclass
class Live:
    """An app on its own database with real per-request transactions, and its job worker."""

    app: FastAPI
    client: TestClient
    factory: sessionmaker[Session]
    settings: Settings
    clock: FakeClock

    def run_jobs(self, limit: int = 20) -> list[int]:
        """Run every waiting job to its end, as the worker would; returns their ids."""
        from yiyang.jobs import runner
        from yiyang.worker import load_tasks

        load_tasks()
        ran: list[int] = []
        while len(ran) < limit:
            job_id = runner.run_next(self.factory, self.clock, self.settings, worker="test")
            if job_id is None:
                break
            ran.append(job_id)
        return ran


@pytest.fixture(scope="session")
def live_template() -> Iterator[str]:
    """A migrated database that each live test copies (a file, or a PostgreSQL template)."""
    with scratch_database(database_url()) as url:
        eng = make_engine(url)
        upgrade(eng)
        eng.dispose()
        yield url


@contextmanager
def copied_database(template: str, folder: Path) -> Iterator[str]:
    """A fresh copy of the template database for one test."""
    if not template.startswith("postgresql"):
        path = folder / "live.sqlite3"
        shutil.copyfile(template.split("///", 1)[-1], path)
        yield f"sqlite:///{path}"
        return
    with scratch_database(template, template=make_url(template).database) as url:
        yield url


@pytest.fixture
def live(live_template: str, clock: FakeClock, tmp_path: Path) -> Iterator[Live]:
    """The app on a private copy of the migrated database, no shared session, no worker loop."""
    with copied_database(live_template, tmp_path) as url:
        settings = Settings(
            secret_key="test-secret",
            district_code="410105",
            instance_dir=tmp_path / "instance",
            cookie_secure=False,
            totp_required_roles=[],
        )
        eng = make_engine(url)
        application = create_app(settings, engine=eng, clock=clock)
        with TestClient(application, base_url="http://127.0.0.1") as c:
            yield Live(application, c, make_session_factory(eng), settings, clock)
        eng.dispose()
