"""Run Alembic migrations from code (CLI, demo, tests) with the packaged scripts."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from yiyang.config import PACKAGE_DIR


def alembic_config(url: str | None = None) -> Config:
    """The packaged Alembic configuration, optionally bound to a URL."""
    cfg = Config(str(PACKAGE_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema up to a revision (every head: parallel branches before they
    are chained) inside one transaction."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
