"""`yiyang audit seal | verify | archive` against a real database: exit 1 naming a tampered row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tests.builders import make_user
from tests.security.audit.builders import add_events
from yiyang.cli import app
from yiyang.config import get_settings
from yiyang.db import make_session_factory
from yiyang.kit.clock import utcnow
from yiyang.security.roles import Role


@pytest.fixture
def cli(scratch: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command line pointed at the scratch database and a temporary archive folder."""
    monkeypatch.setenv("YIYANG_DATABASE_URL", scratch.url.render_as_string(hide_password=False))
    monkeypatch.setenv("YIYANG_AUDIT_ARCHIVE_DIR", str(tmp_path / "archive"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _rows(scratch: Engine, count: int, age: timedelta) -> list[int]:
    with make_session_factory(scratch)() as s:
        _, admin = make_user(s, Role.DISTRICT_ADMIN)
        ids = [e.id for e in add_events(s, admin, count, utcnow() - age)]
        s.commit()
    return ids


def test_seal_then_verify_prints_the_head(cli: CliRunner, scratch: Engine) -> None:
    _rows(scratch, 4, timedelta(minutes=5))
    sealed = cli.invoke(app, ["audit", "seal"])
    assert sealed.exit_code == 0, sealed.output
    assert "sealed 4 rows" in sealed.output
    result = cli.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "table: 4 sealed rows checked" in result.output
    head = result.output.strip().splitlines()[-1].split("head ")[1]
    assert head.startswith("4:")
    again = cli.invoke(app, ["audit", "verify", "--anchor", head])
    assert again.exit_code == 0, again.output


def test_verify_exits_1_and_names_a_row_changed_behind_the_trigger(
    cli: CliRunner, scratch: Engine
) -> None:
    ids = _rows(scratch, 4, timedelta(minutes=5))
    cli.invoke(app, ["audit", "seal"])
    with scratch.begin() as conn:
        if scratch.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
        conn.execute(text("UPDATE audit_event SET actor_name = 'someone' WHERE id = :id"),
                     {"id": ids[2]})  # fmt: skip
    result = cli.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at row seq 3 (id {ids[2]}) in the table" in result.output
    assert "content does not match its hash" in result.output


def test_archive_then_verify_walks_the_files(
    cli: CliRunner, scratch: Engine, tmp_path: Path
) -> None:
    _rows(scratch, 3, timedelta(days=200))
    _rows(scratch, 2, timedelta(minutes=5))
    cli.invoke(app, ["audit", "seal"])
    archived = cli.invoke(app, ["audit", "archive"])
    assert archived.exit_code == 0, archived.output
    assert archived.output.count("wrote ") >= 1
    result = cli.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 rows" in result.output and "table: 2 sealed rows checked" in result.output
    for path in (tmp_path / "archive").iterdir():
        path.unlink()
    missing = cli.invoke(app, ["audit", "verify"])
    assert missing.exit_code == 1 and "the archive file is missing" in missing.output


def test_a_malformed_anchor_is_a_usage_error(cli: CliRunner) -> None:
    result = cli.invoke(app, ["audit", "verify", "--anchor", "nonsense"])
    assert result.exit_code == 2
