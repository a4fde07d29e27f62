"""Start-up configuration: the shared secret key, Secure cookies, and who may name the client."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.builders import PASSWORD, make_user
from yiyang import cli
from yiyang.app import create_app
from yiyang.config import (
    SECRET_KEY_FILE,
    MissingSecretKey,
    Settings,
    get_settings,
    resolve_secret_key,
)
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role
from yiyang.web.deps import SESSION_COOKIE

PG_URL = "postgresql+psycopg://nobody@127.0.0.1:5432/never"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """A clean YIYANG_* environment, with the cached settings rebuilt around it."""
    import os

    for name in list(os.environ):
        if name.startswith("YIYANG_"):
            monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield monkeypatch
    for name in list(os.environ):  # what the demo set for itself with os.environ directly
        if name.startswith("YIYANG_"):
            del os.environ[name]
    get_settings.cache_clear()


def test_postgresql_without_a_key_is_refused() -> None:
    with pytest.raises(MissingSecretKey, match="YIYANG_SECRET_KEY"):
        resolve_secret_key(Settings(database_url=PG_URL))
    assert resolve_secret_key(Settings(database_url=PG_URL, secret_key="shared")) == "shared"


def test_sqlite_keeps_its_generated_key_next_to_the_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db' / 'demo.sqlite3'}")
    first = resolve_secret_key(settings)
    path = tmp_path / "db" / SECRET_KEY_FILE
    assert path.read_text().strip() == first and len(first) == 64
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert resolve_secret_key(settings) == first  # reused: cards and forms survive a restart


@pytest.mark.parametrize("command", [["serve"], ["worker"]])
def test_serve_and_worker_refuse_to_start_on_postgresql_without_a_key(
    env: pytest.MonkeyPatch, command: list[str]
) -> None:
    env.setenv("YIYANG_DATABASE_URL", PG_URL)
    started: list[object] = []
    env.setattr("yiyang.cli.run_server", started.append)
    result = CliRunner().invoke(cli.app, command)
    assert result.exit_code == 2 and "YIYANG_SECRET_KEY" in result.output
    assert started == []


def test_serve_leaves_forwarded_headers_to_the_app(env: pytest.MonkeyPatch) -> None:
    env.setenv("YIYANG_DATABASE_URL", PG_URL)
    env.setenv("YIYANG_SECRET_KEY", "shared")
    calls: list[Any] = []
    env.setattr("yiyang.cli.run_server", calls.append)
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert calls[0].proxy_headers is False and calls[0].workers == 2


def test_unknown_required_roles_stop_the_start(env: pytest.MonkeyPatch) -> None:
    env.setenv("YIYANG_DATABASE_URL", PG_URL)
    env.setenv("YIYANG_SECRET_KEY", "shared")
    env.setenv("YIYANG_TOTP_REQUIRED_ROLES", "district_admin,mayor")
    env.setattr("yiyang.cli.run_server", lambda config: None)
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 2 and "mayor" in result.output


def test_defaults_outside_the_demo_and_in_it(env: pytest.MonkeyPatch) -> None:
    production = Settings()
    assert production.cookie_secure is True
    assert production.totp_required_roles == ["district_admin"]
    assert production.trusted_proxies == []
    env.setenv("YIYANG_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
    env.setenv("YIYANG_TOTP_REQUIRED_ROLES", "district_admin,street_admin")
    listed = Settings()
    assert [str(n) for n in listed.trusted_proxies] == ["10.0.0.0/8", "192.0.2.7/32"]
    assert listed.totp_required_roles == ["district_admin", "street_admin"]
    env.delenv("YIYANG_TOTP_REQUIRED_ROLES")
    env.setattr(cli, "DEMO_INSTANCE", "unused")
    cli._demo_settings()
    demo = get_settings()
    assert demo.cookie_secure is False and demo.totp_required_roles == []


def test_demo_on_postgresql_keeps_its_key_in_the_instance_folder(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env.setenv("YIYANG_DATABASE_URL", PG_URL)
    env.setattr(cli, "DEMO_INSTANCE", str(tmp_path / "var"))
    cli._demo_settings()
    key = get_settings().secret_key
    assert key and (tmp_path / "var" / SECRET_KEY_FILE).read_text().strip() == key


def test_the_session_cookie_is_secure_by_default(live_engine: Engine, live_db: Session) -> None:
    app = create_app(Settings(secret_key="x", totp_required_roles=[]), engine=live_engine)
    user, _ = make_user(live_db, Role.OPERATOR)
    live_db.commit()
    with TestClient(app, base_url="https://127.0.0.1") as client:
        resp = client.post(
            "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
        )
    cookie = resp.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "Secure" in cookie and "HttpOnly" in cookie


def _login_audit_ip(client: TestClient, live_db: Session, headers: dict[str, str]) -> str | None:
    user, _ = make_user(live_db, Role.OPERATOR)
    live_db.commit()
    username = user.username
    client.post(
        "/api/v1/auth/token",
        json={"username": username, "password": PASSWORD},
        headers=headers,
    )
    ip = live_db.scalar(
        select(AuditEvent.ip).where(AuditEvent.action == "login", AuditEvent.actor_name == username)
    )
    live_db.commit()
    return ip


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    live_engine: Engine, live_db: Session, settings: Settings
) -> None:
    spoof = {"X-Forwarded-For": "6.6.6.6"}
    app = create_app(settings, engine=live_engine)
    with TestClient(app, client=("127.0.0.1", 5000)) as local:
        assert _login_audit_ip(local, live_db, spoof) == "127.0.0.1"  # localhost is no proxy
    behind = Settings(
        secret_key="test-secret", cookie_secure=False, totp_required_roles=[],
        trusted_proxies="10.1.0.0/16",
    )  # fmt: skip
    proxied = create_app(behind, engine=live_engine)
    with TestClient(proxied, client=("10.1.2.3", 5000)) as via_proxy:
        forwarded = {"X-Forwarded-For": "203.0.113.9, 10.1.0.5"}
        assert _login_audit_ip(via_proxy, live_db, forwarded) == "203.0.113.9"
    with TestClient(proxied, client=("198.51.100.4", 5000)) as direct:
        assert _login_audit_ip(direct, live_db, spoof) == "198.51.100.4"
